import Domain
import Foundation
import Kafka
import KafkaTesting
import Log
import Testing

/// `encore load`, `encore generate` and the test harness append through `CommandAppender`: an
/// entity's commands must land in the order given, or its fold is not the one intended.
@Suite("Command appender")
struct CommandAppenderTests {
    @Test("one entity's commands land in the order given, across several windows")
    func keepsOrder() async throws {
        try await TestBroker.with { broker in
            let prefix = "order-\(UUID().uuidString.prefix(8).lowercased())"
            try await EncoreTopics.ensure(
                log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                partitions: 3, logger: broker.logger)
            let song = UUID()
            let commands =
                [Command(entityID: song, action: .createMusic(Song(artist: "A", songTitle: "0")))]
                + (1..<3_000).map { Command(entityID: song, action: .updateMusic(Song(artist: "A", songTitle: "\($0)"))) }
            let producer = try broker.producer()
            try await CommandAppender(producer: producer, topicPrefix: prefix, keys: { _ in NoPersonalData() }, window: 700).append(
                commands)
            await producer.close()

            let consumer = try broker.consumer()
            try consumer.subscribe(topics: [EntityKind.music.topic(prefix: prefix)])
            var read: [UUID] = []
            try await eventually("every command read back", timeout: .seconds(60)) {
                for record in try await consumer.poll() { read.append(try CommandCodec.decode(record.value, opening: NoPersonalData()).id) }
                return read.count >= commands.count
            }
            await consumer.close()
            #expect(read == commands.map(\.id))
        }
    }
}
