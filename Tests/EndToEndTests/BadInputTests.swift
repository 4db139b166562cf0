import Foundation
import HTTPTypes
import StoreTesting
import Testing

@Suite("Bad input: a 4xx JSON error and nothing appended")
struct BadInputTests {
    @Test(
        "malformed JSON, wrong types, missing and unknown fields, huge bodies, bad UUIDs, unknown routes and methods",
        arguments: StoreBackend.allCases)
    func rejectedWithoutAppending(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend) { encore in
            let song = try #require(
                try await encore.request(.post, "/api/v1/music/", json: ["Artist": "A", "SongTitle": "B"]).json["music_id"] as? String)
            let before = try await encore.logEnds()
            let huge = String(repeating: "x", count: (1 << 20) + 10)
            let cases: [(HTTPRequest.Method, String, Any?, String?, HTTPResponse.Status)] = [
                (.post, "/api/v1/user/", nil, "{not json", .badRequest),
                (.post, "/api/v1/user/", nil, "[1,2]", .badRequest),
                (.post, "/api/v1/user/", ["fname": 1, "lname": "L", "email": "a@b.example"], nil, .badRequest),
                (.post, "/api/v1/user/", ["fname": "F", "lname": "L"], nil, .badRequest),
                (.post, "/api/v1/user/", ["fname": "F", "lname": "L", "email": "a@b.example", "admin": true], nil, .badRequest),
                (.post, "/api/v1/user/", ["fname": "", "lname": "L", "email": "a@b.example"], nil, .unprocessableContent),
                (.post, "/api/v1/user/", ["fname": "F", "lname": "L", "email": "nope"], nil, .unprocessableContent),
                (.post, "/api/v1/music/", nil, "{\"Artist\":\"\(huge)\",\"SongTitle\":\"t\"}", .contentTooLarge),
                (.put, "/api/v1/user/not-a-uuid", ["fname": "F", "lname": "L", "email": "a@b.example"], nil, .badRequest),
                (.get, "/api/v1/music/not-a-uuid", nil, nil, .badRequest),
                (.put, "/api/v1/user/\(UUID().uuidString)", ["fname": "F", "lname": "L", "email": "a@b.example"], nil, .notFound),
                (.post, "/api/v1/playlist/", ["Name": "P", "Playlist": "not-a-uuid"], nil, .badRequest),
                (.post, "/api/v1/playlist/", ["Name": "P", "Playlist": "\(song),\(song)"], nil, .unprocessableContent),
                (.post, "/api/v2/users", ["fname": "F", "lname": "L", "email": "a@b.example", "extra": 1], nil, .badRequest),
                (.put, "/api/v2/music/\(song)", ["artist": "A", "songTitle": "B"], nil, .ok),
                (.get, "/api/v1/nothing-here", nil, nil, .notFound),
                (.patch, "/api/v1/music/\(song)", nil, nil, .notFound),
            ]
            var appendedByOkCase = false
            for (method, uri, json, raw, expected) in cases {
                let answer = try await encore.request(method, uri, json: json, raw: raw)
                #expect(answer.status == expected, "\(method) \(uri)")
                if expected == .ok {
                    appendedByOkCase = true
                    continue
                }
                #expect(answer.json["error"] is String, "\(method) \(uri): \(answer.text.prefix(200))")
                #expect(answer.json["detail"] is String, "\(method) \(uri)")
            }
            // Only the one valid update above was appended.
            let after = try await encore.logEnds()
            #expect(appendedByOkCase)
            let grown = after.filter { before[$0.key] != $0.value }
            #expect(grown.count == 1)
            #expect(grown.values.first.map { value in before[grown.keys.first!].map { value - $0 } } == 1)
        }
    }
}
