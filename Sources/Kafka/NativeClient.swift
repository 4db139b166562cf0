import CRdKafka
import Foundation
import Locking
import Logging
import MetadataKeys

/// What librdkafka's C callbacks reach through the client's opaque pointer.
final class ClientContext: Sendable {
    let logger: Logger
    let rebalanceListener: (any RebalanceListener)?
    let latestStatistics = Locked<KafkaStatistics?>(nil)
    /// The last error librdkafka reported on its own (a refused TLS handshake, a broker down):
    /// a request that then times out says why instead of only that it timed out.
    let latestError = Locked<KafkaError?>(nil)

    init(logger: Logger, rebalanceListener: (any RebalanceListener)? = nil) {
        self.logger = logger
        self.rebalanceListener = rebalanceListener
    }

    /// `error`, with the last error librdkafka reported added when it is a timeout.
    func explaining(_ error: KafkaError) -> KafkaError {
        guard error.isTimeout, let cause = latestError.withLock({ $0 }) else { return error }
        return KafkaError(code: error.code, message: "\(error.message) (last client error: \(cause.message))")
    }

    static func from(_ handle: OpaquePointer?) -> ClientContext? {
        guard let handle, let opaque = rd_kafka_opaque(handle) else { return nil }
        return Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Owns one `rd_kafka_t` and the context its callbacks use.
///
/// librdkafka handles are thread-safe, so the handle may be used from any thread, but only
/// inside ``leased(_:)``: ``destroy()`` waits for every lease to end and then destroys the
/// handle once, so no call can reach a destroyed handle and a second destroy is a no-op (a
/// double `rd_kafka_destroy` joins librdkafka's threads twice and corrupts the heap).
final class NativeClient: @unchecked Sendable {
    let handle: OpaquePointer
    let context: ClientContext
    private let retainedContext: Unmanaged<ClientContext>
    private let lease = Locked(Lease())

    private struct Lease {
        var users = 0
        var destroyed = false
    }

    /// Creates the handle; `configure` may install role-specific callbacks on the conf.
    init(
        kind: rd_kafka_type_t,
        configuration: KafkaConfiguration,
        context: ClientContext,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        let conf = try configuration.makeNative()
        retainedContext = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, retainedContext.toOpaque())
        rd_kafka_conf_set_log_cb(conf, logCallback)
        rd_kafka_conf_set_error_cb(conf, errorCallback)
        rd_kafka_conf_set_stats_cb(conf, statisticsCallback)
        configure(conf)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(kind, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            retainedContext.release()
            throw .configuration("cannot create Kafka client: \(String(errorBuffer: errstr))")
        }
        self.handle = handle
        self.context = context
    }

    /// Runs `body`, which may use ``handle``; throws ``KafkaError/closed`` once destroyed.
    func leased<T>(_ body: () throws -> T) throws -> T {
        try lease.withLock { (state: inout Lease) throws(KafkaError) in
            guard !state.destroyed else { throw .closed }
            state.users += 1
        }
        defer { lease.withLock { $0.users -= 1 } }
        return try body()
    }

    /// ``leased(_:)`` on a Dispatch thread (see ``blocking(on:_:)``).
    func run<T: Sendable>(on queue: DispatchQueue = .global(), _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await blocking(on: queue) { [self] in try leased(body) }
    }

    /// Destroys the handle once (blocking until running leases end and librdkafka's threads
    /// stop) and releases the context; later calls do nothing. Never call it inside a lease.
    func destroy() {
        let first = lease.withLock { state in
            defer { state.destroyed = true }
            return !state.destroyed
        }
        guard first else { return }
        // Leases are short librdkafka calls; wait them out rather than destroy under them.
        while lease.withLock({ $0.users }) > 0 { usleep(1000) }
        rd_kafka_destroy(handle)
        retainedContext.release()
    }
}

// librdkafka calls these from its own threads (or from inside poll calls).

private let logCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    handle, level, facility, message in
    guard let context = ClientContext.from(handle) else { return }
    let fac = facility.map { String(cString: $0) } ?? "-"
    context.logger.log(
        level: Logger.Level(syslog: level),
        "\(message.map { String(cString: $0) } ?? "")",
        metadata: [MetadataKey.rdkafkaFacility: "\(fac)"]
    )
}

private let errorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    handle, code, reason, _ in
    guard let context = ClientContext.from(handle) else { return }
    let error = KafkaError(code: code, message: reason.map { String(cString: $0) })
    // "All brokers are down" follows the error that says why (a refused handshake): keep that one.
    context.latestError.withLock { latest in
        if latest == nil || code != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue { latest = error }
    }
    context.logger.log(level: error.isFatal ? .critical : .warning, "librdkafka: \(error)")
}

private let statisticsCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutableRawPointer?) -> Int32 = {
    handle, json, length, _ in
    guard let context = ClientContext.from(handle), let json else { return 0 }
    do {
        let statistics = try KafkaStatistics.decode(Data(bytes: json, count: length))
        context.latestStatistics.withLock { $0 = statistics }
    } catch {
        context.logger.debug("unreadable librdkafka statistics", metadata: [MetadataKey.error: "\(error)"])
    }
    return 0  // librdkafka keeps ownership of the JSON buffer.
}

extension Logger.Level {
    /// Maps syslog severities (librdkafka's log levels) to swift-log levels.
    init(syslog level: Int32) {
        switch level {
        case ...2: self = .critical
        case 3: self = .error
        case 4: self = .warning
        case 5: self = .notice
        case 6: self = .info
        default: self = .debug
        }
    }
}
