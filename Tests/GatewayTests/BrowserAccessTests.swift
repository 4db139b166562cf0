import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Log
import Logging
import Store
import Testing

@testable import Gateway

/// What a browser page needs: CORS for the configured origins (preflights answered before auth,
/// errors readable too) and, on event streams only, the token in `access_token` because
/// `EventSource` cannot send an `Authorization` header.
@Suite("Browser access: CORS for configured origins, access_token on event streams only")
struct BrowserAccessTests {
    static let logger = Logger(label: "browser-access-test")
    static let alice = UUID()
    static let app = "http://app.example:3000"

    static func configuration(origins: [String]) throws -> GatewayConfiguration {
        var configuration = GatewayConfiguration(
            log: LogLocation(brokers: "127.0.0.1:1", topicPrefix: "encore", kafkaProperties: [:]), authMode: .jwt,
            jwtSecret: String(repeating: "s", count: 32))
        configuration.crossOrigin = try CrossOriginPolicy(origins)
        return configuration
    }

    /// The gateway over a store holding user `alice`; `body` gets a token of hers.
    static func withGateway(origins: [String], _ body: @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        let configuration = try configuration(origins: origins)
        let token = try await Authenticator(configuration: configuration, logger: logger).issue(for: alice)
        try await withInProcessGateway(
            configuration, logger: logger,
            prepare: { store in
                try await store.commit(
                    ProjectionBatch(
                        kind: .user,
                        snapshots: [
                            EntitySnapshot(
                                kind: .user, id: alice, version: 1,
                                state: .user(User(fname: "Alice", lname: "A", email: "alice@example.org")))
                        ], outcomes: [], checkpoints: []))
            }
        ) { client in try await body(client, token) }
    }

    static func listed(_ value: String?) -> Set<String> {
        Set((value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }

    @Test("an allowed origin's preflight is answered before auth with the methods and headers the API takes; another origin's is not")
    func preflight() async throws {
        try await Self.withGateway(origins: [Self.app]) { client, _ in
            let request: HTTPFields = [
                .origin: Self.app, .accessControlRequestMethod: "PUT",
                .accessControlRequestHeaders: "authorization, content-type, if-match",
            ]
            let allowed = try await client.execute(uri: "/api/v2/music/\(UUID().uuidString)", method: .options, headers: request)
            #expect(allowed.status == .noContent)
            #expect(allowed.headers[.accessControlAllowOrigin] == Self.app)
            #expect(Self.listed(allowed.headers[.accessControlAllowMethods]).isSuperset(of: ["get", "post", "put", "delete"]))
            #expect(
                Self.listed(allowed.headers[.accessControlAllowHeaders]).isSuperset(of: [
                    "authorization", "content-type", "if-match", "prefer", "last-event-id", "x-consistency-token",
                ]))
            #expect(allowed.headers[values: .vary].contains("Origin"))

            var other = request
            other[.origin] = "http://evil.example"
            let refused = try await client.execute(uri: "/api/v2/music/\(UUID().uuidString)", method: .options, headers: other)
            #expect(refused.status != .noContent)
            #expect(refused.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test(
        "answers to an allowed origin are readable with their headers, a 401 included; other origins' and origin-less ones carry no grant")
    func responses() async throws {
        try await Self.withGateway(origins: ["https://other.example", Self.app]) { client, token in
            let alice = "/api/v2/users/\(Self.alice.uuidString)"
            let read = try await client.execute(uri: alice, method: .get, headers: [.origin: Self.app, .authorization: "Bearer \(token)"])
            #expect(read.status == .ok)
            #expect(read.headers[.accessControlAllowOrigin] == Self.app)
            #expect(
                Self.listed(read.headers[.accessControlExposeHeaders]).isSuperset(of: [
                    "etag", "x-consistency-token", "location", "retry-after",
                ]))

            let anonymous = try await client.execute(uri: alice, method: .get, headers: [.origin: Self.app])
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.accessControlAllowOrigin] == Self.app, "the page can read why it was refused")
            #expect(Self.listed(anonymous.headers[.accessControlExposeHeaders]).contains("www-authenticate"))

            for headers: HTTPFields in [[.origin: "http://evil.example"], [:]] {
                var headers = headers
                headers[.authorization] = "Bearer \(token)"
                let response = try await client.execute(uri: alice, method: .get, headers: headers)
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == nil, "\(headers)")
                #expect(response.headers[.accessControlExposeHeaders] == nil, "\(headers)")
            }
        }
    }

    @Test("with no origins configured nothing is granted; with * every origin is")
    func noneAndAny() async throws {
        try await Self.withGateway(origins: []) { client, _ in
            let response = try await client.execute(uri: "/health", method: .get, headers: [.origin: Self.app])
            #expect(response.headers[.accessControlAllowOrigin] == nil)
            #expect(response.headers[.vary] == nil)
        }
        try await Self.withGateway(origins: ["*"]) { client, _ in
            let response = try await client.execute(uri: "/health", method: .get, headers: [.origin: "http://anywhere.example"])
            #expect(response.headers[.accessControlAllowOrigin] == "*")
        }
    }

    @Test(
        "origins are parsed as browsers send them; paths, other schemes and * among others are refused",
        arguments: [
            ("http://localhost:3000", "http://localhost:3000"), ("HTTPS://App.Example", "https://app.example"),
            ("https://app.example:443", "https://app.example"), ("http://app.example:80", "http://app.example"),
            ("https://app.example:8443", "https://app.example:8443"), ("https://app.example/", nil), ("https://app.example/page", nil),
            ("ftp://app.example", nil), ("app.example", nil), ("https://user@app.example", nil), ("https://app.example?x=1", nil),
        ] as [(String, String?)])
    func parsing(entry: String, origin: String?) throws {
        if let origin {
            #expect(try CrossOriginPolicy([entry]).origins == [origin])
        } else {
            #expect(throws: ConfigurationError.self) { try CrossOriginPolicy([entry]) }
        }
    }

    @Test("* stands alone; an empty list allows none")
    func wildcardAlone() throws {
        #expect(throws: ConfigurationError.self) { try CrossOriginPolicy(["*", "https://app.example"]) }
        #expect(try CrossOriginPolicy(["", " "]) == .none)
    }

    @Test("an event stream takes its token from access_token; a wrong one is 401, and no other route takes it")
    func accessTokenOnStreams() async throws {
        try await Self.withGateway(origins: []) { client, token in
            // A stream of an entity that does not exist: past auth it answers 404, before it 401.
            let stream = "/api/v2/music/\(UUID().uuidString)/events"
            #expect(try await client.execute(uri: "\(stream)?access_token=\(token)", method: .get).status == .notFound)
            #expect(try await client.execute(uri: stream, method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "\(stream)?access_token=nonsense", method: .get).status == .unauthorized)
            let read = try await client.execute(uri: "/api/v2/users/\(Self.alice.uuidString)?access_token=\(token)", method: .get)
            #expect(read.status == .unauthorized, "a plain read needs the Authorization header")
        }
    }
}
