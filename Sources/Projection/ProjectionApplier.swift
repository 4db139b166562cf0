import Domain
import Foundation
import Kafka
import Log
import Logging
import MetadataKeys
import Store
import Tracing

/// Folds decoded records of one topic into a store: reads the entities' current snapshots and
/// the commands already applied, folds, and commits snapshots, outcomes and checkpoints in one
/// transaction. Shared by the live projector and replays, so both fold exactly alike.
public struct ProjectionApplier: Sendable {
    /// Decodes and folds; pure.
    public let folder: BatchFolder
    /// Opens the users' personal fields.
    public let keys: any PersonalDataKeys
    private let logger: Logger

    public init(kind: EntityKind, keys: any PersonalDataKeys, logger: Logger = Logger(label: "encore.projector")) {
        folder = BatchFolder(kind: kind)
        self.keys = keys
        var logger = logger
        logger[metadataKey: MetadataKey.projection] = "\(kind.topicSuffix)"
        self.logger = logger
    }

    /// Decodes `records` with the data keys of their users, looked up now: a user erased
    /// before this batch reads as erased.
    public func decode(_ records: [LogRecord]) async throws -> BatchFolder.Decoded {
        let users = folder.users(in: records)
        guard !users.isEmpty else { return folder.decode(records, opening: NoPersonalData()) }
        return folder.decode(records, opening: try await keys.cipher(reading: users))
    }

    /// Folds `decoded` (the commands of `records`) into `store` and commits; returns the batch
    /// written. Throws a ``CommitRefusal`` when the store refuses the batch.
    ///
    /// Each command whose record carries trace context gets an `apply` span (consumer) whose
    /// parent is the producer's span from the record's headers, so the request's trace reaches
    /// the read model. The batch shares one transaction, so every span covers the whole fold
    /// and commit: one span per command rather than one batch span linked to many traces keeps
    /// each write's trace complete on its own.
    @discardableResult
    public func apply(_ decoded: BatchFolder.Decoded, records: [LogRecord], to store: any ProjectionSink) async throws -> ProjectionBatch {
        var stages = ApplyStages()
        return try await apply(decoded, records: records, to: store, stages: &stages)
    }

    /// ``apply(_:records:to:)``, adding the time each of its stages took to `stages`.
    @discardableResult
    public func apply(_ decoded: BatchFolder.Decoded, records: [LogRecord], to store: any ProjectionSink, stages: inout ApplyStages)
        async throws -> ProjectionBatch
    {
        let spans = ApplySpans(decoded, topic: records.first?.position.topic)
        let clock = ContinuousClock()
        do {
            var started = clock.now
            let current = try await store.snapshots(folder.kind, ids: decoded.entityIDs)
            let already = try await store.existingOutcomes(commandIDs: decoded.commandIDs)
            stages.read += started.duration(to: clock.now)
            started = clock.now
            let batch = folder.fold(decoded, records: records, current: current, alreadyApplied: already)
            stages.fold += started.duration(to: clock.now)
            started = clock.now
            try await store.commit(batch)
            stages.write += started.duration(to: clock.now)
            if !spans.isEmpty || logger.logLevel <= .debug {
                let outcomes = Dictionary(batch.outcomes.map { ($0.commandID, $0) }, uniquingKeysWith: { first, _ in first })
                spans.end(with: outcomes)
                logFolded(decoded, outcomes: outcomes)
            }
            return batch
        } catch {
            spans.end(throwing: error)
            throw error
        }
    }

    /// One debug line per command, with its id: what became of it (no outcome: applied before).
    private func logFolded(_ decoded: BatchFolder.Decoded, outcomes: [UUID: CommandOutcome]) {
        for (record, command) in decoded.commands {
            let outcome = outcomes[command.id]
            logger.debug(
                "command folded",
                metadata: [
                    MetadataKey.commandID: "\(command.id.lowercasedString)",
                    MetadataKey.type: "\(command.action.recordType.rawValue)",
                    MetadataKey.position: "\(record.position)",
                    MetadataKey.outcome: "\(outcome?.status.rawValue ?? "duplicate")",
                    MetadataKey.reason: "\(outcome?.rejection?.rawValue ?? "")",
                ])
        }
    }
}

/// The `apply` spans of one batch: started before the fold, ended after the commit.
private struct ApplySpans {
    private var spans: [(UUID, any Span)] = []

    init(_ decoded: BatchFolder.Decoded, topic: String?) {
        let started = DefaultTracerClock.now
        for (record, command) in decoded.commands where record.headers.contains(where: { $0.name == "traceparent" }) {
            var context = InstrumentationContext.topLevel
            InstrumentationSystem.instrument.extract(record.headers, into: &context, using: KafkaHeaderExtractor())
            let span = startSpan("apply \(command.action.recordType.rawValue)", at: started, context: context, ofKind: .consumer)
            guard span.isRecording else { continue }
            span.updateAttributes { attributes in
                attributes["messaging.system"] = "kafka"
                attributes["messaging.operation.type"] = "process"
                attributes["messaging.destination.name"] = topic
                attributes["messaging.destination.partition.id"] = "\(record.position.partition)"
                attributes["messaging.kafka.offset"] = Int(record.position.offset)
                attributes["encore.command.id"] = command.id.lowercasedString
            }
            spans.append((command.id, span))
        }
    }

    var isEmpty: Bool { spans.isEmpty }

    /// Records each command's outcome (`duplicate` when it had been applied before) and ends.
    func end(with outcomes: [UUID: CommandOutcome]) {
        for (id, span) in spans {
            span.attributes["encore.outcome"] = outcomes[id]?.status.rawValue ?? "duplicate"
            span.end()
        }
    }

    /// The batch was not committed: every span ends with the error.
    func end(throwing error: any Error) {
        for (_, span) in spans {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            span.end()
        }
    }
}

extension LogRecord {
    /// The projector's view of a consumed Kafka record.
    public init(_ record: KafkaRecord) {
        self.init(
            position: LogPosition(topic: record.topic, partition: record.partition, offset: record.offset),
            key: record.key, value: record.value, headers: record.headers
        )
    }
}

/// Where a batch's fold spent its time: reading the entities' snapshots and applied commands
/// from the store, folding (pure), and writing (encoding and committing) the result.
public struct ApplyStages: Sendable, Hashable {
    public var read = Duration.zero
    public var fold = Duration.zero
    public var write = Duration.zero

    public init() {}
}
