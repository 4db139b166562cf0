import Domain
import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import Kafka
import KafkaTesting
import Log
import Logging
import Privacy
import Projection
import Projector
import Prometheus
import Store
import StoreTesting

/// The whole system in one test: a real broker, a real store, a projector and a live gateway.
struct EncoreHarness: Sendable {
    /// The gateway's HS256 secret in `jwt` mode, for tests that mint their own tokens.
    static let jwtSecret = "encore-end-to-end-test-secret-0123456789"

    let broker: TestBroker
    let store: any ReadModelStore
    let prefix: String
    let client: any TestClientProtocol
    /// The store's URL, for child processes that should share it.
    let storeURL: String?
    /// The key store kept with the store, under ``TestKeys/master`` (as child processes open it).
    let keys: DataKeys

    /// Starts everything on a fresh store of `backend`, runs `body` with an HTTP client, then stops everything.
    /// - Parameter exclusive: run alone (see ``TestLoad``), for tests that load the machine heavily.
    /// - Parameter gateway: changes to the gateway's configuration.
    static func with(
        _ backend: StoreBackend,
        auth: GatewayConfiguration.AuthMode = .none,
        exclusive: Bool = false,
        gateway: @escaping @Sendable (inout GatewayConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (EncoreHarness) async throws -> Void
    ) async throws {
        try await TestLoad.run(exclusive: exclusive) {
            try await withStoreURL(backend) { url in try await with(storeURL: url, auth: auth, gateway: gateway, body) }
        }
    }

    /// Starts everything on `storeURL`, runs `body` with an HTTP client, then stops everything.
    static func with(
        storeURL: String,
        auth: GatewayConfiguration.AuthMode = .none,
        gateway: @Sendable (inout GatewayConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (EncoreHarness) async throws -> Void
    ) async throws {
        try await TestBroker.with { broker in
            let logger = broker.logger
            let prefix = "e2e\(UUID().uuidString.prefix(6).lowercased())"
            try await EncoreTopics.ensure(
                log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                partitions: 6, logger: logger)
            try await withTestKeys(storeURL: storeURL, logger: logger) { store, keys in
                let projector = Projector(
                    configuration: ProjectorConfiguration(
                        log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                        sessionTimeout: TestBroker.sessionTimeout),
                    store: store, keys: keys, logger: logger
                )
                let projecting = Task { try await projector.run() }
                do {
                    // Writes answer once applied: wait until the projector owns every partition.
                    try await eventually("the projector owns all 18 partitions", timeout: .seconds(60)) {
                        projector.assignedPartitions.count == EntityKind.allCases.count * 6
                    }
                    var configuration = GatewayConfiguration(
                        port: 0, log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                        authMode: auth,
                        jwtSecret: Self.jwtSecret,
                        // Generous bounds: the whole suite shares 2 cores, and a 202 would fail a read-after-write check.
                        syncWriteTimeout: .seconds(30), consistencyTimeout: .seconds(30)
                    )
                    gateway(&configuration)
                    let app = try await GatewayApplication.make(
                        configuration: configuration, store: store, keys: keys, registry: PrometheusCollectorRegistry(), logger: logger
                    )
                    try await app.test(.live) { client in
                        try await body(
                            EncoreHarness(broker: broker, store: store, prefix: prefix, client: client, storeURL: storeURL, keys: keys))
                    }
                } catch {
                    projecting.cancel()
                    _ = await projecting.result
                    throw error
                }
                projecting.cancel()
                _ = await projecting.result
            }
        }
    }

    /// Where its log is.
    var log: LogLocation { LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]) }

    /// Sends a request with an optional JSON body (any JSON value, or raw bytes).
    @discardableResult
    func request(_ method: HTTPRequest.Method, _ uri: String, json: Any? = nil, raw: String? = nil, headers: HTTPFields = [:]) async throws
        -> Answer
    {
        var body: ByteBuffer?
        if let json { body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])) }
        if let raw { body = ByteBuffer(string: raw) }
        var headers = headers
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
        return Answer(status: response.status, headers: response.headers, body: Data(buffer: response.body))
    }

    /// Appends commands straight to the topics (no gateway), acknowledged by the broker.
    func append(_ commands: some Sequence<Command>) async throws {
        let producer = try broker.producer()
        do {
            try await CommandAppender(producer: producer, topicPrefix: prefix) { [keys] in try await keys.keyring(writing: $0) }
                .append(commands)
        } catch {
            await producer.close()
            throw error
        }
        await producer.close()
    }

    /// Waits until the active namespaces' checkpoints reach the log end of every partition.
    func awaitProjected(timeout: Duration = .seconds(120)) async throws {
        let admin = try broker.admin()
        let namespaces = ActiveNamespaces(base: store, logger: broker.logger)
        do {
            try await eventually("the projector has folded the whole log", timeout: timeout) {
                try await namespaces.refresh()
                for kind in EntityKind.allCases {
                    let ends = try await admin.watermarks(topic: kind.topic(prefix: prefix))
                    let checkpoints = try await namespaces.store(for: kind).checkpoints(of: kind)
                    for (partition, marks) in ends
                    where marks.high != (checkpoints.first { $0.partition == partition.partition }?.offset ?? 0) {
                        return false
                    }
                }
                return true
            }
        } catch {
            await namespaces.close()
            await admin.close()
            throw error
        }
        await namespaces.close()
        await admin.close()
    }

    /// The high watermark of every partition of Encore's topics: equal before and after means nothing was appended.
    func logEnds() async throws -> [String: Int64] {
        let admin = try broker.admin()
        var ends: [String: Int64] = [:]
        for topic in EncoreTopics.names(prefix: prefix) {
            for (partition, marks) in try await admin.watermarks(topic: topic) { ends["\(partition)"] = marks.high }
        }
        await admin.close()
        return ends
    }
}

/// An HTTP answer with JSON helpers.
struct Answer: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: Data

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The single item of a v1 `{"Items":[…],"Count":1}` answer.
    var item: [String: Any] { (json["Items"] as? [[String: Any]])?.first ?? [:] }
}
