import ArgumentParser
import Domain
import Foundation
import Kafka
import Log
import Logging
import MetadataKeys
import Privacy
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

    /// Runs `body` with the `main` namespace's store and the key store kept with it.
    func withStoreAndKeys<T>(
        _ keyOptions: KeyOptions, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ body: (any ReadModelStore, DataKeys) async throws -> T
    ) async throws -> T {
        try await StoreDatabase.with(url: store, logger: logger) { database in
            try await keyOptions.withDataKeys(database: database, logger: logger) { keys in
                try await database.withStore { try await body($0, keys) }
            }
        }
    }
}

/// The services of a long-running command that use the store, run in the command's group after
/// its ``StoreDatabase`` (so the database stops after them): `make` builds them on the `main`
/// namespace's store, which is closed once they stopped.
struct StoreServices: Service {
    let database: StoreDatabase
    let keyOptions: KeyOptions
    let logger: Logger
    let make: @Sendable (any ReadModelStore, DataKeys) async throws -> [any Service]

    func run() async throws {
        try await keyOptions.withDataKeys(database: database, logger: logger) { keys in
            try await database.withStore { store in
                try await ServiceGroup(services: try await make(store, keys), logger: logger).run()
            }
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

/// `--master-key-file`: the master key that wraps the users' data keys.
struct KeyOptions: ParsableArguments {
    @Option(
        help:
            "File holding the master key (base64 of 32 bytes) that wraps the users' data keys (ENCORE_MASTER_KEY_FILE; ENCORE_MASTER_KEY gives the key itself; default .encore/master.key, made when the key store is new)."
    )
    var masterKeyFile: String?

    /// The key store of `database` (SQLite: `keys.db` beside the store's file; PostgreSQL: schema
    /// `encore_keys`) under the configured master key. A new key store with no master key given
    /// gets a new one in the default file.
    func withDataKeys<T>(
        database: StoreDatabase, dataDirectory: String = ".encore", logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ body: (DataKeys) async throws -> T
    ) async throws -> T {
        // Like the first catalog read: a role started beside a busy database waits for it.
        let store = try await retryWhileUnavailable(
            patience: .seconds(30),
            retrying: { error in
                logger.warning("the key store is not answering yet; trying again", metadata: [MetadataKey.error: "\(error)"])
            }
        ) { try await database.openKeyStore() }
        do {
            let master = try await masterKey(for: store, dataDirectory: dataDirectory, logger: logger)
            let result = try await body(try await DataKeys(store: store, master: master))
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    private func masterKey(for store: any KeyStore, dataDirectory: String, logger: Logger) async throws -> MasterKey {
        if let text = EnvironmentOptions.value(of: "MASTER_KEY") { return try MasterKey(text: text, source: "ENCORE_MASTER_KEY") }
        if let path = masterKeyFile ?? EnvironmentOptions.value(of: "MASTER_KEY_FILE") { return try MasterKey(file: path) }
        let path = "\(dataDirectory)/master.key"
        if FileManager.default.fileExists(atPath: path) { return try MasterKey(file: path) }
        guard try await store.masterCheck() == nil else {
            throw KeyStoreRefusal(
                "the key store holds keys wrapped by a master key, and none was given (\(path) is missing): "
                    + "set ENCORE_MASTER_KEY or ENCORE_MASTER_KEY_FILE to the master key they were wrapped with")
        }
        let master = MasterKey()
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        do {
            try PrivateFile.create(path, contents: master.text + "\n")
        } catch  where FileManager.default.fileExists(atPath: path) {
            return try MasterKey(file: path)  // another role starting beside this one made it first
        }
        logger.notice(
            "new master key made for a new key store; keep it apart from the key store's backups",
            metadata: [MetadataKey.path: "\(path)"])
        return master
    }
}
