import Domain
import Foundation
import Logging
import Projection
import Store
import StoreTesting
import Testing

/// The projector's and the replay's fold-and-commit decisions, without a broker or a database.
@Suite("Projection: decode, fold and commit one batch (in memory)")
struct ProjectionApplierTests {
    let applier = ProjectionApplier(kind: .music, keys: NoPersonalData(), logger: Logger(label: "test"))

    /// Records of `encore.music` partition 0 from `offset` on, keyed by each command's entity.
    func records(_ commands: [Command], from offset: Int64 = 0) -> [LogRecord] {
        commands.enumerated().map { index, command in
            LogRecord(
                position: LogPosition(topic: "encore.music", partition: 0, offset: offset + Int64(index)),
                key: Data(command.entityID.lowercasedString.utf8), value: CommandCodec.encodeVersion1(command)
            )
        }
    }

    func apply(_ records: [LogRecord], to sink: InMemoryProjectionSink) async throws -> ProjectionBatch {
        try await applier.apply(try await applier.decode(records), records: records, to: sink)
    }

    @Test("a create and an update of one song: one snapshot at version 2, both outcomes, checkpoint one past the last record")
    func foldsAndCheckpoints() async throws {
        let sink = InMemoryProjectionSink()
        let id = UUID()
        let batch = try await apply(
            records([
                Command(entityID: id, action: .createMusic(Song(artist: "A", songTitle: "B"))),
                Command(entityID: id, action: .updateMusic(Song(artist: "A", songTitle: "C"))),
            ]), to: sink)
        #expect(batch.snapshots.count == 1)
        let stored = try #require(try await sink.snapshots(.music, ids: [id])[id])
        #expect(stored.version == 2)
        #expect(stored.state == .music(Song(artist: "A", songTitle: "C")))
        #expect(sink.outcomes.values.map(\.status) == [.applied, .applied])
        #expect(try await sink.checkpoints(of: .music) == [LogPosition(topic: "encore.music", partition: 0, offset: 2)])
    }

    @Test("an update of a song never created is stored as rejected with its reason, and no snapshot")
    func rejectsWithReason() async throws {
        let sink = InMemoryProjectionSink()
        let id = UUID()
        let command = Command(entityID: id, action: .updateMusic(Song(artist: "A", songTitle: "B")))
        _ = try await apply(records([command]), to: sink)
        let outcome = try #require(sink.outcomes[command.id])
        #expect(outcome.status == .rejected)
        #expect(outcome.rejection == .notFound)
        #expect(try await sink.snapshots(.music, ids: [id]).isEmpty)
    }

    @Test("records re-delivered behind the stored checkpoint are refused whole (fenced): nothing is applied twice")
    func fencesRedelivery() async throws {
        let sink = InMemoryProjectionSink()
        let id = UUID()
        let delivered = records([
            Command(entityID: id, action: .createMusic(Song(artist: "A", songTitle: "B"))),
            Command(entityID: id, action: .updateMusic(Song(artist: "A", songTitle: "C"))),
        ])
        _ = try await apply(delivered, to: sink)
        await #expect(throws: CheckpointFenced.self) { _ = try await apply(delivered, to: sink) }
        #expect(sink.commits == 1)
        #expect(try await sink.snapshots(.music, ids: [id])[id]?.version == 2)
    }

    @Test("a command id already applied, seen again at a new offset, is skipped: the checkpoint moves, the entity does not")
    func dedupesByCommandID() async throws {
        let sink = InMemoryProjectionSink()
        let id = UUID()
        let create = Command(entityID: id, action: .createMusic(Song(artist: "A", songTitle: "B")))
        _ = try await apply(records([create]), to: sink)
        let again = try await apply(records([create], from: 1), to: sink)
        #expect(again.outcomes.isEmpty)
        #expect(try await sink.snapshots(.music, ids: [id])[id]?.version == 1)
        #expect(try await sink.checkpoints(of: .music) == [LogPosition(topic: "encore.music", partition: 0, offset: 2)])
    }

    @Test("a record of another aggregate, a key that is not the entity, and bytes that are not a command are poison, not folded")
    func poison() async throws {
        let user = Command(entityID: UUID(), action: .deleteUser)
        let song = Command(entityID: UUID(), action: .createMusic(Song(artist: "A", songTitle: "B")))
        var mixed = records([user, song])
        mixed[1].key = Data(UUID().uuidString.utf8)
        mixed.append(LogRecord(position: LogPosition(topic: "encore.music", partition: 0, offset: 2), key: nil, value: Data("{".utf8)))
        let decoded = try await applier.decode(mixed)
        #expect(decoded.commands.isEmpty)
        #expect(decoded.poison.map(\.0.position.offset) == [0, 1, 2])
    }
}
