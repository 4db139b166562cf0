import Domain
import Foundation
import HTTPTypes
import Kafka
import KafkaTesting
import StoreTesting
import Testing

@Suite("v1 API: the original system's routes, read-after-write")
struct V1APITests {
    @Test("users: create, read, update, login, logoff, delete — each visible to the next read", arguments: StoreBackend.allCases)
    func users(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend, auth: .jwt) { encore in
            let created = try await encore.request(
                .post, "/api/v1/user/", json: ["fname": "Nina", "lname": "Simone", "email": "nina@example.org"])
            #expect(created.status == .ok)
            let id = try #require(created.json["user_id"] as? String)
            #expect(created.headers[.init("X-Consistency-Token")!] != nil)

            // Reads need a token in jwt mode.
            #expect(try await encore.request(.get, "/api/v1/user/\(id)").status == .unauthorized)
            let login = try await encore.request(.put, "/api/v1/user/login", json: ["uid": id])
            #expect(login.status == .ok)
            let auth: HTTPFields = [.authorization: "Bearer \(login.text)"]

            let read = try await encore.request(.get, "/api/v1/user/\(id)", headers: auth)
            #expect(read.status == .ok)
            #expect(read.json["Count"] as? Int == 1)
            #expect(read.item["user_id"] as? String == id)
            #expect(read.item["fname"] as? String == "Nina")
            #expect(read.item["email"] as? String == "nina@example.org")

            let updated = try await encore.request(
                .put, "/api/v1/user/\(id)", json: ["fname": "Eunice", "lname": "Waymon", "email": "eunice@example.org"], headers: auth)
            #expect(updated.status == .ok)
            #expect(try await encore.request(.get, "/api/v1/user/\(id)", headers: auth).item["fname"] as? String == "Eunice")

            let history = try await encore.request(.get, "/api/v2/users/\(id)/history", headers: [.authorization: "bearer \(login.text)"])
            #expect((history.json["items"] as? [[String: Any]])?.last?["actor"] as? String == id, "the token's user is the actor")

            #expect(try await encore.request(.put, "/api/v1/user/logoff", json: ["jwt": login.text]).status == .ok)
            #expect(try await encore.request(.delete, "/api/v1/user/\(id)", headers: auth).status == .ok)
            #expect(
                try await encore.request(.get, "/api/v1/user/\(id)", headers: auth).status == .unauthorized,
                "a deleted user's token ends with them")
            let other = try await encore.request(
                .post, "/api/v1/user/", json: ["fname": "Other", "lname": "Reader", "email": "other@example.org"])
            let otherLogin = try await encore.request(
                .put, "/api/v1/user/login", json: ["uid": try #require(other.json["user_id"] as? String)])
            let gone = try await encore.request(.get, "/api/v1/user/\(id)", headers: [.authorization: "Bearer \(otherLogin.text)"])
            #expect(gone.status == .notFound)
            #expect(gone.json["error"] as? String == "not_found")
            #expect(try await encore.request(.put, "/api/v1/user/login", json: ["uid": UUID().uuidString]).status == .notFound)
            #expect(
                try await encore.request(.get, "/api/v1/user/\(id)", headers: [.authorization: "Bearer not-a-token"]).status
                    == .unauthorized)
        }
    }

    @Test("music and playlists: create, read, list with paging, add and remove songs, delete", arguments: StoreBackend.allCases)
    func musicAndPlaylists(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend) { encore in
            var songs: [String] = []
            for index in 0..<3 {
                let song = try await encore.request(
                    .post, "/api/v1/music/", json: ["Artist": "Artist \(index)", "SongTitle": "Song \(index)"])
                #expect(song.status == .ok)
                songs.append(try #require(song.json["music_id"] as? String))
            }
            let read = try await encore.request(.get, "/api/v1/music/\(songs[1])")
            #expect(read.item["Artist"] as? String == "Artist 1")
            #expect(read.item["SongTitle"] as? String == "Song 1")

            let firstPage = try await encore.request(.get, "/api/v1/music/?limit=2")
            #expect(firstPage.json["Count"] as? Int == 2)
            let cursor = try #require((firstPage.json["LastEvaluatedKey"] as? [String: Any])?["music_id"] as? String)
            let secondPage = try await encore.request(.get, "/api/v1/music/?limit=2&after=\(cursor)")
            #expect(secondPage.json["Count"] as? Int == 1)
            let listed = ((firstPage.json["Items"] as? [[String: Any]] ?? []) + (secondPage.json["Items"] as? [[String: Any]] ?? []))
                .compactMap { $0["music_id"] as? String }
            #expect(Set(listed) == Set(songs))

            let playlist = try await encore.request(
                .post, "/api/v1/playlist/", json: ["Name": "Mix", "Playlist": "\(songs[0]),\(songs[1])"])
            #expect(playlist.status == .ok)
            let id = try #require(playlist.json["playlist_id"] as? String)
            let fresh = try await encore.request(.get, "/api/v1/playlist/\(id)")
            #expect(fresh.item["Name"] as? String == "Mix")
            #expect(fresh.item["Playlist"] as? [String] == [songs[0], songs[1]])

            #expect(try await encore.request(.post, "/api/v1/playlist/\(id)/add", json: ["music_id": songs[2]]).status == .ok)
            #expect(try await encore.request(.get, "/api/v1/playlist/\(id)").item["Playlist"] as? [String] == songs)
            #expect(try await encore.request(.post, "/api/v1/playlist/\(id)/add", json: ["music_id": songs[2]]).status == .conflict)
            #expect(
                try await encore.request(.post, "/api/v1/playlist/\(id)/add", json: ["music_id": UUID().uuidString]).status == .notFound)
            #expect(try await encore.request(.post, "/api/v1/playlist/\(id)/delete", json: ["music_id": songs[0]]).status == .ok)
            #expect(try await encore.request(.get, "/api/v1/playlist/\(id)").item["Playlist"] as? [String] == [songs[1], songs[2]])
            #expect(try await encore.request(.post, "/api/v1/playlist/\(id)/delete", json: ["music_id": songs[0]]).status == .notFound)
            #expect(try await encore.request(.get, "/api/v1/playlist/").json["Count"] as? Int == 1)

            #expect(
                try await encore.request(.post, "/api/v1/playlist/", json: ["Name": "Bad", "Playlist": UUID().uuidString]).status
                    == .notFound)
            #expect(try await encore.request(.delete, "/api/v1/music/\(songs[0])").status == .ok)
            #expect(try await encore.request(.get, "/api/v1/music/\(songs[0])").status == .notFound)
            #expect(try await encore.request(.delete, "/api/v1/playlist/\(id)").status == .ok)
            #expect(try await encore.request(.get, "/api/v1/playlist/\(id)").status == .notFound)
        }
    }
}

@Suite("The log itself")
struct LogRecordTests {
    @Test(
        "every record the gateway wrote validates against its JSON Schema and carries a schema-id header; with tracing off, only the caller's traceparent"
    )
    func writtenRecordsMatchSchemas() async throws {
        try await EncoreHarness.with(.sqlite) { encore in
            let user = try #require(
                try await encore.request(.post, "/api/v1/user/", json: ["fname": "A", "lname": "B", "email": "a@b.example"]).json["user_id"]
                    as? String)
            try await encore.request(.put, "/api/v1/user/\(user)", json: ["fname": "C", "lname": "D", "email": "c@d.example"])
            try await encore.request(.delete, "/api/v1/user/\(user)")
            let song = try #require(
                try await encore.request(.post, "/api/v1/music/", json: ["Artist": "A", "SongTitle": "S"]).json["music_id"] as? String)
            try await encore.request(.put, "/api/v2/music/\(song)", json: ["artist": "A", "songTitle": "T"])
            let list = try #require(
                try await encore.request(.post, "/api/v1/playlist/", json: ["Name": "P", "Playlist": ""]).json["playlist_id"] as? String)
            try await encore.request(.put, "/api/v2/playlists/\(list)/name", json: ["name": "Q"])
            try await encore.request(.post, "/api/v1/playlist/\(list)/add", json: ["music_id": song])
            try await encore.request(.post, "/api/v1/playlist/\(list)/delete", json: ["music_id": song])
            try await encore.request(.delete, "/api/v1/playlist/\(list)")
            try await encore.request(
                .delete, "/api/v1/music/\(song)",
                headers: [.init("traceparent")!: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"])

            let consumer = try encore.broker.consumer()
            try consumer.subscribe(topics: EntityKind.allCases.map { $0.topic(prefix: encore.prefix) })
            var records: [KafkaRecord] = []
            try await eventually("11 records") {
                records += try await consumer.poll()
                return records.count >= 11
            }
            await consumer.close()
            #expect(records.count == 11)
            let result = try await RecordSchemaValidator.validate(records.map(\.value))
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.hasSuffix("11 records valid, 0 invalid\n"), "\(result.output)")
            let keyring = try await encore.keys.keyring(reading: [try #require(UUID(uuidString: user))])
            let commands = try records.map { try CommandCodec.decode($0.value, opening: keyring) }
            #expect(Set(commands.map(\.action.recordType)) == Set(RecordType.allCases))
            for (record, command) in zip(records, commands) {
                let type = command.action.recordType
                #expect(record.header("schema-id") == type.schemaID(version: type.currentVersion))
            }
            // Deleting the user erased them: their records are sealed, and their key is gone.
            for text in ["a@b.example", "c@d.example"] { #expect(!records.contains { $0.value.range(of: Data(text.utf8)) != nil }) }
            let personal = commands.filter { $0.kind == .user && $0.action != .deleteUser }.map(\.action)
            #expect(personal == [.createUser(.erased), .updateUser(.erased)])
            #expect(
                records.compactMap { $0.header("traceparent") } == ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"],
                "the caller's trace continues")
        }
    }
}
