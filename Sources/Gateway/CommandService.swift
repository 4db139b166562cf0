import Domain
import Foundation
import Kafka
import Logging
import Metrics
import Projector
import Store

/// The write role: validates a command, appends it to its topic and, when asked, waits until a
/// projector has folded it.
///
/// A command is acknowledged only after the broker's delivery report: if `send` throws, the
/// client gets 503 and nothing may be assumed appended.
struct CommandService: Sendable {
    let producer: KafkaProducer
    let namespaces: ActiveNamespaces
    let topicPrefix: String
    let logger: Logger
    private let produceTimer = Timer(label: "encore_gateway_produce_seconds")

    init(producer: KafkaProducer, namespaces: ActiveNamespaces, topicPrefix: String, logger: Logger) {
        self.producer = producer
        self.namespaces = namespaces
        self.topicPrefix = topicPrefix
        self.logger = logger
    }

    /// A command that the broker has: where it is in the log.
    struct Appended: Sendable {
        var command: Command
        var token: ConsistencyToken
    }

    /// Validates and appends; returns once the broker acknowledged.
    func append(_ command: Command, traceparent: String?) async throws -> Appended {
        do {
            try Validation.validate(command.action)
        } catch {
            throw APIError.validation(error)
        }
        let started = ContinuousClock.now
        let report: DeliveryReport
        do {
            report = try await producer.send(ProducerMessage(command, topicPrefix: topicPrefix, traceparent: Traceparent.child(of: traceparent)))
        } catch {
            logger.warning("append failed: \(error)")
            throw APIError.brokerUnavailable("the command was not appended: the broker did not acknowledge it (\(error))")
        }
        produceTimer.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        return Appended(command: command, token: ConsistencyToken(kind: command.kind, partition: report.partition, offset: report.offset))
    }

    /// Waits (bounded) for the projector's outcome of a command; nil on timeout.
    func outcome(of command: Command, timeout: Duration) async throws -> CommandOutcome? {
        try await Poll.until(timeout: timeout) { try await namespaces.store(for: command.kind).outcome(commandID: command.id) }
    }
}

/// Re-checks an async condition with a growing interval (1 ms to 20 ms) until it yields a value.
enum Poll {
    static func until<T: Sendable>(timeout: Duration, _ probe: () async throws -> T?) async throws -> T? {
        let deadline = ContinuousClock.now + timeout
        var interval = Duration.milliseconds(1)
        while true {
            if let value = try await probe() { return value }
            guard ContinuousClock.now + interval < deadline else { return nil }
            try await Task.sleep(for: interval)
            interval = min(interval * 2, .milliseconds(20))
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// W3C trace context: continue the caller's trace, or start one.
enum Traceparent {
    static func child(of parent: String?) -> String {
        let span = randomHex(bytes: 8)
        if let parent {
            let parts = parent.split(separator: "-")
            if parts.count == 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit) {
                return "00-\(parts[1])-\(span)-\(parts[3])"
            }
        }
        return "00-\(randomHex(bytes: 16))-\(span)-01"
    }

    private static func randomHex(bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}
