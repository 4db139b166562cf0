import Domain
import Foundation
import Kafka

extension ProducerMessage {
    /// A command as a record of its aggregate's topic: keyed by entity id (so one entity's
    /// commands stay in order on one partition), with its schema id and the trace context
    /// headers of the span that produces it (see ``KafkaHeaderInjector``).
    public init(_ command: Command, topicPrefix: String, traceHeaders: [KafkaHeader] = []) {
        let headers = [KafkaHeader("schema-id", command.action.recordType.schemaID(version: CommandCodec.schemaVersion))] + traceHeaders
        self.init(
            topic: command.kind.topic(prefix: topicPrefix),
            key: Data(command.entityID.lowercasedString.utf8),
            value: CommandCodec.encode(command),
            headers: headers
        )
    }
}

/// Appends many commands with a bounded number in flight, in order per entity; returns once
/// the broker has acknowledged every one (throws on the first failure).
public struct CommandAppender: Sendable {
    public let producer: KafkaProducer
    public let topicPrefix: String
    /// Records awaiting their delivery report at most.
    public let window: Int

    public init(producer: KafkaProducer, topicPrefix: String, window: Int = 20_000) {
        self.producer = producer
        self.topicPrefix = topicPrefix
        self.window = window
    }

    public func append(_ commands: some Sequence<Command>) async throws {
        // One window at a time through `sendInOrder`: produce calls in sequence order, so the
        // idempotent producer keeps an entity's records in that order (concurrent sends did not:
        // a loaded machine appended an update before its create).
        var window: [ProducerMessage] = []
        window.reserveCapacity(self.window)
        for command in commands {
            window.append(ProducerMessage(command, topicPrefix: topicPrefix))
            if window.count == self.window {
                _ = try await producer.sendInOrder(window)
                window.removeAll(keepingCapacity: true)
            }
        }
        if !window.isEmpty { _ = try await producer.sendInOrder(window) }
    }
}
