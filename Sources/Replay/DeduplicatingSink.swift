import Domain
import Foundation
import Locking
import Store

/// The sink of a bulk load (``BulkLoading``): the target namespace with its command-id index
/// dropped, so which commands already have an outcome is kept here, exactly, in memory.
final class DeduplicatingSink: ProjectionSink {
    private let target: any ReadModelStore
    private let applied: Locked<Set<UUID>>

    /// - Parameter applied: the command ids the target already has outcomes for.
    init(target: any ReadModelStore, applied: Set<UUID>) {
        self.target = target
        self.applied = Locked(applied)
    }

    var namespace: String { target.namespace }

    func snapshots(_ kind: EntityKind, ids: [UUID]) async throws -> [UUID: EntitySnapshot] {
        try await target.snapshots(kind, ids: ids)
    }

    func existingOutcomes(commandIDs: [UUID]) async throws -> Set<UUID> {
        applied.withLock { applied in Set(commandIDs.filter(applied.contains)) }
    }

    func checkpoints(of kind: EntityKind) async throws -> [LogPosition] {
        try await target.checkpoints(of: kind)
    }

    /// Remembers the batch's command ids only once the commit has succeeded.
    func commit(_ batch: ProjectionBatch) async throws {
        try await target.commit(batch)
        applied.withLock { applied in
            for outcome in batch.outcomes { applied.insert(outcome.commandID) }
        }
    }
}
