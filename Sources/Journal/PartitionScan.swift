import Kafka
import Locking

/// Reads ranges of partitions from a broker: each partition from its start up to (not
/// including) its end, handing over the records a poll at a time.
struct PartitionScan {
    let admin: KafkaAdmin

    /// `ranges`: per partition, the first offset to read and the offset to stop before.
    func read(
        _ ranges: [TopicPartition: (from: Int64, to: Int64)],
        timeout idle: Duration = .seconds(30),
        _ body: ([KafkaRecord]) async throws -> Void
    ) async throws {
        let wanted = ranges.filter { $0.value.from < $0.value.to }
        guard !wanted.isEmpty else { return }
        try await admin.probeConsumer(["fetch.wait.max.ms": "50", "fetch.max.bytes": "52428800", "max.partition.fetch.bytes": "10485760"])
            .closing { reader in
                try reader.assign(wanted.map { TopicPartitionOffset($0.key, KafkaOffset($0.value.from)) })
                var next = wanted.mapValues(\.from)
                var lastProgress = ContinuousClock.now
                while next.contains(where: { $0.value < wanted[$0.key]!.to }) {
                    let records = try await reader.poll(maxRecords: 20_000, timeout: .milliseconds(200))
                    let inRange = records.filter { record in
                        guard let range = wanted[record.topicPartition] else { return false }
                        return record.offset >= (next[record.topicPartition] ?? range.from) && record.offset < range.to
                    }
                    if !inRange.isEmpty {
                        for record in inRange { next[record.topicPartition] = record.offset + 1 }
                        try await body(inRange)
                        lastProgress = .now
                    } else if ContinuousClock.now - lastProgress > idle {
                        let missing = next.filter { $0.value < wanted[$0.key]!.to }.map {
                            "\($0.key) at \($0.value) of \(wanted[$0.key]!.to)"
                        }
                        throw KafkaError(
                            code: -185, message: "no records for \(idle) while reading \(missing.sorted().joined(separator: ", "))")
                    }
                }
            }
    }
}
