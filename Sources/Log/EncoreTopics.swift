import Domain
import Kafka
import Logging

/// Encore's names in Kafka for a topic prefix: one topic per aggregate, the dead-letter topic,
/// and the projectors' consumer groups (one per read model).
public enum EncoreTopics {
    /// The topic names for a prefix, aggregates first.
    public static func names(prefix: String) -> [String] {
        EntityKind.allCases.map { $0.topic(prefix: prefix) } + [deadLetter(prefix: prefix)]
    }

    /// Where records no projector can fold are sent, with the reason in headers.
    public static func deadLetter(prefix: String) -> String { "\(prefix).dead-letter" }

    /// Consumer group of one read model's projectors: `<prefix>.projector.<users|music|playlists>`.
    public static func projectorGroup(prefix: String, kind: EntityKind) -> String { "\(prefix).projector.\(kind.topicSuffix)" }

    /// Creates any of Encore's topics that do not exist yet.
    public static func ensure(log: LogLocation, partitions: Int32, logger: Logger) async throws {
        try await KafkaAdmin.with(configuration: log.admin, logger: logger) { admin in
            try await admin.createTopics(
                names(prefix: log.topicPrefix).map { TopicSpecification(name: $0, partitions: partitions) }, ifNotExists: true)
        }
    }
}
