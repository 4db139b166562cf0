import Domain
import Kafka

/// Where Encore's log is and how to reach it: the bootstrap servers, the topic prefix and the
/// operator's librdkafka properties (TLS, SASL, timeouts). One value with no defaults, so no
/// client can be made that silently drops the security settings.
public struct LogLocation: Sendable, Hashable {
    /// `bootstrap.servers`.
    public var brokers: String
    /// Topics are `<prefix>.users`, `<prefix>.music`, `<prefix>.playlists`.
    public var topicPrefix: String
    /// The operator's librdkafka properties, applied over each client's own defaults.
    public var kafkaProperties: [String: String]

    public init(brokers: String, topicPrefix: String, kafkaProperties: [String: String]) {
        self.brokers = brokers
        self.topicPrefix = topicPrefix
        self.kafkaProperties = kafkaProperties
    }

    /// A plain client (admin) with the operator's properties.
    public var admin: KafkaConfiguration { KafkaConfiguration(bootstrapServers: brokers, kafkaProperties) }

    /// A producer with Encore's producer defaults, then `defaults`, then the operator's properties.
    public func producer(_ defaults: [String: String] = [:]) -> KafkaConfiguration {
        .producer(bootstrapServers: brokers, overridden(defaults))
    }

    /// A consumer of `group` with Encore's consumer defaults, then `defaults`, then the operator's properties.
    public func consumer(group: String, sessionTimeout: Duration, _ defaults: [String: String] = [:]) -> KafkaConfiguration {
        .consumer(bootstrapServers: brokers, groupID: group, sessionTimeout: sessionTimeout, overridden(defaults))
    }

    private func overridden(_ defaults: [String: String]) -> [String: String] {
        defaults.merging(kafkaProperties) { _, operatorValue in operatorValue }
    }

    /// `kind`'s topic.
    public func topic(_ kind: EntityKind) -> String { kind.topic(prefix: topicPrefix) }

    /// The consumer group of `kind`'s projectors.
    public func projectorGroup(_ kind: EntityKind) -> String { EncoreTopics.projectorGroup(prefix: topicPrefix, kind: kind) }
}
