import Foundation
import Kafka
import KafkaTesting
import Locking
import Logging
import Testing

@Suite("librdkafka statistics and logs")
struct ObservabilityTests {
    @Test("statistics arrive as decoded values that count what was sent")
    func statistics() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 1)
            let producer = try broker.producer(["statistics.interval.ms": "100"])
            for index in 0..<3 {
                _ = try await producer.send(ProducerMessage(topic: topic, key: nil, value: Data("\(index)".utf8)))
            }
            try await eventually("statistics count 3 transmitted records") {
                (producer.statistics?.transmittedMessages ?? 0) >= 3
            }
            let statistics = try #require(producer.statistics)
            #expect(statistics.type == "producer")
            #expect(statistics.brokers.values.contains { $0.state == "UP" })
            #expect(statistics.topics[topic]?.partitions["0"]?.partition == 0)
            await producer.close()
        }
    }

    @Test("librdkafka's own log lines reach swift-log with their facility")
    func logsRouted() async throws {
        let recorder = LogRecorder()
        let logger = Logger(label: "capture") { _ in recorder }
        // Nothing listens on port 1: librdkafka logs its connection failures.
        let consumer = try KafkaConsumer(
            configuration: .consumer(bootstrapServers: "127.0.0.1:1", groupID: "g", ["reconnect.backoff.ms": "10"]),
            logger: logger
        )
        try consumer.subscribe(topics: ["anything"])
        try await eventually("a librdkafka connection failure is logged") {
            _ = try await consumer.poll(timeout: .milliseconds(100))
            return recorder.entries.withLock { entries in
                entries.contains { $0.metadata["rdkafka.facility"] != nil && $0.message.contains("127.0.0.1:1") }
            }
        }
        await consumer.close()
    }
}

/// A swift-log handler that keeps every entry, for assertions.
final class LogRecorder: LogHandler, Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }

    let entries = Locked<[Entry]>([])

    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        entries.withLock { $0.append(Entry(level: event.level, message: "\(event.message)", metadata: event.metadata ?? [:])) }
    }
}
