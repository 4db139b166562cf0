import Domain
import Foundation
import Store
import Testing

@testable import Gateway

/// The wire format, byte for byte: the v1 contract and openapi.json's examples depend on it, so
/// a change in how bodies are typed or encoded must not show here.
@Suite("JSON bodies: each version's field names, exact bytes, strict request fields")
struct RepresentationTests {
    let song = UUID(uuidString: "6f1c2a54-0d7e-4d0b-9a43-2b1e8a5c9f01")!
    let other = UUID(uuidString: "0a6b3c1d-5e2f-4a8b-8c9d-1e2f3a4b5c6d")!

    func encoded(_ value: some Encodable) throws -> String {
        String(decoding: try EncoreRequestContext.makeResponseEncoder().encode(value), as: UTF8.self)
    }

    func decoded<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    @Test("v1 items carry the original's id fields and names; v2 resources id, version and lower-camel names")
    func responses() throws {
        let music = EntitySnapshot(kind: .music, id: song, version: 2, state: .music(Song(artist: "Nina Simone", songTitle: "Sinnerman")))
        let playlist = EntitySnapshot(kind: .playlist, id: other, version: 1, state: .playlist(Playlist(name: "A/B", songs: [song])))
        #expect(
            try encoded(V1.Items([music], next: song, kind: .music))
                == #"{"Count":1,"Items":[{"Artist":"Nina Simone","SongTitle":"Sinnerman","music_id":"6f1c2a54-0d7e-4d0b-9a43-2b1e8a5c9f01"}],"LastEvaluatedKey":{"music_id":"6f1c2a54-0d7e-4d0b-9a43-2b1e8a5c9f01"}}"#
        )
        #expect(
            try encoded(V1.Items([playlist], kind: .playlist))
                == #"{"Count":1,"Items":[{"Name":"A/B","Playlist":["6f1c2a54-0d7e-4d0b-9a43-2b1e8a5c9f01"],"playlist_id":"0a6b3c1d-5e2f-4a8b-8c9d-1e2f3a4b5c6d"}]}"#
        )
        #expect(try encoded(V1.WriteAnswer(kind: .user, id: song)) == #"{"user_id":"6f1c2a54-0d7e-4d0b-9a43-2b1e8a5c9f01"}"#)
        #expect(try encoded(V1.Empty()) == "{}")
        #expect(
            try encoded(V2.Page([music, playlist], next: nil))
                == #"{"items":[{"artist":"Nina Simone","id":"6f1c2a54-0d7e-4d0b-9a43-2b1e8a5c9f01","songTitle":"Sinnerman","version":2},{"id":"0a6b3c1d-5e2f-4a8b-8c9d-1e2f3a4b5c6d","name":"A/B","songs":["6f1c2a54-0d7e-4d0b-9a43-2b1e8a5c9f01"],"version":1}]}"#
        )
        let deleted = EntitySnapshot(kind: .user, id: other, version: 3, state: nil)
        #expect(try encoded(V2.Resource(snapshot: deleted)) == #"{"id":"0a6b3c1d-5e2f-4a8b-8c9d-1e2f3a4b5c6d","version":3}"#)
    }

    @Test("a history entry embeds the logged command as JSON, and omits what it does not have")
    func history() throws {
        let command = Command(entityID: song, actor: nil, action: .createMusic(Song(artist: "A", songTitle: "B")))
        let outcome = CommandOutcome(
            commandID: command.id, kind: .music, entityID: song, recordType: command.action.recordType, status: .applied, rejection: nil,
            version: 1,
            position: LogPosition(topic: "encore.music", partition: 2, offset: 41), timestamp: Date(timeIntervalSince1970: 0), actor: nil,
            envelope: CommandCodec.encodeVersion1(command)
        )
        let entry = try #require(
            JSONSerialization.jsonObject(with: Data(try encoded(V2.History(items: [.init(outcome, opened: command)])).utf8))
                as? [String: Any])
        let item = try #require((entry["items"] as? [[String: Any]])?.first)
        #expect(Set(item.keys) == ["commandId", "type", "status", "version", "timestamp", "position", "command"])
        #expect(item["timestamp"] as? String == "1970-01-01T00:00:00Z")
        #expect(item["position"] as? NSDictionary == ["topic": "encore.music", "partition": 2, "offset": 41] as NSDictionary)
        let logged = try #require(try JSONSerialization.jsonObject(with: CommandCodec.encodeVersion1(command)) as? NSDictionary)
        #expect(item["command"] as? NSDictionary == logged)
    }

    @Test("request bodies: each version's names; a missing, mistyped or unknown field is named")
    func requests() throws {
        #expect(try decoded(SongBody<V1>.self, #"{"Artist":"A","SongTitle":"B"}"#).song == Song(artist: "A", songTitle: "B"))
        #expect(try decoded(SongBody<V2>.self, #"{"artist":"A","songTitle":"B"}"#).song == Song(artist: "A", songTitle: "B"))
        #expect(try decoded(V1.PlaylistBody.self, "{\"Name\":\"P\",\"Playlist\":\" \(song), \(other)\"}").songs == [song, other])
        #expect(
            try decoded(V2.PlaylistBody.self, "{\"name\":\"P\",\"songs\":[\"\(other)\"]}").playlist == Playlist(name: "P", songs: [other]))
        #expect(try decoded(SongReference<V2>.self, "{\"musicId\":\"\(song)\"}").song == song)
        let refusals: [(String, () throws -> Any)] = [
            ("missing field SongTitle", { try decoded(SongBody<V1>.self, #"{"Artist":"A"}"#) }),
            ("artist must be a string", { try decoded(SongBody<V2>.self, #"{"artist":5,"songTitle":"B"}"#) }),
            ("fname must be a string", { try decoded(UserBody.self, #"{"fname":null,"lname":"L","email":"e@x"}"#) }),
            ("unknown field(s): Artist, x", { try decoded(SongBody<V2>.self, #"{"artist":"A","songTitle":"B","Artist":"A","x":1}"#) }),
            ("songs must be an array of UUIDs", { try decoded(V2.PlaylistBody.self, #"{"name":"P","songs":["nope"]}"#) }),
            ("songs must be an array of UUIDs", { try decoded(V2.PlaylistBody.self, #"{"name":"P","songs":"x"}"#) }),
            (
                "Playlist must be a comma-separated list of song UUIDs",
                { try decoded(V1.PlaylistBody.self, #"{"Name":"P","Playlist":"a,b"}"#) }
            ),
            ("music_id must be a UUID", { try decoded(SongReference<V1>.self, #"{"music_id":"x"}"#) }),
        ]
        for (detail, decode) in refusals {
            let error = try #require(throws: APIError.self) { try decode() }
            #expect(error.status == .badRequest && error.detail == detail)
        }
    }
}
