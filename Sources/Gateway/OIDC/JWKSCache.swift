import Logging

/// The provider's keys: read at start, and again when a token names a `kid` they lack (a key
/// rotation).
///
/// Refreshes for unknown `kid`s are bounded: at most one per `refreshInterval` (a failed one
/// counts), and requests arriving while one runs wait for it rather than start their own. A
/// flood of made-up `kid`s therefore costs the provider one fetch per interval.
actor JWKSCache {
    private let source: JWKSSource
    private let refreshInterval: Duration
    private let logger: Logger
    private var keys = VerificationKeys.empty
    private var lastRefresh: ContinuousClock.Instant?
    private var inFlight: Task<Void, Never>?

    init(source: JWKSSource, refreshInterval: Duration, logger: Logger) {
        self.source = source
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// Reads the set from the source now; throws when it cannot be fetched or is not a JWKS.
    func load() async throws {
        keys = try await VerificationKeys(jwks: try await source.load(), source: source, logger: logger)
    }

    /// The current keys if they hold `kid`, after a refresh when they did not and the bound
    /// allows one; nil when `kid` is still unknown.
    func keys(for kid: String) async -> VerificationKeys? {
        if keys.algorithms[kid] != nil { return keys }
        if let inFlight {
            await inFlight.value
        } else if lastRefresh.map({ ContinuousClock.now - $0 >= refreshInterval }) ?? true {
            lastRefresh = .now
            // Started and stored before any suspension, so concurrent callers find it.
            let refresh = Task { await self.refresh() }
            inFlight = refresh
            await refresh.value
        }
        return keys.algorithms[kid] != nil ? keys : nil
    }

    private func refresh() async {
        defer { inFlight = nil }
        do {
            try await load()
            logger.info("JWKS refreshed for an unknown kid", metadata: ["source": "\(source)", "keys": "\(keys.algorithms.count)"])
        } catch {
            // The old keys stay: a provider outage must not log everyone out.
            logger.warning("JWKS refresh failed; keeping the keys read before", metadata: ["source": "\(source)", "error": "\(error)"])
        }
    }
}
