import ArgumentParser
import Domain
import Foundation
import Kafka
import Lag
import Locking
import Logging
import Store

/// `encore lag`: how far behind every projector group is, per topic partition.
struct LagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lag",
        abstract: "Show how far behind each projector is: records, seconds, rate and status per partition.",
        discussion: """
            Lag is the log end (from Fetch high watermarks) minus the store's checkpoint; lag in seconds is the age \
            of the oldest record not folded yet. Status: OK; WARN (lag grew over the window); STALLED (lag and the \
            checkpoint not moving); STOPPED (no live member in the group); DATA_LOSS (the log ends before the checkpoint). \
            Exit status 0, or 1 when any group is not OK.
            """
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var logging: LoggingOptions

    @Flag(help: "Print JSON (the same document as the gateway's /lag).")
    var json = false

    @Flag(help: "Keep measuring and redraw every --interval seconds until interrupted.")
    var watch = false

    @Option(help: "Seconds between samples.")
    var interval: Double = 2

    @Option(help: "Seconds of samples that rates and statuses are computed over.")
    var window: Double = 30

    @Option(help: "Seconds a lagging checkpoint may stand still before the partition is STALLED.")
    var stallAfter: Double = 10

    func validate() throws {
        guard interval > 0, window >= interval, stallAfter > 0 else {
            throw ValidationError("--interval and --stall-after must be positive, and --window at least --interval")
        }
    }

    func run() async throws {
        try Librdkafka.requireMinimumVersion()
        var logger = logging.bootstrap(label: "encore.lag")
        logger.logLevel = max(logger.logLevel, .warning)
        let settings = LagMonitor.Settings(
            interval: .milliseconds(Int64(interval * 1000)), window: .milliseconds(Int64(window * 1000)),
            stallAfter: .milliseconds(Int64(stallAfter * 1000)), history: .milliseconds(Int64(window * 1000))
        )
        let healthy = try await storeOptions.withStore(logger: logger) { store in
            try await ActiveNamespaces(base: store, logger: logger).closing { namespaces in
                try await LagMonitor(
                    log: kafka.log, namespaces: namespaces,
                    settings: settings, logger: logger
                )
                .closing { monitor in try await report(monitor, every: settings.interval) }
            }
        }
        if !healthy { throw ExitCode(1) }
    }

    /// Prints the lag (once, or until interrupted with `--watch`); whether every group was OK at the last sample.
    private func report(_ monitor: LagMonitor, every interval: Duration) async throws -> Bool {
        var healthy = true
        // Rates need two samples.
        _ = try await monitor.sample()
        repeat {
            try await Task.sleep(for: interval)
            var report = try await monitor.sample()
            report.history = []
            healthy = report.groups.allSatisfy { $0.status == .ok }
            if json {
                Terminal.printJSON(try report.json(pretty: !watch))
            } else {
                if watch, Terminal.standardOutputIsTTY { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                print(LagTable.render(report))
            }
        } while watch
        return healthy
    }
}

/// The human-readable lag table.
enum LagTable {
    static func render(_ report: LagReport) -> String {
        let header = ["GROUP", "NAMESPACE", "PARTITION", "CHECKPOINT", "COMMITTED", "LOG END", "LAG", "LAG s", "RATE/s", "STATUS"]
        var rows: [[String]] = []
        for group in report.groups {
            rows.append([
                group.group, group.namespace, "all", "", "", "", String(group.lag), seconds(group.lagSeconds), rate(group.rate),
                group.status.rawValue + (group.members.map { " (\($0) member\($0 == 1 ? "" : "s"))" } ?? ""),
            ])
            for partition in group.partitions {
                rows.append([
                    "", "", String(partition.partition), String(partition.checkpoint), partition.committed.map(String.init) ?? "-",
                    String(partition.logEnd), String(partition.lag), seconds(partition.lagSeconds), rate(partition.rate),
                    partition.status.rawValue,
                ])
            }
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        let line = { (cells: [String]) in
            cells.enumerated().map { index, cell in
                // Names left-aligned, numbers right-aligned.
                index < 2 || index == cells.count - 1
                    ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: "  ").replacing(/\s+$/, with: "")
        }
        let stamp = "lag at \(report.generatedAt.formatted(.iso8601)), rates over \(Int(report.windowSeconds)) s"
        let replays = report.replays.map {
            "replay \($0.namespace) \($0.projection) \($0.state): \($0.done)/\($0.total) records, \(Int($0.rate)) records/s"
        }
        return ([stamp, line(header)] + rows.map(line) + replays).joined(separator: "\n")
    }

    private static func seconds(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "?" }
    private static func rate(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "-" }
}
