import Domain
import Foundation
import Testing

/// The error `Validation.validate` throws for `action`, or nil if it accepts it.
private func failure(_ action: Action) -> InvalidField? {
    do {
        try Validation.validate(action)
        return nil
    } catch {
        return error
    }
}

/// Each text field, and an action carrying `value` in it (valid everywhere else).
private let textFields: [(field: InvalidField.Field, action: @Sendable (String) -> Action)] = [
    (.fname, { .createUser(User(fname: $0, lname: "L", email: "a@b.co")) }),
    (.lname, { .updateUser(User(fname: "F", lname: $0, email: "a@b.co")) }),
    (.email, { .createUser(User(fname: "F", lname: "L", email: $0)) }),
    (.artist, { .createMusic(Song(artist: $0, songTitle: "T")) }),
    (.songTitle, { .updateMusic(Song(artist: "A", songTitle: $0)) }),
    (.playlistName, { .createPlaylist(Playlist(name: $0, songs: [])) }),
    (.playlistName, { .renamePlaylist(name: $0) }),
]

@Suite("Validation")
struct ValidationTests {
    @Test("accepts good input of every action", arguments: Sample.actions)
    func accepts(_ action: Action) {
        #expect(failure(action) == nil)
    }

    @Test("accepts the limits themselves and any Unicode text")
    func acceptsLimits() {
        for (field, action) in textFields where field != .email {
            #expect(failure(action(String(repeating: "x", count: Validation.maxTextLength))) == nil, "\(field)")
            // Length counts characters, not bytes or scalars: 500 family emoji are 500 characters.
            #expect(failure(action(String(repeating: "👩‍👩‍👧", count: Validation.maxTextLength))) == nil, "\(field)")
            #expect(failure(action(" Ünïcödé  with inner spaces ")) == nil, "\(field)")
        }
        let songs = (0..<Validation.maxPlaylistSongs).map { id($0) }
        #expect(failure(.createPlaylist(Playlist(name: "big", songs: songs))) == nil)
    }

    @Test("rejects empty and blank text, naming the field")
    func blank() throws {
        for (field, action) in textFields {
            for value in ["", " ", "\t", " \n ", "\u{3000}"] {
                let error = try #require(failure(action(value)), "\(field) = \(value.debugDescription)")
                #expect(error.field == field)
                #expect(error.message == "must not be empty")
            }
        }
    }

    @Test("printable ASCII text and text with other characters get the same verdict at every limit")
    func asciiAndUnicodeAgree() throws {
        let x = { (count: Int) in String(repeating: "x", count: count) }
        let cases: [(String, String?)] = [
            (x(500), nil), (x(499) + "é", nil), (x(501), "at most 500 characters"), (x(500) + "é", "at most 500 characters"),
            ("   ", "must not be empty"), (" \u{00A0} ", "must not be empty"), (" x ", nil), (" é ", nil),
            ("a~b", nil), ("a\u{7f}b", "must not contain control characters"), ("a\u{85}b", "must not contain control characters"),
        ]
        for (value, expected) in cases {
            #expect(failure(.createMusic(Song(artist: value, songTitle: "T")))?.message == expected, "\(value.debugDescription)")
        }
    }

    @Test("rejects over-long text, naming the field")
    func overLong() throws {
        for (field, action) in textFields {
            var value = String(repeating: "x", count: Validation.maxTextLength + 1)
            if field == .email { value = String(repeating: "x", count: Validation.maxTextLength - 5) + "@b.com" }
            #expect(value.count == Validation.maxTextLength + 1)
            let error = try #require(failure(action(value)), "\(field)")
            #expect(error.field == field)
            #expect(error.message == "at most 500 characters")
        }
    }

    @Test("rejects control characters, naming the field")
    func controlCharacters() throws {
        for (field, action) in textFields {
            for control in ["\u{0}", "\u{7}", "\n", "\r", "\t", "\u{1B}", "\u{7F}", "\u{85}"] {
                let value = field == .email ? "a\(control)b@c.de" : "a\(control)b"
                let error = try #require(failure(action(value)), "\(field) with \(control.debugDescription)")
                #expect(error.field == field)
                #expect(error.message == "must not contain control characters", "\(error)")
            }
        }
    }

    @Test(
        "rejects bad email addresses",
        arguments: [
            "plain", "@example.org", "a@", "a@b", "a@.org", "a@org.", "a@@b.org", "a@b@c.org", "a b@c.org", "a@b .org",
        ])
    func badEmail(_ email: String) throws {
        let error = try #require(failure(.createUser(User(fname: "F", lname: "L", email: email))))
        #expect(error.field == .email)
        #expect(error.message == "not an email address")
    }

    @Test("accepts plausible email addresses", arguments: ["a@b.co", "first.last+tag@mail.example.org", "ü@bücher.de"])
    func goodEmail(_ email: String) {
        #expect(failure(.updateUser(User(fname: "F", lname: "L", email: email))) == nil)
    }

    @Test("rejects a playlist of more than 10,000 songs")
    func tooManySongs() throws {
        let songs = (0...Validation.maxPlaylistSongs).map { id($0) }
        #expect(songs.count == 10_001)
        let error = try #require(failure(.createPlaylist(Playlist(name: "big", songs: songs))))
        #expect(error.field == .playlistSongs)
        #expect(error.message == "at most 10000 songs")
    }

    @Test("rejects a song listed twice in a new playlist")
    func duplicateSongs() throws {
        let error = try #require(failure(.createPlaylist(Playlist(name: "dup", songs: [id(1), id(2), id(1)]))))
        #expect(error.field == .playlistSongs)
        #expect(error.message == "a song may appear only once")
    }

    @Test("the first bad field is reported, and the description names it")
    func description() throws {
        let error = try #require(failure(.createUser(User(fname: "", lname: "", email: "bad"))))
        #expect(error.field == .fname)
        #expect(error.description == "fname: must not be empty")
    }
}
