import Domain
import Foundation
import Kafka

extension ProducerMessage {
    /// A command as a record of its aggregate's topic: keyed by entity id (so one entity's
    /// commands stay in order on one partition), with its schema id and the trace context
    /// headers of the span that produces it (see ``KafkaHeaderInjector``). A user's personal
    /// fields are sealed by `cipher`.
    public init(
        _ command: Command, sealing cipher: some PersonalDataCipher, topicPrefix: String, traceHeaders: [KafkaHeader] = []
    ) throws(PersonalDataError) {
        let type = command.action.recordType
        self.init(
            topic: command.kind.topic(prefix: topicPrefix),
            key: Data(command.entityID.lowercasedString.utf8),
            value: try CommandCodec.encode(command, sealing: cipher),
            headers: [KafkaHeader("schema-id", type.schemaID(version: type.currentVersion))] + traceHeaders
        )
    }
}

/// Appends many commands with a bounded number in flight, in order per entity; returns once
/// the broker has acknowledged every one (throws on the first failure).
public struct CommandAppender: Sendable {
    public let producer: KafkaProducer
    public let topicPrefix: String
    /// The data keys of the given users, made if new (`DataKeys.keyring(writing:)`).
    public let keys: @Sendable ([UUID]) async throws -> any PersonalDataCipher
    /// Records awaiting their delivery report at most.
    public let window: Int

    public init(
        producer: KafkaProducer, topicPrefix: String, keys: @escaping @Sendable ([UUID]) async throws -> any PersonalDataCipher,
        window: Int = 20_000
    ) {
        self.producer = producer
        self.topicPrefix = topicPrefix
        self.keys = keys
        self.window = window
    }

    public func append(_ commands: some Sequence<Command>) async throws {
        // One window at a time through `sendInOrder`: produce calls in sequence order, so the
        // idempotent producer keeps an entity's records in that order (concurrent sends did not:
        // a loaded machine appended an update before its create).
        var window: [Command] = []
        window.reserveCapacity(self.window)
        for command in commands {
            window.append(command)
            if window.count == self.window {
                try await send(window)
                window.removeAll(keepingCapacity: true)
            }
        }
        if !window.isEmpty { try await send(window) }
    }

    /// One window's records, its users' keys looked up (or made) in one go.
    private func send(_ commands: [Command]) async throws {
        let cipher = try await keys(commands.filter { $0.kind == .user }.map(\.entityID))
        _ = try await producer.sendInOrder(try commands.map { try ProducerMessage($0, sealing: cipher, topicPrefix: topicPrefix) })
    }
}
