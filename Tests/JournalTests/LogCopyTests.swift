import Foundation
import Kafka
import KafkaTesting
import Logging
import Testing

@testable import Journal

/// The journal against real brokers: the keeper's durability, backup and restore at identical offsets.
@Suite("Log keeper, backup and restore on a real broker")
struct LogCopyTests {
    /// Produces `count` records spread over the topic's partitions, with keys, headers and
    /// explicit timestamps; returns where the broker stored them.
    @discardableResult
    static func produce(_ count: Int, to topic: String, on broker: TestBroker, base: Int = 0) async throws -> [DeliveryReport] {
        let producer = try broker.producer()
        let messages = (base..<(base + count)).map { index in
            ProducerMessage(
                topic: topic, key: index.isMultiple(of: 7) ? nil : Data("entity-\(index % 13)".utf8), value: Data("record \(index)".utf8),
                headers: [KafkaHeader("n", String(index)), KafkaHeader("nil", nil)],
                timestamp: Date(timeIntervalSince1970: 1_764_000_000 + Double(index) / 1000)
            )
        }
        let reports = try await producer.sendInOrder(messages)
        await producer.close()
        return reports
    }

    /// Every record of `topic` on the broker, by partition, in offset order.
    static func contents(of topic: String, on broker: TestBroker) async throws -> [TopicPartition: [JournalRecord]] {
        let admin = try broker.admin()
        defer { Task { await admin.close() } }
        let marks = try await admin.watermarks(topic: topic)
        var found: [TopicPartition: [JournalRecord]] = [:]
        try await PartitionScan(admin: admin).read(marks.mapValues { (from: $0.low, to: $0.high) }) { records in
            for record in records { found[record.topicPartition, default: []].append(JournalRecord(record)) }
        }
        return found
    }

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("encore-log-\(UUID().uuidString)")
    }

    @Test("the keeper journals what the broker acknowledged and says so; a restore into a fresh broker gives identical partitions")
    func keeperThenRestore() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (topic, original) = try await TestBroker.with { broker in
            let topic = try await broker.createTopic("kept", partitions: 3)
            let journal = try Journal(directory: directory, logger: broker.logger)
            try journal.save(JournalManifest(clusterID: "encore-test-cluster"))
            let keeper = LogKeeper(
                journal: journal, brokers: broker.bootstrapServers, kafkaProperties: [:], topics: [topic], logger: broker.logger)
            let running = Task { try await keeper.run() }
            let produced = try await Self.produce(300, to: topic, on: broker)
            for report in produced {
                try await keeper.waitUntilDurable(
                    TopicPartition(report.topic, report.partition), offset: report.offset, timeout: .seconds(30))
            }
            // Durable means on disk: a journal opened afresh (after the keeper let go) has every record.
            running.cancel()
            _ = try? await running.value
            return (topic, try await Self.contents(of: topic, on: broker))
        }
        #expect(original.values.map(\.count).reduce(0, +) == 300)
        try await TestBroker.with { fresh in
            let journal = try Journal(directory: directory, logger: fresh.logger)
            #expect(journal.recordCount == 300)
            let summary = try await LogRestorer(
                journal: journal, kafka: KafkaConfiguration(bootstrapServers: fresh.bootstrapServers), logger: fresh.logger
            ).restore()
            #expect(summary.records == 300)
            #expect(summary.partitions == 3)
            #expect(summary.sourceClusterID == "encore-test-cluster")
            #expect(
                try await Self.contents(of: topic, on: fresh) == original,
                "same records at the same offsets with the same keys, headers and timestamps")
        }
    }

    @Test(
        "backup, then an incremental backup copies only what is new; restore reproduces it, refuses a non-empty topic, and --force overwrites"
    )
    func backupAndRestore() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (topic, original, source, groups) = try await TestBroker.with { broker in
            let topic = try await broker.createTopic("encore", partitions: 4)
            try await Self.produce(200, to: topic, on: broker)
            // A consumer group's position travels with the backup.
            let group = "projector-\(UUID().uuidString.prefix(6))"
            let consumer = try broker.consumer(group: group)
            try await consumer.commit([TopicPartitionOffset(TopicPartition(topic, 0), KafkaOffset(5))])
            await consumer.close()
            let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
            let first = try await LogBackup(
                journal: Journal(directory: directory, logger: broker.logger), kafka: kafka, logger: broker.logger
            )
            .backup(topics: [topic], groups: [group])
            #expect(first.copied == 200)
            try await Self.produce(50, to: topic, on: broker, base: 200)
            let second = try await LogBackup(
                journal: Journal(directory: directory, logger: broker.logger), kafka: kafka, logger: broker.logger
            )
            .backup(topics: [topic], groups: [group])
            #expect(second.copied == 50, "only the new records")
            #expect(second.records == 250)
            let id = try await broker.admin().clusterID()
            return (topic, try await Self.contents(of: topic, on: broker), id, group)
        }
        try await TestBroker.with { fresh in
            let kafka = KafkaConfiguration(bootstrapServers: fresh.bootstrapServers)
            let restorer = LogRestorer(journal: try Journal(directory: directory, logger: fresh.logger), kafka: kafka, logger: fresh.logger)
            let summary = try await restorer.restore()
            #expect(summary.records == 250)
            #expect(summary.sourceClusterID == source)
            #expect(summary.targetClusterID != source)
            #expect(summary.verified.count == 4)
            #expect(try await Self.contents(of: topic, on: fresh) == original)
            let committed = try await fresh.admin().committedOffsets(group: groups, topics: [topic])
            #expect(committed[TopicPartition(topic, 0)] == KafkaOffset(5))

            await #expect {
                _ = try await restorer.restore()
            } throws: { error in
                guard case JournalError.mismatch(let why) = error else { return false }
                return why.contains("already holds 250 records") && why.contains("--force")
            }
            let forced = try await restorer.restore(force: true)
            #expect(forced.records == 250)
            #expect(try await Self.contents(of: topic, on: fresh) == original, "overwritten, not appended to")
        }
    }
}
