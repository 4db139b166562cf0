import Foundation
import Kafka
import Locking
import Logging
import MetadataKeys
import ServiceLifecycle

/// Keeps a broker's topics durable on local disk: tails every partition of `topics` into the
/// ``Journal`` (fsync'ed per batch) and tells writers when their record is there.
///
/// `encore dev` runs one beside its memory-only broker: on start the journal is restored into
/// the fresh broker (``LogRestorer``), and the gateway acknowledges a write, and the projectors
/// fold it, only once ``waitUntilDurable(_:offset:timeout:)`` says the journal has it.
public final class LogKeeper: Service, LogDurability {
    private let journal: Journal
    private let brokers: String
    private let kafkaProperties: [String: String]
    private let topics: [String]
    private let logger: Logger
    private let waiting = Locked(Waiting())
    private let io = DispatchQueue(label: "encore-log-keeper-io")

    private struct Waiter {
        let partition: TopicPartition
        let offset: Int64
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Waiting {
        var ends: [TopicPartition: Int64] = [:]
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
        var stopped: (any Error)?
    }

    public init(journal: Journal, brokers: String, kafkaProperties: [String: String], topics: [String], logger: Logger) {
        self.journal = journal
        self.brokers = brokers
        self.kafkaProperties = kafkaProperties
        self.topics = topics
        self.logger = logger
        waiting.withLock { $0.ends = journal.ends }
    }

    public func waitUntilDurable(_ partition: TopicPartition, offset: Int64, timeout: Duration) async throws {
        let id: Int? = try waiting.withLock { state in
            if let stopped = state.stopped { throw stopped }
            if let end = state.ends[partition], end > offset { return nil }
            defer { state.nextID += 1 }
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = waiting.withLock { state in
                    if let stopped = state.stopped { return .failure(stopped) }
                    if let end = state.ends[partition], end > offset { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = Waiter(partition: partition, offset: offset, deadline: .now + timeout, continuation: continuation)
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            waiting.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Tails the broker into the journal until graceful shutdown; then catches up with what
    /// the broker still has (bounded) before returning.
    public func run() async throws {
        let consumer = try KafkaConsumer(
            configuration: .consumer(
                bootstrapServers: brokers,
                groupID: "encore-log-keeper",  // assign only: never joins or commits
                // Tansu holds a Fetch for the whole wait: it bounds every write's acknowledgement.
                ["fetch.wait.max.ms": "2", "fetch.max.bytes": "52428800", "fetch.queue.backoff.ms": "0"].merging(kafkaProperties) {
                    _, new in new
                }
            ),
            logger: logger
        )
        try await consumer.closing { consumer in
            try await KafkaAdmin.with(configuration: KafkaConfiguration(bootstrapServers: brokers, kafkaProperties), logger: logger) {
                admin in
                do {
                    try await tail(consumer, admin: admin)
                } catch {
                    stop(with: error)
                    throw error
                }
                stop(with: KafkaError.closed)
            }
        }
    }

    private func tail(_ consumer: KafkaConsumer, admin: KafkaAdmin) async throws {
        var assigned: Set<TopicPartition> = []
        var nextRefresh = ContinuousClock.now
        var drainUntil: ContinuousClock.Instant?
        while true {
            if drainUntil == nil, Task.isShuttingDownGracefully || Task.isCancelled {
                drainUntil = .now + .seconds(5)
            }
            if let drainUntil {
                let kept = journal.ends
                let behind = assigned.contains { partition in
                    guard let high = consumer.fetchedWatermarks(partition)?.high else { return false }
                    return high > (kept[partition] ?? 0)
                }
                if !behind || ContinuousClock.now > drainUntil { return }
            }
            if ContinuousClock.now >= nextRefresh {
                assigned = try await refreshAssignment(consumer, admin: admin, assigned: assigned)
                nextRefresh = .now + .seconds(1)
            }
            let records = try await consumer.poll(maxRecords: 20_000, timeout: .milliseconds(50))
            if !records.isEmpty { try await keep(records) }
            expireWaiters()
        }
    }

    /// Assigns every partition of the kept topics, new ones included, at the journal's ends.
    private func refreshAssignment(_ consumer: KafkaConsumer, admin: KafkaAdmin, assigned: Set<TopicPartition>) async throws -> Set<
        TopicPartition
    > {
        let found: [TopicDescription]
        do {
            found = try await admin.listTopics(timeout: .seconds(2)).filter { topics.contains($0.name) && !$0.partitions.isEmpty }
        } catch {
            logger.warning("log keeper cannot read the broker's topics; will retry", metadata: [MetadataKey.error: "\(error)"])
            return assigned
        }
        let partitions = Set(found.flatMap(\.topicPartitions))
        guard partitions != assigned else { return assigned }
        var manifest: JournalManifest
        if let kept = journal.manifest { manifest = kept } else { manifest = JournalManifest(clusterID: try await admin.clusterID()) }
        for topic in found { manifest.topics[topic.name] = max(manifest.topics[topic.name] ?? 0, Int32(topic.partitions.count)) }
        try journal.save(manifest)
        let ends = journal.ends
        waiting.withLock { state in state.ends.merge(ends) { old, _ in old } }
        try consumer.assign(partitions.sorted().map { TopicPartitionOffset($0, KafkaOffset(ends[$0] ?? 0)) })
        logger.debug("log keeper follows the partitions", metadata: [MetadataKey.partitions: "\(partitions.count)"])
        return partitions
    }

    /// Journals records (skipping any it has), fsyncs, then releases their waiters.
    private func keep(_ records: [KafkaRecord]) async throws {
        let ends = journal.ends
        var batches: [TopicPartition: [JournalRecord]] = [:]
        for record in records where record.offset >= (ends[record.topicPartition] ?? 0) {
            batches[record.topicPartition, default: []].append(JournalRecord(record))
        }
        guard !batches.isEmpty else { return }
        let journal = journal
        let batch = batches
        try await blocking(on: io) { try journal.append(batch) }
        let kept = journal.ends
        let ready = waiting.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.ends.merge(kept) { _, new in new }
            let done = state.waiters.filter { (state.ends[$0.value.partition] ?? 0) > $0.value.offset }
            done.keys.forEach { state.waiters[$0] = nil }
            return done.values.map(\.continuation)
        }
        ready.forEach { $0.resume() }
    }

    private func expireWaiters() {
        let now = ContinuousClock.now
        let late = waiting.withLock { state -> [Waiter] in
            let late = state.waiters.filter { $0.value.deadline < now }
            late.keys.forEach { state.waiters[$0] = nil }
            return Array(late.values)
        }
        for waiter in late {
            waiter.continuation.resume(
                throwing: JournalError.io(
                    "\(waiter.partition) offset \(waiter.offset) was not journaled in time", KafkaError(code: -185)))
        }
    }

    private func stop(with error: any Error) {
        let all = waiting.withLock { state -> [Waiter] in
            state.stopped = error
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        all.forEach { $0.continuation.resume(throwing: error) }
    }
}
