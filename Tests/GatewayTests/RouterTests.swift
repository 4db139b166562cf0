import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Kafka
import Log
import Logging
import Store
import StoreTesting
import Testing

@testable import Gateway

/// Routes in process (HummingbirdTesting's router mode) where no broker is needed: errors,
/// validation, auth. The producer points at a closed port: nothing here may reach it.
@Suite("Gateway routes in process: errors, validation and auth without a broker")
struct RouterTests {
    static let logger = Logger(label: "router-test")

    /// Runs `body` against the gateway's router over a fresh SQLite store.
    func withRouter(
        auth: GatewayConfiguration.AuthMode = .none, store closeFirst: Bool = false,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let configuration = GatewayConfiguration(
            log: LogLocation(brokers: "127.0.0.1:1", topicPrefix: "encore", kafkaProperties: [:]), authMode: auth,
            jwtSecret: String(repeating: "s", count: 32))
        try await withInProcessGateway(
            configuration, logger: Self.logger, prepare: { store in if closeFirst { await store.close() } }, body)
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    @Test("an unknown route answers a JSON error, not HTML")
    func unknownRoutes() async throws {
        try await withRouter { client in
            let response = try await client.execute(uri: "/api/v3/nothing", method: .get)
            #expect(response.status == .notFound)
            #expect(try json(response.body)["error"] as? String == "not_found")
        }
    }

    @Test("malformed JSON, a missing field and an unknown field are refused before the producer is used")
    func validation() async throws {
        try await withRouter { client in
            for body in ["{", #"{"Artist":"A"}"#, #"{"Artist":"A","SongTitle":"B","x":1}"#] {
                let response = try await client.execute(
                    uri: "/api/v1/music/", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                #expect((400..<500).contains(response.status.code), "\(body) → \(response.status)")
                #expect(try json(response.body)["error"] != nil)
            }
        }
    }

    @Test("a refused field is named as the request's API version names it: v2 as a problem, v1 as before")
    func fieldNamesPerVersion() async throws {
        try await withRouter { client in
            let cases: [(uri: String, body: String, detail: String)] = [
                ("/api/v2/music", #"{"artist":" ","songTitle":"B"}"#, "artist: must not be empty"),
                ("/api/v2/playlists", #"{"name":""}"#, "name: must not be empty"),
                ("/api/v1/music/", #"{"Artist":" ","SongTitle":"B"}"#, "Artist: must not be empty"),
                ("/api/v1/playlist/", #"{"Name":""}"#, "Name: must not be empty"),
            ]
            for (uri, body, detail) in cases {
                let response = try await client.execute(
                    uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                #expect(response.status == .unprocessableContent, "\(uri)")
                let answer = try json(response.body)
                #expect(answer["detail"] as? String == detail)
                #expect(answer["error"] as? String == "invalid_field")
                if uri.hasPrefix("/api/v2") {
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(Set(answer.keys) == ["type", "title", "status", "detail", "error"])
                    #expect(answer["status"] as? Int == 422 && answer["title"] as? String == "Unprocessable Content")
                    #expect(answer["type"] as? String == "urn:encore:error:invalid_field")
                } else {
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                    #expect(Set(answer.keys) == ["detail", "error"])
                }
            }
        }
    }

    @Test("asOf and version are checked before any store read: 400 problems")
    func pastReadParameters() async throws {
        try await withRouter { client in
            let id = UUID().uuidString
            for query in ["asOf=never", "version=0", "version=-1", "version=1&asOf=2026-11-29T09:30:00Z"] {
                let response = try await client.execute(uri: "/api/v2/music/\(id)?\(query)", method: .get)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try json(response.body)["error"] as? String == "bad_request")
            }
        }
    }

    @Test("with JWT auth, a write without a token is 401 and one with a bad token is 401")
    func auth() async throws {
        try await withRouter(auth: .jwt) { client in
            let response = try await client.execute(
                uri: "/api/v2/music", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"artist":"A","songTitle":"B"}"#))
            #expect(response.status == .unauthorized)
            let badToken = try await client.execute(
                uri: "/api/v2/music", method: .post, headers: [.contentType: "application/json", .authorization: "Bearer nonsense"],
                body: ByteBuffer(string: #"{"artist":"A","songTitle":"B"}"#))
            #expect(badToken.status == .unauthorized)
        }
    }

    @Test("with JWT auth, change feeds follow the read rules: 401 without a token or with a bad one")
    func feedAuth() async throws {
        try await withRouter(auth: .jwt) { client in
            for uri in ["/api/v2/music/events", "/api/v2/users/\(UUID().uuidString)/events"] {
                let anonymous = try await client.execute(uri: uri, method: .get)
                #expect(anonymous.status == .unauthorized, "\(uri)")
                let badToken = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer nonsense"])
                #expect(badToken.status == .unauthorized, "\(uri)")
            }
        }
    }

    @Test("a store used after close is a misuse, not an outage: 500 without Retry-After, never 503")
    func storeErrorCodes() async throws {
        try await withRouter(store: true) { client in
            let response = try await client.execute(uri: "/api/v2/music/\(UUID().uuidString)", method: .get)
            #expect(response.status == .internalServerError)
            #expect(response.headers[.retryAfter] == nil)
            #expect(try json(response.body)["error"] as? String == "internal")
        }
    }
}
