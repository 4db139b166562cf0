import Foundation
@testable import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Kafka
import Logging
import Store
import StoreTesting
import Testing

/// Routes in process (HummingbirdTesting's router mode) where no broker is needed: errors,
/// validation, auth. The producer points at a closed port: nothing here may reach it.
@Suite("Gateway routes in process: errors, validation and auth without a broker")
struct RouterTests {
    static let logger = Logger(label: "router-test")

    /// Runs `body` against the gateway's router over a fresh SQLite store.
    func withRouter(auth: GatewayConfiguration.AuthMode = .none, store closeFirst: Bool = false, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await withStoreURL(.sqlite) { url in
            let store = try await StoreDatabase(url: url, logger: Self.logger).open()
            let configuration = GatewayConfiguration(brokers: "127.0.0.1:1", authMode: auth, jwtSecret: String(repeating: "s", count: 32))
            let namespaces = ActiveNamespaces(base: store, logger: Self.logger)
            try await namespaces.refresh()
            let watch = CheckpointWatch(namespaces: namespaces, logger: Self.logger)
            let producer = try KafkaProducer(configuration: .producer(bootstrapServers: "127.0.0.1:1", ["message.timeout.ms": "1000"]), logger: Self.logger)
            let services = GatewayServices(
                commands: CommandService(producer: producer, durability: nil, namespaces: namespaces, watch: watch, topicPrefix: "encore", logger: Self.logger),
                reads: ReadService(namespaces: namespaces, watch: watch, consistencyTimeout: .seconds(1)),
                authenticator: try await Authenticator(configuration: configuration),
                configuration: configuration
            )
            if closeFirst { await store.close() }
            let feed = ChangeFeed(namespaces: namespaces, settings: FeedSettings(), logger: Self.logger)
            let application = Application(router: GatewayApplication.makeRouter(services: services, feed: feed), logger: Self.logger)
            try await application.test(.router) { client in try await body(client) }
            await producer.close()
            await namespaces.close()
            await store.close()
        }
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
                let response = try await client.execute(uri: "/api/v1/music/", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                #expect((400..<500).contains(response.status.code), "\(body) → \(response.status)")
                #expect(try json(response.body)["error"] != nil)
            }
        }
    }

    @Test("with JWT auth, a write without a token is 401 and one with a bad token is 401")
    func auth() async throws {
        try await withRouter(auth: .jwt) { client in
            let response = try await client.execute(uri: "/api/v2/music", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"artist":"A","songTitle":"B"}"#))
            #expect(response.status == .unauthorized)
            let badToken = try await client.execute(uri: "/api/v2/music", method: .post, headers: [.contentType: "application/json", .authorization: "Bearer nonsense"], body: ByteBuffer(string: #"{"artist":"A","songTitle":"B"}"#))
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
