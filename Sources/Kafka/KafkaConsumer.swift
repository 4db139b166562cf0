import CRdKafka
import Foundation
import Locking
import Logging
import MetadataKeys
import ServiceLifecycle
import Synchronization

/// A Kafka consumer: group subscription or manual assignment, batch polling, seeking,
/// pausing and explicit commits.
///
/// Blocking librdkafka calls run on Dispatch threads (polling on one serial queue per
/// consumer), never on Swift's cooperative pool. Rebalances are handled inside `poll`
/// and reported to the ``RebalanceListener``.
public final class KafkaConsumer: Closable, Service {
    private let client: NativeClient
    private nonisolated(unsafe) let queue: OpaquePointer  // rd_kafka_queue_t, thread-safe.
    private let pollQueue = DispatchQueue(label: "rdkafka-consumer-poll")
    private let isClosed = Atomic<Bool>(false)
    /// Per partition, the time (ms) below which records are skipped after ``seek(to:partitions:timeout:)``.
    private let timeFloors = Locked<[TopicPartition: Int64]>([:])

    /// Creates a consumer; see ``KafkaConfiguration/consumer(bootstrapServers:groupID:sessionTimeout:_:)``.
    public init(
        configuration: KafkaConfiguration,
        logger: Logger,
        rebalanceListener: (any RebalanceListener)? = nil
    ) throws {
        let context = ClientContext(logger: logger, rebalanceListener: rebalanceListener)
        client = try NativeClient(kind: RD_KAFKA_CONSUMER, configuration: configuration, context: context) {
            rd_kafka_conf_set_rebalance_cb($0, rebalanceCallback)
        }
        // Route the main queue (logs, stats, errors, rebalances) into the consumer queue,
        // so one poll serves everything.
        rd_kafka_poll_set_consumer(client.handle)
        queue = rd_kafka_queue_get_consumer(client.handle)
    }

    /// The latest librdkafka statistics, when `statistics.interval.ms` is set.
    public var statistics: KafkaStatistics? { client.context.latestStatistics.withLock { $0 } }

    /// Joins the consumer group (`group.id`) for these topics; partitions arrive in `poll`.
    public func subscribe(topics: [String]) throws {
        try checkOpen()
        let list = NativePartitionList.make(topics.map { TopicPartition($0, RD_KAFKA_PARTITION_UA) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try rd_kafka_subscribe(client.handle, list).check("subscribe to \(topics)")
    }

    /// Takes these partitions directly, without a group, starting at the given positions.
    public func assign(_ positions: [TopicPartitionOffset]) throws {
        try checkOpen()
        let list = NativePartitionList.make(positions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try rd_kafka_assign(client.handle, list).check("assign \(positions)")
    }

    /// The partitions this consumer currently owns.
    public func assignment() throws -> [TopicPartition] {
        try checkOpen()
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try rd_kafka_assignment(client.handle, &list).check("read assignment")
        guard let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return try NativePartitionList.read(list).map(\.topicPartition).sorted()
    }

    /// Returns up to `maxRecords` records, waiting at most `timeout` for the first one.
    ///
    /// An empty array means nothing arrived in time. Transient errors (a broker down) are
    /// logged and retried by librdkafka; fatal ones are thrown.
    public func poll(maxRecords: Int = 1000, timeout: Duration = .milliseconds(500)) async throws -> [KafkaRecord] {
        try await client.run(on: pollQueue) { [self] in
            try checkOpen()
            var messages = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: maxRecords)
            // A batch call waits until it has `maxRecords` or the timeout passes, which would add
            // the whole timeout to every record's latency at low rates. So: wait for the first
            // record only, then take whatever else is already queued without waiting.
            let first = rd_kafka_consume_batch_queue(queue, timeout.milliseconds, &messages, 1)
            guard first >= 0 else { throw KafkaError(rd_kafka_last_error(), message: "poll failed") }
            var count = first
            if first == 1, maxRecords > 1 {
                let rest = messages.withUnsafeMutableBufferPointer { buffer in
                    rd_kafka_consume_batch_queue(queue, 0, buffer.baseAddress! + 1, maxRecords - 1)
                }
                count += max(rest, 0)
            }
            var records: [KafkaRecord] = []
            records.reserveCapacity(count)
            var fatal: KafkaError?
            for message in messages.prefix(count) {
                guard let message else { continue }
                defer { rd_kafka_message_destroy(message) }
                let err = message.pointee.err
                if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    records.append(KafkaRecord(copying: message))
                } else if err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    let error = KafkaError(err)
                    if error.isFatal {
                        fatal = KafkaError(err, message: fatalReason())
                    } else {
                        client.context.logger.warning("consumer error", metadata: [MetadataKey.error: "\(error)"])
                    }
                }
            }
            if let fatal { throw fatal }
            return dropRecordsBeforeTimeFloors(records)
        }
    }

    /// Moves the read position of assigned partitions (an absolute offset, `.beginning` or `.end`).
    public func seek(_ positions: [TopicPartitionOffset], timeout: Duration = .seconds(10)) async throws {
        timeFloors.withLock { floors in positions.forEach { floors[$0.topicPartition] = nil } }
        try await seekPartitions(positions, timeout: timeout)
    }

    private func seekPartitions(_ positions: [TopicPartitionOffset], timeout: Duration) async throws {
        try checkOpen()
        try await client.run { [client] in
            let list = NativePartitionList.make(positions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let error = rd_kafka_seek_partitions(client.handle, list, timeout.milliseconds) {
                throw KafkaError(consuming: error)
            }
            _ = try NativePartitionList.read(list, checkErrors: true)
        }
    }

    /// For each partition, the broker's answer to "the first record whose timestamp is at or
    /// after this time" (`.end` when there is none). Exact on Apache Kafka; Tansu may answer an
    /// earlier offset (it looks up whole batches), which ``seek(to:partitions:timeout:)`` corrects.
    public func offsets(
        at times: [TopicPartition: Date],
        timeout: Duration = .seconds(10)
    ) async throws -> [TopicPartition: KafkaOffset] {
        try checkOpen()
        return try await client.run { [client] in
            let list = NativePartitionList.make(
                times.map { TopicPartitionOffset($0.key, KafkaOffset(Int64(($0.value.timeIntervalSince1970 * 1000).rounded(.down)))) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            try rd_kafka_offsets_for_times(client.handle, list, timeout.milliseconds).check("look up offsets by timestamp")
            let found = try NativePartitionList.read(list, checkErrors: true)
            return Dictionary(uniqueKeysWithValues: found.map { ($0.topicPartition, $0.offset.isAbsolute ? $0.offset : .end) })
        }
    }

    /// Seeks each assigned partition to its first record at or after `time`: to the broker's
    /// offset for that time, skipping any earlier records it may still deliver.
    public func seek(to time: Date, partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws {
        let offsets = try await offsets(at: Dictionary(uniqueKeysWithValues: partitions.map { ($0, time) }), timeout: timeout)
        let floor = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        timeFloors.withLock { floors in partitions.forEach { floors[$0] = floor } }
        try await seekPartitions(offsets.map { TopicPartitionOffset($0.key, $0.value) }, timeout: timeout)
    }

    /// Applies pending time floors; a partition's floor is lifted at its first record at or after it.
    private func dropRecordsBeforeTimeFloors(_ records: [KafkaRecord]) -> [KafkaRecord] {
        timeFloors.withLock { floors in
            guard !floors.isEmpty else { return records }
            return records.filter { record in
                guard let floor = floors[record.topicPartition] else { return true }
                let milliseconds = record.timestamp.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? floor
                guard milliseconds >= floor else { return false }
                floors[record.topicPartition] = nil
                return true
            }
        }
    }

    /// Stops fetching from these partitions until ``resume(_:)``; the assignment is kept.
    public func pause(_ partitions: [TopicPartition]) throws {
        try checkOpen()
        let list = NativePartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try rd_kafka_pause_partitions(client.handle, list).check("pause \(partitions)")
        _ = try NativePartitionList.read(list, checkErrors: true)
    }

    /// Resumes fetching from paused partitions.
    public func resume(_ partitions: [TopicPartition]) throws {
        try checkOpen()
        let list = NativePartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try rd_kafka_resume_partitions(client.handle, list).check("resume \(partitions)")
        _ = try NativePartitionList.read(list, checkErrors: true)
    }

    /// Commits these positions (the offset of the *next* record to read) for the group, synchronously.
    public func commit(_ positions: [TopicPartitionOffset]) async throws {
        try checkOpen()
        try await client.run { [client] in
            let list = NativePartitionList.make(positions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            try rd_kafka_commit(client.handle, list, 0).check("commit \(positions)")
            _ = try NativePartitionList.read(list, checkErrors: true)
        }
    }

    /// The group's committed positions for these partitions (`.invalid` where none).
    public func committed(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws -> [TopicPartitionOffset] {
        try checkOpen()
        return try await client.run { [client] in
            let list = NativePartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            try rd_kafka_committed(client.handle, list, timeout.milliseconds).check("read committed offsets")
            return try NativePartitionList.read(list, checkErrors: true)
        }
    }

    /// Low and high watermarks last seen in Fetch responses for an assigned partition,
    /// or nil before the first Fetch answer. Correct on Apache Kafka and Tansu alike.
    public func fetchedWatermarks(_ partition: TopicPartition) -> (low: Int64, high: Int64)? {
        var low: Int64 = KafkaOffset.invalid.rawValue
        var high: Int64 = KafkaOffset.invalid.rawValue
        let err = try? client.leased { rd_kafka_get_watermark_offsets(client.handle, partition.topic, partition.partition, &low, &high) }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high != KafkaOffset.invalid.rawValue else { return nil }
        return (low, high)
    }

    /// Leaves the group (revoking partitions through the listener) and destroys the handle.
    public func close() async {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // Serialised behind any poll in flight, which then sees the closed flag.
        try? await blocking(on: pollQueue) { [self] in
            rd_kafka_consumer_close(client.handle)
            rd_kafka_queue_destroy(queue)
            client.destroy()
        }
    }

    /// Runs until graceful shutdown, then closes.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    private func checkOpen() throws(KafkaError) {
        if isClosed.load(ordering: .acquiring) { throw .closed }
    }

    private func fatalReason() -> String {
        var errstr = [CChar](repeating: 0, count: 512)
        rd_kafka_fatal_error(client.handle, &errstr, errstr.count)
        return String(errorBuffer: errstr)
    }
}

private let rebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
    ) -> Void = { handle, err, list, _ in
        guard let handle, let list, let context = ClientContext.from(handle) else { return }
        let partitions = ((try? NativePartitionList.read(list)) ?? []).map(\.topicPartition)
        // NULL when the group is not joined or is terminating (a probe's revoke during close).
        let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
        if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            context.logger.info("partitions assigned", metadata: [MetadataKey.partitions: "\(partitions.sorted())"])
            let failure =
                cooperative
                ? rd_kafka_incremental_assign(handle, list).map(KafkaError.init(consuming:))
                : KafkaError(rd_kafka_assign(handle, list)).nilIfSuccess
            if let failure { context.logger.error("assigning partitions failed", metadata: [MetadataKey.error: "\(failure)"]) }
            // Paused before this callback returns, so no fetch starts before the owner has sought them.
            if context.rebalanceListener?.holdsAssignedPartitions == true,
                let failure = KafkaError(rd_kafka_pause_partitions(handle, list)).nilIfSuccess
            {
                context.logger.error("holding assigned partitions failed", metadata: [MetadataKey.error: "\(failure)"])
            }
            context.rebalanceListener?.partitionsAssigned(partitions)
        } else {
            context.logger.info("partitions revoked", metadata: [MetadataKey.partitions: "\(partitions.sorted())"])
            context.rebalanceListener?.partitionsRevoked(partitions)
            let failure =
                cooperative
                ? rd_kafka_incremental_unassign(handle, list).map(KafkaError.init(consuming:))
                : KafkaError(rd_kafka_assign(handle, nil)).nilIfSuccess
            if let failure { context.logger.error("revoking partitions failed", metadata: [MetadataKey.error: "\(failure)"]) }
        }
    }

extension KafkaError {
    fileprivate var nilIfSuccess: KafkaError? { code == 0 ? nil : self }
}
