import Domain
import Foundation
import Kafka
import Locking
import Log
import Logging
import MetadataKeys
import Projection
import Store

/// Maintains one read model: a member of its consumer group that folds each polled batch
/// into the store and checkpoints in the same transaction.
///
/// On (re)assignment it starts every partition at the store's checkpoint, not at Kafka's
/// committed offset, so a crash between the store commit and the Kafka commit neither loses
/// nor re-applies anything. It still commits to Kafka so standard tools see its position: at most
/// once a second and whenever it is idle, since each commit is a broker round trip the batch
/// would otherwise wait for.
final class ProjectionWorker: Sendable {
    let kind: EntityKind
    let topic: String
    private let processor: BatchProcessor
    private let configuration: ProjectorConfiguration
    private let namespaces: ActiveNamespaces
    private let logger: Logger
    private let assignments: Assignments

    init(
        kind: EntityKind, configuration: ProjectorConfiguration, namespaces: ActiveNamespaces, keys: any PersonalDataKeys,
        deadLetters: any RecordProducer, assignments: Assignments, logger: Logger
    ) {
        self.assignments = assignments
        self.kind = kind
        self.topic = configuration.log.topic(kind)
        self.configuration = configuration
        self.namespaces = namespaces
        var logger = logger
        logger[metadataKey: MetadataKey.projection] = "\(kind.topicSuffix)"
        self.logger = logger
        processor = BatchProcessor(
            kind: kind, keys: keys, deadLetterTopic: configuration.deadLetterTopic, deadLetters: deadLetters,
            durability: configuration.durability,
            logger: logger
        )
    }

    /// Polls and folds until the task is cancelled, then leaves the group.
    func run() async throws {
        let consumer = try KafkaConsumer(
            configuration: configuration.log.consumer(
                group: configuration.groupID(for: kind),
                sessionTimeout: configuration.sessionTimeout,
                // Tansu answers a Fetch only when fetch.wait.max.ms has passed, not when data
                // arrives (Apache Kafka answers at once): librdkafka's 500 ms default would add
                // ~250 ms to every write's visibility there.
                // The rebalance timeout is max.poll.interval.ms: a joining member waits that long
                // for members that will never rejoin (Tansu keeps members whose client gave up on
                // a stalled broker), so 5 minutes of no projection; 30 s bounds it.
                ["fetch.wait.max.ms": "10", "max.poll.interval.ms": "30000"]
            ),
            logger: logger,
            rebalanceListener: configuration.membership == .group ? CheckpointStarts(assignments: assignments) : nil
        )
        switch configuration.membership {
        case .group:
            try consumer.subscribe(topics: [topic])
        case .sole:
            do {
                try await takeEveryPartition(consumer)
            } catch {
                await consumer.close()
                throw error
            }
        }
        assignments.workerStarted()
        logger.info(
            "projector started", metadata: [MetadataKey.topic: "\(topic)", MetadataKey.group: "\(configuration.groupID(for: kind))"])
        var throttle = configuration.maxRecordsPerSecond.map(RecordThrottle.init(perSecond:))
        let batchLimit = throttle?.batchLimit(configuration.maxBatch) ?? configuration.maxBatch
        try await consumer.closing { consumer in
            var kafkaCommits = KafkaCommits()
            while !Task.isCancelled {
                try await start(consumer, assignments.takeHeld(of: topic))
                let records = try await consumer.poll(maxRecords: batchLimit, timeout: .milliseconds(200))
                guard !records.isEmpty else {
                    await kafkaCommits.flush(consumer, logger: logger)
                    continue
                }
                try await throttle?.pace(records.count)
                let checkpoints: [LogPosition]
                do {
                    checkpoints = try await processor.process(records.map(LogRecord.init), into: namespaces.store(for: kind))
                } catch let fenced as CheckpointFenced {
                    // Another member went further on a partition this batch read: nothing was
                    // written. Re-read its partitions from the store's checkpoints; the group will
                    // revoke what this process no longer owns.
                    logger.warning("batch refused; re-reading from the store's checkpoints", metadata: [MetadataKey.reason: "\(fenced)"])
                    kafkaCommits.forget()
                    try await rewind(consumer, to: Set(records.map(\.topicPartition)))
                    continue
                } catch let retired as NamespaceRetired {
                    // A replay activated a rebuilt namespace (continue there, from its
                    // checkpoints) or froze this one for a moment to catch up (wait, then retry).
                    try await namespaces.refresh()
                    let next = namespaces.store(for: kind).namespace
                    if next == retired.namespace {
                        logger.debug("namespace frozen for a replay; waiting", metadata: [MetadataKey.reason: "\(retired)"])
                        try await Task.sleep(for: .milliseconds(50))
                    } else {
                        logger.notice(
                            "namespace retired; continuing in the active one",
                            metadata: [MetadataKey.reason: "\(retired)", MetadataKey.namespace: "\(next)"])
                    }
                    try await rewind(consumer, to: assignments.current.filter { $0.topic == topic })
                    continue
                } catch let unavailable as StoreError where unavailable.code.isRetriable {
                    // Nothing of the batch was committed: pause until the store answers again,
                    // then resume from its checkpoints.
                    logger.warning("store unavailable, pausing", metadata: [MetadataKey.error: "\(unavailable)"])
                    try await resumeWhenStoreAnswers(consumer, partitions: Set(records.map(\.topicPartition)))
                    continue
                } catch let failure as StoreError {
                    // Retrying cannot help (a row this build cannot read, a refused statement):
                    // stop, naming it, rather than retry the same batch forever.
                    logger.critical(
                        "projector stopped: the store refused a batch that retrying cannot help",
                        metadata: [
                            MetadataKey.position: "\(records.first.map { "\($0.topicPartition)@\($0.offset)" } ?? "?")",
                            MetadataKey.error: "\(failure)", MetadataKey.code: "\(failure.code.rawValue)",
                        ])
                    throw failure
                }
                kafkaCommits.add(checkpoints)
                if kafkaCommits.due { await kafkaCommits.flush(consumer, logger: logger) }
            }
            await kafkaCommits.flush(consumer, logger: logger)
        }
    }

    /// Starts newly assigned (held) partitions at the store's checkpoints, not at Kafka's committed
    /// offsets, then resumes fetching from them.
    private func start(_ consumer: KafkaConsumer, _ held: Set<TopicPartition>) async throws {
        guard !held.isEmpty else { return }
        do {
            let starts = try await rewind(consumer, to: held)
            logger.info("resuming from store checkpoints", metadata: [MetadataKey.starts: "\(starts.map(\.description))"])
        } catch let error as StoreError where error.code.isRetriable {
            // Without checkpoints we must not guess: the group's committed offsets may be behind
            // the store (harmless: outcomes dedupe by command id) but never ahead of it.
            logger.error(
                "cannot read store checkpoints; starting from Kafka's committed offsets", metadata: [MetadataKey.error: "\(error)"])
        }
        do {
            try consumer.resume(held.sorted())
        } catch {
            logger.warning("resuming assigned partitions failed (revoked meanwhile?)", metadata: [MetadataKey.error: "\(error)"])
        }
    }

    /// Assigns this consumer every partition of the topic, each at the store's checkpoint: the
    /// sole projector of this read model needs no group to share them.
    private func takeEveryPartition(_ consumer: KafkaConsumer) async throws {
        let partitions = try await KafkaAdmin.with(configuration: configuration.log.admin, logger: logger) {
            try await $0.describeTopic(topic).topicPartitions
        }
        let positions = try await checkpoints(of: Set(partitions))
        try consumer.assign(positions)
        assignments.take(partitions)
        logger.info(
            "assigned every partition at the store's checkpoints", metadata: [MetadataKey.starts: "\(positions.map(\.description))"])
    }

    /// Retries every second until the store's checkpoints can be read, then rewinds to them.
    private func resumeWhenStoreAnswers(_ consumer: KafkaConsumer, partitions: Set<TopicPartition>) async throws {
        while true {
            try await Task.sleep(for: .seconds(1))
            do {
                try await rewind(consumer, to: partitions)
                logger.notice("store answers again; resuming from its checkpoints")
                return
            } catch let error as StoreError where error.code.isRetriable {
                continue
            }
        }
    }

    /// Seeks these partitions back to the store's checkpoints (the beginning where none); returns
    /// the positions sought.
    @discardableResult
    private func rewind(_ consumer: KafkaConsumer, to partitions: Set<TopicPartition>) async throws -> [TopicPartitionOffset] {
        let positions = try await checkpoints(of: partitions)
        do {
            try await consumer.seek(positions)
        } catch {
            logger.warning("rewind failed (partition no longer assigned?)", metadata: [MetadataKey.error: "\(error)"])
        }
        return positions
    }
}

extension ProjectionWorker {
    /// The store's checkpoints of these partitions (the beginning where none).
    fileprivate func checkpoints(of partitions: Set<TopicPartition>) async throws -> [TopicPartitionOffset] {
        let stored = try await namespaces.store(for: kind).checkpoints(of: kind)
        return partitions.sorted().map { partition in
            let checkpoint = stored.first { $0.topic == partition.topic && $0.partition == partition.partition }
            return TopicPartitionOffset(partition, checkpoint.map { KafkaOffset($0.offset) } ?? .beginning)
        }
    }
}

/// Holds newly assigned partitions (paused) for the worker to start at the store's checkpoints:
/// librdkafka's rebalance callback must not wait for the store.
private struct CheckpointStarts: RebalanceListener {
    let assignments: Assignments

    var holdsAssignedPartitions: Bool { true }

    func partitionsAssigned(_ partitions: [TopicPartition]) {
        assignments.assign(partitions)
    }

    func partitionsRevoked(_ partitions: [TopicPartition]) {
        assignments.revoke(partitions)
    }
}

/// The store's checkpoints not yet committed to Kafka (informational there: the store's are the
/// ones the projector starts from), committed together at most once a second.
private struct KafkaCommits {
    private var pending: [TopicPartition: Int64] = [:]
    private var last = ContinuousClock.now

    var due: Bool { !pending.isEmpty && ContinuousClock.now - last >= .seconds(1) }

    mutating func add(_ checkpoints: [LogPosition]) {
        for checkpoint in checkpoints { pending[TopicPartition(checkpoint.topic, checkpoint.partition)] = checkpoint.offset }
    }

    /// After a refused batch: another member may own some of these partitions now.
    mutating func forget() { pending = [:] }

    mutating func flush(_ consumer: KafkaConsumer, logger: Logger) async {
        guard !pending.isEmpty else { return }
        // Only partitions still assigned: a rebalance may have given the others to another member.
        let assigned = Set((try? consumer.assignment()) ?? [])
        let positions = pending.filter { assigned.contains($0.key) }.map { TopicPartitionOffset($0.key, KafkaOffset($0.value)) }
        pending = [:]
        last = ContinuousClock.now
        guard !positions.isEmpty else { return }
        do {
            try await consumer.commit(positions)
        } catch {
            logger.warning("Kafka commit failed; the store's checkpoint is kept", metadata: [MetadataKey.error: "\(error)"])
        }
    }
}
