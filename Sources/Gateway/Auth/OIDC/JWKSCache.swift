import Logging
import MetadataKeys

/// The provider's keys: read at start, again when a token names a `kid` they lack (a key
/// rotation), and in the background once they are older than `maxAge` (so a key the provider
/// withdrew stops being trusted).
///
/// Refreshes are bounded: at most one per `refreshInterval` (a failed one counts), and requests
/// arriving while one runs wait for it rather than start their own. A flood of made-up `kid`s
/// therefore costs the provider one fetch per interval.
actor JWKSCache {
    /// What the cache knows of a `kid`.
    enum Lookup {
        case found(VerificationKeys)
        /// The provider's current keys lack it.
        case unknown
        /// Not among the keys read before, and the provider could not be read since: nobody can
        /// tell yet whether the token is good.
        case unavailable
    }

    private let source: JWKSSource
    private let refreshInterval: Duration
    private let maxAge: Duration
    private let logger: Logger
    private var keys = VerificationKeys.empty
    private var loadedAt: ContinuousClock.Instant?
    private var lastAttemptFailed = false
    private var lastRefresh: ContinuousClock.Instant?
    private var inFlight: Task<Void, Never>?

    init(source: JWKSSource, refreshInterval: Duration, maxAge: Duration, logger: Logger) {
        self.source = source
        self.refreshInterval = refreshInterval
        self.maxAge = maxAge
        self.logger = logger
    }

    /// Reads the set from the source now; throws when it cannot be fetched or is not a JWKS.
    func load() async throws {
        do {
            keys = try await VerificationKeys(jwks: try await source.load(), source: source, logger: logger)
            loadedAt = .now
            lastAttemptFailed = false
        } catch {
            lastAttemptFailed = true
            throw error
        }
    }

    /// The keys holding `kid`: the current ones (refreshed in the background when older than
    /// `maxAge`), else those of a refresh when the bound allows one.
    func lookup(_ kid: String) async -> Lookup {
        if keys.algorithms[kid] != nil {
            if inFlight == nil, loadedAt.map({ ContinuousClock.now - $0 >= maxAge }) ?? false, refreshAllowed {
                _ = startRefresh("the keys are older than \(maxAge)")
            }
            return .found(keys)
        }
        if let inFlight {
            await inFlight.value
        } else if refreshAllowed {
            await startRefresh("a token names an unknown kid").value
        }
        if keys.algorithms[kid] != nil { return .found(keys) }
        return lastAttemptFailed ? .unavailable : .unknown
    }

    private var refreshAllowed: Bool { lastRefresh.map { ContinuousClock.now - $0 >= refreshInterval } ?? true }

    /// Started and stored before any suspension, so concurrent callers find it.
    private func startRefresh(_ reason: String) -> Task<Void, Never> {
        lastRefresh = .now
        let refresh = Task { await self.refresh(reason) }
        inFlight = refresh
        return refresh
    }

    private func refresh(_ reason: String) async {
        defer { inFlight = nil }
        do {
            try await load()
            logger.info(
                "JWKS refreshed",
                metadata: [MetadataKey.reason: "\(reason)", MetadataKey.source: "\(source)", MetadataKey.keys: "\(keys.algorithms.count)"])
        } catch {
            // The old keys stay: a provider outage must not log everyone out.
            logger.warning(
                "JWKS refresh failed; keeping the keys read before",
                metadata: [MetadataKey.reason: "\(reason)", MetadataKey.source: "\(source)", MetadataKey.error: "\(error)"])
        }
    }
}
