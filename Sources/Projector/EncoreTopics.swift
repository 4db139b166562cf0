import Domain
import Kafka
import Logging

/// Encore's topics: one per aggregate plus the dead-letter topic.
public enum EncoreTopics {
    /// The topic names for a prefix, aggregates first.
    public static func names(prefix: String) -> [String] {
        EntityKind.allCases.map { $0.topic(prefix: prefix) } + ["\(prefix).dead-letter"]
    }

    /// Creates any of Encore's topics that do not exist yet.
    public static func ensure(brokers: String, prefix: String, partitions: Int32, logger: Logger) async throws {
        try await KafkaAdmin.with(configuration: KafkaConfiguration(bootstrapServers: brokers), logger: logger) { admin in
            try await admin.createTopics(names(prefix: prefix).map { TopicSpecification(name: $0, partitions: partitions) }, ifNotExists: true)
        }
    }
}
