import Foundation
import Kafka
import KafkaTesting
import Testing

@Suite("Seeking, pausing and manual assignment")
struct SeekTests {
    @Test("seek to offset 0 replays every record of every partition")
    func seekToZeroReplaysEverything() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 6)
            let producer = try broker.producer()
            for index in 0..<60 {
                _ = try await producer.send(ProducerMessage(topic: topic, key: Data("k\(index)".utf8), value: Data("\(index)".utf8)))
            }
            await producer.close()

            let consumer = try broker.consumer()
            let partitions = (Int32(0)..<6).map { TopicPartition(topic, $0) }
            try consumer.assign(partitions.map { TopicPartitionOffset($0, .beginning) })
            var first: [KafkaRecord] = []
            try await eventually("60 records") {
                first += try await consumer.poll()
                return first.count >= 60
            }
            try await consumer.seek(partitions.map { TopicPartitionOffset($0, KafkaOffset(0)) })
            var replay: [KafkaRecord] = []
            try await eventually("60 records again") {
                replay += try await consumer.poll()
                return replay.count >= 60
            }
            await consumer.close()
            #expect(Set(first.map(\.value)).count == 60)
            #expect(Set(replay.map(\.value)) == Set(first.map(\.value)))
            #expect(replay.count == 60)
        }
    }

    @Test("seek by timestamp lands on the first record at or after that time")
    func seekByTimestamp() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 1)
            let producer = try broker.producer()
            var reports: [DeliveryReport] = []
            for index in 0..<5 {
                reports.append(try await producer.send(ProducerMessage(topic: topic, key: nil, value: Data("before-\(index)".utf8))))
            }
            // Records carry millisecond timestamps: let the clock pass the last one.
            let lastBefore = try #require(reports.last?.timestamp)
            try await eventually("the clock passes the last early record") { Date().timeIntervalSince(lastBefore) > 0.005 }
            let cut = Date()
            for index in 0..<5 {
                reports.append(try await producer.send(ProducerMessage(topic: topic, key: nil, value: Data("after-\(index)".utf8))))
            }
            await producer.close()

            let consumer = try broker.consumer()
            let partition = TopicPartition(topic, 0)
            try consumer.assign([TopicPartitionOffset(partition, .beginning)])
            // The broker's own answer is at most the first later record (Tansu may answer earlier).
            let brokerAnswer = try #require(try await consumer.offsets(at: [partition: cut])[partition])
            #expect(brokerAnswer.isAbsolute && brokerAnswer.rawValue <= 5)
            try await consumer.seek(to: cut, partitions: [partition])
            var received: [KafkaRecord] = []
            try await eventually("records after the cut") {
                received += try await consumer.poll()
                return received.count >= 5
            }
            await consumer.close()
            #expect(received.map { String(decoding: $0.value, as: UTF8.self) } == (0..<5).map { "after-\($0)" })
        }
    }

    @Test("a paused partition delivers nothing until resumed")
    func pauseAndResume() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 2)
            let producer = try broker.producer()
            for partition in Int32(0)..<2 {
                for index in 0..<3 {
                    _ = try await producer.send(
                        ProducerMessage(topic: topic, key: nil, value: Data("\(partition)-\(index)".utf8), partition: partition))
                }
            }
            await producer.close()

            let consumer = try broker.consumer()
            let paused = TopicPartition(topic, 1)
            try consumer.assign([TopicPartitionOffset(topic, 0, .beginning), TopicPartitionOffset(paused, .beginning)])
            try consumer.pause([paused])
            var received: [KafkaRecord] = []
            try await eventually("the unpaused partition's 3 records") {
                received += try await consumer.poll()
                return received.count >= 3
            }
            // A few more fetch rounds: still nothing from the paused partition.
            for _ in 0..<3 { received += try await consumer.poll(timeout: .milliseconds(200)) }
            #expect(received.allSatisfy { $0.partition == 0 })
            try consumer.resume([paused])
            try await eventually("the resumed partition's records") {
                received += try await consumer.poll()
                return received.count >= 6
            }
            await consumer.close()
            #expect(received.filter { $0.partition == 1 }.map(\.offset) == [0, 1, 2])
        }
    }
}
