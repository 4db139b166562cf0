import Foundation
import Kafka
import KafkaTesting
import Locking
import Testing

@Suite("Consumer groups")
struct ConsumerGroupTests {
    /// Records what the group coordinator hands out, so the test can await it.
    final class AssignmentLog: RebalanceListener {
        let events = Locked<[String]>([])
        func partitionsAssigned(_ partitions: [TopicPartition]) {
            events.withLock { $0.append("assigned \(partitions.count)") }
        }
        func partitionsRevoked(_ partitions: [TopicPartition]) {
            events.withLock { $0.append("revoked \(partitions.count)") }
        }
    }

    @Test("two consumers split the partitions; the survivor takes all of them when the other leaves")
    func splitAndTakeOver() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 6)
            let group = "group-\(UUID().uuidString)"
            let firstLog = AssignmentLog()
            let first = try broker.consumer(group: group, rebalanceListener: firstLog)
            let second = try broker.consumer(group: group)
            try first.subscribe(topics: [topic])
            try second.subscribe(topics: [topic])

            var received: [KafkaRecord] = []
            try await eventually("both consumers own a disjoint share of all 6 partitions", timeout: .seconds(60)) {
                async let a = first.poll(timeout: .milliseconds(200))
                async let b = second.poll(timeout: .milliseconds(200))
                received += try await a + b
                let (mine, theirs) = (Set(try first.assignment()), Set(try second.assignment()))
                return !mine.isEmpty && !theirs.isEmpty && mine.isDisjoint(with: theirs) && mine.union(theirs).count == 6
            }
            #expect(received.isEmpty)

            await second.close()
            try await eventually("the remaining consumer owns all 6 partitions", timeout: .seconds(60)) {
                received += try await first.poll(timeout: .milliseconds(200))
                return try first.assignment().count == 6
            }
            #expect(firstLog.events.withLock { $0 }.contains("assigned 6"))

            // It now reads records from every partition.
            let producer = try broker.producer()
            for partition in Int32(0)..<6 {
                _ = try await producer.send(
                    ProducerMessage(topic: topic, key: nil, value: Data("p\(partition)".utf8), partition: partition))
            }
            await producer.close()
            try await eventually("records from all 6 partitions arrive") {
                received += try await first.poll()
                return Set(received.map(\.partition)).count == 6
            }
            #expect(received.count == 6)
            await first.close()
        }
    }

    @Test("commit stores the group's position; a new member of the group resumes from it")
    func commitAndResume() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 1)
            let group = "group-\(UUID().uuidString)"
            let producer = try broker.producer()
            for index in 0..<10 {
                _ = try await producer.send(ProducerMessage(topic: topic, key: nil, value: Data("\(index)".utf8)))
            }
            await producer.close()

            let first = try broker.consumer(group: group)
            try first.subscribe(topics: [topic])
            var received: [KafkaRecord] = []
            try await eventually("10 records") {
                received += try await first.poll()
                return received.count >= 10
            }
            try await first.commit([TopicPartitionOffset(topic, 0, KafkaOffset(4))])
            #expect(try await first.committed([TopicPartition(topic, 0)]) == [TopicPartitionOffset(topic, 0, KafkaOffset(4))])
            await first.close()

            let admin = try broker.admin()
            #expect(try await admin.committedOffsets(group: group, topics: [topic]) == [TopicPartition(topic, 0): KafkaOffset(4)])
            await admin.close()

            let second = try broker.consumer(group: group)
            try second.subscribe(topics: [topic])
            var resumed: [KafkaRecord] = []
            try await eventually("records from the committed offset on") {
                resumed += try await second.poll()
                return resumed.count >= 6
            }
            #expect(resumed.map(\.offset) == Array(4..<10))
            await second.close()
        }
    }
}
