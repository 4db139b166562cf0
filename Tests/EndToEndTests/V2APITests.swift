import Foundation
import HTTPTypes
import StoreTesting
import Testing

@Suite("v2 API: native REST with ETags and conditional writes")
struct V2APITests {
    @Test(
        "create 201 + Location + ETag; If-Match writes; a stale version is 412 before the log, as a problem; history with outcomes",
        arguments: StoreBackend.allCases)
    func conditionalWrites(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend) { encore in
            let created = try await encore.request(.post, "/api/v2/music", json: ["artist": "Can", "songTitle": "Vitamin C"])
            #expect(created.status == .created)
            #expect(created.headers[.eTag] == "\"1\"")
            let location = try #require(created.headers[.location])
            #expect(location.hasPrefix("/api/v2/music/"))

            let read = try await encore.request(.get, location)
            #expect(read.status == .ok)
            #expect(read.json["songTitle"] as? String == "Vitamin C")
            #expect(read.headers[.eTag] == "\"1\"")

            let updated = try await encore.request(
                .put, location, json: ["artist": "Can", "songTitle": "Mother Sky"], headers: [.ifMatch: "\"1\""])
            #expect(updated.status == .ok)
            #expect(updated.headers[.eTag] == "\"2\"")
            #expect(updated.json["songTitle"] as? String == "Mother Sky")

            // A stale If-Match is refused before the log, answered at once and with respond-async too.
            let ends = try await encore.logEnds()
            for respondAsync in [false, true] {
                var headers: HTTPFields = [.ifMatch: "\"1\""]
                if respondAsync { headers[.init("Prefer")!] = "respond-async" }
                let stale = try await encore.request(.put, location, json: ["artist": "Can", "songTitle": "Halleluhwah"], headers: headers)
                #expect(stale.status == .preconditionFailed)
                #expect(stale.headers[.contentType] == "application/problem+json")
                #expect(stale.json["error"] as? String == "version_mismatch")
                #expect(stale.json["type"] as? String == "urn:encore:error:version_mismatch")
                #expect(stale.json["status"] as? Int == 412)
                #expect(stale.json["title"] as? String == "Precondition Failed")
                #expect((stale.json["detail"] as? String)?.contains("is at version 2; nothing was appended") == true, "\(stale.text)")
            }
            #expect(try await encore.request(.delete, location, headers: [.ifMatch: "\"5\""]).status == .preconditionFailed)
            #expect(try await encore.logEnds() == ends, "a refused conditional write appended nothing")
            #expect(try await encore.request(.get, location).json["songTitle"] as? String == "Mother Sky")

            let history = try await encore.request(.get, "\(location)/history")
            let items = try #require(history.json["items"] as? [[String: Any]])
            #expect(items.map { $0["type"] as? String } == ["music.create", "music.update"])
            #expect(items.map { $0["status"] as? String } == ["applied", "applied"])

            #expect(try await encore.request(.delete, location, headers: [.ifMatch: "\"2\""]).status == .noContent)
            #expect(try await encore.request(.get, location).status == .notFound)
        }
    }

    @Test("Prefer: respond-async answers 202 with a token; a read presenting the token sees the write", arguments: StoreBackend.allCases)
    func asyncWriteThenConsistentRead(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend) { encore in
            let accepted = try await encore.request(
                .post, "/api/v2/users", json: ["fname": "Sun", "lname": "Ra", "email": "sun@saturn.example"],
                headers: [.init("Prefer")!: "respond-async"])
            #expect(accepted.status == .accepted)
            let token = try #require(accepted.headers[.init("X-Consistency-Token")!])
            let location = try #require(accepted.headers[.location])
            let read = try await encore.request(.get, location, headers: [.init("X-Consistency-Token")!: token])
            #expect(read.status == .ok)
            #expect(read.json["lname"] as? String == "Ra")
            #expect(try await encore.request(.get, location, headers: [.init("X-Consistency-Token")!: "nonsense"]).status == .badRequest)
        }
    }

    @Test("playlists: songs added and removed through sub-resources; list pages with a cursor", arguments: StoreBackend.allCases)
    func playlists(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend) { encore in
            let song = try #require(
                try await encore.request(.post, "/api/v2/music", json: ["artist": "A", "songTitle": "B"]).json["id"] as? String)
            let playlist = try await encore.request(.post, "/api/v2/playlists", json: ["name": "Late", "songs": [String]()])
            #expect(playlist.status == .created)
            let location = try #require(playlist.headers[.location])
            #expect(try await encore.request(.post, "\(location)/songs", json: ["musicId": song]).json["songs"] as? [String] == [song])
            #expect(try await encore.request(.post, "\(location)/songs", json: ["musicId": song]).status == .conflict)
            #expect(try await encore.request(.put, "\(location)/name", json: ["name": "Later"]).json["name"] as? String == "Later")
            #expect(try await encore.request(.delete, "\(location)/songs/\(song)").json["songs"] as? [String] == [])
            let page = try await encore.request(.get, "/api/v2/playlists?limit=1")
            #expect((page.json["items"] as? [[String: Any]])?.count == 1)
        }
    }
}
