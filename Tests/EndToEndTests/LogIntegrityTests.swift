import Domain
import Foundation
import Kafka
import KafkaTesting
import Log
import Projection
import Projector
import Store
import StoreTesting
import Testing

@Suite("Log integrity: a log that lost what the read models folded is named, not waited on")
struct LogIntegrityTests {
    @Test("a checkpoint past the log end, and one on a partition the topic no longer has, are both lost — at once, not after a timeout")
    func lostPartitions() async throws {
        try await EncoreHarness.with(.sqlite) { encore in
            let topic = EntityKind.user.topic(prefix: encore.prefix)
            // The harness created 6 partitions, all empty: as after a broker restarted empty that
            // re-created the topic with fewer partitions than the read model has folded.
            try await encore.store.commit(
                ProjectionBatch(
                    kind: .user, snapshots: [], outcomes: [],
                    checkpoints: [
                        LogPosition(topic: topic, partition: 0, offset: 5),
                        LogPosition(topic: topic, partition: 9, offset: 7),
                    ]))
            let admin = try encore.broker.admin()
            let namespaces = ActiveNamespaces(base: encore.store, logger: encore.broker.logger)
            try await namespaces.refresh()
            let integrity = LogIntegrity(
                log: LogLocation(brokers: encore.broker.bootstrapServers, topicPrefix: encore.prefix, kafkaProperties: [:]),
                logger: encore.broker.logger)
            let started = ContinuousClock.now
            let problems = try await integrity.problems(admin: admin, folded: namespaces, kinds: [.user])
            let elapsed = ContinuousClock.now - started
            // verify throws what problems found; it used to close its admin client twice on the
            // way out, which crashed every encore dev start over a lost log.
            for _ in 0..<3 {
                await #expect(throws: LogLost.self) { try await integrity.verify(folded: namespaces, kinds: [.user]) }
            }
            await namespaces.close()
            await admin.close()
            #expect(elapsed < .seconds(8), "the missing partition is not waited on")
            #expect(problems.count == 2, "\(problems)")
            #expect(problems.contains { $0.contains("\(topic)[9]") && $0.contains("no longer exists") }, "\(problems)")
            #expect(problems.contains { $0.contains("\(topic)[0]") && $0.contains("ends at offset 0") }, "\(problems)")
        }
    }
}
