import Foundation
import Kafka
import Locking
import Logging
import MetadataKeys

/// Produces a journal's records into a cluster so that every record lands at its original
/// offset, then proves it: each partition's end offset and a checksum of its records read back.
public struct LogRestorer: Sendable {
    let journal: Journal
    let kafka: KafkaConfiguration
    let logger: Logger

    public init(journal: Journal, kafka: KafkaConfiguration, logger: Logger) {
        self.journal = journal
        self.kafka = kafka
        self.logger = logger
    }

    /// What a restore did.
    public struct Summary: Sendable, Codable, Equatable {
        public var records: Int64
        public var partitions: Int
        public var seconds: Double
        /// The cluster the journal was taken from, and the one it went into.
        public var sourceClusterID: String
        public var targetClusterID: String
        /// Per partition (`topic[partition]`), its end offset and checksum, as verified.
        public var verified: [String: String]
        public var consumerGroups: Int
    }

    /// Restores into the cluster; `force` deletes and re-creates target topics that hold records.
    ///
    /// Throws ``JournalError/mismatch(_:)`` when a target topic holds records (without `force`)
    /// or has another partition count, when the journal cannot land at identical offsets, or
    /// when the verification finds any difference.
    public func restore(force: Bool = false, progress: @escaping @Sendable (TransferProgress) -> Void = { _ in }) async throws -> Summary {
        let started = ContinuousClock.now
        guard let manifest = journal.manifest else {
            throw JournalError.mismatch("\(journal.directory.path) holds no journal (no journal.json)")
        }
        let partitions = journal.topicPartitions
        let starts = journal.starts
        let ends = journal.ends
        if let gap = partitions.first(where: { (starts[$0] ?? 0) != 0 }) {
            throw JournalError.mismatch(
                "\(gap) starts at offset \(starts[gap]!) in the journal, not 0: a partition can only be reproduced at identical offsets from its beginning"
            )
        }
        return try await KafkaAdmin.with(configuration: kafka, logger: logger) { admin in
            let target = try await admin.clusterID()
            try await prepareTopics(manifest, admin: admin, force: force)
            let total = journal.recordCount
            let meter = TransferMeter(total: total, progress: progress)
            let producer = try KafkaProducer(
                configuration: .producer(
                    bootstrapServers: kafka["bootstrap.servers"] ?? "",
                    ["linger.ms": "20", "batch.size": "1000000", "queue.buffering.max.messages": "500000", "compression.type": "none"]
                        .merging(kafka.properties) { _, new in new }
                ), logger: logger)
            let expected = try await producer.closing { producer in
                // Partitions side by side, each one a stream of ordered chunks: a partition's
                // records must be enqueued in order, and the producer batches across partitions.
                try await withThrowingTaskGroup(of: (TopicPartition, PartitionChecksum).self) { group in
                    for partition in partitions {
                        group.addTask { (partition, try await restore(partition, producer: producer, meter: meter)) }
                    }
                    return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
                }
            }
            let verified = try await verify(admin: admin, partitions: partitions, ends: ends, expected: expected)
            let groups = try await restoreGroups(manifest)
            return Summary(
                records: total, partitions: partitions.count, seconds: (ContinuousClock.now - started) / .seconds(1),
                sourceClusterID: manifest.clusterID, targetClusterID: target, verified: verified, consumerGroups: groups
            )
        }
    }

    private func restore(_ partition: TopicPartition, producer: KafkaProducer, meter: TransferMeter) async throws -> PartitionChecksum {
        var sum = PartitionChecksum()
        try await journal.read(partition, chunk: 10_000) { records in
            let reports = try await producer.sendInOrder(records.map { $0.message(topic: partition.topic, partition: partition.partition) })
            for (record, report) in zip(records, reports) where report.offset != record.offset {
                throw JournalError.mismatch(
                    "\(partition): the record of offset \(record.offset) landed at offset \(report.offset); the target partition was not empty, or the journal skips offsets there"
                )
            }
            records.forEach { sum.add($0) }
            meter.add(Int64(records.count))
        }
        return sum
    }

    private func prepareTopics(_ manifest: JournalManifest, admin: KafkaAdmin, force: Bool) async throws {
        let existing = Dictionary(uniqueKeysWithValues: try await admin.listTopics().map { ($0.name, $0) })
        var overwrite: [String] = []
        for (topic, count) in manifest.topics.sorted(by: { $0.key < $1.key }) {
            guard let found = existing[topic], !found.partitions.isEmpty else { continue }
            let marks = try await admin.watermarks(partitions: found.topicPartitions)
            let held = marks.values.reduce(0) { $0 + $1.high }
            if held > 0 {
                guard force else {
                    throw JournalError.mismatch(
                        "topic \(topic) already holds \(held) records: restore into an empty cluster, or give --force to delete and re-create it"
                    )
                }
                overwrite.append(topic)
                logger.warning(
                    "overwriting a topic: deleting its records and re-creating it from the journal",
                    metadata: [MetadataKey.topic: "\(topic)", MetadataKey.records: "\(held)"])
            } else if found.partitions.count != Int(count) {
                guard force else {
                    throw JournalError.mismatch(
                        "topic \(topic) has \(found.partitions.count) partitions, the journal \(count): give --force to delete and re-create it"
                    )
                }
                overwrite.append(topic)
            }
        }
        if !overwrite.isEmpty { try await admin.deleteTopics(overwrite) }
        let missing = manifest.topics.filter { existing[$0.key] == nil || overwrite.contains($0.key) }
        try await admin.createTopics(missing.map { TopicSpecification(name: $0.key, partitions: $0.value) })
        // A re-created topic can take a moment to have leaders everywhere.
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let topics = Dictionary(uniqueKeysWithValues: try await admin.listTopics().map { ($0.name, $0) })
            if manifest.topics.allSatisfy({ topics[$0.key]?.partitions.count == Int($0.value) }) { return }
            guard ContinuousClock.now < deadline else {
                throw JournalError.mismatch(
                    "the target cluster did not create topics \(manifest.topics.keys.sorted()) with their partitions within 30 s")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Checks every partition's end offset and reads it back to compare checksums.
    private func verify(
        admin: KafkaAdmin, partitions: [TopicPartition], ends: [TopicPartition: Int64], expected: [TopicPartition: PartitionChecksum]
    ) async throws -> [String: String] {
        let marks = try await admin.watermarks(partitions: partitions)
        var problems: [String] = []
        for partition in partitions where marks[partition]?.high != ends[partition] {
            problems.append("\(partition) ends at \(marks[partition].map { String($0.high) } ?? "?") instead of \(ends[partition] ?? 0)")
        }
        var actual: [TopicPartition: PartitionChecksum] = [:]
        try await PartitionScan(admin: admin).read(
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, (from: Int64(0), to: ends[$0] ?? 0)) })
        ) { records in
            for record in records { actual[record.topicPartition, default: PartitionChecksum()].add(JournalRecord(record)) }
        }
        for partition in partitions where (actual[partition] ?? PartitionChecksum()) != (expected[partition] ?? PartitionChecksum()) {
            problems.append(
                "\(partition) reads back as \(actual[partition] ?? PartitionChecksum()), the journal has \(expected[partition] ?? PartitionChecksum())"
            )
        }
        guard problems.isEmpty else {
            throw JournalError.mismatch("the restored log differs from the journal: " + problems.joined(separator: "; "))
        }
        return Dictionary(
            uniqueKeysWithValues: partitions.map { ("\($0)", "end \(ends[$0] ?? 0), checksum \(expected[$0] ?? PartitionChecksum())") })
    }

    /// Commits the backup's consumer-group offsets in the target cluster.
    private func restoreGroups(_ manifest: JournalManifest) async throws -> Int {
        for (group, topics) in manifest.consumerGroups.sorted(by: { $0.key < $1.key }) {
            let positions = topics.flatMap { topic, offsets in
                offsets.compactMap { partition, offset in
                    Int32(partition).map { TopicPartitionOffset(TopicPartition(topic, $0), KafkaOffset(offset)) }
                }
            }
            guard !positions.isEmpty else { continue }
            var configuration = KafkaConfiguration.consumer(bootstrapServers: kafka["bootstrap.servers"] ?? "", groupID: group)
            for (key, value) in kafka.properties where configuration[key] == nil { configuration[key] = value }
            try await KafkaConsumer(configuration: configuration, logger: logger).closing { try await $0.commit(positions) }
        }
        return manifest.consumerGroups.count
    }
}
