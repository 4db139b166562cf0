import Domain
import Kafka
import Logging
import ServiceLifecycle

/// Where each partition of the command topics ends, so that a consistency token naming a position
/// the log does not have (made up, or from another cluster) is refused at once instead of holding
/// its request for the whole consistency timeout.
///
/// Log ends only grow: an end already known to be past a token settles it without the broker.
/// Otherwise one fresh read of the topic (its partitions, then their high watermarks from a Fetch,
/// which Tansu answers truly where ListOffsets does not) decides. Requests that arrive while a
/// read is under way share the next one, so a flood of bogus tokens costs the broker one read at
/// a time, never one per request.
actor LogEnds: Service {
    /// What the log says about a token's position.
    enum Verdict: Equatable {
        /// The log holds it: the projector will pass it.
        case inLog
        /// The partition ends before it (`end` is the next offset to be written).
        case beyondEnd(end: Int64)
        /// The topic has no such partition (`count` partitions, 0 when the topic is missing).
        case noPartition(count: Int)
    }

    private struct Read {
        let started: ContinuousClock.Instant
        let task: Task<Void, any Error>
    }

    private let admin: KafkaAdmin
    private let topicPrefix: String
    private let logger: Logger
    private var ends: [TopicPartition: Int64] = [:]
    private var partitionCounts: [String: Int] = [:]
    private var reads: [String: Read] = [:]

    init(brokers: String, topicPrefix: String, kafkaProperties: [String: String], logger: Logger) throws {
        admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: brokers, kafkaProperties), logger: logger)
        self.topicPrefix = topicPrefix
        self.logger = logger
    }

    /// Whether the log holds the token's position; nil when the broker cannot tell now (the
    /// caller then waits as before, bounded by its timeout).
    func judge(_ token: ConsistencyToken) async -> Verdict? {
        let topic = token.kind.topic(prefix: topicPrefix)
        let partition = TopicPartition(topic, token.partition)
        if let end = ends[partition], token.offset < end { return .inLog }
        do {
            try await readAfter(ContinuousClock.now, topic: topic)
        } catch {
            logger.debug("log ends of \(topic) unreadable, the consistency token waits: \(error)")
            return nil
        }
        let count = partitionCounts[topic] ?? 0
        guard Int(token.partition) < count, let end = ends[partition] else { return .noPartition(count: count) }
        return token.offset < end ? .inLog : .beyondEnd(end: end)
    }

    /// Returns once a read of `topic` that started at or after `arrival` has finished.
    private func readAfter(_ arrival: ContinuousClock.Instant, topic: String) async throws {
        if let read = reads[topic], read.started >= arrival { return try await read.task.value }
        // An earlier read may have fetched before the token's record was written: let it end,
        // then share or start a newer one.
        if let earlier = reads[topic] { _ = await earlier.task.result }
        if let read = reads[topic], read.started >= arrival { return try await read.task.value }
        let task = Task { try await self.read(topic) }
        reads[topic] = Read(started: ContinuousClock.now, task: task)
        try await task.value
    }

    private func read(_ topic: String) async throws {
        let description: TopicDescription
        do {
            description = try await admin.describeTopic(topic, timeout: .seconds(5))
        } catch let error as KafkaError where error.isUnknownTopicOrPartition {
            partitionCounts[topic] = 0
            return
        }
        let marks = try await admin.watermarks(partitions: description.topicPartitions, timeout: .seconds(5))
        partitionCounts[topic] = description.partitions.count
        for (partition, mark) in marks { ends[partition] = max(ends[partition] ?? 0, mark.high) }
    }

    /// Closes the Kafka client when the gateway shuts down.
    func run() async throws {
        try? await gracefulShutdown()
        await admin.close()
    }
}
