import ArgumentParser
import Domain
import Foundation
import Gateway
import Journal
import Kafka
import LocalBroker
import Log
import Logging
import MetadataKeys
import Privacy
import Projection
import Projector
import Prometheus
import ServiceLifecycle
import Store

/// `encore dev`: the whole system on one machine — a Tansu broker, the projectors and a gateway
/// on an embedded SQLite store — stopped by Ctrl-C.
///
/// Tansu keeps its log in memory only, so the log is kept in `<data-dir>/log/` (a ``Journal``):
/// restored into the fresh broker at every start, and written to disk before any write is
/// acknowledged or folded.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run Encore locally: Tansu broker, projectors and gateway on SQLite, the log kept on disk. Ctrl-C stops it."
    )

    @Option(help: "Port of the gateway's HTTP API (ENCORE_PORT).")
    var port = EnvironmentOptions.default("PORT", 8080)

    @Option(help: "Port of the local Kafka-API broker (ENCORE_BROKER_PORT).")
    var brokerPort = EnvironmentOptions.default("BROKER_PORT", 9092)

    @Option(help: "Directory for the log, the SQLite store, the JWT secret and the broker's output (ENCORE_DATA_DIR).")
    var dataDir = EnvironmentOptions.default("DATA_DIR", ".encore")

    @Option(
        help: "jwt, legacy, none or oidc (ENCORE_AUTH). In dev, jwt signs with ENCORE_JWT_SECRET or a secret kept in the data directory.")
    var auth = EnvironmentOptions.default("AUTH", GatewayConfiguration.AuthMode.jwt)

    @OptionGroup var oidc: OIDCOptions

    @OptionGroup var crossOrigin: CrossOriginOptions

    @Option(
        help:
            "true: a write is acknowledged, and folded, only once the log journal has it on disk. false: on the broker's word alone, which is memory only here, so an acknowledged write can be lost on a crash; for measuring what the journal costs (ENCORE_DURABLE_ACKS)."
    )
    var durableAcks = EnvironmentOptions.default("DURABLE_ACKS", true)

    @OptionGroup var keyOptions: KeyOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        for (name, value) in [("PORT", port), ("BROKER_PORT", brokerPort)] where !(1...65535).contains(value) {
            throw ValidationError("port \(value) (\(name)) is not between 1 and 65535")
        }
        // The gateway starts after the broker and the log restore: refuse an unusable provider before them.
        if auth == .oidc { try oidc.configuration.validate() }
    }

    func run() async throws {
        try Librdkafka.requireMinimumVersion()
        let logger = logging.bootstrap(label: "encore.dev")
        let tracing = try Telemetry.tracingServices(serviceName: "encore-dev", logger: logger)
        let registry = bootstrapMetrics()
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let stack = DevStack(command: self, registry: registry, logger: logger)
        // The group installs the signal handlers first, so Ctrl-C during start-up is clean too;
        // a shutdown that takes longer than 30 s is escalated to cancellation.
        var group = ServiceGroupConfiguration(
            services: (tracing + [stack]).map { .init(service: $0) }, gracefulShutdownSignals: [.sigint, .sigterm], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(30)
        try await ServiceGroup(configuration: group).run()
        logger.notice("Encore dev stopped")
    }

    /// `ENCORE_JWT_SECRET`, else the secret kept in the data directory (made once, mode 0600),
    /// so tokens stay valid across restarts.
    func jwtSecret() throws -> String {
        if let secret = ProcessInfo.processInfo.environment["ENCORE_JWT_SECRET"], !secret.isEmpty { return secret }
        let path = "\(dataDir)/jwt-secret"
        if let kept = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) {
            let secret = kept.trimmingCharacters(in: .whitespacesAndNewlines)
            guard secret.utf8.count >= 32 else {
                throw ValidationError("\(path) holds a secret shorter than 32 bytes: remove it to get a new one")
            }
            return secret
        }
        var bytes = SystemRandomNumberGenerator()
        let secret = (0..<48).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &bytes)) }.joined()
        try PrivateFile.create(path, contents: secret + "\n")
        return secret
    }
}

/// Restores the log into a fresh broker, then runs the log keeper, the projectors and the
/// gateway over it; stops them in reverse order.
private struct DevStack: Service {
    let command: DevCommand
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    func run() async throws {
        let dataDir = command.dataDir
        let storeURL = "sqlite:\(dataDir)/encore.db"
        // The store is needed before the group below starts, and an SQLite database has nothing
        // to run in it: scoped to this service instead. The keys come first: a journal written
        // before user records were sealed is upgraded with them, before anything is served.
        try await DevJournalUpgrade.refuseMissingKeyStore(dataDirectory: dataDir, logger: logger)
        try await StoreDatabase.with(url: storeURL, logger: logger) { database in
            try await command.keyOptions.withDataKeys(database: database, dataDirectory: dataDir, logger: logger) { keys in
                let journal = try await DevJournalUpgrade(dataDirectory: dataDir, keys: keys, logger: logger).journal()
                try await run(journal: journal, database: database, keys: keys, storeURL: storeURL)
            }
        }
    }

    private func run(journal: Journal, database: StoreDatabase, keys: DataKeys, storeURL: String) async throws {
        let dataDir = command.dataDir
        // The cluster id is the journal's: the read models are bound to it, and it outlives
        // every broker process.
        let manifest = journal.manifest ?? JournalManifest(clusterID: "encore-dev-\(UUID().uuidString.prefix(8).lowercased())")
        if journal.manifest == nil { try journal.save(manifest) }
        let broker = TansuBroker(
            configuration: .init(
                executable: try TansuBroker.locateExecutable(), port: command.brokerPort, logFile: "\(dataDir)/tansu.log",
                clusterID: manifest.clusterID),
            logger: logger
        )
        try await broker.start()
        let kafka = try KafkaOptions.parse(["--brokers", broker.bootstrapServers])
        do {
            try await restore(journal, into: broker, kafka: kafka)
            try await database.withStore { store in
                try await checkReadModels(store, against: journal, kafka: kafka, storeURL: storeURL)
                try await kafka.ensureTopics(logger: logger)
                let keeper = LogKeeper(
                    journal: journal, brokers: kafka.log.brokers, kafkaProperties: kafka.log.kafkaProperties,
                    topics: EncoreTopics.names(prefix: kafka.log.topicPrefix), logger: logger)
                var gateway = GatewayConfiguration(
                    port: command.port, log: kafka.log, authMode: command.auth, jwtSecret: try command.jwtSecret(),
                    oidc: command.oidc.configuration
                )
                // One process owns every partition: the projectors assign them to themselves
                // rather than wait for a group rebalance.
                var projectorConfiguration = kafka.projectorConfiguration()
                projectorConfiguration.membership = .sole
                if command.durableAcks { projectorConfiguration.durability = keeper }
                let projector = Projector(configuration: projectorConfiguration, store: store, keys: keys, logger: logger)
                gateway.crossOrigin = command.crossOrigin.policy
                gateway.localProjector = projector
                if command.durableAcks { gateway.durability = keeper }
                let announcement: Logger.Metadata = [
                    MetadataKey.api: "http://127.0.0.1:\(command.port)",
                    MetadataKey.dashboard: "http://127.0.0.1:\(command.port)/dashboard",
                    MetadataKey.broker: "\(broker.bootstrapServers)",
                    MetadataKey.log: "\(dataDir)/log",
                    MetadataKey.store: "\(storeURL)",
                    MetadataKey.auth: "\(command.auth.rawValue)",
                ]
                let app = ServedAfterProjectorsStart(projector: projector) { [gateway, logger] in
                    // Made only once the projectors own their partitions: a Ctrl-C before then
                    // leaves no gateway client open.
                    let application = try await GatewayApplication.make(
                        configuration: gateway, store: store, keys: keys, registry: registry, logger: logger)
                    logger.notice("Encore dev is up; Ctrl-C stops it", metadata: announcement)
                    return application
                }
                // Shut down in reverse: gateway, projectors, the keeper (journaling what the broker
                // still has), then the broker; escalate after 30 s. After a Ctrl-C during start-up the
                // group still runs, and stops at once: every client made above is closed by its service.
                var services = ServiceGroupConfiguration(
                    services: [.init(service: broker), .init(service: keeper), .init(service: projector), .init(service: app)],
                    logger: logger
                )
                services.maximumGracefulShutdownDuration = .seconds(30)
                try await ServiceGroup(configuration: services).run()
            }
        } catch {
            await broker.stop()
            throw error
        }
    }

    /// Serves the API only once the projectors own their partitions, so that a write sent the
    /// moment `/health` answers is applied at its usual latency.
    private struct ServedAfterProjectorsStart: Service {
        let projector: Projector
        let makeGateway: @Sendable () async throws -> any Service

        func run() async throws {
            do {
                try await cancelWhenGracefulShutdown { try await projector.waitUntilStarted() }
            } catch is CancellationError {
                return  // stopped before the projectors started
            }
            try await makeGateway().run()
        }
    }

    /// Produces the journal into the fresh broker at the same offsets, and says what it restored.
    private func restore(_ journal: Journal, into broker: TansuBroker, kafka: KafkaOptions) async throws {
        guard journal.recordCount > 0 else { return }
        let display = ProgressDisplay(terminal: Terminal.standardErrorIsTTY)
        let summary = try await LogRestorer(journal: journal, kafka: kafka.log.admin, logger: logger)
            .restore { display.show($0, "restoring the log") }
        display.finish()
        logger.notice(
            "restored the log",
            metadata: [
                MetadataKey.path: "\(journal.directory.path)", MetadataKey.records: "\(summary.records)",
                MetadataKey.partitions: "\(summary.partitions)", MetadataKey.seconds: "\(String(format: "%.1f", summary.seconds))",
            ])
    }

    /// Refuses read models that the restored log cannot continue: another cluster's, or ahead of it.
    private func checkReadModels(_ store: any ReadModelStore, against journal: Journal, kafka: KafkaOptions, storeURL: String) async throws
    {
        let namespaces = ActiveNamespaces(base: store, logger: logger)
        try await namespaces.refresh()
        let integrity = LogIntegrity(log: kafka.log, logger: logger)
        let problems = try await KafkaAdmin.with(configuration: kafka.log.admin, logger: logger) {
            try await integrity.problems(admin: $0, folded: namespaces, kinds: EntityKind.allCases, bind: false)
        }
        guard !problems.isEmpty else { return }
        throw JournalError.mismatch(
            "the log journal in \(journal.directory.path) is not the log the read models in \(storeURL.dropFirst("sqlite:".count)) were built from: "
                + problems.joined(separator: "; ")
                + ". Put back the log directory that belongs to them, or remove \(storeURL.dropFirst("sqlite:".count)) to rebuild the read models from this log."
        )
    }
}
