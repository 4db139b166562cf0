import Domain
import Kafka
import Locking
import Log
import Logging
import MetadataKeys
import ServiceLifecycle

/// Where each partition of the command topics ends, so that a consistency token naming a position
/// the log does not have (made up, or from another cluster) is refused at once instead of holding
/// its request for the whole consistency timeout.
///
/// Log ends only grow: an end already known to be past a token settles it without the broker.
/// Otherwise one fresh read decides: the topics' partitions from metadata, then every command
/// partition's high watermark from a ``LogEndProbe`` that stays at the log's end (a few Fetch
/// round trips). Requests that arrive while a read is under way share the next one, so a flood
/// of bogus tokens costs the broker one read at a time, never one per request. The positions this
/// gateway appended count as read: its own writers' tokens never need the broker.
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
    private let probe: LogEndProbe
    private let topicPrefix: String
    private let topics: [String]
    private let logger: Logger
    private let ends = Locked<[TopicPartition: Int64]>([:])
    private var partitionCounts: [String: Int] = [:]
    private var latest: Read?

    init(log: LogLocation, logger: Logger) throws {
        admin = try KafkaAdmin(configuration: log.admin, logger: logger)
        probe = try LogEndProbe(admin: admin)
        topicPrefix = log.topicPrefix
        topics = EntityKind.allCases.map(log.topic)
        self.logger = logger
    }

    /// Whether the log holds the token's position; nil when the broker cannot tell now (the
    /// caller then waits as before, bounded by its timeout).
    func judge(_ token: ConsistencyToken) async -> Verdict? {
        let topic = token.kind.topic(prefix: topicPrefix)
        let partition = TopicPartition(topic, token.partition)
        if let end = ends.withLock({ $0[partition] }), token.offset < end { return .inLog }
        do {
            try await readAfter(ContinuousClock.now)
        } catch {
            logger.debug("log ends unreadable, the consistency token waits", metadata: [MetadataKey.error: "\(error)"])
            return nil
        }
        let count = partitionCounts[topic] ?? 0
        guard Int(token.partition) < count else { return .noPartition(count: count) }
        guard let end = ends.withLock({ $0[partition] }) else { return nil }
        return token.offset < end ? .inLog : .beyondEnd(end: end)
    }

    /// ``judge(_:)``, given up (nil) as soon as the calling task is cancelled: a read the
    /// checkpoint watch has already answered must not wait for a broker read under way.
    nonisolated func judgeUnlessCancelled(_ token: ConsistencyToken) async -> Verdict? {
        let pending = Locked<(continuation: CheckedContinuation<Verdict?, Never>?, settled: Bool)>((nil, false))
        @Sendable func settle(_ verdict: Verdict?) {
            let continuation = pending.withLock { state -> CheckedContinuation<Verdict?, Never>? in
                guard !state.settled else { return nil }
                state.settled = true
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(returning: verdict)
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let cancelled = pending.withLock { state in
                    if !state.settled { state.continuation = continuation }
                    return state.settled
                }
                if cancelled {
                    continuation.resume(returning: nil)
                } else {
                    Task { settle(await self.judge(token)) }
                }
            }
        } onCancel: {
            settle(nil)
        }
    }

    /// A position this gateway appended (its delivery report): the log holds it.
    nonisolated func appended(_ token: ConsistencyToken) {
        let partition = TopicPartition(token.kind.topic(prefix: topicPrefix), token.partition)
        ends.withLock { $0[partition] = max($0[partition] ?? 0, token.offset + 1) }
    }

    /// Returns once a read that started at or after `arrival` has finished.
    private func readAfter(_ arrival: ContinuousClock.Instant) async throws {
        if let latest, latest.started >= arrival { return try await latest.task.value }
        // An earlier read may have fetched before the token's record was written: let it end,
        // then share or start a newer one.
        if let earlier = latest { _ = await earlier.task.result }
        if let latest, latest.started >= arrival { return try await latest.task.value }
        let task = Task { try await self.read() }
        latest = Read(started: ContinuousClock.now, task: task)
        try await task.value
    }

    private func read() async throws {
        let described = try await admin.listTopics(timeout: .seconds(5))
        var partitions: [TopicPartition] = []
        for topic in topics {
            let found = described.first { $0.name == topic }?.topicPartitions ?? []
            partitionCounts[topic] = found.count
            partitions += found
        }
        let read = try await probe.ends(of: partitions)
        ends.withLock { ends in
            for (partition, end) in read { ends[partition] = max(ends[partition] ?? 0, end) }
        }
    }

    /// Closes the Kafka clients when the gateway shuts down.
    func run() async throws {
        try? await gracefulShutdown()
        await probe.close()
        await admin.close()
    }
}
