import Domain
import Foundation
import Kafka
import Locking
import Logging
import Projection
import Store
import StoreTesting
import Testing

@testable import Projector

/// The projector's handling of one polled batch, without a broker: poison to the dead-letter
/// topic before the checkpoint may pass it, durability waited for before the commit, and
/// nothing committed when either fails.
@Suite("Projector: dead letters and durability around one batch's commit (in memory)")
struct BatchProcessorTests {
    static let deadLetterTopic = "encore.dead-letter"

    /// Records every message and acknowledges it at the next offset of partition 0, or refuses all.
    final class RecordingProducer: RecordProducer {
        let refuses: Bool
        let sent = Locked([ProducerMessage]())
        init(refuses: Bool = false) { self.refuses = refuses }

        func send(_ message: ProducerMessage) async throws -> DeliveryReport {
            guard !refuses else { throw KafkaError.closed }
            let offset = sent.withLock { sent in
                sent.append(message)
                return Int64(sent.count - 1)
            }
            return DeliveryReport(topic: message.topic, partition: 0, offset: offset)
        }
    }

    /// Records what it was asked to wait for, or refuses to confirm anything.
    final class RecordingDurability: LogDurability {
        let refuses: Bool
        let waited = Locked([TopicPartition: Int64]())
        init(refuses: Bool = false) { self.refuses = refuses }

        func waitUntilDurable(_ partition: TopicPartition, offset: Int64, timeout: Duration) async throws {
            guard !refuses else { throw CancellationError() }
            waited.withLock { $0[partition] = offset }
        }
    }

    func processor(_ producer: RecordingProducer, durability: RecordingDurability? = nil) -> BatchProcessor {
        BatchProcessor(
            kind: .music, keys: NoPersonalData(), deadLetterTopic: Self.deadLetterTopic, deadLetters: producer, durability: durability,
            logger: Logger(label: "test"))
    }

    /// A create, bytes that are no command, and an update of the same song, at offsets 0, 1, 2.
    func batchWithPoison() -> (song: UUID, records: [LogRecord]) {
        let song = UUID()
        let commands = [
            Command(entityID: song, action: .createMusic(Song(artist: "A", songTitle: "B"))),
            Command(entityID: song, action: .updateMusic(Song(artist: "A", songTitle: "C"))),
        ]
        func record(_ offset: Int64, _ value: Data) -> LogRecord {
            LogRecord(
                position: LogPosition(topic: "encore.music", partition: 0, offset: offset), key: Data(song.lowercasedString.utf8),
                value: value)
        }
        return (
            song,
            [
                record(0, CommandCodec.encodeVersion1(commands[0])), record(1, Data("{".utf8)),
                record(2, CommandCodec.encodeVersion1(commands[1])),
            ]
        )
    }

    @Test("a poison record is dead-lettered with its position and reason; the rest is folded and the checkpoint passes it")
    func deadLettersPoison() async throws {
        let (song, records) = batchWithPoison()
        let producer = RecordingProducer()
        let sink = InMemoryProjectionSink()
        let checkpoints = try await processor(producer).process(records, into: sink)
        #expect(checkpoints == [LogPosition(topic: "encore.music", partition: 0, offset: 3)])
        let letters = producer.sent.withLock { $0 }
        try #require(letters.count == 1)
        let headers = Dictionary(
            letters[0].headers.map { ($0.name, String(decoding: $0.value ?? Data(), as: UTF8.self)) },
            uniquingKeysWith: { first, _ in first })
        #expect(letters[0].topic == Self.deadLetterTopic && letters[0].value == records[1].value && letters[0].key == records[1].key)
        #expect(
            headers["dlq.topic"] == "encore.music" && headers["dlq.partition"] == "0" && headers["dlq.offset"] == "1"
                && headers["dlq.projection"] == "music")
        #expect(!(headers["dlq.reason"] ?? "").isEmpty)
        let stored = try await sink.snapshots(.music, ids: [song])[song]
        #expect(stored?.version == 2 && stored?.state == .music(Song(artist: "A", songTitle: "C")))
    }

    @Test("a dead letter the broker does not acknowledge fails the batch: nothing is committed, so the poison is read again")
    func unacknowledgedDeadLetterCommitsNothing() async throws {
        let sink = InMemoryProjectionSink()
        await #expect(throws: KafkaError.self) {
            try await processor(RecordingProducer(refuses: true)).process(batchWithPoison().records, into: sink)
        }
        #expect(sink.commits == 0)
        #expect(try await sink.checkpoints(of: .music).isEmpty)
    }

    @Test("with a durability gate, the batch's last record and the dead letter are waited for first; a gate that fails commits nothing")
    func waitsForDurability() async throws {
        let durability = RecordingDurability()
        let sink = InMemoryProjectionSink()
        _ = try await processor(RecordingProducer(), durability: durability).process(batchWithPoison().records, into: sink)
        #expect(durability.waited.withLock { $0 } == [TopicPartition("encore.music", 0): 2, TopicPartition(Self.deadLetterTopic, 0): 0])
        #expect(sink.commits == 1)

        let refused = InMemoryProjectionSink()
        await #expect(throws: CancellationError.self) {
            try await processor(RecordingProducer(), durability: RecordingDurability(refuses: true)).process(
                batchWithPoison().records, into: refused)
        }
        #expect(refused.commits == 0)
    }
}
