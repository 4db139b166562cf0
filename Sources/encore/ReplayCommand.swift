import ArgumentParser
import Domain
import Foundation
import Kafka
import Locking
import Log
import Logging
import Projection
import Projector
import Replay
import Store

/// `encore replay`: rebuild read models from the log beside the live ones, then switch, keep,
/// or compare; `replay list` and `replay drop` manage the namespaces.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild read models from the log into a new namespace with zero downtime.",
        subcommands: [Run.self, List.self, Drop.self],
        defaultSubcommand: Run.self
    )

    /// Rebuilds (or resumes rebuilding) read models.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Rebuild read models from the log (the default subcommand).",
            discussion: """
                Builds a new namespace from the beginning of the log while the live one keeps serving. Once it \
                has caught up with the live namespace it is activated atomically: gateways and projectors move \
                to it without a restart; the old namespace stays until `encore replay drop`. A killed replay \
                resumes from its own checkpoint when run again. Exit status: 0 done, 1 --verify found \
                differences, 3 the log lost data (see --adopt-log).
                """
        )

        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var keyOptions: KeyOptions
        @OptionGroup var logging: LoggingOptions

        @Option(help: "Read models to rebuild, comma-separated.")
        var models = "users,music,playlists"

        @Option(help: "Build this namespace (or resume it); default: resume an unfinished replay, else a new rNAME.")
        var namespace: String?

        @Option(help: "Stop at this time (ISO 8601, e.g. 2026-11-29T09:30:00Z): the catalog as it was then; kept as a snapshot.")
        var asOf: String?

        @Flag(help: "Build and keep the namespace beside the live one without activating it.")
        var noSwitch = false

        @Flag(help: "Rebuild on the side, compare with the live read models entity by entity, report differences, drop it.")
        var verify = false

        @Flag(help: "After the log was lost (new cluster id, log end behind a checkpoint): rebuild from the log as it is now and activate.")
        var adoptLog = false

        @Option(help: "Records folded per store transaction.")
        var batchSize = 4_000

        @Flag(help: "Print the summary as JSON on standard output.")
        var json = false

        func validate() throws {
            if [noSwitch, verify, adoptLog, asOf != nil].filter({ $0 }).count > 1 {
                throw ValidationError("choose one of --no-switch, --verify, --adopt-log and --as-of")
            }
            if let asOf, Moment.parseTime(asOf) == nil {
                throw ValidationError("--as-of \(asOf) is not an ISO 8601 time such as 2026-11-29T09:30:00Z")
            }
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        }

        func run() async throws {
            try Librdkafka.requireMinimumVersion()
            // glibc gives each busy thread its own malloc arena; with three read models folding
            // side by side that fragmentation alone added tens of MB of RSS.
            _ = setMallocArenaLimit(2)
            let logger = logging.bootstrap(label: "encore.replay")
            let mode: ReplayConfiguration.Mode = verify ? .verify : adoptLog ? .adoptLog : noSwitch || asOf != nil ? .build : .activate
            let configuration = ReplayConfiguration(
                log: kafka.log, kinds: try EntityKind.models(models, option: "--models"),
                namespace: namespace, asOf: asOf.flatMap(Moment.parseTime), mode: mode, batchSize: batchSize
            )
            // A broker restarted empty has no topics yet; adopting its log must not depend on a
            // projector or a write creating them first.
            if adoptLog { try await kafka.ensureTopics(logger: logger) }
            let display = ProgressDisplay(terminal: Terminal.standardErrorIsTTY)
            let summary: ReplaySummary
            do {
                defer { display.finish() }
                summary = try await storeOptions.withStoreAndKeys(keyOptions, logger: logger) { store, keys in
                    try await Replayer(configuration: configuration, store: store, keys: keys, logger: logger) { display.show($0) }.run()
                }
            } catch let lost as LogLost {
                Terminal.writeError("encore replay: \(lost)\n")
                throw ExitCode(3)
            }
            if json {
                Terminal.printJSON(try Self.encoder.encode(summary))
            } else {
                print(Self.describe(summary))
            }
            if !summary.differences.isEmpty { throw ExitCode(1) }
        }

        static var encoder: JSONEncoder {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            return encoder
        }

        static func describe(_ summary: ReplaySummary) -> String {
            var lines = [
                "replay into namespace \(summary.namespace) (\(summary.mode.rawValue)): "
                    + "\(Terminal.grouped(summary.models.reduce(0) { $0 + $1.records })) records in \(String(format: "%.1f", summary.seconds)) s, "
                    + "\(Terminal.grouped(Int64(summary.recordsPerSecond))) records/s"
            ]
            for model in summary.models {
                var line = "  \(model.projection): \(Terminal.grouped(model.records)) records"
                if model.resumed { line += ", resumed from its checkpoint" }
                if model.poison > 0 {
                    line += ", \(Terminal.grouped(model.poison)) poison records skipped (dead-lettered by the live projector)"
                }
                if model.active {
                    line += ", now active" + (model.replaced.map { " (replaced \($0), kept until `encore replay drop \($0)`)" } ?? "")
                }
                lines.append(line)
            }
            if let asOf = summary.asOf { lines.append("  snapshot as of \(asOf.formatted(.iso8601)); it is never activated") }
            if summary.mode == .verify {
                if summary.differences.isEmpty {
                    lines.append("verify: the rebuilt read models equal the live ones, entity by entity")
                } else {
                    lines.append("verify: \(summary.differences.count) entities differ:")
                    lines += summary.differences.prefix(50).map { "  \($0)" }
                    if summary.differences.count > 50 { lines.append("  … and \(summary.differences.count - 50) more (see --json)") }
                }
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Lists the namespaces and their state per read model.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List namespaces: which serves each read model, which are retired, snapshots, replays.")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = logging.bootstrap(label: "encore.replay")
            let catalog = try await storeOptions.withStore(logger: logger) { try await $0.catalog() }
            print(
                "NAMESPACE".padding(toLength: 24, withPad: " ", startingAt: 0) + "MODEL".padding(toLength: 11, withPad: " ", startingAt: 0)
                    + "STATE".padding(toLength: 10, withPad: " ", startingAt: 0) + "SINCE")
            for entry in catalog {
                var line =
                    entry.namespace.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + entry.projection.padding(toLength: 11, withPad: " ", startingAt: 0)
                    + entry.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + entry.changedAt.formatted(.iso8601)
                if let asOf = entry.asOf { line += "  as of \(asOf.formatted(.iso8601))" }
                print(line)
            }
        }
    }

    /// Drops a namespace that no longer serves anything.
    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "drop", abstract: "Drop a retired, snapshot or unfinished namespace.")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var logging: LoggingOptions

        @Argument(help: "The namespace to drop.")
        var namespace: String

        func run() async throws {
            let logger = logging.bootstrap(label: "encore.replay")
            try await storeOptions.withStore(logger: logger) { store in
                guard try await store.catalog().contains(where: { $0.namespace == namespace }) else {
                    throw ValidationError("no namespace \(namespace) (see `encore replay list`)")
                }
                try await store.sibling(namespace: namespace).closing { try await $0.drop() }
            }
            print("dropped namespace \(namespace)")
        }
    }
}

/// glibc's `mallopt(M_ARENA_MAX, n)`: neither the function nor the macro (-8) reaches Swift's
/// Glibc module, so it is bound by name.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

private func setMallocArenaLimit(_ arenas: Int32) -> Bool {
    let arenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
    return mallopt(arenaMax, arenas) == 1
}
