import ArgumentParser
import Domain
import Foundation
import Kafka
import Locking
import Log
import Logging
import Projection
import Projector

/// `encore generate N`: appends a synthetic, deterministic workload straight to the topics
/// (for replay tests, benchmarks and demos; the gateway is not involved).
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Append N synthetic commands (creates, edits, deletes) straight to the topics, for benchmarks and demos."
    )

    @Argument(help: "How many commands to append.")
    var count: Int

    @Option(help: "Seed: the same seed appends the same commands.")
    var seed: UInt64 = 42

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var keyOptions: KeyOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard count > 0 else { throw ValidationError("the count must be positive") }
    }

    func run() async throws {
        try Librdkafka.requireMinimumVersion()
        let logger = logging.bootstrap(label: "encore.generate")
        try await kafka.ensureTopics(logger: logger)
        let producer = try KafkaProducer(
            configuration: kafka.log.producer(["linger.ms": "20"]),
            logger: logger)
        let started = ContinuousClock.now
        try await storeOptions.withStoreAndKeys(keyOptions, logger: logger) { _, keys in
            try await producer.closing {
                try await CommandAppender(producer: $0, topicPrefix: kafka.topicPrefix) { try await keys.keyring(writing: $0) }
                    .append(SyntheticWorkload(count: count, seed: seed))
            }
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print(
            "appended \(Terminal.grouped(Int64(count))) commands in \(String(format: "%.1f", seconds)) s (\(Terminal.grouped(Int64(Double(count) / seconds))) commands/s)"
        )
    }
}
