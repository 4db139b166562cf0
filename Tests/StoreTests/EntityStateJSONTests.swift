import Domain
import Foundation
import Testing

@testable import Store

@Suite("Entity state JSON")
struct EntityStateJSONTests {
    @Test("uses the payload field names, sorted")
    func fieldNames() {
        #expect(
            EntityStateJSON.encode(.user(User(fname: "A", lname: "B", email: "a@b.c"))) == #"{"email":"a@b.c","fname":"A","lname":"B"}"#)
        #expect(EntityStateJSON.encode(.music(Song(artist: "X", songTitle: "Y"))) == #"{"Artist":"X","SongTitle":"Y"}"#)
        let song = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
        #expect(
            EntityStateJSON.encode(.playlist(Playlist(name: "P", songs: [song])))
                == #"{"Name":"P","Songs":["e621e1f8-c36c-495a-93fc-0c247a3e6e5f"]}"#)
    }

    @Test(
        "escapes what JSON requires and decodes back",
        arguments: [
            "plain", "", #"quote " backslash \ slash /"#, "line\nbreak\r\ttab", "\u{01}\u{1f}control", "Ünïcødé ♫ 日本語 🎷", "\u{2028}",
        ])
    func roundTrip(text: String) throws {
        for state in [
            EntityState.user(User(fname: text, lname: text, email: text)),
            .music(Song(artist: text, songTitle: text)),
            .playlist(Playlist(name: text, songs: [UUID(), UUID()])),
        ] {
            let json = EntityStateJSON.encode(state)
            #expect(try EntityStateJSON.decode(state.kind, from: Data(json.utf8)) == state)
            // Any JSON parser agrees.
            #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) != nil)
        }
    }

    @Test("state that does not fit its kind is a readable error")
    func corrupt() {
        #expect(throws: CorruptRow.self) { try EntityStateJSON.decode(.user, from: Data(#"{"Artist":"X","SongTitle":"Y"}"#.utf8)) }
    }
}
