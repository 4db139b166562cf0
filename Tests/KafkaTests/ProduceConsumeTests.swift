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
            let report = try await producer.send(
                ProducerMessage(
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

    @Test("100,000 records over 6 partitions: per-key order kept, none lost, none duplicated")
    func hundredThousandRecordsKeepPerKeyOrder() async throws {
        let keys = 500
        let perKey = 200
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 6)
            let producer = try broker.producer()
            // Each key's records are sent in sequence by one task; keys run concurrently.
            let reports = try await withThrowingTaskGroup(of: [DeliveryReport].self) { group in
                for key in 0..<keys {
                    group.addTask {
                        var reports: [DeliveryReport] = []
                        for sequence in 0..<perKey {
                            reports.append(
                                try await producer.send(
                                    ProducerMessage(
                                        topic: topic, key: Data("key-\(key)".utf8), value: Data("\(key):\(sequence)".utf8)
                                    )))
                        }
                        return reports
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            await producer.close()
            #expect(reports.count == keys * perKey)
            #expect(Set(reports.map { "\($0.partition)@\($0.offset)" }).count == reports.count, "each record has its own offset")
            #expect(Set(reports.map(\.partition)).count == 6, "keys spread over all partitions")

            let consumer = try broker.consumer()
            try consumer.subscribe(topics: [topic])
            var nextSequence = [String: Int]()
            var seen = Set<String>()
            var outOfOrder: [String] = []
            var total = 0
            try await eventually("all records consumed", timeout: .seconds(120)) {
                for record in try await consumer.poll(maxRecords: 5000) {
                    let text = String(decoding: record.value, as: UTF8.self)
                    let parts = text.split(separator: ":")
                    let key = String(parts[0])
                    let sequence = Int(parts[1])!
                    if sequence != nextSequence[key, default: 0] { outOfOrder.append(text) }
                    nextSequence[key] = sequence + 1
                    seen.insert(text)
                    total += 1
                }
                return total >= keys * perKey
            }
            // Nothing more arrives after the last expected record.
            let extra = try await consumer.poll(maxRecords: 100, timeout: .seconds(1))
            await consumer.close()
            #expect(extra.isEmpty)
            #expect(total == keys * perKey)
            #expect(seen.count == keys * perKey, "no duplicates")
            #expect(outOfOrder.isEmpty, "first out-of-order records: \(outOfOrder.prefix(5))")
        }
    }
}
