import Foundation
import Kafka
import KafkaTesting
import Testing

@Suite("Admin client")
struct AdminTests {
    @Test("create, list and describe topics; creating an existing topic is reported unless ifNotExists")
    func topics() async throws {
        try await TestBroker.with { broker in
            let admin = try broker.admin()
            let name = "admin-\(UUID().uuidString.prefix(8))"
            try await admin.createTopics([TopicSpecification(name: name, partitions: 4)], ifNotExists: false)
            let described = try await admin.describeTopic(name)
            #expect(described.partitions.map(\.id) == [0, 1, 2, 3])
            #expect(try await admin.listTopics().map(\.name).contains(name))

            try await admin.createTopics([TopicSpecification(name: name, partitions: 4)], ifNotExists: true)
            let error = await #expect(throws: KafkaError.self) {
                try await admin.createTopics([TopicSpecification(name: name, partitions: 4)], ifNotExists: false)
            }
            #expect(error?.name == "TOPIC_ALREADY_EXISTS")
            await #expect(throws: KafkaError.self) { try await admin.describeTopic("no-such-topic-\(UUID().uuidString)") }
            #expect(try await !admin.clusterID().isEmpty)
            await admin.close()
        }
    }

    @Test("watermarks come from Fetch responses and equal the records written per partition")
    func watermarks() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 3)
            let producer = try broker.producer()
            let counts: [Int32: Int] = [0: 7, 1: 0, 2: 12]
            for (partition, count) in counts {
                for index in 0..<count {
                    _ = try await producer.send(ProducerMessage(topic: topic, key: nil, value: Data("\(index)".utf8), partition: partition))
                }
            }
            await producer.close()
            let admin = try broker.admin()
            let marks = try await admin.watermarks(topic: topic)
            await admin.close()
            for (partition, count) in counts {
                #expect(marks[TopicPartition(topic, partition)] == Watermarks(low: 0, high: Int64(count)), "partition \(partition)")
            }
        }
    }

    @Test("a group's live members: one while a consumer is in it, none after it leaves")
    func groupMembers() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 2)
            let group = "members-\(UUID().uuidString.prefix(8))"
            let admin = try broker.admin()
            #expect(try await admin.describeGroup(group).members == 0)
            let consumer = try broker.consumer(group: group)
            try consumer.subscribe(topics: [topic])
            try await eventually("the consumer joins", timeout: .seconds(20)) {
                _ = try await consumer.poll(maxRecords: 1, timeout: .milliseconds(100))
                return try await admin.describeGroup(group).members == 1
            }
            await consumer.close()
            try await eventually("the consumer leaves", timeout: .seconds(20)) { try await admin.describeGroup(group).members == 0 }
            await admin.close()
        }
    }
}
