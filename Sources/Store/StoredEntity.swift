import Domain
import Foundation

/// An `EntitySnapshot` as the columns of an entities row; both backends write and read through it.
struct StoredEntity: Sendable {
    var kind: EntityKind
    var id: UUID
    var version: Int
    /// nil for a tombstone (the row's `deleted` flag is set).
    var stateJSON: String?

    init(_ snapshot: EntitySnapshot) {
        kind = snapshot.kind
        id = snapshot.id
        version = snapshot.version
        stateJSON = snapshot.state.map(EntityStateJSON.encode)
    }

    var isDeleted: Bool { stateJSON == nil }

    /// Rebuilds a snapshot from a row's raw values.
    static func snapshot(kind: EntityKind, id: UUID, version: Int64, deleted: Bool, stateJSON: Data?) throws(CorruptRow) -> EntitySnapshot {
        guard !deleted else { return EntitySnapshot(kind: kind, id: id, version: Int(version), state: nil) }
        guard let stateJSON else { throw CorruptRow("live \(kind.rawValue) \(id) has no state") }
        return EntitySnapshot(kind: kind, id: id, version: Int(version), state: try EntityStateJSON.decode(kind, from: stateJSON))
    }
}

extension UUID {
    /// The store's canonical text form (``lowercasedString``).
    var storeText: String { lowercasedString }

    init(storeText text: String) throws(CorruptRow) {
        guard let uuid = UUID(text: text) else { throw CorruptRow("invalid UUID \"\(text)\"") }
        self = uuid
    }
}
