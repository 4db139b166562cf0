import Domain
import Foundation
import Store
import Testing

@testable import Gateway

@Suite("Write policy: who may change what in jwt mode")
struct WritePolicyTests {
    let alice = UUID()
    let bob = UUID()

    private func command(_ kind: EntityKind, _ entity: UUID, by actor: UUID?, _ action: Action) -> Command {
        Command(entityID: entity, actor: actor?.lowercasedString, action: action)
    }

    private func forbidden(_ body: () throws -> Void) -> Bool {
        do { try body() } catch let error as APIError { return error.status == .forbidden && error.code == "forbidden" } catch {
            return false
        }
        return false
    }

    @Test("a user changes and deletes only their own record; anyone registers")
    func users() throws {
        let user = User(fname: "A", lname: "B", email: "a@example.org")
        try WritePolicy.check(command(.user, alice, by: alice, .updateUser(user)), creator: nil)
        try WritePolicy.check(command(.user, alice, by: alice, .deleteUser), creator: nil)
        try WritePolicy.check(command(.user, UUID(), by: bob, .createUser(user)), creator: nil)
        #expect(forbidden { try WritePolicy.check(command(.user, alice, by: bob, .updateUser(user)), creator: nil) })
        #expect(
            forbidden { try WritePolicy.check(command(.user, alice, by: bob, .deleteUser), creator: bob.lowercasedString) },
            "who created a user record does not matter")
    }

    @Test("music and playlists: anyone signed in creates, only the creator changes; no known creator means anyone")
    func catalog() throws {
        let song = UUID()
        try WritePolicy.check(command(.music, song, by: bob, .createMusic(Song(artist: "x", songTitle: "y"))), creator: nil)
        try WritePolicy.check(command(.music, song, by: alice, .deleteMusic), creator: alice.lowercasedString)
        #expect(forbidden { try WritePolicy.check(command(.music, song, by: bob, .deleteMusic), creator: alice.lowercasedString) })
        let list = UUID()
        #expect(
            forbidden {
                try WritePolicy.check(command(.playlist, list, by: bob, .renamePlaylist(name: "mine")), creator: alice.lowercasedString)
            })
        #expect(forbidden { try WritePolicy.check(command(.playlist, list, by: bob, .addSong(song)), creator: alice.lowercasedString) })
        try WritePolicy.check(command(.playlist, list, by: alice, .removeSong(song)), creator: alice.lowercasedString)
        try WritePolicy.check(command(.playlist, list, by: bob, .deletePlaylist), creator: nil)
    }

    @Test("the creator is looked up only for signed-in changes to music and playlists")
    func needsCreator() {
        #expect(WritePolicy.needsCreator(command(.music, UUID(), by: alice, .deleteMusic)))
        #expect(WritePolicy.needsCreator(command(.playlist, UUID(), by: alice, .renamePlaylist(name: "n"))))
        #expect(!WritePolicy.needsCreator(command(.music, UUID(), by: alice, .createMusic(Song(artist: "a", songTitle: "b")))))
        #expect(!WritePolicy.needsCreator(command(.user, alice, by: alice, .deleteUser)), "a user record is judged by its id")
        #expect(!WritePolicy.needsCreator(command(.playlist, UUID(), by: nil, .deletePlaylist)), "no identity, nothing to check")
    }

    @Test("without an identity (legacy and none modes) nothing is checked")
    func anonymous() throws {
        try WritePolicy.check(command(.user, alice, by: nil, .deleteUser), creator: nil)
        try WritePolicy.check(command(.playlist, UUID(), by: nil, .deletePlaylist), creator: bob.lowercasedString)
    }

    @Test("the creator is the actor of the last applied create: a rejected create or a later update does not count")
    func creator() {
        let id = UUID()
        func outcome(_ type: RecordType, _ status: CommandOutcome.Status, _ actor: String?) -> CommandOutcome {
            CommandOutcome(
                commandID: UUID(), kind: .playlist, entityID: id, recordType: type, status: status, rejection: nil, version: 1,
                position: LogPosition(topic: "t", partition: 0, offset: 0), timestamp: Date(), actor: actor, envelope: Data())
        }
        #expect(WritePolicy.creator(in: []) == nil)
        #expect(WritePolicy.creator(in: [outcome(.playlistCreate, .applied, "a"), outcome(.playlistRename, .applied, "b")]) == "a")
        #expect(WritePolicy.creator(in: [outcome(.playlistCreate, .applied, "a"), outcome(.playlistCreate, .rejected, "b")]) == "a")
        #expect(
            WritePolicy.creator(in: [
                outcome(.playlistCreate, .applied, "a"), outcome(.playlistDelete, .applied, "a"), outcome(.playlistCreate, .applied, "c"),
            ]) == "c", "a re-created entity belongs to its new creator")
    }
}
