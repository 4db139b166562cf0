import ArgumentParser
import Domain
import Foundation
import Kafka
import Log
import Logging
import Projection
import Projector
import ServiceLifecycle
import Store

/// `--brokers`, `--kafka-config`, `--topic-prefix`, `--partitions`: where the log is and how to
/// reach it.
struct KafkaOptions: ParsableArguments {
    @Option(
        name: .customLong("brokers"),
        help:
            "Kafka bootstrap servers (ENCORE_BROKERS; default 127.0.0.1:9092). The same setting as bootstrap.servers in the Kafka properties: give it in one place."
    )
    var brokerList: String?

    @Option(
        name: .customLong("kafka-config"),
        help: ArgumentHelp(
            "A Java-properties file of librdkafka client settings for every Kafka client (ENCORE_KAFKA_CONFIG).",
            discussion: """
                Any librdkafka property (security.protocol, sasl.*, ssl.*, timeouts…) can also be set as ENCORE_KAFKA_<PROPERTY>, \
                the name upper-cased with . as _ (ENCORE_KAFKA_SASL_PASSWORD). Precedence: variable over file over Encore's defaults. \
                Properties Encore owns (acks, enable.idempotence, group.id, …) and unknown ones are refused at start. \
                Values of secret properties are never printed.
                """
        ),
        completion: .file()
    )
    var kafkaConfig: String?

    @Option(help: "Topic prefix: topics are <prefix>.users, <prefix>.music, <prefix>.playlists (ENCORE_TOPIC_PREFIX).")
    var topicPrefix = EnvironmentOptions.default("TOPIC_PREFIX", "encore")

    @Option(help: "Partitions per topic when Encore creates its topics (ENCORE_PARTITIONS).")
    var partitions = EnvironmentOptions.default("PARTITIONS", Int32(6))

    @Option(help: "Consumer group session timeout in ms; Tansu holds JoinGroup for half of it (ENCORE_SESSION_TIMEOUT_MS).")
    var sessionTimeoutMs = EnvironmentOptions.default("SESSION_TIMEOUT_MS", 10000)

    /// Refuses unreadable, owned, unknown or invalid client settings before the command starts.
    func validate() throws {
        do {
            try clientSettings().check()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The broker list and the operator's librdkafka properties, read anew from the file and
    /// the environment (``validate()`` made sure this succeeds).
    func clientSettings() throws(KafkaError) -> KafkaClientSettings {
        let environment = ProcessInfo.processInfo.environment
        let brokers = brokerList ?? EnvironmentOptions.value(of: "BROKERS")
        return try KafkaClientSettings.load(file: kafkaConfig, environment: environment, brokers: brokers)
    }

    private var resolved: KafkaClientSettings {
        (try? clientSettings()) ?? (try! KafkaClientSettings(brokers: brokerList))
    }

    /// Where the log is: `--brokers` (else `bootstrap.servers`, else the default), the topic
    /// prefix, and the operator's librdkafka properties, applied over each client's defaults.
    var log: LogLocation {
        LogLocation(brokers: resolved.bootstrapServers, topicPrefix: topicPrefix, kafkaProperties: resolved.properties)
    }

    /// Creates the aggregate topics and the dead-letter topic unless they exist.
    func ensureTopics(logger: Logger) async throws {
        try await EncoreTopics.ensure(log: log, partitions: partitions, logger: logger)
    }
}

/// `--store`: the read-model store URL.
struct StoreOptions: ParsableArguments {
    // No default from the environment in the declaration: --help prints defaults, and a
    // PostgreSQL URL holds its password.
    @Option(
        name: .customLong("store"),
        help:
            "Store URL: sqlite:PATH or postgres://user:password@host:port/database[?sslmode=verify-full&sslrootcert=CA.pem] (ENCORE_STORE; default sqlite:.encore/encore.db)."
    )
    var storeURL: String?

    /// `--store`, else `ENCORE_STORE`, else the dev default.
    var store: String { storeURL ?? EnvironmentOptions.value(of: "STORE") ?? "sqlite:.encore/encore.db" }

    /// The configured store's database (for SQLite, its folder created), for a `ServiceGroup`.
    func database(logger: Logger) async throws -> StoreDatabase {
        try await StoreDatabase(url: store, logger: logger)
    }

    /// Runs `body` with the configured store's `main` namespace, its database running beside it.
    func withStore<T>(
        logger: Logger, isolation: isolated (any Actor)? = #isolation, _ body: (any ReadModelStore) async throws -> T
    ) async throws -> T {
        try await StoreDatabase.withStore(url: store, logger: logger, body)
    }
}

/// The services of a long-running command that use the store, run in the command's group after
/// its ``StoreDatabase`` (so the database stops after them): `make` builds them on the `main`
/// namespace's store, which is closed once they stopped.
struct StoreServices: Service {
    let database: StoreDatabase
    let logger: Logger
    let make: @Sendable (any ReadModelStore) async throws -> [any Service]

    func run() async throws {
        try await database.withStore { store in
            try await ServiceGroup(services: try await make(store), logger: logger).run()
        }
    }
}

extension EntityKind {
    /// Read models named by their topic suffix, comma-separated: `users,music,playlists`; a
    /// refusal names `option`.
    static func models(_ list: String, option: String = "--models (ENCORE_MODELS)") throws -> [EntityKind] {
        try list.split(separator: ",").map { name in
            let name = name.trimmingCharacters(in: .whitespaces)
            guard let kind = EntityKind.allCases.first(where: { $0.topicSuffix == name || $0.rawValue == name }) else {
                throw ValidationError("\(option) \(list): unknown read model \(name): use users, music or playlists")
            }
            return kind
        }
    }
}
