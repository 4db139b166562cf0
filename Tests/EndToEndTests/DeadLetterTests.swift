import Domain
import Foundation
import Kafka
import KafkaTesting
import StoreTesting
import Testing

@Suite("Poison records")
struct DeadLetterTests {
    @Test("records a projector cannot fold go to the dead-letter topic with the reason; projection goes on", arguments: StoreBackend.allCases)
    func poisonIsDeadLettered(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend) { encore in
            let topic = EntityKind.user.topic(prefix: encore.prefix)
            let entity = UUID().uuidString.lowercased()
            let valid = String(decoding: CommandCodec.encode(Command(entityID: UUID(uuidString: entity)!, action: .deleteUser)), as: UTF8.self)
            let poison: [(String, String)] = [
                ("\u{1}\u{2}garbage", "not a command envelope"),
                (valid.replacingOccurrences(of: "user.delete", with: "user.promote"), "unknown record type user.promote"),
                (valid.replacingOccurrences(of: "\"schemaVersion\":1", with: "\"schemaVersion\":2"), "unsupported schema version 2"),
            ]
            let producer = try encore.broker.producer()
            for (value, _) in poison {
                _ = try await producer.send(ProducerMessage(topic: topic, key: Data(entity.utf8), value: Data(value.utf8)))
            }
            await producer.close()

            // The projector keeps going: a normal write after the poison is applied.
            let created = try await encore.request(.post, "/api/v1/user/", json: ["fname": "After", "lname": "Poison", "email": "after@example.org"])
            #expect(created.status == .ok)

            let consumer = try encore.broker.consumer()
            try consumer.subscribe(topics: ["\(encore.prefix).dead-letter"])
            var dead: [KafkaRecord] = []
            try await eventually("three dead letters") {
                dead += try await consumer.poll()
                return dead.count >= 3
            }
            await consumer.close()
            #expect(dead.count == 3)
            for (record, (value, reason)) in zip(dead.sorted { $0.offset < $1.offset }, poison) {
                #expect(record.value == Data(value.utf8))
                #expect(record.header("dlq.reason")?.contains(reason) == true, "\(record.header("dlq.reason") ?? "-")")
                #expect(record.header("dlq.topic") == topic)
            }
            #expect(try await encore.store.snapshot(.user, id: UUID(uuidString: entity)!) == nil)
        }
    }
}
