import Foundation
import HTTPTypes
import KafkaTesting
import StoreTesting
import Testing

@Suite("Operations endpoints and auth modes")
struct OperationsTests {
    @Test("/health answers; /ready reports store, broker and per-projection lag; /openapi.json documents every route")
    func operations() async throws {
        try await EncoreHarness.with(.sqlite) { encore in
            #expect(try await encore.request(.get, "/health").json["status"] as? String == "ok")
            try await encore.request(.post, "/api/v1/music/", json: ["Artist": "A", "SongTitle": "B"])
            // Ready once the gateway's lag monitor has sampled (every second) since the write. The checks
            // are read from that same answer: on a loaded machine a sample can take long enough for the
            // next one to be stale, and a sample begun before the write still counts it as lag.
            var answer: Answer?
            try await eventually("the gateway is ready with no music lag", timeout: .seconds(30)) {
                let response = try await encore.request(.get, "/ready")
                answer = response
                return response.status == .ok && (response.json["checks"] as? [String: String])?["lag.music"] == "0"
            }
            let ready = try #require(answer)
            let checks = try #require(ready.json["checks"] as? [String: String])
            #expect(checks["store"] == "ok")
            #expect(checks["broker"] == "ok")
            #expect(checks["lag.music"] == "0", "the write above was applied before its answer")

            let document = try await encore.request(.get, "/openapi.json")
            #expect(document.status == .ok)
            #expect(document.json["openapi"] as? String == "3.1.0")
            let paths = try #require(document.json["paths"] as? [String: Any])
            for path in [
                "/api/v1/user/", "/api/v1/user/{id}", "/api/v1/user/login", "/api/v1/music/", "/api/v1/playlist/{id}/add",
                "/api/v2/users", "/api/v2/music/{id}", "/api/v2/playlists/{id}/songs", "/api/v2/users/{id}/history",
                "/health", "/ready", "/metrics",
            ] {
                #expect(paths[path] != nil, "\(path) is not documented")
            }
        }
    }

    @Test("legacy auth accepts any Authorization header and refuses none")
    func legacyAuth() async throws {
        try await EncoreHarness.with(.sqlite, auth: .legacy) { encore in
            let created = try await encore.request(
                .post, "/api/v1/music/", json: ["Artist": "A", "SongTitle": "B"], headers: [.authorization: "anything"])
            #expect(created.status == .ok)
            let id = try #require(created.json["music_id"] as? String)
            let refused = try await encore.request(.get, "/api/v1/music/\(id)")
            #expect(refused.status == .unauthorized)
            #expect(refused.json["error"] as? String == "unauthorized")
            #expect(try await encore.request(.get, "/api/v1/music/\(id)", headers: [.authorization: "whatever"]).status == .ok)
            // A legacy credential may be a real secret: it never becomes the recorded actor.
            let history = try await encore.request(.get, "/api/v2/music/\(id)/history", headers: [.authorization: "whatever"])
            let entry = try #require((history.json["items"] as? [[String: Any]])?.first)
            #expect(entry["actor"] == nil)
        }
    }
}
