import Domain
import Foundation
import Kafka
import Locking
import Log
import Logging
import MetadataKeys
import Projection
import Store
import Synchronization

/// `encore replay`: rebuilds read models from the log into their own namespace while the live
/// namespace keeps serving, then activates, keeps, or compares it.
///
/// The replay folds with the same ``ProjectionApplier`` as the live projector, and checkpoints
/// in the same transaction as the state, so a killed replay resumes from its own checkpoints.
/// Activation is one store transaction that succeeds only once the rebuilt namespace has
/// folded at least as far as the live one on every partition: readers never go back in time.
public final class Replayer: Sendable {
    private let configuration: ReplayConfiguration
    private let store: any ReadModelStore
    private let keys: any PersonalDataKeys
    private let logger: Logger
    private let onProgress: @Sendable (ReplayProgress) -> Void

    /// - Parameters:
    ///   - store: any namespace of the database (the catalog is shared).
    ///   - keys: the users' data keys, read (never changed) to open their records.
    ///   - onProgress: called after every batch, from the replay's task.
    public init(
        configuration: ReplayConfiguration, store: any ReadModelStore, keys: any PersonalDataKeys, logger: Logger,
        onProgress: @escaping @Sendable (ReplayProgress) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.store = store
        self.keys = keys
        self.logger = logger
        self.onProgress = onProgress
    }

    /// Runs the replay to its end; throws ``LogLost`` if the log lost data under the live read
    /// models (unless adopting the log), ``ReplayError`` for a refused or stuck replay.
    public func run() async throws -> ReplaySummary {
        try await KafkaAdmin.with(configuration: configuration.log.admin, logger: logger) { admin in
            try await run(from: KafkaReplaySource(admin: admin, integrity: LogIntegrity(log: configuration.log, logger: logger)))
        }
    }

    /// The replay, reading the log from `source`.
    func run(from source: any ReplaySource) async throws -> ReplaySummary {
        let started = ContinuousClock.now
        return try await ActiveNamespaces(base: store, logger: logger).closing { live in
            try await live.refresh()
            return try await replay(source: source, live: live, started: started)
        }
    }

    private func replay(source: any ReplaySource, live: ActiveNamespaces, started: ContinuousClock.Instant) async throws -> ReplaySummary {
        if configuration.mode != .adoptLog {
            let problems = try await source.problems(folded: live, kinds: configuration.kinds)
            if !problems.isEmpty { throw LogLost(problems: problems) }
        }
        let (name, resuming) = try await chooseNamespace()
        if configuration.mode == .verify || configuration.mode == .adoptLog, resuming {
            throw ReplayError(
                "namespace \(name) already exists; \(configuration.mode.rawValue) builds a new namespace: drop it or choose another name")
        }
        return try await store.sibling(namespace: name).closing { target in
            let summary = try await replay(into: target, source: source, live: live, resuming: resuming, started: started)
            if configuration.mode == .adoptLog { try await store.setClusterID(source.clusterID()) }
            if configuration.mode == .verify { try await target.drop() }
            return summary
        }
    }

    private func replay(
        into target: any ReadModelStore, source: any ReplaySource, live: ActiveNamespaces, resuming: Bool, started: ContinuousClock.Instant
    ) async throws -> ReplaySummary {
        let progress = ProgressTracker(namespace: target.namespace, started: Date())
        // Every model's range first, so progress counts over the whole replay.
        var plans: [ModelReplay] = []
        for kind in configuration.kinds {
            let state: NamespaceEntry.State = .building
            try await target.register(kind, state: state, asOf: configuration.asOf, progress: nil)
            let ends = try await source.bounds(of: configuration.log.topic(kind))
            let checkpoints = try await target.checkpoints(of: kind)
            var positions: [TopicPartition: Int64] = [:]
            for partition in ends.keys {
                let stored = checkpoints.first { $0.topic == partition.topic && $0.partition == partition.partition }?.offset
                positions[partition] = max(stored ?? 0, ends[partition]?.low ?? 0)
            }
            plans.append(
                ModelReplay(
                    kind: kind, applier: ProjectionApplier(kind: kind, keys: keys), sink: target, positions: positions,
                    ends: ends.mapValues(\.high), resumed: !checkpoints.isEmpty
                ))
            progress.add(total: plans.last!.remaining)
        }
        if resuming {
            logger.info(
                "resuming the replay from its checkpoints",
                metadata: [MetadataKey.namespace: "\(target.namespace)", MetadataKey.left: "\(progress.snapshot.total)"])
        }
        // The read models are independent (own topic, own checkpoints): rebuild them side by side,
        // up to the log ends of the start, into a namespace whose outcome indexes wait until then.
        let bulk = try await target.suspendIndexes()
        if bulk {
            for index in plans.indices {
                plans[index].sink = DeduplicatingSink(target: target, applied: try await target.commandIDs(plans[index].kind))
            }
        }
        let built = try await withThrowingTaskGroup(of: ModelReplay.self) { group in
            for plan in plans {
                group.addTask { try await self.build(plan, into: target, source: source, progress: progress) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        if bulk {
            let indexing = ContinuousClock.now
            try await target.restoreIndexes()
            logger.info(
                "indexed the outcomes",
                metadata: [MetadataKey.namespace: "\(target.namespace)", MetadataKey.duration: "\(ContinuousClock.now - indexing)"])
        }
        let results = try await withThrowingTaskGroup(of: (ReplaySummary.Model, [EntityDifference]).self) { group in
            for var plan in built {
                plan.sink = target
                group.addTask { try await self.finish(plan, into: target, source: source, live: live, progress: progress) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let order = configuration.kinds.map(\.topicSuffix)
        let models = results.map(\.0).sorted { order.firstIndex(of: $0.projection) ?? 0 < order.firstIndex(of: $1.projection) ?? 0 }
        let differences = results.flatMap(\.1)
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let records = models.reduce(0) { $0 + $1.records }
        return ReplaySummary(
            namespace: target.namespace, mode: configuration.mode, asOf: configuration.asOf, models: models,
            differences: differences, seconds: seconds, recordsPerSecond: seconds > 0 ? Double(records) / seconds : 0
        )
    }

    /// Rebuilds one read model up to the log ends of the replay's start.
    private func build(_ plan: ModelReplay, into target: any ReadModelStore, source: any ReplaySource, progress: ProgressTracker)
        async throws
        -> ModelReplay
    {
        var plan = plan
        try await source.withReader { reader in
            progress.begin(plan.kind, phase: .building)
            try await consume(&plan, reader: reader, target: target, until: plan.ends, progress: progress)
        }
        return plan
    }

    /// Activates, keeps or verifies a rebuilt read model as configured.
    private func finish(
        _ plan: ModelReplay, into target: any ReadModelStore, source: any ReplaySource, live: ActiveNamespaces, progress: ProgressTracker
    ) async throws -> (ReplaySummary.Model, [EntityDifference]) {
        var plan = plan
        return try await source.withReader { reader in
            var model = ReplaySummary.Model(
                projection: plan.kind.topicSuffix, records: plan.read, poison: plan.poison, resumed: plan.resumed, replaced: nil,
                active: false, stages: plan.stageSeconds
            )
            var differences: [EntityDifference] = []
            switch configuration.mode {
            case _ where configuration.asOf != nil:
                try await target.register(plan.kind, state: .snapshot, asOf: configuration.asOf, progress: nil)
            case .build:
                break
            case .activate, .adoptLog:
                progress.begin(plan.kind, phase: .catchingUp)
                model.replaced = try await activate(&plan, reader: reader, target: target, progress: progress)
                model.active = true
            case .verify:
                progress.begin(plan.kind, phase: .verifying)
                differences = try await verify(&plan, reader: reader, target: target, live: live, progress: progress)
            }
            model.records = plan.read
            model.poison = plan.poison
            model.stages = plan.stageSeconds
            return (model, differences)
        }
    }

    /// Reads and folds until every partition's position has reached `limits` (never past them),
    /// or, for an as-of replay, a record written after the as-of time.
    private func consume(
        _ plan: inout ModelReplay, reader: any RecordReader, target: any ReadModelStore,
        until limits: [TopicPartition: Int64], progress: ProgressTracker
    ) async throws {
        var pending = Set(limits.filter { plan.positions[$0.key, default: 0] < $0.value }.keys)
        guard !pending.isEmpty else { return }
        try reader.assign(pending.sorted().map { TopicPartitionOffset($0, KafkaOffset(plan.positions[$0, default: 0])) })
        // librdkafka keeps a partition's pause across assignments: undo the last call's pauses.
        try reader.resume(Array(pending))
        defer { try? reader.assign([]) }
        let clock = ContinuousClock()
        while !pending.isEmpty {
            try Task.checkCancellation()
            var started = clock.now
            let polled = try await reader.poll(maxRecords: configuration.batchSize, timeout: .milliseconds(500))
            var kept: [LogRecord] = []
            kept.reserveCapacity(polled.count)
            var finished: [TopicPartition] = []
            for record in polled {
                let partition = record.topicPartition
                guard pending.contains(partition), record.offset >= plan.positions[partition, default: 0] else { continue }
                let limit = limits[partition, default: 0]
                let afterAsOf = configuration.asOf.map { asOf in (record.timestamp ?? .distantPast) > asOf } ?? false
                if record.offset >= limit || afterAsOf {
                    pending.remove(partition)
                    finished.append(partition)
                    continue
                }
                kept.append(LogRecord(record))
                if record.offset + 1 >= limit {
                    pending.remove(partition)
                    finished.append(partition)
                }
            }
            if !finished.isEmpty { try reader.pause(finished) }
            plan.fetch += started.duration(to: clock.now)
            guard !kept.isEmpty else { continue }
            started = clock.now
            let decoded = try await plan.applier.decode(kept)
            plan.decode += started.duration(to: clock.now)
            try await plan.applier.apply(decoded, records: kept, to: plan.sink, stages: &plan.stages)
            for record in kept {
                plan.positions[TopicPartition(record.position.topic, record.position.partition)] = record.position.offset + 1
            }
            plan.read += Int64(kept.count)
            plan.poison += Int64(decoded.poison.count)
            try await report(progress.advance(by: Int64(kept.count)), of: plan.kind, target: target)
        }
    }

    /// Chases the live namespace until activation succeeds; returns the namespace replaced.
    ///
    /// Under heavy writes the live projector may commit again between the replay reaching its
    /// checkpoints and the activation: after a few such chases the replay freezes the live
    /// namespace (reads go on; its projectors pause), folds up to its now fixed checkpoints,
    /// and activates.
    private func activate(_ plan: inout ModelReplay, reader: any RecordReader, target: any ReadModelStore, progress: ProgressTracker)
        async throws -> String?
    {
        let projection = plan.kind.topicSuffix
        let deadline = ContinuousClock.now + configuration.activationTimeout
        var chases = 0
        while true {
            switch try await target.activate(plan.kind, force: configuration.mode == .adoptLog) {
            case .switched(let previous):
                // The previous namespace is retired and kept until dropped.
                logger.notice(
                    "namespace activated",
                    metadata: [
                        MetadataKey.namespace: "\(target.namespace)", MetadataKey.projection: "\(projection)",
                        MetadataKey.previous: "\(previous ?? "none")",
                    ])
                return previous
            case .alreadyActive:
                return nil
            case .behind(let active, let positions):
                guard ContinuousClock.now < deadline else {
                    throw ReplayError(
                        "\(projection): still behind namespace \(active) after \(configuration.activationTimeout); "
                            + "the replay keeps its checkpoint: run it again to resume")
                }
                chases += 1
                if chases <= 3 {
                    try await consume(&plan, reader: reader, target: target, until: limits(plan, reaching: positions), progress: progress)
                    continue
                }
                guard let frozen = try await target.freeze(plan.kind) else { continue }
                logger.info(
                    "freezing the live namespace to catch up with it",
                    metadata: [
                        MetadataKey.namespace: "\(frozen.namespace)", MetadataKey.projection: "\(projection)",
                        MetadataKey.chases: "\(chases)",
                    ])
                do {
                    try await consume(
                        &plan, reader: reader, target: target, until: limits(plan, reaching: frozen.checkpoints), progress: progress)
                } catch {
                    try? await target.thaw(plan.kind)
                    throw error
                }
            }
        }
    }

    /// The plan's positions, raised to `positions` where those are further.
    private func limits(_ plan: ModelReplay, reaching positions: [LogPosition]) -> [TopicPartition: Int64] {
        var limits = plan.positions
        for position in positions {
            let partition = TopicPartition(position.topic, position.partition)
            limits[partition] = max(limits[partition, default: 0], position.offset)
        }
        return limits
    }

    /// Brings the rebuilt namespace to exactly the live one's checkpoints and compares every
    /// entity. The live namespace may move meanwhile: differing entities are compared again
    /// at its new checkpoints, a few times, before they count.
    private func verify(
        _ plan: inout ModelReplay, reader: any RecordReader, target: any ReadModelStore, live: ActiveNamespaces, progress: ProgressTracker
    ) async throws -> [EntityDifference] {
        let projection = plan.kind.topicSuffix
        let liveStore = live.store(for: plan.kind)
        var checkpoints = try await liveStore.checkpoints(of: plan.kind)
        try await catchUp(&plan, to: checkpoints, reader: reader, target: target, progress: progress)
        var differing = try await NamespaceComparison.all(plan.kind, live: liveStore, rebuilt: target)
        var round = 0
        while !differing.isEmpty, round < 5 {
            let now = try await liveStore.checkpoints(of: plan.kind)
            guard now != checkpoints else { break }
            checkpoints = now
            round += 1
            try await catchUp(&plan, to: checkpoints, reader: reader, target: target, progress: progress)
            differing = try await NamespaceComparison.some(plan.kind, ids: differing.map(\.id), live: liveStore, rebuilt: target)
        }
        logger.info(
            "verified",
            metadata: [
                MetadataKey.projection: "\(projection)", MetadataKey.differences: "\(differing.count)",
                MetadataKey.namespace: "\(liveStore.namespace)",
            ])
        return differing
    }

    private func catchUp(
        _ plan: inout ModelReplay, to checkpoints: [LogPosition], reader: any RecordReader, target: any ReadModelStore,
        progress: ProgressTracker
    ) async throws {
        if let ahead = checkpoints.first(where: { plan.positions[TopicPartition($0.topic, $0.partition), default: 0] > $0.offset }) {
            let position = plan.positions[TopicPartition(ahead.topic, ahead.partition), default: 0]
            throw ReplayError(
                "the rebuilt namespace is past the live one on \(ahead.topic)[\(ahead.partition)] (\(position) > \(ahead.offset)); "
                    + "verify compares at the live checkpoints, so it needs a fresh namespace")
        }
        try await consume(&plan, reader: reader, target: target, until: limits(plan, reaching: checkpoints), progress: progress)
    }

    /// Writes progress to the catalog (at most once a second) and tells the caller.
    private func report(_ update: (progress: ReplayProgress, persist: Bool), of kind: EntityKind, target: any ReadModelStore) async throws {
        onProgress(update.progress)
        guard update.persist else { return }
        try await target.register(kind, state: .building, asOf: configuration.asOf, progress: update.progress.json())
    }

    /// The namespace to build: the configured one, else the newest unfinished replay of the same
    /// models and as-of time, else a new name. Returns whether it already exists.
    private func chooseNamespace() async throws -> (name: String, exists: Bool) {
        let catalog = try await store.catalog()
        if let name = configuration.namespace {
            let rows = catalog.filter { $0.namespace == name }
            if let frozen = rows.first(where: { $0.state == .retired || $0.state == .snapshot }) {
                throw ReplayError("namespace \(name) is \(frozen.state.rawValue) for \(frozen.projection); replay into a new namespace")
            }
            if configuration.mode == .activate, rows.contains(where: { $0.state == .active }) {
                throw ReplayError("namespace \(name) is the live one; replay into a new namespace")
            }
            return (name, !rows.isEmpty)
        }
        if configuration.mode == .activate || configuration.mode == .build {
            let projections = Set(configuration.kinds.map(\.topicSuffix))
            let unfinished = Dictionary(
                grouping: catalog.filter { $0.state == .building && !$0.namespace.hasPrefix("verify_") }, by: \.namespace
            )
            .filter { Set($0.value.map(\.projection)) == projections && $0.value.allSatisfy { $0.asOf == configuration.asOf } }
            if let newest = unfinished.max(by: { $0.value[0].createdAt < $1.value[0].createdAt }) {
                return (newest.key, true)
            }
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd't'HHmmss"
        let prefix = configuration.mode == .verify ? "verify_" : "r"
        var name = prefix + formatter.string(from: Date())
        var suffix = 2
        while catalog.contains(where: { $0.namespace == name }) {
            name = prefix + formatter.string(from: Date()) + "_\(suffix)"
            suffix += 1
        }
        return (name, false)
    }
}

/// One read model's replay state: where each partition is, and where the log ended at the start.
private struct ModelReplay {
    let kind: EntityKind
    let applier: ProjectionApplier
    /// Where batches are committed: the target, or its deduplicating view during a bulk load.
    var sink: any ProjectionSink
    /// Per partition, the next offset to fold into the target namespace.
    var positions: [TopicPartition: Int64]
    /// Per partition, the log end when the replay started.
    let ends: [TopicPartition: Int64]
    let resumed: Bool
    var read: Int64 = 0
    var poison: Int64 = 0
    /// Time spent waiting for records, and decoding them; then the fold's own stages.
    var fetch = Duration.zero
    var decode = Duration.zero
    var stages = ApplyStages()

    var stageSeconds: ReplaySummary.Stages {
        ReplaySummary.Stages(
            fetch: fetch / .seconds(1), decode: decode / .seconds(1), read: stages.read / .seconds(1), fold: stages.fold / .seconds(1),
            write: stages.write / .seconds(1))
    }

    var remaining: Int64 { ends.reduce(0) { $0 + max(0, $1.value - positions[$1.key, default: 0]) } }
}

/// A replay that cannot go on, and why.
public struct ReplayError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
