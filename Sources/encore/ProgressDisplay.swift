import Foundation
import Store
import Synchronization

/// Shows a replay's progress: a redrawn bar on a terminal, a plain line every few seconds
/// otherwise (so logs and CI output stay readable).
final class ProgressDisplay: Sendable {
    private let terminal: Bool
    private let lastShown = Mutex<Date>(.distantPast)
    private let drewBar = Mutex(false)

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ progress: ReplayProgress) {
        let now = Date()
        let interval: TimeInterval = terminal ? 0.1 : 5
        let due = lastShown.withLock { last in
            guard now.timeIntervalSince(last) >= interval else { return false }
            last = now
            return true
        }
        guard due else { return }
        let eta = progress.etaSeconds.map { "ETA \(Terminal.duration($0))" } ?? "ETA –"
        let counts = "\(Terminal.grouped(progress.done))/\(Terminal.grouped(progress.total)) records, "
            + "\(Terminal.grouped(max(0, progress.total - progress.done))) left, \(Terminal.grouped(Int64(progress.rate))) records/s, \(eta)"
        if terminal {
            let width = 30
            let filled = width * progress.percent / 100
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            Terminal.writeError("\r\u{1B}[2K\(bar) \(progress.percent)% \(counts) · \(progress.projection) \(progress.phase.rawValue)")
            drewBar.withLock { $0 = true }
        } else {
            Terminal.writeError("replay \(progress.namespace): \(progress.projection) \(progress.phase.rawValue), \(progress.percent)% — \(counts)\n")
        }
    }

    /// Ends the bar's line so later output starts on a fresh one.
    func finish() {
        if drewBar.withLock({ $0 }) { Terminal.writeError("\n") }
    }
}
