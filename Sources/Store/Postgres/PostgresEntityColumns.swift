import Foundation

/// Snapshots as one array per column, for `UNNEST`. Arrays cannot hold NULL through
/// PostgresNIO, so a tombstone's state is "" and the `deleted` flag decides.
struct EntityColumns: Sendable {
    var kinds: [String] = []
    var ids: [UUID] = []
    var versions: [Int64] = []
    var deleted: [Bool] = []
    var states: [String] = []

    init(_ entities: [StoredEntity]) {
        for entity in entities {
            kinds.append(entity.kind.rawValue)
            ids.append(entity.id)
            versions.append(Int64(entity.version))
            deleted.append(entity.isDeleted)
            states.append(entity.stateJSON ?? "")
        }
    }
}
