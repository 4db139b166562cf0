import Dispatch
import Domain
import Kafka
import Log
import Logging
import MetadataKeys
import Metrics
import Projection
import Store

/// One polled batch's way into a read model: poison records to the dead-letter topic first, and
/// durably, so that the checkpoint may pass them; then the fold and its commit. It has no
/// consumer, so its decisions are tested without a broker.
struct BatchProcessor: Sendable {
    let applier: ProjectionApplier
    let deadLetterTopic: String
    let deadLetters: any RecordProducer
    /// Waited for before folding, where the broker's acknowledgement is not durability (dev).
    let durability: (any LogDurability)?
    private let logger: Logger
    private let applied: Counter
    private let rejected: Counter
    private let deadLettered: Counter
    private let batchTimer: Timer

    init(
        kind: EntityKind, keys: any PersonalDataKeys, deadLetterTopic: String, deadLetters: any RecordProducer,
        durability: (any LogDurability)?,
        logger: Logger
    ) {
        applier = ProjectionApplier(kind: kind, keys: keys)
        self.deadLetterTopic = deadLetterTopic
        self.deadLetters = deadLetters
        self.durability = durability
        self.logger = logger
        let dimensions = [("projection", kind.topicSuffix)]
        applied = Counter(label: "encore_projector_commands_total", dimensions: dimensions + [("outcome", "applied")])
        rejected = Counter(label: "encore_projector_commands_total", dimensions: dimensions + [("outcome", "rejected")])
        deadLettered = Counter(label: "encore_projector_dead_letters_total", dimensions: dimensions)
        batchTimer = Timer(label: "encore_projector_batch_seconds", dimensions: dimensions)
    }

    /// Dead-letters poison, folds the rest into `sink` and commits the batch; returns the new
    /// checkpoints. Nothing is committed when a dead letter or a durability wait fails.
    func process(_ records: [LogRecord], into sink: any ProjectionSink) async throws -> [LogPosition] {
        let started = DispatchTime.now()
        let decoded = try await applier.decode(records)
        var durable = Dictionary(
            records.map { (TopicPartition($0.position.topic, $0.position.partition), $0.position.offset) }, uniquingKeysWith: max)
        for (record, poison) in decoded.poison {
            let report = try await deadLetter(record, reason: poison.reason)
            durable[TopicPartition(report.topic, report.partition)] = max(
                durable[TopicPartition(report.topic, report.partition)] ?? 0, report.offset)
        }
        if let durability {
            for (partition, offset) in durable {
                try await durability.waitUntilDurable(partition, offset: offset, timeout: .seconds(30))
            }
        }
        let batch = try await applier.apply(decoded, records: records, to: sink)
        for checkpoint in batch.checkpoints {
            Gauge(
                label: "encore_projector_checkpoint",
                dimensions: [("projection", batch.kind.topicSuffix), ("partition", String(checkpoint.partition))]
            )
            .record(checkpoint.offset)
        }
        let appliedCount = batch.outcomes.count { $0.status == .applied }
        applied.increment(by: appliedCount)
        rejected.increment(by: batch.outcomes.count - appliedCount)
        batchTimer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds))
        return batch.checkpoints
    }

    private func deadLetter(_ record: LogRecord, reason: String) async throws -> DeliveryReport {
        logger.warning(
            "dead-lettering poison record", metadata: [MetadataKey.position: "\(record.position)", MetadataKey.reason: "\(reason)"])
        let report = try await deadLetters.send(
            ProducerMessage(
                topic: deadLetterTopic,
                key: record.key,
                value: record.value,
                headers: [
                    KafkaHeader("dlq.reason", reason),
                    KafkaHeader("dlq.topic", record.position.topic),
                    KafkaHeader("dlq.partition", String(record.position.partition)),
                    KafkaHeader("dlq.offset", String(record.position.offset)),
                    KafkaHeader("dlq.projection", applier.folder.kind.topicSuffix),
                ]
            ))
        deadLettered.increment()
        return report
    }
}
