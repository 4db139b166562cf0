import Domain
import Foundation
import Testing

/// The JSON object `CommandCodec.encode` wrote, for inspection and mutation.
private func object(_ data: Data) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

private func json(_ object: Any) throws -> Data {
    try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])
}

/// The reason `CommandCodec.decode` gives for refusing `data`, or nil (and an issue) if it accepts it.
private func poisonReason(_ data: Data, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    do {
        let command = try CommandCodec.decode(data, opening: NoPersonalData())
        Issue.record("decoded \(command) from \(String(decoding: data, as: UTF8.self))", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error.reason
    }
}

/// A valid record of `action`, changed by `edit`, as JSON.
private func record(_ action: Action, _ edit: (inout [String: Any]) -> Void) throws -> Data {
    var envelope = try object(CommandCodec.encodeVersion1(Sample.command(action, expectedVersion: 2, actor: "ada")))
    edit(&envelope)
    return try json(envelope)
}

private func editPayload(_ envelope: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
    var payload = envelope["payload"] as! [String: Any]
    edit(&payload)
    envelope["payload"] = payload
}

@Suite("CommandCodec")
struct CommandCodecTests {
    @Test("the samples cover every record type")
    func samplesCoverEveryType() {
        #expect(Sample.actions.map(\.recordType) == RecordType.allCases)
    }

    @Test("decode(encode(c)) == c", arguments: Sample.actions)
    func roundTrip(_ action: Action) throws {
        let variants = [
            Sample.command(action),
            Sample.command(action, entity: id(77), expectedVersion: 0, actor: "encore-load", n: 876),
            Sample.command(action, expectedVersion: 41, actor: "ünïcödé \"quoted\" / slash", n: 999),
            Command(id: UUID(), entityID: UUID(), timestamp: utc(1999, 12, 31, 23, 59, 59, ms: 999), action: action),
        ]
        for command in variants {
            #expect(try CommandCodec.decode(CommandCodec.encodeVersion1(command), opening: NoPersonalData()) == command)
        }
    }

    @Test("round trip of edge-case payloads")
    func roundTripEdges() throws {
        let actions: [Action] = [
            .createPlaylist(Playlist(name: "empty", songs: [])),
            .createPlaylist(Playlist(name: "many", songs: (0..<1000).map { id($0) })),
            .createUser(User(fname: "😀👩‍👩‍👧", lname: "O'Brien\\", email: "x+y@z.example")),
            .renamePlaylist(name: String(repeating: "é", count: 500)),
        ]
        for action in actions {
            let command = Sample.command(action)
            #expect(try CommandCodec.decode(CommandCodec.encodeVersion1(command), opening: NoPersonalData()) == command)
        }
    }

    @Test("the envelope has exactly the documented fields")
    func envelopeShape() throws {
        let command = Command(
            id: id(5), entityID: id(6), timestamp: utc(2026, 11, 29, 7, 0, 0, ms: 123),
            actor: "ada", expectedVersion: 3, action: .addSong(id(7))
        )
        let envelope = try object(CommandCodec.encodeVersion1(command))
        #expect(
            Set(envelope.keys) == ["type", "schemaVersion", "commandId", "entityId", "timestamp", "actor", "expectedVersion", "payload"])
        #expect(envelope["type"] as? String == "playlist.add-song")
        #expect(envelope["schemaVersion"] as? Int == 1)
        #expect((envelope["commandId"] as? String).flatMap(UUID.init(uuidString:)) == id(5))
        #expect((envelope["entityId"] as? String).flatMap(UUID.init(uuidString:)) == id(6))
        #expect(envelope["timestamp"] as? String == "2026-11-29T07:00:00.123Z")
        #expect(envelope["actor"] as? String == "ada")
        #expect(envelope["expectedVersion"] as? Int == 3)
        let payload = try #require(envelope["payload"] as? [String: Any])
        #expect(Set(payload.keys) == ["music_id"])
        #expect((payload["music_id"] as? String).flatMap(UUID.init(uuidString:)) == id(7))
    }

    @Test("timestamps are written in UTC to the nearest millisecond")
    func timestampRounding() throws {
        let cases: [(Date, String)] = [
            (utc(2026, 11, 29, 7, 0, 0, ms: 123), "2026-11-29T07:00:00.123Z"),
            (utc(2026, 11, 29, 7, 0, 0, ms: 5), "2026-11-29T07:00:00.005Z"),
            (utc(2026, 11, 29, 7, 0, 0).addingTimeInterval(0.1236), "2026-11-29T07:00:00.124Z"),
            (utc(2026, 11, 29, 7, 0, 0).addingTimeInterval(0.1234), "2026-11-29T07:00:00.123Z"),
            (utc(2026, 11, 29, 7, 0, 59).addingTimeInterval(0.9997), "2026-11-29T07:01:00.000Z"),
            (utc(1969, 12, 31, 23, 59, 59, ms: 999), "1969-12-31T23:59:59.999Z"),
            (utc(2000, 2, 29), "2000-02-29T00:00:00.000Z"),
        ]
        for (date, expected) in cases {
            let command = Command(id: id(1), entityID: id(2), timestamp: date, action: .deleteMusic)
            let envelope = try object(CommandCodec.encodeVersion1(command))
            #expect(envelope["timestamp"] as? String == expected)
            // Decoding yields the whole millisecond written.
            let decoded = try CommandCodec.decode(CommandCodec.encodeVersion1(command), opening: NoPersonalData()).timestamp
            #expect(abs(decoded.timeIntervalSince(date)) <= 0.0005)
            #expect(
                try object(CommandCodec.encodeVersion1(Command(id: id(1), entityID: id(2), timestamp: decoded, action: .deleteMusic)))[
                    "timestamp"]
                    as? String == expected)
        }
    }

    @Test("absent actor and expected version are omitted, not null; deletes have an empty payload")
    func optionalFields() throws {
        let envelope = try object(CommandCodec.encodeVersion1(Sample.command(.deleteUser)))
        #expect(Set(envelope.keys) == ["type", "schemaVersion", "commandId", "entityId", "timestamp", "payload"])
        #expect((envelope["payload"] as? [String: Any])?.isEmpty == true)
    }

    @Test(
        "payload field names are the original system's",
        arguments: zip(
            Sample.actions,
            [
                ["fname", "lname", "email"], ["fname", "lname", "email"], [],
                ["Artist", "SongTitle"], ["Artist", "SongTitle"], [],
                ["Name", "Songs"], ["Name"], ["music_id"], ["music_id"], [],
            ] as [Set<String>]))
    func payloadFields(_ action: Action, _ fields: Set<String>) throws {
        let payload = try #require(try object(CommandCodec.encodeVersion1(Sample.command(action)))["payload"] as? [String: Any])
        #expect(Set(payload.keys) == fields)
    }

    // MARK: - Poison records

    @Test("not JSON")
    func notJSON() throws {
        for text in ["", "hello", "{\"type\":", "\u{FEFF}garbage"] {
            let reason = try #require(poisonReason(Data(text.utf8)))
            #expect(reason.contains("not a command envelope"), "\(text): \(reason)")
        }
        let reason = try #require(poisonReason(Data([0xFF, 0xFE, 0x00, 0x7B])))
        #expect(reason.contains("not a command envelope"))
    }

    @Test("JSON, but not an object")
    func notAnObject() throws {
        for text in ["[1,2]", "\"user.create\"", "42", "null", "true"] {
            let reason = try #require(poisonReason(Data(text.utf8)))
            #expect(reason.contains("not a command envelope"), "\(text): \(reason)")
            #expect(reason.contains("object"), "\(text): \(reason)")
        }
    }

    @Test("a missing envelope field is named", arguments: ["type", "schemaVersion", "commandId", "entityId", "timestamp", "payload"])
    func missingField(_ field: String) throws {
        let reason = try #require(poisonReason(try record(.createUser(Sample.user)) { $0[field] = nil }))
        #expect(reason.contains("missing field \(field)"), "\(reason)")
    }

    @Test("a missing payload field is named")
    func missingPayloadField() throws {
        let cases: [(Action, String)] = [
            (.createUser(Sample.user), "email"), (.updateMusic(Sample.song), "SongTitle"),
            (.createPlaylist(Sample.playlist), "Songs"), (.renamePlaylist(name: "x"), "Name"),
            (.removeSong(id(3)), "music_id"),
        ]
        for (action, field) in cases {
            let reason = try #require(poisonReason(try record(action) { editPayload(&$0) { $0[field] = nil } }))
            #expect(reason.contains("invalid payload of \(action.recordType.rawValue)"), "\(reason)")
            #expect(reason.contains("missing field \(field)"), "\(reason)")
        }
    }

    @Test("an unknown record type")
    func unknownType() throws {
        let reason = try #require(poisonReason(try record(.deleteUser) { $0["type"] = "user.merge" }))
        #expect(reason == "unknown record type user.merge")
    }

    @Test("a schema version newer than this build reads is refused, naming both", arguments: [2, 99])
    func newerVersion(_ version: Int) throws {
        let reason = try #require(poisonReason(try record(.addSong(id(3))) { $0["schemaVersion"] = version }))
        #expect(reason == "schema version \(version) of playlist.add-song is newer than this build reads (version 1)")
    }

    @Test("a schema version below 1 is refused")
    func versionZero() throws {
        let reason = try #require(poisonReason(try record(.addSong(id(3))) { $0["schemaVersion"] = 0 }))
        #expect(reason == "unknown schema version 0 of playlist.add-song")
    }

    @Test("a future schema version is refused as such even if its envelope looks different")
    func futureEnvelope() throws {
        let v3 = #"{"type":"user.create","schemaVersion":3,"id":"x","data":{"given":"Ada"}}"#
        let reason = try #require(poisonReason(Data(v3.utf8)))
        #expect(reason == "schema version 3 of user.create is newer than this build reads (version 2)")
    }

    @Test("wrong field types are named")
    func wrongTypes() throws {
        let cases: [(Action, String, Any, String)] = [
            (.createUser(Sample.user), "fname", 1, "payload.fname"),
            (.createMusic(Sample.song), "Artist", ["x"], "payload.Artist"),
            (.createPlaylist(Sample.playlist), "Songs", "id1,id2", "payload.Songs"),
            (.createPlaylist(Sample.playlist), "Name", NSNull(), "payload.Name"),
            (.addSong(id(3)), "music_id", 5, "payload.music_id"),
        ]
        for (action, field, value, path) in cases {
            let reason = try #require(poisonReason(try record(action) { editPayload(&$0) { $0[field] = value } }))
            #expect(reason.contains("invalid payload of \(action.recordType.rawValue)"), "\(reason)")
            #expect(reason.contains(path), "\(reason)")
        }
        let payloadNotObject = try #require(poisonReason(try record(.deleteUser) { $0["payload"] = [1] }))
        #expect(payloadNotObject.contains("payload"), "\(payloadNotObject)")
        let versionAsText = try #require(poisonReason(try record(.deleteUser) { $0["schemaVersion"] = "1" }))
        #expect(versionAsText.contains("schemaVersion"), "\(versionAsText)")
        let expectedAsText = try #require(poisonReason(try record(.deleteUser) { $0["expectedVersion"] = "3" }))
        #expect(expectedAsText.contains("expectedVersion"), "\(expectedAsText)")
    }

    @Test("a bad UUID is named", arguments: ["commandId", "entityId"])
    func badEnvelopeUUID(_ field: String) throws {
        for value in ["not-a-uuid", "", "00000000-0000-4000-8000-00000000000G"] {
            let reason = try #require(poisonReason(try record(.deleteMusic) { $0[field] = value }))
            #expect(reason.contains(field), "\(reason)")
            #expect(reason.localizedCaseInsensitiveContains("uuid"), "\(reason)")
        }
    }

    @Test("a bad song UUID in a payload is named")
    func badPayloadUUID() throws {
        let add = try #require(poisonReason(try record(.addSong(id(3))) { editPayload(&$0) { $0["music_id"] = "nope" } }))
        #expect(add.contains("payload.music_id"), "\(add)")
        let create = try #require(
            poisonReason(
                try record(.createPlaylist(Sample.playlist)) {
                    editPayload(&$0) { $0["Songs"] = [id(1).uuidString, "nope"] }
                }))
        #expect(create.contains("payload.Songs"), "\(create)")
    }

    @Test("a bad timestamp", arguments: ["yesterday", "2026-11-29", "2026-13-01T00:00:00.000Z", "1700000000"])
    func badTimestamp(_ value: String) throws {
        let reason = try #require(poisonReason(try record(.deleteUser) { $0["timestamp"] = value }))
        #expect(reason == "invalid timestamp \(value)")
    }

    @Test("a timestamp that is not a string")
    func timestampNotString() throws {
        let reason = try #require(poisonReason(try record(.deleteUser) { $0["timestamp"] = 1_700_000_000 }))
        #expect(reason.contains("timestamp"), "\(reason)")
    }

    @Test("a command the write side would refuse is poison, with the rule it breaks")
    func invalidCommand() throws {
        let cases: [(Action, (inout [String: Any]) -> Void, String)] = [
            (
                .createUser(Sample.user), { $0["fname"] = String(repeating: "x", count: 900_000) },
                "invalid user.create: fname: at most 500 characters"
            ),
            (.updateUser(Sample.user), { $0["email"] = "nobody" }, "invalid user.update: email: not an email address"),
            (.createMusic(Sample.song), { $0["Artist"] = " " }, "invalid music.create: Artist: must not be empty"),
            (.renamePlaylist(name: "x"), { $0["Name"] = "a\u{0}b" }, "invalid playlist.rename: Name: must not contain control characters"),
            (
                .createPlaylist(Sample.playlist), { $0["Songs"] = [id(1).uuidString, id(1).uuidString] },
                "invalid playlist.create: Playlist: a song may appear only once"
            ),
        ]
        for (action, edit, expected) in cases {
            let reason = try #require(poisonReason(try record(action) { editPayload(&$0, edit) }))
            #expect(reason == expected)
        }
    }

    @Test("a huge type name or timestamp is cut short in the reason (it travels in a record header)")
    func hugeValuesInReasons() throws {
        let huge = String(repeating: "x", count: 900_000)
        let type = try #require(poisonReason(try record(.deleteUser) { $0["type"] = huge }))
        #expect(type == "unknown record type \(huge.prefix(100))… (900000 bytes)")
        let timestamp = try #require(poisonReason(try record(.deleteUser) { $0["timestamp"] = huge }))
        #expect(timestamp == "invalid timestamp \(huge.prefix(100))… (900000 bytes)")
    }
}
