import CRdKafka
import Foundation
import Locking
import Logging
import MetadataKeys
import ServiceLifecycle
import Synchronization

/// An idempotent Kafka producer whose `send` returns once the broker has the record.
///
/// A dedicated thread serves librdkafka's delivery reports; callers await them without
/// blocking Swift's cooperative pool. Run it in a `ServiceGroup` (or call ``close(flushTimeout:)``)
/// so queued records are flushed before the handle is destroyed.
public final class KafkaProducer: RecordProducer, Closable, Service {
    /// One native handle and the thread that polls it.
    private struct Session: Sendable {
        let client: NativeClient
        let poller: PollThread
    }

    private let session: Locked<Session>
    private let configuration: KafkaConfiguration
    private let logger: Logger
    private let isClosed = Atomic<Bool>(false)
    private let closeTimeout: Duration

    /// Creates a producer; see ``KafkaConfiguration/producer(bootstrapServers:_:)`` for defaults.
    public init(configuration: KafkaConfiguration, logger: Logger, closeTimeout: Duration = .seconds(10)) throws {
        session = Locked(try Self.open(configuration, logger: logger))
        self.configuration = configuration
        self.logger = logger
        self.closeTimeout = closeTimeout
    }

    private static func open(_ configuration: KafkaConfiguration, logger: Logger) throws -> Session {
        let client = try NativeClient(kind: RD_KAFKA_PRODUCER, configuration: configuration, context: ClientContext(logger: logger)) {
            rd_kafka_conf_set_dr_msg_cb($0, deliveryCallback)
        }
        return Session(client: client, poller: PollThread(name: "rdkafka-producer-poll") { rd_kafka_poll(client.handle, 100) })
    }

    private var client: NativeClient { session.withLock { $0.client } }

    /// The latest librdkafka statistics, when `statistics.interval.ms` is set.
    public var statistics: KafkaStatistics? { client.context.latestStatistics.withLock { $0 } }

    /// Appends one record and returns where the broker stored it.
    ///
    /// Throws the delivery error (e.g. `_MSG_TIMED_OUT` after `message.timeout.ms` when no
    /// broker is reachable); a thrown send was not acknowledged by the broker.
    public func send(_ message: ProducerMessage) async throws -> DeliveryReport {
        while true {
            guard !isClosed.load(ordering: .acquiring) else { throw KafkaError.closed }
            let client = client
            let report: DeliveryReport?
            do {
                report = try await withCheckedThrowingContinuation { enqueue(message, on: client, continuation: $0) }
            } catch {
                await replaceIfBroken(client, after: error)
                throw error
            }
            if let report { return report }
            // The local queue is full: give the poll thread time to drain delivery reports.
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Enqueues `messages` in their order (so records of one partition land in that order) and
    /// returns the broker's acknowledgements in the same order; throws the first failure.
    ///
    /// Unlike concurrent ``send(_:)`` calls, whose enqueue order is the scheduler's, this keeps
    /// the order: it is how a restore reproduces a partition offset for offset.
    public func sendInOrder(_ messages: [ProducerMessage]) async throws -> [DeliveryReport] {
        guard !isClosed.load(ordering: .acquiring) else { throw KafkaError.closed }
        let client = client
        let batch = BatchDelivery(count: messages.count)
        // Every message gets a continuation slot first; the enqueue loop blocks (off the pool)
        // while the local queue is full, and the poll thread resolves the slots.
        let reports: [Result<DeliveryReport, any Error>] = try await withCheckedThrowingContinuation { continuation in
            batch.whenDone { continuation.resume(returning: $0) }
            DispatchQueue.global().async { [self] in
                for (index, message) in messages.enumerated() {
                    while true {
                        let box = Unmanaged.passRetained(DeliveryBox(batch: batch, index: index))
                        let error: OpaquePointer?
                        do {
                            error = try client.leased { produce(message, on: client, opaque: box.toOpaque()) }
                        } catch {
                            box.release()
                            batch.fail(from: index, with: KafkaError.closed)
                            return
                        }
                        guard let error else { break }
                        box.release()
                        let failure = KafkaError(consuming: error)
                        guard failure.code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue else {
                            batch.fail(from: index, with: failure)
                            return
                        }
                        usleep(1000)  // Let the poll thread drain delivery reports.
                    }
                }
            }
        }
        return try reports.map { try $0.get() }
    }

    /// A handle with a fatal error, or whose idempotent producer id the broker fenced (Tansu does
    /// after records time out during a stall), fails every later send: swap in a new one so the
    /// next send works, and dispose of the old one.
    private func replaceIfBroken(_ failed: NativeClient, after error: any Error) async {
        var reason = [CChar](repeating: 0, count: 512)
        // A concurrent send may have replaced (and destroyed) this handle already.
        guard let fatalCode = try? failed.leased({ rd_kafka_fatal_error(failed.handle, &reason, reason.count) }) else { return }
        let fatal = fatalCode != RD_KAFKA_RESP_ERR_NO_ERROR
        let fenced = (error as? KafkaError).map { Self.fencing.contains($0.code) } ?? false
        guard fatal || fenced, !isClosed.load(ordering: .acquiring) else { return }
        let old: Session? = session.withLock { current in
            guard current.client === failed, let fresh = try? Self.open(configuration, logger: logger) else { return nil }
            defer { current = fresh }
            return current
        }
        guard let old else { return }
        logger.error(
            "producer unusable; replaced it with a new producer",
            metadata: [MetadataKey.error: "\(fatal ? String(errorBuffer: reason) : "\(error)")"])
        try? await blocking {
            rd_kafka_purge(old.client.handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
            rd_kafka_flush(old.client.handle, 1000)
            old.poller.stop()
            old.client.destroy()
        }
    }

    /// Errors after which the broker refuses this producer id for good.
    private static let fencing: Set<Int32> = [
        RD_KAFKA_RESP_ERR_PRODUCER_FENCED.rawValue, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH.rawValue,
    ]

    /// Waits until every queued record was delivered or failed, at most `timeout`.
    public func flush(timeout: Duration) async throws {
        try await client.run { [client] in
            try rd_kafka_flush(client.handle, timeout.milliseconds).check("flush did not finish within \(timeout)")
        }
    }

    /// ``close(flushTimeout:)`` with the `closeTimeout` it was made with.
    public func close() async { await close(flushTimeout: closeTimeout) }

    /// Flushes (bounded by `flushTimeout`), fails what is still queued, and destroys the handle.
    public func close(flushTimeout: Duration) async {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let current = session.withLock { $0 }
        try? await blocking { [client = current.client, poller = current.poller] in
            let handle = client.handle
            if rd_kafka_flush(handle, flushTimeout.milliseconds) != RD_KAFKA_RESP_ERR_NO_ERROR {
                client.context.logger.warning(
                    "producer closing with undelivered records; failing them",
                    metadata: [MetadataKey.records: "\(rd_kafka_outq_len(handle))"])
                // Purged records get error delivery reports, so no caller waits forever.
                rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
                rd_kafka_flush(handle, 1000)
            }
            poller.stop()
            client.destroy()
        }
    }

    /// Runs until graceful shutdown, then closes.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Starts one produce call; resumes with nil when the local queue is full.
    private func enqueue(_ message: ProducerMessage, on client: NativeClient, continuation: CheckedContinuation<DeliveryReport?, any Error>)
    {
        let box = Unmanaged.passRetained(DeliveryBox(continuation))
        let failure: KafkaError
        do {
            guard let error = try client.leased({ produce(message, on: client, opaque: box.toOpaque()) }) else {
                return  // The delivery callback resumes the continuation.
            }
            failure = KafkaError(consuming: error)
        } catch {
            failure = .closed
        }
        box.release()
        if failure.code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue {
            continuation.resume(returning: nil)
        } else {
            continuation.resume(throwing: failure)
        }
    }

    private func produce(_ message: ProducerMessage, on client: NativeClient, opaque: UnsafeMutableRawPointer) -> OpaquePointer? {
        let headers = rd_kafka_headers_new(message.headers.count)!
        for header in message.headers {
            if let value = header.value {
                _ = value.withUnsafeBytes { rd_kafka_header_add(headers, header.name, -1, $0.baseAddress, $0.count) }
            } else {
                rd_kafka_header_add(headers, header.name, -1, nil, 0)
            }
        }
        let key = message.key ?? Data()
        let error: OpaquePointer? = message.topic.withCString { topic in
            key.withUnsafeBytes { keyBytes in
                message.value.withUnsafeBytes { valueBytes in
                    var values = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 8)
                    values[0].vtype = RD_KAFKA_VTYPE_TOPIC
                    values[0].u.cstr = topic
                    values[1].vtype = RD_KAFKA_VTYPE_VALUE
                    values[1].u.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                    values[1].u.mem.size = valueBytes.count
                    values[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    values[2].u.i = RD_KAFKA_MSG_F_COPY
                    values[3].vtype = RD_KAFKA_VTYPE_OPAQUE
                    values[3].u.ptr = opaque
                    values[4].vtype = RD_KAFKA_VTYPE_HEADERS
                    values[4].u.headers = headers
                    var count = 5
                    if message.key != nil {
                        values[count].vtype = RD_KAFKA_VTYPE_KEY
                        values[count].u.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                        values[count].u.mem.size = keyBytes.count
                        count += 1
                    }
                    if let partition = message.partition {
                        values[count].vtype = RD_KAFKA_VTYPE_PARTITION
                        values[count].u.i32 = partition
                        count += 1
                    }
                    if let timestamp = message.timestamp {
                        values[count].vtype = RD_KAFKA_VTYPE_TIMESTAMP
                        values[count].u.i64 = Int64((timestamp.timeIntervalSince1970 * 1000).rounded())
                        count += 1
                    }
                    return rd_kafka_produceva(client.handle, values, count)
                }
            }
        }
        if error != nil { rd_kafka_headers_destroy(headers) }  // On success librdkafka owns them.
        return error
    }
}

/// Carries a waiting `send` (or one slot of a ``BatchDelivery``) through librdkafka's per-message opaque pointer.
private final class DeliveryBox {
    let continuation: CheckedContinuation<DeliveryReport?, any Error>?
    let batch: BatchDelivery?
    let index: Int

    init(_ continuation: CheckedContinuation<DeliveryReport?, any Error>) {
        self.continuation = continuation
        batch = nil
        index = 0
    }

    init(batch: BatchDelivery, index: Int) {
        continuation = nil
        self.batch = batch
        self.index = index
    }

    func resolve(_ result: Result<DeliveryReport, any Error>) {
        if let batch { return batch.set(index, result) }
        continuation?.resume(with: result.map { $0 })
    }
}

/// The reports of one ``KafkaProducer/sendInOrder(_:)``, handed over when the last one arrives.
private final class BatchDelivery: Sendable {
    private struct State {
        var results: [Result<DeliveryReport, any Error>?]
        var remaining: Int
        var done: (@Sendable ([Result<DeliveryReport, any Error>]) -> Void)?
    }

    private let state: Locked<State>

    init(count: Int) { state = Locked(State(results: Array(repeating: nil, count: count), remaining: count)) }

    func whenDone(_ done: @escaping @Sendable ([Result<DeliveryReport, any Error>]) -> Void) {
        let ready = state.withLock { state -> [Result<DeliveryReport, any Error>]? in
            guard state.remaining > 0 else { return state.results.map { $0! } }
            state.done = done
            return nil
        }
        if let ready { done(ready) }
    }

    func set(_ index: Int, _ result: Result<DeliveryReport, any Error>) {
        let finished = state.withLock { state -> (([Result<DeliveryReport, any Error>]) -> Void, [Result<DeliveryReport, any Error>])? in
            guard state.results[index] == nil else { return nil }
            state.results[index] = result
            state.remaining -= 1
            guard state.remaining == 0, let done = state.done else { return nil }
            state.done = nil
            return (done, state.results.map { $0! })
        }
        if let (done, results) = finished { done(results) }
    }

    /// Messages from `index` on were never enqueued: they fail with `error`.
    func fail(from index: Int, with error: KafkaError) {
        let count = state.withLock { $0.results.count }
        for slot in index..<count { set(slot, .failure(error)) }
    }
}

private let deliveryCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    handle, message, _ in
    guard let message, let opaque = message.pointee._private else { return }
    let box = Unmanaged<DeliveryBox>.fromOpaque(opaque).takeRetainedValue()
    let m = message.pointee
    guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
        let failure = KafkaError(m.err, message: "delivery failed: \(String(cString: rd_kafka_err2str(m.err)))")
        box.resolve(.failure(ClientContext.from(handle)?.explaining(failure) ?? failure))
        return
    }
    var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
    let ms = rd_kafka_message_timestamp(message, &type)
    box.resolve(
        .success(
            DeliveryReport(
                topic: String(cString: rd_kafka_topic_name(m.rkt)),
                partition: m.partition,
                offset: m.offset,
                timestamp: type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : Date(timeIntervalSince1970: Double(ms) / 1000)
            )))
}
