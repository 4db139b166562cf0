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
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for command in commands {
                if inFlight == window {
                    try await group.next()
                    inFlight -= 1
                }
                let message = ProducerMessage(command, topicPrefix: topicPrefix)
                group.addTask { _ = try await producer.send(message) }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }
}
