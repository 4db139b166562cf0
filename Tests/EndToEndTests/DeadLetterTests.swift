import Domain
import Foundation
import Kafka
import KafkaTesting
import StoreTesting
import Testing

/// A record written straight to a topic that no projector can fold, and the reason it must be dead-lettered with.
struct PoisonCase: Sendable {
    var key: Data?
    var value: Data
    var reason: String
}

@Suite("Poison records")
struct DeadLetterTests {
    /// Poison for `entity`: bytes, truncated and deep JSON, unknown types and versions,
    /// huge values, missing and garbage keys.
    static func poison(for entity: UUID) -> [PoisonCase] {
        let key = Data(entity.uuidString.lowercased().utf8)
        let valid = String(decoding: CommandCodec.encodeVersion1(Command(entityID: entity, action: .deleteUser)), as: UTF8.self)
        let user = String(
            decoding: CommandCodec.encodeVersion1(
                Command(entityID: entity, action: .createUser(User(fname: "F", lname: "L", email: "a@b.example")))), as: UTF8.self)
        var random = SplitMix64(seed: 5)
        let bytes = Data((0..<512).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        let huge = String(repeating: "x", count: 900_000)
        func text(_ value: String, _ reason: String, key: Data? = key) -> PoisonCase {
            PoisonCase(key: key, value: Data(value.utf8), reason: reason)
        }
        return [
            text("\u{1}\u{2}garbage", "not a command envelope"),
            PoisonCase(key: key, value: bytes, reason: "not a command envelope"),
            text(String(user.prefix(user.count / 2)), "not a command envelope"),
            text(String(repeating: "[", count: 100_000), "not a command envelope"),
            text(valid.replacingOccurrences(of: "user.delete", with: "user.promote"), "unknown record type user.promote"),
            text(
                valid.replacingOccurrences(of: "\"schemaVersion\":1", with: "\"schemaVersion\":2"),
                "schema version 2 of user.delete is newer than this build reads (version 1)"),
            text(
                user.replacingOccurrences(of: "\"schemaVersion\":1", with: "\"schemaVersion\":3"),
                "schema version 3 of user.create is newer than this build reads (version 2)"),
            text(valid.replacingOccurrences(of: "user.delete", with: huge), "unknown record type \(huge.prefix(100))… (900000 bytes)"),
            text(
                user.replacingOccurrences(of: "\"fname\":\"F\"", with: "\"fname\":\"\(huge)\""),
                "invalid user.create: fname: at most 500 characters"),
            text(user, "record key does not equal entityId", key: nil),
            text(user, "record key does not equal entityId", key: Data([0xFF, 0x00]) + Data("garbage".utf8)),
        ]
    }

    @Test(
        "records a projector cannot fold go to the dead-letter topic with the reason; the next valid command is applied",
        arguments: StoreBackend.allCases)
    func poisonIsDeadLettered(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend) { encore in
            let topic = EntityKind.user.topic(prefix: encore.prefix)
            let entity = UUID()
            let poison = Self.poison(for: entity)
            let producer = try encore.broker.producer()
            do {
                for record in poison {
                    _ = try await producer.send(ProducerMessage(topic: topic, key: record.key, value: record.value))
                }
            } catch {
                await producer.close()
                throw error
            }
            await producer.close()

            // The projector keeps going: a valid command for the same entity (its partition), after the poison, is
            // applied, and every partition is folded to its end (keyless poison lands anywhere).
            let user = User(fname: "After", lname: "Poison", email: "after@example.org")
            try await encore.append([Command(entityID: entity, action: .createUser(user))])
            try await encore.awaitProjected()
            let snapshot = try #require(try await encore.store.snapshot(.user, id: entity))
            #expect(snapshot.version == 1)
            #expect(snapshot.state == .user(user))

            let consumer = try encore.broker.consumer()
            try consumer.subscribe(topics: ["\(encore.prefix).dead-letter"])
            var dead: [KafkaRecord] = []
            do {
                try await eventually("\(poison.count) dead letters") {
                    dead += try await consumer.poll()
                    return dead.count >= poison.count
                }
            } catch {
                await consumer.close()
                throw error
            }
            await consumer.close()
            #expect(dead.count == poison.count)
            for expected in poison {
                let record = try #require(dead.first { $0.key == expected.key && $0.value == expected.value }, "\(expected.reason)")
                #expect(
                    record.header("dlq.reason")?.contains(expected.reason) == true, "\(record.header("dlq.reason")?.prefix(300) ?? "-")")
                #expect(record.header("dlq.topic") == topic)
            }
        }
    }
}
