import Domain
import Foundation
import Hummingbird
import HummingbirdTesting
import StoreTesting
import Testing

/// One hand-made hostile request: the URI exactly as sent (already percent-encoded) and raw body bytes.
struct HostileRequest: Sendable, CustomStringConvertible {
    var name: String
    var method: HTTPRequest.Method
    var uri: String
    var body: [UInt8]?
    var expected: HTTPResponse.Status

    var description: String { "\(name): \(method) \(uri.prefix(120))" }

    /// A POST of `json` (raw text, so it may be anything) to `uri`.
    static func post(_ name: String, _ uri: String, _ json: String, _ expected: HTTPResponse.Status = .badRequest) -> HostileRequest {
        HostileRequest(name: name, method: .post, uri: uri, body: Array(json.utf8), expected: expected)
    }

    /// A GET of `uri`.
    static func get(_ name: String, _ uri: String, _ expected: HTTPResponse.Status = .badRequest) -> HostileRequest {
        HostileRequest(name: name, method: .get, uri: uri, expected: expected)
    }
}

@Suite("Hostile input: a clear 4xx JSON error, nothing appended, other clients still served")
struct HostileInputTests {
    /// How long a normal read may take while a hostile request is being handled: far above a
    /// read's usual milliseconds, far below what a request holding up the server would cause.
    /// The tests run alone (``TestLoad``), so other tests' load does not count against it.
    static let promptly = Duration.seconds(5)

    static let song = #"{"Artist":"A","SongTitle":"T"}"#

    static let bodies: [HostileRequest] = [
        .post(
            "a 4 MiB body", "/api/v1/music/", #"{"Artist":""# + String(repeating: "x", count: 4 << 20) + #"","SongTitle":"t"}"#,
            .contentTooLarge),
        .post("100,000 nested arrays", "/api/v1/music/", String(repeating: "[", count: 100_000)),
        .post("100,000 nested objects", "/api/v2/music", String(repeating: #"{"a":"#, count: 100_000)),
        .post("a closed 600-deep array", "/api/v2/users", String(repeating: "[", count: 600) + String(repeating: "]", count: 600)),
        HostileRequest(
            name: "invalid UTF-8", method: .post, uri: "/api/v1/music/",
            body: Array(#"{"Artist":""#.utf8) + [0xFF, 0xFE, 0xC0, 0xAF] + Array(#"","SongTitle":"t"}"#.utf8), expected: .badRequest),
        .post("a lone UTF-16 surrogate", "/api/v2/music", #"{"artist":"\ud800","songTitle":"t"}"#),
        .post("a NUL in a string", "/api/v1/music/", #"{"Artist":"a\u0000b","SongTitle":"t"}"#, .unprocessableContent),
        .post("an empty body", "/api/v1/music/", ""),
        .post("a number where a string goes", "/api/v1/music/", #"{"Artist":1e308,"SongTitle":"t"}"#),
        .post("an array where a string goes", "/api/v2/music", #"{"artist":["A"],"songTitle":"t"}"#),
        .post("null where a string goes", "/api/v2/users", #"{"fname":null,"lname":"L","email":"a@b.example"}"#),
        .post("an object where a string goes", "/api/v1/user/", #"{"fname":{"$ne":""},"lname":"L","email":"a@b.example"}"#),
        .post("a boolean where a string goes", "/api/v1/playlist/", #"{"Name":true}"#),
        .post("an array where the v1 song list string goes", "/api/v1/playlist/", #"{"Name":"P","Playlist":["x"]}"#),
        .post("a string where the v2 song array goes", "/api/v2/playlists", #"{"name":"P","songs":"abc"}"#),
        .post("numbers in the v2 song array", "/api/v2/playlists", #"{"name":"P","songs":[1,2]}"#),
        .post("null as the v2 song array", "/api/v2/playlists", #"{"name":"P","songs":null}"#),
        .post("a number as a song id", "/api/v1/playlist/\(UUID().uuidString)/add", #"{"music_id":5}"#),
    ]

    static let ids: [HostileRequest] = [
        .get("SQL in a path id", "/api/v1/music/%27%20OR%201=1%20--"),
        .get("SQL statement in a path id", "/api/v2/users/x%27;DROP%20TABLE%20main_entities;--"),
        .get("encoded ../ in a path id", "/api/v2/music/%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
        .get("encoded .. as a path id", "/api/v1/playlist/%2e%2e"),
        .get("../ path segments", "/api/v2/playlists/../../etc/passwd", .notFound),
        .get("a percent-encoded NUL as a path id", "/api/v2/users/%00"),
        .get("a NUL after a valid id", "/api/v2/music/\(UUID().uuidString)%00"),
        .get("SQL in a history id", "/api/v2/playlists/1%20OR%201=1/history"),
        HostileRequest(
            name: "SQL in both ids of a song removal", method: .delete, uri: "/api/v2/playlists/%27--/songs/%27%20OR%20%271%27=%271",
            expected: .badRequest),
        .get("SQL in a v2 cursor", "/api/v2/music?cursor=%27%20OR%201=1%20--"),
        .get("../ in a v1 cursor", "/api/v1/music/?after=..%2F..%2F"),
        .get("SQL after a page size", "/api/v2/users?limit=1%3BDROP%20TABLE%20x"),
        .get("a NUL as a page size", "/api/v1/playlist/?limit=%00"),
        .get("a page size past Int64", "/api/v2/playlists?limit=99999999999999999999999"),
    ]

    @Test(
        "hostile bodies and ids: a 4xx JSON error each (a problem in v2), nothing appended, normal reads answered within 5 s",
        arguments: StoreBackend.allCases)
    func hostileRequests(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend, exclusive: true) { encore in
            #expect(try await encore.request(.post, "/api/v1/music/", raw: Self.song).status == .ok)
            let before = try await encore.logEnds()
            for hostile in Self.bodies + Self.ids {
                let (answer, normal) = try await encore.sendBesideNormalRead(hostile)
                #expect(answer.status == hostile.expected, "\(hostile): \(answer.text.prefix(200))")
                // v2 errors are RFC 9457 problems; v1's keep the original clients' JSON.
                let type = hostile.uri.hasPrefix("/api/v2") ? "application/problem+json" : "application/json"
                #expect(answer.headers[.contentType]?.hasPrefix(type) == true, "\(hostile)")
                #expect(answer.json["error"] is String, "\(hostile): \(answer.text.prefix(200))")
                #expect(answer.json["detail"] is String, "\(hostile)")
                #expect(normal < Self.promptly, "a normal read beside \(hostile) took \(normal)")
            }
            #expect(try await encore.logEnds() == before)
            #expect(try await encore.request(.get, "/health").status == .ok)
        }
    }

    @Test(
        "a 10,000-song playlist is accepted (the documented limit) and 10,001 songs are 422 with nothing appended",
        arguments: StoreBackend.allCases)
    func largestPlaylist(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend, exclusive: true) { encore in
            let songs = (0...Validation.maxPlaylistSongs).map { _ in UUID() }
            try await encore.append(
                songs.map { Command(entityID: $0, actor: "test", action: .createMusic(Song(artist: "A", songTitle: "T"))) })
            try await encore.awaitProjected()
            let ids = songs.map { $0.uuidString.lowercased() }

            let before = try await encore.logEnds()
            let tooMany = [
                HostileRequest.post(
                    "10,001 songs (v2)", "/api/v2/playlists", try Self.json(["name": "Huge", "songs": ids]), .unprocessableContent),
                HostileRequest.post(
                    "10,001 songs (v1)", "/api/v1/playlist/", try Self.json(["Name": "Huge", "Playlist": ids.joined(separator: ",")]),
                    .unprocessableContent),
            ]
            for hostile in tooMany {
                let (answer, normal) = try await encore.sendBesideNormalRead(hostile)
                #expect(answer.status == hostile.expected, "\(hostile): \(answer.text.prefix(200))")
                // Each version names the field as its clients send it.
                let field = hostile.uri.hasPrefix("/api/v2") ? "songs" : "Playlist"
                #expect(answer.json["detail"] as? String == "\(field): at most \(Validation.maxPlaylistSongs) songs")
                #expect(normal < Self.promptly, "a normal read beside \(hostile) took \(normal)")
            }
            #expect(try await encore.logEnds() == before)

            let largest = Array(ids.prefix(Validation.maxPlaylistSongs))
            let create = HostileRequest.post(
                "10,000 songs", "/api/v2/playlists", try Self.json(["name": "Largest", "songs": largest]), .created)
            let (created, normal) = try await encore.sendBesideNormalRead(create)
            #expect(created.status == .created, "\(created.text.prefix(200))")
            #expect(normal < Self.promptly, "a normal read beside the 10,000-song create took \(normal)")
            let location = try #require(created.headers[.location])
            #expect(try await encore.request(.get, location).json["songs"] as? [String] == largest)
        }
    }

    private static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }
}

extension EncoreHarness {
    /// Sends `hostile` and, while it is being handled, a normal read; the hostile answer and how long the read took.
    func sendBesideNormalRead(_ hostile: HostileRequest) async throws -> (Answer, Duration) {
        async let answer = send(hostile)
        let clock = ContinuousClock()
        let started = clock.now
        let normal = try await request(.get, "/api/v1/music/?limit=1")
        let elapsed = clock.now - started
        #expect(normal.status == .ok, "normal read beside \(hostile)")
        return (try await answer, elapsed)
    }

    private func send(_ hostile: HostileRequest) async throws -> Answer {
        let headers: HTTPFields = hostile.body == nil ? [:] : [.contentType: "application/json"]
        let response = try await client.executeRequest(
            uri: hostile.uri, method: hostile.method, headers: headers, body: hostile.body.map { ByteBuffer(bytes: $0) }
        )
        return Answer(status: response.status, headers: response.headers, body: Data(buffer: response.body))
    }
}
