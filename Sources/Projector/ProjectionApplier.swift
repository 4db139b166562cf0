import Domain
import Foundation
import Kafka
import Store

/// Folds decoded records of one topic into a store: reads the entities' current snapshots and
/// the commands already applied, folds, and commits snapshots, outcomes and checkpoints in one
/// transaction. Shared by the live projector and replays, so both fold exactly alike.
public struct ProjectionApplier: Sendable {
    /// Decodes and folds; pure.
    public let folder: BatchFolder

    public init(kind: EntityKind) { folder = BatchFolder(kind: kind) }

    /// Folds `decoded` (the commands of `records`) into `store` and commits; returns the batch
    /// written. Throws a ``CommitRefusal`` when the store refuses the batch.
    @discardableResult
    public func apply(_ decoded: BatchFolder.Decoded, records: [LogRecord], to store: any ReadModelStore) async throws -> ProjectionBatch {
        let current = try await store.snapshots(folder.kind, ids: decoded.entityIDs)
        let already = try await store.existingOutcomes(commandIDs: decoded.commandIDs)
        let batch = folder.fold(decoded, records: records, current: current, alreadyApplied: already)
        try await store.commit(batch)
        return batch
    }
}

extension LogRecord {
    /// The projector's view of a consumed Kafka record.
    public init(_ record: KafkaRecord) {
        self.init(position: LogPosition(topic: record.topic, partition: record.partition, offset: record.offset), key: record.key, value: record.value)
    }
}
