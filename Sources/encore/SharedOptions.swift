import ArgumentParser
import Domain
import Foundation
import Kafka
import Log
import Logging
import Projection
import Projector
import Store

/// Reads `ENCORE_<NAME>` so every option can come from the environment; flags win.
func environment(_ name: String, _ fallback: String) -> String {
    ProcessInfo.processInfo.environment["ENCORE_\(name)"].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
}

/// `--brokers`, `--topic-prefix`, `--partitions`: where the log is.
struct KafkaOptions: ParsableArguments {
    @Option(help: "Kafka bootstrap servers (ENCORE_BROKERS).")
    var brokers = environment("BROKERS", "127.0.0.1:9092")

    @Option(help: "Topic prefix: topics are <prefix>.users, <prefix>.music, <prefix>.playlists (ENCORE_TOPIC_PREFIX).")
    var topicPrefix = environment("TOPIC_PREFIX", "encore")

    @Option(help: "Partitions per topic when Encore creates its topics (ENCORE_PARTITIONS).")
    var partitions = Int32(environment("PARTITIONS", "6")) ?? 6

    @Option(help: "Consumer group session timeout in ms; Tansu holds JoinGroup for half of it (ENCORE_SESSION_TIMEOUT_MS).")
    var sessionTimeoutMs = Int(environment("SESSION_TIMEOUT_MS", "10000")) ?? 10000

    /// Creates the aggregate topics and the dead-letter topic unless they exist.
    func ensureTopics(logger: Logger) async throws {
        try await EncoreTopics.ensure(brokers: brokers, prefix: topicPrefix, partitions: partitions, logger: logger)
    }
}

/// `--store`: the read-model store URL.
struct StoreOptions: ParsableArguments {
    @Option(help: "Store URL: sqlite:PATH or postgres://user:password@host:port/database (ENCORE_STORE).")
    var store = environment("STORE", "sqlite:.encore/encore.db")

    /// Opens (and for SQLite, creates the folder of) the configured store.
    func open(logger: Logger) async throws -> any ReadModelStore {
        try await StoreFactory.open(url: store, namespace: "main", logger: logger)
    }
}

extension EntityKind {
    /// Read models named by their topic suffix, comma-separated: `users,music,playlists`.
    static func models(_ list: String) throws -> [EntityKind] {
        try list.split(separator: ",").map { name in
            let name = name.trimmingCharacters(in: .whitespaces)
            guard let kind = EntityKind.allCases.first(where: { $0.topicSuffix == name || $0.rawValue == name }) else {
                throw ValidationError("unknown read model \(name): use users, music or playlists")
            }
            return kind
        }
    }
}
