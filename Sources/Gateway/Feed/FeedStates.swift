import Domain
import Foundation
import Privacy
import Store

/// The state each applied command left its entity in, for the events of a range of outcomes.
///
/// The store keeps only an entity's latest snapshot, while one range may hold several changes of
/// an entity (or the entity may have changed again since): then its history is folded up to each
/// of them, so every event carries its own version's state.
enum FeedStates {
    /// By command id: the entity after each applied, non-deleting command of `outcomes`.
    static func after(
        _ outcomes: [CommandOutcome], kind: EntityKind, in store: any ReadModelReader, keys: DataKeys
    ) async throws -> [UUID: EntitySnapshot] {
        let changes = Dictionary(grouping: outcomes.filter { $0.status == .applied && !$0.recordType.isDelete }, by: \.entityID)
        guard !changes.isEmpty else { return [:] }
        let latest = try await store.snapshots(kind, ids: Array(changes.keys))
        var states: [UUID: EntitySnapshot] = [:]
        for (entity, applied) in changes {
            if applied.count == 1, let snapshot = latest[entity], snapshot.version == applied[0].version {
                states[applied[0].commandID] = snapshot
                continue
            }
            let wanted = Set(applied.map(\.commandID))
            let cipher = try await keys.cipher(for: kind, entity: entity)
            var current: EntitySnapshot?
            for outcome in try await store.history(kind, id: entity) where outcome.status == .applied {
                // Every stored envelope was decoded once to be folded; one that no longer decodes
                // leaves the state as it was rather than stopping the feed.
                if let command = try? CommandCodec.decode(outcome.envelope, opening: cipher),
                    case .applied(let next) = Fold.apply(command, to: current)
                {
                    current = next
                }
                if wanted.contains(outcome.commandID) { states[outcome.commandID] = current }
                if outcome.commandID == applied.last?.commandID { break }
            }
        }
        return states
    }

    /// The events of `outcomes`, in their order.
    static func events(
        _ outcomes: [CommandOutcome], kind: EntityKind, in store: any ReadModelReader, keys: DataKeys
    ) async throws -> [FeedEvent] {
        let states = try await after(outcomes, kind: kind, in: store, keys: keys)
        return try outcomes.map { try FeedEvent($0, state: states[$0.commandID]) }
    }
}
