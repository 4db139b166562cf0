import Foundation
import Kafka
import KafkaTesting
import Testing

@Suite("Produce and consume against a real broker")
struct ProduceConsumeTests {
    @Test("send returns the broker's partition and offset, and a consumer reads the record back")
    func roundTrip() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 3)
            let producer = try broker.producer()
            let report = try await producer.send(ProducerMessage(
                topic: topic, key: Data("k1".utf8), value: Data("hello".utf8), headers: [KafkaHeader("trace", "abc")]
            ))
            #expect(report.topic == topic)
            #expect((0..<3).contains(report.partition))
            #expect(report.offset == 0)
            await producer.close()

            let consumer = try broker.consumer()
            try consumer.subscribe(topics: [topic])
            var received: [KafkaRecord] = []
            try await eventually("the record arrives") {
                received += try await consumer.poll()
                return !received.isEmpty
            }
            #expect(received.count == 1)
            #expect(received[0].value == Data("hello".utf8))
            #expect(received[0].key == Data("k1".utf8))
            #expect(received[0].header("trace") == "abc")
            #expect(received[0].partition == report.partition)
            #expect(received[0].offset == report.offset)
            await consumer.close()
        }
    }
}
