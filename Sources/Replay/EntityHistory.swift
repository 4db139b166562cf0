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
        let records = try await KafkaAdmin.with(configuration: log.admin, logger: logger) { admin in
            try await admin.probeConsumer(["fetch.wait.max.ms": "100", "fetch.max.bytes": "52428800"]).closing { reader in
                try await recordsKeyed(id, topic: log.topic(kind), admin: admin, reader: reader)
            }
        }
        let applier = ProjectionApplier(kind: kind, keys: keys, logger: logger)
        return applier.folder.fold(try await applier.decode(records), records: records, current: [:], alreadyApplied: []).outcomes
    }

    private static func recordsKeyed(_ id: UUID, topic: String, admin: KafkaAdmin, reader: KafkaConsumer) async throws -> [LogRecord] {
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
                if candidate.entityKey == id, record.offset < ends[record.topicPartition]?.high ?? 0 { found.append(candidate) }
            }
        }
        // Offsets order records within a partition; one entity's records share a partition.
        return found.sorted { ($0.position.partition, $0.position.offset) < ($1.position.partition, $1.position.offset) }
    }
}
