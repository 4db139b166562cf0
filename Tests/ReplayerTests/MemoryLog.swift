import Domain
import Foundation
import Kafka
import Locking
import Log
import Logging
import Privacy
import Projection
import Store

@testable import Replay

/// Encore's topics held in memory, as a replay reads them (``ReplaySource``), and a live
/// projector that folds them into a store's active namespaces: a replay's log without a broker.
final class MemoryLog: ReplaySource {
    let location = LogLocation(brokers: "memory", topicPrefix: "encore", kafkaProperties: [:])
    let partitions: Int32 = 2
    private let records = Locked<[TopicPartition: [KafkaRecord]]>([:])
    private let pollHook = Locked<(@Sendable () async -> Void)?>(nil)

    /// The users' data keys its records are sealed and opened with.
    let keys: DataKeys

    init(keys: DataKeys) { self.keys = keys }

    /// Appends `commands` as their producer would, each entity's on one partition, with `timestamp`;
    /// those `writtenByVersion1` picks as builds before record versions wrote them (plaintext).
    @discardableResult
    func append(
        _ commands: some Sequence<Command>, at timestamp: Date = Date(), writtenByVersion1: (Command) -> Bool = { _ in false }
    ) async throws -> [KafkaRecord] {
        let commands = Array(commands)
        let keyring = try await keys.keyring(writing: commands.filter { $0.kind == .user }.map(\.entityID))
        return try records.withLock { records in
            try commands.map { command in
                var message = try ProducerMessage(command, sealing: keyring, topicPrefix: location.topicPrefix)
                if writtenByVersion1(command) { message.value = CommandCodec.encodeVersion1(command) }
                let partition = TopicPartition(message.topic, Int32(command.entityID.uuid.15) % partitions)
                let record = KafkaRecord(
                    topic: message.topic, partition: partition.partition, offset: Int64(records[partition, default: []].count),
                    key: message.key, value: message.value, headers: message.headers, timestamp: timestamp)
                records[partition, default: []].append(record)
                return record
            }
        }
    }

    /// Folds `records` into the namespaces serving their read models, as the live projector does.
    func fold(_ records: [KafkaRecord], into store: any ReadModelStore) async throws {
        let namespaces = ActiveNamespaces(base: store, logger: MemoryLog.logger)
        try await namespaces.closing { namespaces in
            try await namespaces.refresh()
            try await fold(records) { namespaces.store(for: $0) }
        }
    }

    /// Folds `records` into the sink `sink` gives for each read model.
    func fold(_ records: [KafkaRecord], into sink: (EntityKind) async throws -> any ProjectionSink) async throws {
        for kind in EntityKind.allCases {
            let batch = records.filter { $0.topic == location.topic(kind) }.map(LogRecord.init)
            guard !batch.isEmpty else { continue }
            let applier = ProjectionApplier(kind: kind, keys: keys, logger: MemoryLog.logger)
            try await applier.apply(try await applier.decode(batch), records: batch, to: sink(kind))
        }
    }

    /// Runs `hook` before every poll of every reader (a live projector moving on meanwhile).
    func onPoll(_ hook: (@Sendable () async -> Void)?) { pollHook.withLock { $0 = hook } }

    func bounds(of topic: String) async throws -> [TopicPartition: Watermarks] {
        records.withLock { records in
            Dictionary(
                uniqueKeysWithValues: (0..<partitions).map { partition in
                    let topicPartition = TopicPartition(topic, partition)
                    return (topicPartition, Watermarks(low: 0, high: Int64(records[topicPartition, default: []].count)))
                })
        }
    }

    func clusterID() async throws -> String { "memory" }

    func problems(folded: any FoldedLog, kinds: [EntityKind]) async throws -> [String] { [] }

    func withReader<T: Sendable>(_ body: (any RecordReader) async throws -> T) async throws -> T {
        try await body(Reader(log: self))
    }

    static let logger = Logger(label: "replayer-tests")

    /// Reads assigned, unpaused partitions from their positions, in offset order.
    private final class Reader: RecordReader {
        let log: MemoryLog
        private let state = Locked<(positions: [TopicPartition: Int64], paused: Set<TopicPartition>)>(([:], []))

        init(log: MemoryLog) { self.log = log }

        func assign(_ positions: [TopicPartitionOffset]) throws {
            state.withLock { state in
                state.positions = Dictionary(uniqueKeysWithValues: positions.map { ($0.topicPartition, max(0, $0.offset.rawValue)) })
                state.paused.formIntersection(state.positions.keys)
            }
        }

        func pause(_ partitions: [TopicPartition]) throws { state.withLock { $0.paused.formUnion(partitions) } }

        func resume(_ partitions: [TopicPartition]) throws { state.withLock { $0.paused.subtract(partitions) } }

        func poll(maxRecords: Int, timeout: Duration) async throws -> [KafkaRecord] {
            if let hook = log.pollHook.withLock({ $0 }) { await hook() }
            let all = log.records.withLock { $0 }
            let polled = state.withLock { state -> [KafkaRecord] in
                var polled: [KafkaRecord] = []
                for (partition, position) in state.positions.sorted(by: { $0.key < $1.key }) where !state.paused.contains(partition) {
                    let available = all[partition, default: []].dropFirst(Int(position)).prefix(maxRecords - polled.count)
                    polled += available
                    state.positions[partition] = position + Int64(available.count)
                }
                return polled
            }
            if polled.isEmpty { await Task.yield() }
            return polled
        }
    }
}
