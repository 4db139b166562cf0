import Domain
import Foundation
import Testing

/// Applies `actions` to one entity in order, from nothing, returning every outcome.
private func outcomes(_ actions: [Action], entity: UUID = id(1)) -> (outcomes: [FoldOutcome], final: EntitySnapshot?) {
    var current: EntitySnapshot?
    var results: [FoldOutcome] = []
    for (n, action) in actions.enumerated() {
        let outcome = Fold.apply(Sample.command(action, entity: entity, n: n), to: current)
        if case .applied(let next) = outcome { current = next }
        results.append(outcome)
    }
    return (results, current)
}

private func snapshot(_ actions: [Action]) -> EntitySnapshot? { outcomes(actions).final }

private let creates: [Action] = [
    .createUser(Sample.user), .createMusic(Sample.song), .createPlaylist(Sample.playlist),
]

private func delete(of kind: EntityKind) -> Action {
    switch kind {
    case .user: .deleteUser
    case .music: .deleteMusic
    case .playlist: .deletePlaylist
    }
}

@Suite("Fold")
struct FoldTests {
    @Test("create of a new id applies at version 1", arguments: creates)
    func create(_ action: Action) throws {
        let outcome = Fold.apply(Sample.command(action, entity: id(9)), to: nil)
        guard case .applied(let snapshot) = outcome else {
            Issue.record("expected applied, got \(outcome)")
            return
        }
        #expect(snapshot.id == id(9))
        #expect(snapshot.kind == action.kind)
        #expect(snapshot.version == 1)
        #expect(!snapshot.isDeleted)
        let expectedState: EntityState =
            switch action {
            case .createUser(let user): .user(user)
            case .createMusic(let song): .music(song)
            case .createPlaylist(let playlist): .playlist(playlist)
            default: fatalError("not a create")
            }
        #expect(snapshot.state == expectedState)
    }

    @Test("create after create is rejected: already-exists", arguments: creates)
    func createTwice(_ action: Action) {
        let result = outcomes([action, action])
        #expect(result.outcomes[1] == .rejected(.alreadyExists))
        #expect(result.final?.version == 1)
    }

    @Test("create after delete is rejected: deleted", arguments: creates)
    func createAfterDelete(_ action: Action) {
        let result = outcomes([action, delete(of: action.kind), action])
        #expect(result.outcomes[2] == .rejected(.deleted))
        #expect(result.final?.isDeleted == true)
        #expect(result.final?.version == 2)
    }

    @Test(
        "every non-create command on a missing entity is rejected: not-found",
        arguments: Sample.actions.filter { action in
            !creates.contains { $0.recordType == action.recordType }
        })
    func missing(_ action: Action) {
        #expect(Fold.apply(Sample.command(action), to: nil) == .rejected(.notFound))
    }

    @Test("update, rename, add and remove on a tombstone are rejected: not-found")
    func modifyDeleted() {
        let cases: [(create: Action, change: Action)] = [
            (.createUser(Sample.user), .updateUser(Sample.otherUser)),
            (.createMusic(Sample.song), .updateMusic(Sample.otherSong)),
            (.createPlaylist(Sample.playlist), .renamePlaylist(name: "x")),
            (.createPlaylist(Sample.playlist), .addSong(id(200))),
            (.createPlaylist(Sample.playlist), .removeSong(id(101))),
        ]
        for (create, change) in cases {
            let result = outcomes([create, delete(of: create.kind), change])
            #expect(result.outcomes[2] == .rejected(.notFound), "\(change)")
        }
    }

    @Test("delete of a tombstone is rejected: deleted", arguments: EntityKind.allCases)
    func deleteTwice(_ kind: EntityKind) {
        let create = creates.first { $0.kind == kind }!
        let result = outcomes([create, delete(of: kind), delete(of: kind)])
        #expect(result.outcomes[2] == .rejected(.deleted))
        #expect(result.final?.version == 2)
    }

    @Test("delete leaves a tombstone that keeps kind, id and counts the delete", arguments: EntityKind.allCases)
    func tombstone(_ kind: EntityKind) throws {
        let create = creates.first { $0.kind == kind }!
        let result = outcomes([create, delete(of: kind)])
        #expect(result.outcomes.allSatisfy { if case .applied = $0 { true } else { false } })
        let tombstone = try #require(result.final)
        #expect(tombstone.isDeleted)
        #expect(tombstone.state == nil)
        #expect(tombstone.kind == kind)
        #expect(tombstone.id == id(1))
        #expect(tombstone.version == 2)
    }

    @Test("updates replace the user's and the song's fields")
    func updates() {
        #expect(
            snapshot([.createUser(Sample.user), .updateUser(Sample.otherUser)])
                == EntitySnapshot(kind: .user, id: id(1), version: 2, state: .user(Sample.otherUser)))
        #expect(
            snapshot([.createMusic(Sample.song), .updateMusic(Sample.otherSong)])
                == EntitySnapshot(kind: .music, id: id(1), version: 2, state: .music(Sample.otherSong)))
    }

    @Test("rename, add (appends) and remove (keeps the others' order) change the playlist")
    func playlistChanges() {
        let final = snapshot([
            .createPlaylist(Playlist(name: "A", songs: [id(1), id(2), id(3)])),
            .renamePlaylist(name: "B"),
            .addSong(id(4)),
            .removeSong(id(2)),
            .addSong(id(2)),
        ])
        #expect(
            final
                == EntitySnapshot(
                    kind: .playlist, id: id(1), version: 5,
                    state: .playlist(Playlist(name: "B", songs: [id(1), id(3), id(4), id(2)]))))
    }

    @Test("adding a song already in the playlist is rejected: duplicate-song")
    func duplicateSong() {
        let result = outcomes([.createPlaylist(Sample.playlist), .addSong(id(102)), .addSong(id(300)), .addSong(id(300))])
        #expect(result.outcomes[1] == .rejected(.duplicateSong))
        #expect(result.outcomes[3] == .rejected(.duplicateSong))
        #expect(result.final?.state == .playlist(Playlist(name: Sample.playlist.name, songs: [id(101), id(102), id(300)])))
        #expect(result.final?.version == 2)
    }

    @Test("removing a song not in the playlist is rejected: song-not-in-playlist")
    func removeAbsent() {
        let result = outcomes([.createPlaylist(Sample.playlist), .removeSong(id(999)), .removeSong(id(101)), .removeSong(id(101))])
        #expect(result.outcomes[1] == .rejected(.songNotInPlaylist))
        #expect(result.outcomes[3] == .rejected(.songNotInPlaylist))
        #expect(result.final?.state == .playlist(Playlist(name: Sample.playlist.name, songs: [id(102)])))
    }

    @Test("a matching expected version applies, a different one is rejected: version-mismatch")
    func expectedVersion() throws {
        let created = try #require(snapshot([.createPlaylist(Sample.playlist)]))
        #expect(created.version == 1)
        let rename = Action.renamePlaylist(name: "Renamed")

        guard case .applied(let renamed) = Fold.apply(Sample.command(rename, expectedVersion: 1), to: created) else {
            Issue.record("expected version 1 should match")
            return
        }
        #expect(renamed.version == 2)
        for stale in [0, 2, 7, -1] {
            #expect(Fold.apply(Sample.command(rename, expectedVersion: stale), to: created) == .rejected(.versionMismatch))
        }
        // A missing entity is at version 0: a create conditioned on 0 applies, on anything else not.
        #expect(
            Fold.apply(Sample.command(.createUser(Sample.user), expectedVersion: 0), to: nil)
                == .applied(EntitySnapshot(kind: .user, id: id(1), version: 1, state: .user(Sample.user))))
        #expect(Fold.apply(Sample.command(.createUser(Sample.user), expectedVersion: 1), to: nil) == .rejected(.versionMismatch))
        // The version check comes first: a stale duplicate add is a mismatch, not a duplicate.
        #expect(Fold.apply(Sample.command(.addSong(id(101)), expectedVersion: 5), to: created) == .rejected(.versionMismatch))
        // A tombstone's version counts too.
        let tombstone = try #require(snapshot([.createUser(Sample.user), .deleteUser]))
        #expect(Fold.apply(Sample.command(.deleteUser, expectedVersion: 1), to: tombstone) == .rejected(.versionMismatch))
        #expect(Fold.apply(Sample.command(.deleteUser, expectedVersion: 2), to: tombstone) == .rejected(.deleted))
    }

    @Test("versions count applied commands only")
    func versionsCountAppliedOnly() {
        let actions: [Action] = [
            .removeSong(id(1)),  // not-found
            .createPlaylist(Sample.playlist),  // 1
            .createPlaylist(Sample.playlist),  // already-exists
            .addSong(id(101)),  // duplicate
            .addSong(id(500)),  // 2
            .removeSong(id(999)),  // not in playlist
            .renamePlaylist(name: "Z"),  // 3
            .deletePlaylist,  // 4
            .deletePlaylist,  // deleted
            .renamePlaylist(name: "Y"),  // not-found
        ]
        let result = outcomes(actions)
        var expectedVersion = 0
        for (action, outcome) in zip(actions, result.outcomes) {
            if case .applied(let next) = outcome {
                expectedVersion += 1
                #expect(next.version == expectedVersion, "\(action)")
            }
        }
        #expect(expectedVersion == 4)
        #expect(result.final?.version == 4)
        #expect(Fold.replay(actions.enumerated().map { Sample.command($1, n: $0) }) == result.final)
    }

    @Test("replay of nothing is nothing; replay ends at the last applied snapshot")
    func replay() {
        #expect(Fold.replay([Command]()) == nil)
        #expect(Fold.replay([Sample.command(.deleteUser)]) == nil)
        let commands = [Sample.command(.createMusic(Sample.song), n: 0), Sample.command(.createMusic(Sample.otherSong), n: 1)]
        #expect(Fold.replay(commands) == EntitySnapshot(kind: .music, id: id(1), version: 1, state: .music(Sample.song)))
    }
}
