import Foundation
import Kafka
import Logging

/// Copies topics of a cluster into a ``Journal`` (the format `encore dev` keeps its log in):
/// every partition's records with their offsets, timestamps, keys and headers, the cluster id
/// and consumer groups' committed offsets. Run again, it copies only what is new.
public struct LogBackup: Sendable {
    let journal: Journal
    let kafka: KafkaConfiguration
    let logger: Logger

    public init(journal: Journal, kafka: KafkaConfiguration, logger: Logger) {
        self.journal = journal
        self.kafka = kafka
        self.logger = logger
    }

    public struct Summary: Sendable, Codable, Equatable {
        /// Records copied by this run, and held by the backup in all.
        public var copied: Int64
        public var records: Int64
        public var partitions: Int
        public var seconds: Double
        public var clusterID: String
        public var consumerGroups: Int
    }

    /// Copies `topics` (those that exist) up to their ends as of now, and `groups`' offsets.
    public func backup(
        topics: [String], groups: [String], progress: @escaping @Sendable (TransferProgress) -> Void = { _ in }
    ) async throws -> Summary {
        let started = ContinuousClock.now
        return try await KafkaAdmin.with(configuration: kafka, logger: logger) { admin in
            let cluster = try await admin.clusterID()
            let found = try await admin.listTopics().filter { topics.contains($0.name) && !$0.partitions.isEmpty }
            var manifest = journal.manifest ?? JournalManifest(clusterID: cluster)
            guard manifest.clusterID == cluster else {
                throw JournalError.mismatch(
                    "\(journal.directory.path) holds a backup of cluster \(manifest.clusterID), but this cluster is \(cluster): back it up into an empty directory"
                )
            }
            for topic in found {
                if let kept = manifest.topics[topic.name], kept != Int32(topic.partitions.count) {
                    throw JournalError.mismatch(
                        "topic \(topic.name) has \(topic.partitions.count) partitions, the backup \(kept): back it up into an empty directory"
                    )
                }
                manifest.topics[topic.name] = Int32(topic.partitions.count)
            }
            try journal.save(manifest)
            let marks = try await admin.watermarks(partitions: found.flatMap(\.topicPartitions))
            let kept = journal.ends
            var ranges: [TopicPartition: (from: Int64, to: Int64)] = [:]
            for (partition, mark) in marks {
                let from = kept[partition] ?? 0
                // A partition whose oldest records expired starts later; restore will say so.
                ranges[partition] = (from: max(from, from == 0 ? mark.low : from), to: mark.high)
            }
            let total = ranges.values.reduce(0) { $0 + max(0, $1.to - $1.from) }
            let meter = TransferMeter(total: total, progress: progress)
            try await PartitionScan(admin: admin).read(ranges) { records in
                try journal.append(
                    Dictionary(grouping: records.map { ($0.topicPartition, JournalRecord($0)) }, by: \.0).mapValues { $0.map(\.1) })
                meter.add(Int64(records.count))
            }
            if total == 0 { meter.add(0) }
            for group in groups {
                let offsets = try await admin.committedOffsets(group: group, topics: found.map(\.name))
                var byTopic: [String: [String: Int64]] = [:]
                for (partition, offset) in offsets where offset.isAbsolute {
                    byTopic[partition.topic, default: [:]][String(partition.partition)] = offset.rawValue
                }
                manifest.consumerGroups[group] = byTopic.isEmpty ? nil : byTopic
            }
            try journal.save(manifest)
            return Summary(
                copied: total, records: journal.recordCount, partitions: marks.count,
                seconds: (ContinuousClock.now - started) / .seconds(1), clusterID: cluster, consumerGroups: manifest.consumerGroups.count
            )
        }
    }
}
