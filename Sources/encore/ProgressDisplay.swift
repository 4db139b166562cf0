import Foundation
import Journal
import Locking
import Store

/// Shows a long job's progress (a replay, a log restore or backup): a redrawn bar on a
/// terminal, a plain line every few seconds otherwise (so logs and CI output stay readable).
final class ProgressDisplay: Sendable {
    private let terminal: Bool
    private let lastShown = Locked<Date>(.distantPast)
    private let drewBar = Locked(false)

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ progress: ReplayProgress) {
        draw(
            percent: progress.percent, done: progress.done, total: progress.total, rate: progress.rate, eta: progress.etaSeconds,
            bar: "\(progress.projection) \(progress.phase.rawValue)",
            line: "replay \(progress.namespace): \(progress.projection) \(progress.phase.rawValue), \(progress.percent)%"
        )
    }

    /// `what`: e.g. "restoring the log".
    func show(_ progress: TransferProgress, _ what: String) {
        draw(
            percent: progress.percent, done: progress.done, total: progress.total, rate: progress.rate, eta: progress.etaSeconds,
            bar: what, line: "\(what): \(progress.percent)%", final: progress.done >= progress.total
        )
    }

    private func draw(
        percent: Int, done: Int64, total: Int64, rate: Double, eta: Double?, bar label: String, line: String, final: Bool = false
    ) {
        let now = Date()
        let interval: TimeInterval = terminal ? 0.1 : 5
        let due = lastShown.withLock { last in
            guard final || now.timeIntervalSince(last) >= interval else { return false }
            last = now
            return true
        }
        guard due else { return }
        let etaText = eta.map { "ETA \(Terminal.duration($0))" } ?? "ETA –"
        let counts =
            "\(Terminal.grouped(done))/\(Terminal.grouped(total)) records, "
            + "\(Terminal.grouped(max(0, total - done))) left, \(Terminal.grouped(Int64(rate))) records/s, \(etaText)"
        if terminal {
            let width = 30
            let filled = width * percent / 100
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            Terminal.writeError("\r\u{1B}[2K\(bar) \(percent)% \(counts) · \(label)")
            drewBar.withLock { $0 = true }
        } else {
            Terminal.writeError("\(line) — \(counts)\n")
        }
    }

    /// Ends the bar's line so later output starts on a fresh one.
    func finish() {
        if drewBar.withLock({ $0 }) { Terminal.writeError("\n") }
    }
}
