import Domain
import Foundation
import Store

/// Builders for snapshots and outcomes with readable defaults.
enum Fixtures {
    static func user(_ id: UUID = UUID(), version: Int = 1, fname: String = "Ada", email: String = "ada@example.com") -> EntitySnapshot {
        EntitySnapshot(kind: .user, id: id, version: version, state: .user(User(fname: fname, lname: "Lovelace", email: email)))
    }

    static func song(_ id: UUID = UUID(), version: Int = 1, title: String = "So What") -> EntitySnapshot {
        EntitySnapshot(kind: .music, id: id, version: version, state: .music(Song(artist: "Miles Davis", songTitle: title)))
    }

    static func playlist(_ id: UUID = UUID(), version: Int = 1, name: String = "Jazz", songs: [UUID] = [UUID(), UUID()]) -> EntitySnapshot {
        EntitySnapshot(kind: .playlist, id: id, version: version, state: .playlist(Playlist(name: name, songs: songs)))
    }

    static func tombstone(_ kind: EntityKind, _ id: UUID, version: Int = 2) -> EntitySnapshot {
        EntitySnapshot(kind: kind, id: id, version: version, state: nil)
    }

    /// An outcome at `offset` of `topic[partition]`; the timestamp has millisecond precision like Kafka's.
    static func outcome(
        _ commandID: UUID = UUID(), kind: EntityKind = .user, entity: UUID, offset: Int64, partition: Int32 = 0,
        topic: String = "encore.users", status: CommandOutcome.Status = .applied, rejection: Rejection? = nil,
        version: Int = 1, actor: String? = "tester"
    ) -> CommandOutcome {
        CommandOutcome(
            commandID: commandID, kind: kind, entityID: entity, recordType: kind == .user ? .userCreate : .musicCreate,
            status: status, rejection: rejection, version: version,
            position: LogPosition(topic: topic, partition: partition, offset: offset),
            timestamp: Date(timeIntervalSince1970: 1_790_000_000 + Double(offset) / 1000),
            actor: actor, envelope: Data(#"{"type":"user.create","offset":\#(offset)}"#.utf8)
        )
    }

    static func batch(
        _ kind: EntityKind = .user, snapshots: [EntitySnapshot] = [], outcomes: [CommandOutcome] = [], checkpoints: [LogPosition] = []
    ) -> ProjectionBatch {
        ProjectionBatch(kind: kind, snapshots: snapshots, outcomes: outcomes, checkpoints: checkpoints)
    }

    /// Ids in the stores' order: lowercase text order, which is also PostgreSQL's uuid order.
    static func sorted(_ ids: some Sequence<UUID>) -> [UUID] {
        ids.sorted { $0.uuidString.lowercased() < $1.uuidString.lowercased() }
    }
}
