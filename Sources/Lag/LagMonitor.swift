import Domain
import Foundation
import Kafka
import Locking
import Log
import Logging
import MetadataKeys
import ServiceLifecycle
import Store

/// Measures how far behind every projector group is, on a schedule, and keeps recent history.
///
/// Per group, topic and partition: the store's checkpoint (of the active namespace), Kafka's
/// committed offset, the log end from Fetch high watermarks (right on Apache Kafka and Tansu;
/// ListOffsets is not), lag in records, and lag in seconds as the age of the oldest unprocessed
/// record (the timestamp of the record at the checkpoint). Rates and statuses come from the
/// samples of the last ``LagMonitor/Settings/window``.
public final class LagMonitor: Service, Closable {
    /// How often to sample and over what window.
    public struct Settings: Sendable {
        public var interval: Duration
        public var window: Duration
        /// A lagging partition whose checkpoint has not moved for this long is STALLED.
        public var stallAfter: Duration
        /// How much history `/lag` and the dashboard keep.
        public var history: Duration

        public init(
            interval: Duration = .seconds(1), window: Duration = .seconds(30), stallAfter: Duration = .seconds(10),
            history: Duration = .seconds(600)
        ) {
            self.interval = interval
            self.window = window
            self.stallAfter = stallAfter
            self.history = history
        }
    }

    private struct State {
        var observations: [TopicPartition: [LagRules.Observation]] = [:]
        var timestamps: [TopicPartition: (offset: Int64, time: Date)] = [:]
        var history: [LagHistorySample] = []
        var latest: LagReport?
    }

    private let topicPrefix: String
    private let kinds: [EntityKind]
    private let namespaces: ActiveNamespaces
    private let admin: KafkaAdmin
    private let ends: LogEndProbe
    private let timestamps: KafkaConsumer
    private let settings: Settings
    private let logger: Logger
    private let state = Locked(State())
    private let metrics: LagMetrics
    private let logLoss: LogLossWatch
    private let localProjector: (any PartitionOwnership)?

    /// - Parameter namespaces: where checkpoints are read (refreshed before every sample).
    /// - Parameter localProjector: projectors in this process that own partitions outside any
    ///   group (`encore dev`): each counts as a live member of the groups whose topics it owns.
    public init(
        log: LogLocation, kinds: [EntityKind] = EntityKind.allCases,
        namespaces: ActiveNamespaces, settings: Settings = Settings(), localProjector: (any PartitionOwnership)? = nil, logger: Logger
    ) throws {
        self.localProjector = localProjector
        topicPrefix = log.topicPrefix
        self.kinds = kinds
        self.namespaces = namespaces
        self.settings = settings
        self.logger = logger
        admin = try KafkaAdmin(configuration: log.admin, logger: logger)
        ends = try LogEndProbe(admin: admin)
        timestamps = try admin.probeConsumer(["fetch.max.bytes": "1048576", "max.partition.fetch.bytes": "65536"])
        metrics = LagMetrics()
        logLoss = LogLossWatch(
            integrity: LogIntegrity(log: log, logger: logger),
            kinds: kinds, every: 5, logger: logger
        )
    }

    /// The last report, nil before the first sample.
    public var latest: LagReport? { state.withLock { $0.latest } }

    /// What the log lost under the active read models, one sentence each; empty while it is whole.
    /// Once seen it stays until the read models move to other namespaces (`encore replay --adopt-log`).
    public var lostLog: [String] { logLoss.problems }

    /// Samples every ``Settings/interval`` until graceful shutdown; a failed sample is logged.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await self.sample()
                } catch is CancellationError {
                    break
                } catch {
                    self.logger.warning("lag sample failed", metadata: [MetadataKey.error: "\(error)"])
                }
                try? await Task.sleep(for: self.settings.interval)
            }
        }
        await close()
    }

    /// Releases the Kafka clients.
    public func close() async {
        await ends.close()
        await timestamps.close()
        await admin.close()
    }

    /// Measures once, records gauges and history, and returns the report.
    @discardableResult
    public func sample() async throws -> LagReport {
        try await namespaces.refresh()
        let topics = Dictionary(uniqueKeysWithValues: try await admin.listTopics().map { ($0.name, $0) })
        let partitions = kinds.flatMap { topics[$0.topic(prefix: topicPrefix)]?.topicPartitions ?? [] }
        // Checkpoints before log ends: records folded while the ends are read would otherwise put
        // a checkpoint past a log end read a moment earlier, which reads as data loss.
        var checkpointsByKind: [EntityKind: [LogPosition]] = [:]
        for kind in kinds {
            checkpointsByKind[kind] = try await namespaces.store(for: kind).checkpoints(of: kind)
        }
        let logEnds = try await ends.ends(of: partitions)
        let now = Date()
        let oldest = try await oldestUnprocessed(
            Dictionary(
                uniqueKeysWithValues: checkpointsByKind.values.joined().compactMap { position in
                    let partition = TopicPartition(position.topic, position.partition)
                    return (logEnds[partition] ?? 0) > position.offset ? (partition, position.offset) : nil
                }))
        var groups: [GroupLag] = []
        for kind in kinds {
            let topic = kind.topic(prefix: topicPrefix)
            let group = EncoreTopics.projectorGroup(prefix: topicPrefix, kind: kind)
            let store = namespaces.store(for: kind)
            let checkpoints = checkpointsByKind[kind] ?? []
            let committed = (try? await admin.committedOffsets(group: group, topics: [topic])) ?? [:]
            let members = await members(of: kind)
            var rows: [PartitionLag] = []
            for partition in topics[topic]?.topicPartitions ?? [] {
                let checkpoint = checkpoints.first { $0.topic == topic && $0.partition == partition.partition }?.offset ?? 0
                let logEnd = logEnds[partition] ?? checkpoint
                let window = observe(partition, LagRules.Observation(at: now, checkpoint: checkpoint, logEnd: logEnd))
                let lag = max(0, logEnd - checkpoint)
                let committedOffset = committed[partition].flatMap { $0.rawValue >= 0 ? $0.rawValue : nil }
                rows.append(
                    PartitionLag(
                        partition: partition.partition, checkpoint: checkpoint, committed: committedOffset, logEnd: logEnd, lag: lag,
                        lagSeconds: lag == 0 ? 0 : oldest[partition].map { max(0, now.timeIntervalSince($0)) },
                        rate: LagRules.rate(window),
                        status: LagRules.status(window, members: members, stallAfter: settings.stallAfter / .seconds(1))
                    ))
            }
            let ages = rows.map(\.lagSeconds)
            groups.append(
                GroupLag(
                    group: group, projection: kind.topicSuffix, namespace: store.namespace, topic: topic,
                    status: rows.map(\.status).max() ?? (members == 0 ? .stopped : .ok),
                    lag: rows.reduce(0) { $0 + $1.lag },
                    lagSeconds: ages.contains { $0 == nil } ? nil : ages.compactMap { $0 }.max() ?? 0,
                    rate: rows.contains { $0.rate == nil } ? nil : rows.reduce(0) { $0 + ($1.rate ?? 0) },
                    members: members, partitions: rows
                ))
        }
        if await !logLoss.check(admin: admin, namespaces: namespaces).isEmpty {
            for index in groups.indices { groups[index].status = .dataLoss }
        }
        let replays = try await replaysInProgress(now: now)
        let report = state.withLock { state -> LagReport in
            state.history.append(
                LagHistorySample(
                    at: now,
                    groups: Dictionary(
                        uniqueKeysWithValues: groups.map {
                            ($0.group, LagHistorySample.Point(lag: $0.lag, lagSeconds: $0.lagSeconds, rate: $0.rate))
                        })))
            state.history.removeAll { now.timeIntervalSince($0.at) > settings.history / .seconds(1) }
            let report = LagReport(
                generatedAt: now, windowSeconds: settings.window / .seconds(1), groups: groups, replays: replays, history: state.history
            )
            state.latest = report
            return report
        }
        metrics.record(report)
        return report
    }

    /// How many processes consume `kind`'s topic right now: the live members of its projector
    /// group, counting a local projector that owns its partitions directly; nil if the group
    /// coordinator did not answer and no local projector owns them.
    private func members(of kind: EntityKind) async -> Int? {
        let local = consumedHere(kind) ? 1 : 0
        guard let described = try? await admin.describeGroup(EncoreTopics.projectorGroup(prefix: topicPrefix, kind: kind)).members else {
            return local == 0 ? nil : local
        }
        return described + local
    }

    /// Whether a projector of this process owns partitions of `kind`'s topic.
    private func consumedHere(_ kind: EntityKind) -> Bool {
        let topic = kind.topic(prefix: topicPrefix)
        return localProjector?.assignedPartitions.contains { $0.topic == topic } == true
    }

    /// Whether any process consumes `kind`'s topic: answered at once for a local projector, else
    /// from the last sample if it is recent, else asked of the group coordinator now. nil when
    /// that cannot be told.
    public func isConsumed(_ kind: EntityKind) async -> Bool? {
        if consumedHere(kind) { return true }
        let topic = kind.topic(prefix: topicPrefix)
        if let report = latest, Date().timeIntervalSince(report.generatedAt) <= 2 * (settings.interval / .seconds(1)) + 1,
            let group = report.groups.first(where: { $0.topic == topic }), let members = group.members
        {
            return members > 0
        }
        return await members(of: kind).map { $0 > 0 }
    }

    /// Adds an observation and returns the partition's observations within the window.
    private func observe(_ partition: TopicPartition, _ observation: LagRules.Observation) -> [LagRules.Observation] {
        state.withLock { state in
            var window = state.observations[partition, default: []]
            window.append(observation)
            window.removeAll { observation.at.timeIntervalSince($0.at) > settings.window / .seconds(1) }
            state.observations[partition] = window
            return window
        }
    }

    /// When the record at each partition's checkpoint (the oldest not folded yet) was written:
    /// cached per position, else read with one probe over every partition that needs it.
    private func oldestUnprocessed(_ checkpoints: [TopicPartition: Int64]) async throws -> [TopicPartition: Date] {
        var found: [TopicPartition: Date] = [:]
        var missing: [TopicPartition: Int64] = [:]
        state.withLock { state in
            for (partition, offset) in checkpoints {
                if let cached = state.timestamps[partition], cached.offset == offset {
                    found[partition] = cached.time
                } else {
                    missing[partition] = offset
                }
            }
        }
        guard !missing.isEmpty else { return found }
        try timestamps.assign(missing.map { TopicPartitionOffset($0.key, KafkaOffset($0.value)) })
        defer { try? timestamps.assign([]) }
        let deadline = ContinuousClock.now + .seconds(2)
        while !missing.isEmpty, ContinuousClock.now < deadline {
            for record in try await timestamps.poll(maxRecords: 1000, timeout: .milliseconds(100)) {
                guard let offset = missing[record.topicPartition], record.offset >= offset, let time = record.timestamp else { continue }
                missing[record.topicPartition] = nil
                found[record.topicPartition] = time
                state.withLock { $0.timestamps[record.topicPartition] = (offset, time) }
            }
        }
        return found
    }

    private func replaysInProgress(now: Date) async throws -> [ReplayView] {
        try await namespaces.catalogStore.catalog().compactMap { entry in
            guard entry.state == .building, let data = entry.progress, let progress = try? ReplayProgress(json: data),
                now.timeIntervalSince(progress.updatedAt) < 60
            else { return nil }
            return ReplayView(
                namespace: entry.namespace, projection: entry.projection, state: progress.phase.rawValue, done: progress.done,
                total: progress.total, rate: progress.rate, etaSeconds: progress.etaSeconds, updatedAt: progress.updatedAt
            )
        }
    }
}
