import Foundation
import Kafka
import LocalBroker
import Logging

/// A real Tansu broker on a free port, started for one test, with client factories.
public struct TestBroker: Sendable {
    /// The broker process; tests may stop it to simulate an outage.
    public let process: TansuBroker
    public let logger: Logger

    /// `host:port` of the broker.
    public var bootstrapServers: String { process.bootstrapServers }

    /// Session timeout for test consumer groups: Tansu holds JoinGroup for half of it.
    public static let sessionTimeout: Duration = .seconds(6)

    /// Starts a broker on a free port, runs `body`, and stops the broker even if `body` throws.
    /// - Parameter requiringAuthentication: the broker refuses clients that do not authenticate
    ///   with SASL/SCRAM-SHA-512 (and, with memory storage, has no user to accept).
    public static func with<T: Sendable>(requiringAuthentication: Bool = false, _ body: (TestBroker) async throws -> T) async throws -> T {
        let logger = Self.makeLogger()
        let executable = try TansuBroker.locateExecutable()
        let port = try TansuBroker.freePort()
        let process = TansuBroker(
            configuration: .init(
                executable: executable, port: port, clusterID: "encore-test-\(port)", requiresAuthentication: requiringAuthentication),
            logger: logger
        )
        return try await process.whileRunning { try await body(TestBroker(process: process, logger: logger)) }
    }

    /// Creates a topic with a unique name and returns the name.
    public func createTopic(_ prefix: String = "test", partitions: Int32 = 6) async throws -> String {
        let name = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try self.admin()
        defer { Task { await admin.close() } }
        try await admin.createTopics([TopicSpecification(name: name, partitions: partitions)], ifNotExists: false)
        return name
    }

    /// A producer with Encore's defaults plus `extra`.
    public func producer(_ extra: [String: String] = [:]) throws -> KafkaProducer {
        try KafkaProducer(configuration: .producer(bootstrapServers: bootstrapServers, extra), logger: logger)
    }

    /// A consumer in `group` with the test session timeout.
    public func consumer(
        group: String = "test-\(UUID().uuidString)",
        rebalanceListener: (any RebalanceListener)? = nil,
        _ extra: [String: String] = [:]
    ) throws -> KafkaConsumer {
        let configuration = KafkaConfiguration.consumer(
            bootstrapServers: bootstrapServers, groupID: group, sessionTimeout: Self.sessionTimeout,
            ["fetch.wait.max.ms": "50", "topic.metadata.refresh.interval.ms": "1000"].merging(extra) { _, new in new }
        )
        return try KafkaConsumer(configuration: configuration, logger: logger, rebalanceListener: rebalanceListener)
    }

    /// An admin client.
    public func admin() throws -> KafkaAdmin {
        try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrapServers), logger: logger)
    }

    /// Only critical logs by default (tests provoke broker errors on purpose);
    /// `ENCORE_TEST_LOG=debug` (or any level) for more.
    static func makeLogger() -> Logger {
        var logger = Logger(label: "encore.test")
        logger.logLevel = ProcessInfo.processInfo.environment["ENCORE_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }
}
