import Domain
import Foundation
import Kafka
import Locking
import Log
import Logging
import Projection
import Store

/// `encore history`: one entity's commands and their outcomes, read from the log itself (not
/// from a read model), folded with the same fold as the projectors.
public enum EntityHistory {
    /// Reads `kind`'s topic from the beginning to its current end and folds the records keyed
    /// by `id`; returns their outcomes in log order (rejected commands included).
    public static func read(_ kind: EntityKind, id: UUID, log: LogLocation, keys: any PersonalDataKeys, logger: Logger) async throws
        -> [CommandOutcome]
    {
        let records = try await LogScan.records(of: log.topic(kind), log: log, logger: logger) { $0.entityKey == id }
        let applier = ProjectionApplier(kind: kind, keys: keys, logger: logger)
        return applier.folder.fold(try await applier.decode(records), records: records, current: [:], alreadyApplied: []).outcomes
    }
}

/// One topic read from its beginning to its current end.
public enum LogScan {
    /// The records of `topic` that `matching` keeps, in log order per partition (one entity's
    /// records share a partition, so its records are in its own order).
    public static func records(
        of topic: String, log: LogLocation, logger: Logger, matching: @escaping (LogRecord) -> Bool
    ) async throws -> [LogRecord] {
        try await KafkaAdmin.with(configuration: log.admin, logger: logger) { admin in
            try await admin.probeConsumer(["fetch.wait.max.ms": "100", "fetch.max.bytes": "52428800"]).closing { reader in
                try await records(of: topic, admin: admin, reader: reader, matching: matching)
            }
        }
    }

    private static func records(
        of topic: String, admin: KafkaAdmin, reader: KafkaConsumer, matching: (LogRecord) -> Bool
    ) async throws -> [LogRecord] {
        let ends = try await admin.watermarks(topic: topic).filter { $0.value.high > $0.value.low }
        guard !ends.isEmpty else { return [] }
        try reader.assign(ends.keys.sorted().map { TopicPartitionOffset($0, .beginning) })
        var pending = Set(ends.keys)
        var found: [LogRecord] = []
        while !pending.isEmpty {
            try Task.checkCancellation()
            for record in try await reader.poll(maxRecords: 10_000, timeout: .milliseconds(500)) {
                if record.offset + 1 >= ends[record.topicPartition]?.high ?? 0 { pending.remove(record.topicPartition) }
                let candidate = LogRecord(record)
                if record.offset < ends[record.topicPartition]?.high ?? 0, matching(candidate) { found.append(candidate) }
            }
        }
        return found.sorted { ($0.position.partition, $0.position.offset) < ($1.position.partition, $1.position.offset) }
    }
}
