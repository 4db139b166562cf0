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
    let applier = ProjectionApplier(kind: .music, logger: Logger(label: "test"))

    /// Records of `encore.music` partition 0 from `offset` on, keyed by each command's entity.
    func records(_ commands: [Command], from offset: Int64 = 0) -> [LogRecord] {
        commands.enumerated().map { index, command in
            LogRecord(
                position: LogPosition(topic: "encore.music", partition: 0, offset: offset + Int64(index)),
                key: Data(command.entityID.lowercasedString.utf8), value: CommandCodec.encode(command)
            )
        }
    }

    func apply(_ records: [LogRecord], to sink: InMemoryProjectionSink) async throws -> ProjectionBatch {
        try await applier.apply(applier.folder.decode(records), records: records, to: sink)
    }

    @Test("a create and an update of one song: one snapshot at version 2, both outcomes, checkpoint one past the last record")
    func foldsAndCheckpoints() async throws {
        let sink = InMemoryProjectionSink()
        let id = UUID()
        let batch = try await apply(records([
            Command(entityID: id, action: .createMusic(Song(artist: "A", songTitle: "B"))),
            Command(entityID: id, action: .updateMusic(Song(artist: "A", songTitle: "C"))),
        ]), to: sink)
        #expect(batch.snapshots.count == 1)
        let stored = try #require(try await sink.snapshots(.music, ids: [id])[id])
        #expect(stored.version == 2)
        #expect(stored.state == .music(Song(artist: "A", songTitle: "C")))
        #expect(sink.outcomes.values.map(\.status) == [.applied, .applied])
        #expect(try await sink.checkpoints(projection: "music") == [LogPosition(topic: "encore.music", partition: 0, offset: 2)])
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
        #expect(try await sink.checkpoints(projection: "music") == [LogPosition(topic: "encore.music", partition: 0, offset: 2)])
    }

    @Test("a batch folded while the one before it commits sees that batch's entities and commands, as it would once committed")
    func foldsOverABatchStillCommitting() async throws {
        let sink = InMemoryProjectionSink()
        let song = UUID()
        let create = Command(entityID: song, action: .createMusic(Song(artist: "A", songTitle: "B")))
        let first = records([create])
        let committing = try await applier.fold(applier.folder.decode(first), records: first, over: sink)
        // Not committed yet: the update and the re-sent create are folded over the first batch.
        let update = Command(entityID: song, action: .updateMusic(Song(artist: "A", songTitle: "C")))
        let second = records([create, update], from: 1)
        let next = try await applier.fold(applier.folder.decode(second), records: second, over: sink, committing: committing)
        #expect(next.outcomes.map(\.commandID) == [update.id])
        #expect(next.outcomes.first?.status == .applied && next.outcomes.first?.version == 2)
        try await sink.commit(committing)
        try await sink.commit(next)
        #expect(try await sink.snapshots(.music, ids: [song])[song]?.state == .music(Song(artist: "A", songTitle: "C")))
        #expect(try await sink.checkpoints(projection: "music") == [LogPosition(topic: "encore.music", partition: 0, offset: 3)])
    }

    @Test("a record of another aggregate, a key that is not the entity, and bytes that are not a command are poison, not folded")
    func poison() async throws {
        let user = Command(entityID: UUID(), action: .deleteUser)
        let song = Command(entityID: UUID(), action: .createMusic(Song(artist: "A", songTitle: "B")))
        var mixed = records([user, song])
        mixed[1].key = Data(UUID().uuidString.utf8)
        mixed.append(LogRecord(position: LogPosition(topic: "encore.music", partition: 0, offset: 2), key: nil, value: Data("{".utf8)))
        let decoded = applier.folder.decode(mixed)
        #expect(decoded.commands.isEmpty)
        #expect(decoded.poison.map(\.0.position.offset) == [0, 1, 2])
    }
}
