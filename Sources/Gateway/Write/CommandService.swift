import Domain
import Foundation
import Kafka
import Log
import Logging
import MetadataKeys
import Metrics
import Privacy
import Store
import Tracing

/// The write role: validates a command, appends it to its topic and, when asked, waits until a
/// projector has folded it.
///
/// A command is acknowledged only after the broker's delivery report: if `send` throws, the
/// client gets 503 and nothing may be assumed appended.
struct CommandService: Sendable {
    let producer: KafkaProducer
    /// Waited for after the broker's acknowledgement, where that is not durability (dev).
    let durability: (any LogDurability)?
    let namespaces: ActiveNamespaces
    let watch: CheckpointWatch
    /// Told every position appended, so this gateway's own tokens are known to be in the log.
    let logEnds: LogEnds?
    let topicPrefix: String
    /// The users' data keys: a user's personal fields are sealed under theirs; deleting a user erases it.
    let keys: DataKeys
    let logger: Logger
    private let produceTimer = Timer(label: "encore_gateway_produce_seconds")

    init(
        producer: KafkaProducer, durability: (any LogDurability)?, namespaces: ActiveNamespaces, watch: CheckpointWatch,
        logEnds: LogEnds?, topicPrefix: String, keys: DataKeys,
        logger: Logger
    ) {
        self.logEnds = logEnds
        self.keys = keys
        self.producer = producer
        self.durability = durability
        self.namespaces = namespaces
        self.watch = watch
        self.topicPrefix = topicPrefix
        self.logger = logger
    }

    /// A command that the broker has: where it is in the log.
    struct Appended: Sendable {
        var command: Command
        var token: ConsistencyToken
    }

    /// Validates and appends; returns once the broker acknowledged.
    ///
    /// The append is a `produce` span (producer, child of the request's span) whose context
    /// goes into the record's headers, so the projector's `apply` span continues the trace.
    /// With tracing off there is no span: the caller's own `traceparent` is forwarded as is.
    func append(_ command: Command, traceparent callerTraceparent: String?) async throws -> Appended {
        // A refusal is a InvalidField: the API answers it with the field as its version names it.
        try Validation.validate(command.action)
        var logger = logger
        logger[metadataKey: MetadataKey.commandID] = "\(command.id.lowercasedString)"
        let topic = command.kind.topic(prefix: topicPrefix)
        return try await withSpan("produce \(topic)", ofKind: .producer) { span in
            span.updateAttributes { attributes in
                attributes["messaging.system"] = "kafka"
                attributes["messaging.operation.type"] = "send"
                attributes["messaging.destination.name"] = topic
                attributes["encore.command.id"] = command.id.lowercasedString
            }
            var headers: [KafkaHeader] = []
            InstrumentationSystem.instrument.inject(span.context, into: &headers, using: KafkaHeaderInjector())
            if headers.isEmpty, let callerTraceparent { headers.append(KafkaHeader("traceparent", callerTraceparent)) }
            let started = ContinuousClock.now
            let message = try await sealed(command, traceHeaders: headers)
            let report: DeliveryReport
            do {
                report = try await producer.send(message)
            } catch let error as KafkaError where error.isFatal {
                // The producer cannot be used again (its idempotence guarantee is gone): say so
                // loudly; the command was not appended.
                logger.critical("append failed, the producer is unusable until restart", metadata: [MetadataKey.error: "\(error)"])
                throw APIError.brokerUnavailable("the command was not appended: the gateway's Kafka producer failed; it must be restarted")
            } catch {
                logger.warning("append failed", metadata: [MetadataKey.error: "\(error)"])
                throw APIError.brokerUnavailable("the command was not appended: the broker did not acknowledge it in time")
            }
            do {
                try await durability?.waitUntilDurable(
                    TopicPartition(report.topic, report.partition), offset: report.offset, timeout: .seconds(5))
            } catch {
                logger.warning("append not durable", metadata: [MetadataKey.error: "\(error)"])
                throw APIError.brokerUnavailable("the command reached the broker but was not made durable in time; it may still be applied")
            }
            produceTimer.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            span.attributes["messaging.destination.partition.id"] = "\(report.partition)"
            span.attributes["messaging.kafka.offset"] = Int(report.offset)
            logger.debug(
                "command appended",
                metadata: [
                    MetadataKey.type: "\(command.action.recordType.rawValue)", MetadataKey.partition: "\(report.partition)",
                    MetadataKey.offset: "\(report.offset)",
                ])
            let token = ConsistencyToken(kind: command.kind, partition: report.partition, offset: report.offset)
            logEnds?.appended(token)
            return Appended(command: command, token: token)
        }
    }

    /// The command's record, a user's personal fields sealed under the user's data key (made
    /// now for a new user). Deleting a user erases them first: the key is destroyed, durably,
    /// before the deletion is appended, so their fields are unreadable in every copy of the log.
    private func sealed(_ command: Command, traceHeaders: [KafkaHeader]) async throws -> ProducerMessage {
        do {
            switch command.action {
            case .createUser, .updateUser:
                let keyring = try await keys.keyring(writing: [command.entityID])
                return try ProducerMessage(command, sealing: keyring, topicPrefix: topicPrefix, traceHeaders: traceHeaders)
            case .deleteUser:
                try await keys.erase([command.entityID])
                logger.notice("user erased", metadata: [MetadataKey.user: "\(command.entityID.lowercasedString)"])
            default: break
            }
            return try ProducerMessage(command, sealing: NoPersonalData(), topicPrefix: topicPrefix, traceHeaders: traceHeaders)
        } catch let error as StoreError {
            logger.warning("key store unavailable", metadata: [MetadataKey.error: "\(error)"])
            throw APIError.keyStoreUnavailable
        }
    }

    /// Waits (bounded) until the projector has folded past the command, then reads its outcome;
    /// nil on timeout, or when the command was dead-lettered rather than folded.
    func outcome(of appended: Appended, timeout: Duration) async throws -> CommandOutcome? {
        guard await watch.wait(until: appended.token, timeout: timeout) else { return nil }
        return try await namespaces.store(for: appended.command.kind).outcome(commandID: appended.command.id)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
