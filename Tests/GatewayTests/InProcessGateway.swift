import Foundation
import Hummingbird
import HummingbirdTesting
import Kafka
import Logging
import Store
import StoreTesting

@testable import Gateway

/// Runs `body` against the gateway's router in process (HummingbirdTesting's router mode) over a
/// fresh SQLite store that `prepare` may fill (or close) first. The producer points at a closed
/// port: nothing run here may reach it.
func withInProcessGateway(
    _ configuration: GatewayConfiguration,
    logger: Logger,
    prepare: @Sendable (any ReadModelStore) async throws -> Void = { _ in },
    _ body: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    try await withStoreURL(.sqlite) { url in
        try await withTestDataKeys { keys in
            let store = try await StoreDatabase(url: url, logger: logger).open()
            let namespaces = ActiveNamespaces(base: store, logger: logger)
            try await namespaces.refresh()
            let watch = CheckpointWatch(namespaces: namespaces, logger: logger)
            let producer = try KafkaProducer(
                configuration: .producer(bootstrapServers: "127.0.0.1:1", ["message.timeout.ms": "1000"]), logger: logger)
            let services = GatewayServices(
                commands: CommandService(
                    producer: producer, durability: nil, namespaces: namespaces, watch: watch, logEnds: nil, topicPrefix: "encore",
                    keys: keys,
                    logger: logger),
                reads: ReadService(namespaces: namespaces, watch: watch, consistencyTimeout: .seconds(1), keys: keys, logEnds: nil),
                authenticator: try await Authenticator(configuration: configuration, logger: logger),
                configuration: configuration
            )
            try await prepare(store)
            let feed = ChangeFeed(namespaces: namespaces, keys: keys, settings: FeedSettings(), logger: logger)
            let application = Application(router: GatewayApplication.makeRouter(services: services, feed: feed), logger: logger)
            try await application.test(.router) { client in try await body(client) }
            await producer.close()
            await namespaces.close()
            await store.close()
        }
    }
}
