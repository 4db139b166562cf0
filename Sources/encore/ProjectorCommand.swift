import ArgumentParser
import Domain
import Kafka
import Log
import Logging
import Projection
import Projector
import ServiceLifecycle

/// `encore projector`: folds the log into the read models. Run several to share partitions.
struct ProjectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projector",
        abstract: "Fold the log into key-value read models (one consumer group per model)."
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var keyOptions: KeyOptions
    @OptionGroup var logging: LoggingOptions

    @Option(help: "Read models to maintain, comma-separated: users,music,playlists (ENCORE_MODELS).")
    var models = EnvironmentOptions.default("MODELS", "users,music,playlists")

    @Option(help: "Port serving /metrics and /health for this projector; 0 turns it off (ENCORE_METRICS_PORT).")
    var metricsPort = EnvironmentOptions.default("METRICS_PORT", 9464)

    @Option(
        help:
            "Testing and operations knob: fold at most N records per second per read model, keeping this projector deliberately behind; 0 is unthrottled (ENCORE_MAX_RECORDS_PER_SECOND)."
    )
    var maxRecordsPerSecond = EnvironmentOptions.default("MAX_RECORDS_PER_SECOND", 0)

    func validate() throws {
        _ = try EntityKind.models(models)
    }

    func run() async throws {
        try Librdkafka.requireMinimumVersion()
        let logger = logging.bootstrap(label: "encore.projector")
        let tracing = try Telemetry.tracingServices(serviceName: "encore-projector", logger: logger)
        let registry = bootstrapMetrics()
        let kinds = try EntityKind.models(models)
        let database = try await storeOptions.database(logger: logger)
        let projector = StoreServices(database: database, keyOptions: keyOptions, logger: logger) {
            [kafka, maxRecordsPerSecond, metricsPort] store, keys in
            try await kafka.ensureTopics(logger: logger)
            var configuration = kafka.projectorConfiguration(kinds: kinds)
            configuration.maxRecordsPerSecond = maxRecordsPerSecond > 0 ? maxRecordsPerSecond : nil
            var services: [any Service] = [Projector(configuration: configuration, store: store, keys: keys, logger: logger)]
            if metricsPort != 0 { services.append(MetricsEndpoint.application(registry: registry, port: metricsPort, logger: logger)) }
            return services
        }
        try await ServiceGroup(services: tracing + [database, projector], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger)
            .run()
    }
}

extension KafkaOptions {
    func projectorConfiguration(kinds: [EntityKind] = EntityKind.allCases) -> ProjectorConfiguration {
        ProjectorConfiguration(log: log, kinds: kinds, sessionTimeout: .milliseconds(sessionTimeoutMs))
    }
}
