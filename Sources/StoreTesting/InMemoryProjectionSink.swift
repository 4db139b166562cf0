import Domain
import Foundation
import Locking
import Store

/// A ``ProjectionSink`` in memory, for unit tests of folding and commit decisions without a
/// database: the same all-or-nothing commit, command-id dedup and checkpoint fencing as the
/// real backends (the fence is ``ProjectionBatch``'s own rule).
public final class InMemoryProjectionSink: ProjectionSink {
    private struct State {
        var entities: [EntityKind: [UUID: EntitySnapshot]] = [:]
        var outcomes: [UUID: CommandOutcome] = [:]
        var checkpoints: [EntityKind: [LogPosition]] = [:]
        var commits = 0
    }

    public let namespace: String
    private let state = Locked(State())

    public init(namespace: String = "main") { self.namespace = namespace }

    public func snapshots(_ kind: EntityKind, ids: [UUID]) async throws -> [UUID: EntitySnapshot] {
        state.withLock { state in (state.entities[kind] ?? [:]).filter { ids.contains($0.key) } }
    }

    public func existingOutcomes(commandIDs: [UUID]) async throws -> Set<UUID> {
        state.withLock { state in Set(commandIDs.filter { state.outcomes[$0] != nil }) }
    }

    public func checkpoints(of kind: EntityKind) async throws -> [LogPosition] {
        state.withLock { $0.checkpoints[kind] ?? [] }
    }

    public func commit(_ batch: ProjectionBatch) async throws {
        try state.withLock { state throws(CheckpointFenced) in
            try batch.checkFencing(against: state.checkpoints[batch.kind] ?? [])
            for snapshot in batch.finalSnapshots { state.entities[snapshot.kind, default: [:]][snapshot.id] = snapshot }
            for outcome in batch.outcomes where state.outcomes[outcome.commandID] == nil { state.outcomes[outcome.commandID] = outcome }
            var stored = state.checkpoints[batch.kind] ?? []
            for checkpoint in batch.finalCheckpoints {
                stored.removeAll { $0.topic == checkpoint.topic && $0.partition == checkpoint.partition }
                stored.append(checkpoint)
            }
            state.checkpoints[batch.kind] = stored
            state.commits += 1
        }
    }

    /// Every stored outcome, by command id.
    public var outcomes: [UUID: CommandOutcome] { state.withLock { $0.outcomes } }

    /// Batches committed so far.
    public var commits: Int { state.withLock { $0.commits } }
}
