import Domain
import Kafka
import Log
import Logging

/// The log as a replay reads it: each partition's bounds, the cluster it belongs to, whether it
/// lost what the read models folded, and readers of its records. ``KafkaReplaySource`` reads a
/// cluster; the replay's unit tests read records held in memory.
public protocol ReplaySource: Sendable {
    /// Per partition of `topic`: the first offset still held and the log end.
    func bounds(of topic: String) async throws -> [TopicPartition: Watermarks]

    /// The cluster's id, which read models rebuilt with `--adopt-log` are bound to.
    func clusterID() async throws -> String

    /// What the log lost under `folded`, one sentence each (see ``LogIntegrity``).
    func problems(folded: any FoldedLog, kinds: [EntityKind]) async throws -> [String]

    /// Runs `body` with a reader of its own, closed afterwards.
    func withReader<T: Sendable>(_ body: (any RecordReader) async throws -> T) async throws -> T
}

/// Reads records of assigned partitions from given positions; what ``KafkaConsumer`` does
/// without a group.
public protocol RecordReader: Sendable {
    func assign(_ positions: [TopicPartitionOffset]) throws
    func pause(_ partitions: [TopicPartition]) throws
    func resume(_ partitions: [TopicPartition]) throws
    func poll(maxRecords: Int, timeout: Duration) async throws -> [KafkaRecord]
}

extension KafkaConsumer: RecordReader {}

/// A Kafka cluster as a replay reads it, through one admin client.
struct KafkaReplaySource: ReplaySource {
    let admin: KafkaAdmin
    let integrity: LogIntegrity

    /// Large fetches for throughput; a bounded prefetch queue keeps the replay's memory flat.
    private static let readerProperties = [
        "fetch.wait.max.ms": "100", "fetch.max.bytes": "4194304", "max.partition.fetch.bytes": "1048576",
        "queued.max.messages.kbytes": "4096",
    ]

    func bounds(of topic: String) async throws -> [TopicPartition: Watermarks] { try await admin.watermarks(topic: topic) }

    func clusterID() async throws -> String { try await admin.clusterID() }

    func problems(folded: any FoldedLog, kinds: [EntityKind]) async throws -> [String] {
        try await integrity.problems(admin: admin, folded: folded, kinds: kinds)
    }

    func withReader<T: Sendable>(_ body: (any RecordReader) async throws -> T) async throws -> T {
        try await admin.probeConsumer(Self.readerProperties).closing { try await body($0) }
    }
}
