import ArgumentParser
import Foundation
import Gateway
import Kafka
import LocalBroker
import Logging
import Projector
import Prometheus
import ServiceLifecycle
import Store

/// `encore dev`: the whole system on one machine — a Tansu broker, the projectors and a gateway
/// on an embedded SQLite store — stopped by Ctrl-C.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run Encore locally: Tansu broker, projectors and gateway on SQLite. Ctrl-C stops it."
    )

    @Option(help: "Port of the gateway's HTTP API.")
    var port = 8080

    @Option(help: "Port of the local Kafka-API broker.")
    var brokerPort = 9092

    @Option(help: "Directory for the SQLite store and logs.")
    var dataDir = ".encore"

    @Option(help: "jwt, legacy or none. In dev, jwt uses ENCORE_JWT_SECRET or a random secret.")
    var auth = GatewayConfiguration.AuthMode.jwt

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try Librdkafka.requireMinimumVersion()
        let logger = logging.bootstrap(label: "encore.dev")
        let tracing = try Telemetry.tracingServices(serviceName: "encore-dev", logger: logger)
        let registry = bootstrapMetrics()
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let broker = TansuBroker(
            configuration: .init(executable: try TansuBroker.locateExecutable(), port: brokerPort, logFile: "\(dataDir)/tansu.log"),
            logger: logger
        )
        let stack = DevStack(command: self, broker: broker, registry: registry, logger: logger)
        // The group installs the signal handlers first, so Ctrl-C during start-up is clean too;
        // a shutdown that takes longer than 30 s is escalated to cancellation.
        var group = ServiceGroupConfiguration(services: (tracing + [stack]).map { .init(service: $0) }, gracefulShutdownSignals: [.sigint, .sigterm], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(30)
        try await ServiceGroup(configuration: group).run()
        logger.notice("Encore dev stopped")
    }
}

/// Starts the broker, then the projectors and the gateway over it; stops them in reverse order.
private struct DevStack: Service {
    let command: DevCommand
    let broker: TansuBroker
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    init(command: DevCommand, broker: TansuBroker, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.command = command
        self.broker = broker
        self.registry = registry
        self.logger = logger
    }

    func run() async throws {
        try await broker.start()
        let kafka = try KafkaOptions.parse(["--brokers", broker.bootstrapServers])
        let store = try await StoreFactory.open(url: "sqlite:\(command.dataDir)/encore.db", namespace: "main", logger: logger)
        do {
            try await kafka.ensureTopics(logger: logger)
            let secret = ProcessInfo.processInfo.environment["ENCORE_JWT_SECRET"] ?? UUID().uuidString
            let gateway = GatewayConfiguration(port: command.port, brokers: broker.bootstrapServers, authMode: command.auth, jwtSecret: secret)
            let app = try await GatewayApplication.make(configuration: gateway, store: store, registry: registry, logger: logger)
            let projector = Projector(configuration: kafka.projectorConfiguration(), store: store, logger: logger)
            if Task.isShuttingDownGracefully || Task.isCancelled {
                // Ctrl-C arrived while starting: nothing else to start.
                await broker.stop()
                await store.close()
                return
            }
            logger.notice("Encore dev is up; Ctrl-C stops it", metadata: [
                "api": "http://127.0.0.1:\(command.port)",
                "dashboard": "http://127.0.0.1:\(command.port)/dashboard",
                "broker": "\(broker.bootstrapServers)",
                "store": "sqlite:\(command.dataDir)/encore.db",
                "auth": "\(command.auth.rawValue)",
            ])
            // Shut down in reverse: gateway, then projectors, then the broker; escalate after 30 s.
            var services = ServiceGroupConfiguration(services: [.init(service: broker), .init(service: projector), .init(service: app)], logger: logger)
            services.maximumGracefulShutdownDuration = .seconds(30)
            try await ServiceGroup(configuration: services).run()
        } catch {
            await broker.stop()
            await store.close()
            throw error
        }
        await store.close()
    }
}
