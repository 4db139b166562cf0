import ArgumentParser
import Domain
import Foundation
import Journal
import Kafka
import Log
import Logging
import Privacy
import Projection
import Projector
import Store

/// `encore log backup|restore`: copies of the log on disk, in the format `encore dev` keeps its
/// log in, restored at identical offsets — the answer to a lost or rebuilt cluster.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Back the log up to a directory and restore it into a cluster at identical offsets.",
        subcommands: [Backup.self, Restore.self, Rewrite.self]
    )

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Copy every Encore topic (records, offsets, timestamps, keys, headers), the cluster id and the projector groups' offsets into DIR.",
            discussion: "Run again on the same DIR, it copies only what is new. DIR must hold a backup of the same cluster or nothing."
        )

        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var logging: LoggingOptions

        @Option(help: "The backup directory.")
        var to: String

        @Flag(help: "Print the summary as JSON on standard output.")
        var json = false

        func run() async throws {
            try Librdkafka.requireMinimumVersion()
            let logger = logging.bootstrap(label: "encore.log")
            let journal = try Journal(directory: URL(fileURLWithPath: to), logger: logger)
            let display = ProgressDisplay(terminal: Terminal.standardErrorIsTTY)
            let groups = EntityKind.allCases.map { EncoreTopics.projectorGroup(prefix: kafka.topicPrefix, kind: $0) }
            let summary = try await LogBackup(journal: journal, kafka: kafka.log.admin, logger: logger)
                .backup(topics: EncoreTopics.names(prefix: kafka.topicPrefix), groups: groups) { display.show($0, "backing up the log") }
            display.finish()
            if json {
                Terminal.printJSON(try JSONEncoder().encode(summary))
            } else {
                print(
                    "backed up \(summary.copied) new records (\(summary.records) in all, \(summary.partitions) partitions, "
                        + "\(summary.consumerGroups) consumer groups) of cluster \(summary.clusterID) into \(to) in \(String(format: "%.1f", summary.seconds)) s"
                )
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Produce a backup into an empty cluster so that every record lands at its original offset, then verify it.",
            discussion: """
                Verifies every partition's end offset and a checksum of its records read back, and exits non-zero on \
                any difference. With --store, read models bound to the backup's cluster are rebound to the target \
                cluster once the restore verified, so projectors continue without a replay.
                """
        )

        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var logging: LoggingOptions

        @Option(help: "The backup directory.")
        var from: String

        @Option(help: "Read-model store to rebind to the target cluster (sqlite:PATH or postgres://…); none by default.")
        var store: String?

        @Flag(help: "Delete and re-create target topics that already hold records (each is named before it is overwritten).")
        var force = false

        @Flag(help: "Print the summary as JSON on standard output.")
        var json = false

        func run() async throws {
            try Librdkafka.requireMinimumVersion()
            let logger = logging.bootstrap(label: "encore.log")
            guard FileManager.default.fileExists(atPath: "\(from)/journal.json") else {
                throw ValidationError("\(from) holds no backup (no journal.json)")
            }
            let journal = try Journal(directory: URL(fileURLWithPath: from), logger: logger)
            let display = ProgressDisplay(terminal: Terminal.standardErrorIsTTY)
            let summary = try await LogRestorer(journal: journal, kafka: kafka.log.admin, logger: logger)
                .restore(force: force) { display.show($0, "restoring the log") }
            display.finish()
            var rebound = false
            if let store {
                rebound = try await rebind(store, from: summary.sourceClusterID, to: summary.targetClusterID, logger: logger)
            }
            if json {
                Terminal.printJSON(try JSONEncoder().encode(RestoreReport(summary: summary, rebound: rebound)))
            } else {
                print(
                    "restored \(summary.records) records into \(summary.partitions) partitions of cluster \(summary.targetClusterID) "
                        + "in \(String(format: "%.1f", summary.seconds)) s; every partition's end offset and checksum verified"
                        + (rebound ? "; read models rebound from cluster \(summary.sourceClusterID)" : ""))
            }
        }

        /// Points read models built from the backup's cluster at the target cluster.
        private func rebind(_ url: String, from source: String, to target: String, logger: Logger) async throws -> Bool {
            try await StoreDatabase.withStore(url: url, logger: logger) { store in
                let bound = try await store.clusterID()
                guard bound == nil || bound == source || bound == target else {
                    throw JournalError.mismatch(
                        "the read models in \(url) were built from cluster \(bound!), not from this backup's cluster \(source): not rebinding them"
                    )
                }
                if bound != target { try await store.setClusterID(target) }
                return bound != target
            }
        }
    }

    struct Rewrite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a backup made by any earlier encore into a new one with no personal data in plaintext.",
            discussion: """
                Every user record that carries fname, lname and email in plaintext is written sealed under its user's \
                data key (made in the key store of --store), at the same offset with the same timestamp, key and headers; \
                the records of users the log deletes are sealed under keys kept nowhere. Everything else is copied as it \
                is. Restore the new backup with `encore log restore`, then destroy the old cluster and the old backups \
                (docs/operations.md).
                """
        )

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var keyOptions: KeyOptions
        @OptionGroup var logging: LoggingOptions

        @Option(help: "The backup to read.")
        var from: String

        @Option(help: "The new backup directory (must not exist yet).")
        var to: String

        func run() async throws {
            let logger = logging.bootstrap(label: "encore.log")
            guard FileManager.default.fileExists(atPath: "\(from)/journal.json") else {
                throw ValidationError("\(from) holds no backup (no journal.json)")
            }
            guard !FileManager.default.fileExists(atPath: to) else { throw ValidationError("\(to) exists: give a new directory") }
            let source = try Journal(directory: URL(fileURLWithPath: from), logger: logger)
            let summary = try await storeOptions.withStoreAndKeys(keyOptions, logger: logger) { _, keys in
                let display = ProgressDisplay(terminal: Terminal.standardErrorIsTTY)
                defer { display.finish() }
                return try await LogRewrite(source: source, keys: keys).run(
                    into: try Journal(directory: URL(fileURLWithPath: to), logger: logger)
                ) {
                    display.show($0, "re-writing the log")
                }
            }
            print(
                "re-wrote \(summary.records) records into \(to): \(summary.sealed) user records sealed, "
                    + "\(summary.erased) deleted users left with no readable data")
        }
    }

    struct RestoreReport: Encodable {
        var summary: LogRestorer.Summary
        var rebound: Bool
    }
}
