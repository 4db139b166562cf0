import Foundation
import Kafka
import KafkaTesting
import Testing

/// A client closed twice, or used after close, must neither crash nor touch a destroyed handle.
/// (A second `rd_kafka_destroy` of one handle joined librdkafka's threads again and corrupted
/// the heap: `encore dev` crashed at every restart on a lost log, where a check closed its
/// admin client twice.)
@Suite("Kafka client lifetimes")
struct ClientLifetimeTests {
    @Test("admin, producer and consumer: a second close does nothing, and a call after close throws closed")
    func closeTwiceAndUseAfterClose() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic("lifetime", partitions: 1)
            for _ in 0..<3 {
                let admin = try broker.admin()
                #expect(try await admin.listTopics().contains { $0.name == topic })
                await admin.close()
                await admin.close()
                await #expect(throws: KafkaError.closed) { _ = try await admin.clusterID() }
                await #expect(throws: KafkaError.closed) { _ = try await admin.listTopics() }

                let producer = try broker.producer()
                _ = try await producer.send(ProducerMessage(topic: topic, key: nil, value: Data("x".utf8)))
                await producer.close()
                await producer.close()
                await #expect(throws: KafkaError.closed) {
                    _ = try await producer.send(ProducerMessage(topic: topic, key: nil, value: Data()))
                }
                await #expect(throws: KafkaError.closed) {
                    _ = try await producer.sendInOrder([ProducerMessage(topic: topic, key: nil, value: Data())])
                }

                let consumer = try broker.consumer()
                try consumer.assign([TopicPartitionOffset(TopicPartition(topic, 0), .beginning)])
                await consumer.close()
                await consumer.close()
                await #expect(throws: KafkaError.closed) { _ = try await consumer.poll(timeout: .milliseconds(10)) }
                #expect(consumer.fetchedWatermarks(TopicPartition(topic, 0)) == nil)
            }
        }
    }

    @Test("KafkaAdmin.with closes its client when the body throws, once")
    func scopedAdmin() async throws {
        try await TestBroker.with { broker in
            struct Expected: Error {}
            var kept: KafkaAdmin?
            await #expect(throws: Expected.self) {
                try await KafkaAdmin.with(
                    configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers), logger: broker.logger
                ) { admin in
                    kept = admin
                    throw Expected()
                }
            }
            await #expect(throws: KafkaError.closed) { _ = try await kept?.clusterID() }
        }
    }
}
