import Foundation
import Locking

/// How far a copy of records (restore, backup) has come.
public struct TransferProgress: Sendable {
    public var done: Int64
    public var total: Int64
    /// Records per second since the start.
    public var rate: Double

    public init(done: Int64, total: Int64, rate: Double) {
        self.done = done
        self.total = total
        self.rate = rate
    }

    public var left: Int64 { max(0, total - done) }
    public var percent: Int { total == 0 ? 100 : Int(min(100, done * 100 / total)) }
    public var etaSeconds: Double? { rate > 0 ? Double(left) / rate : nil }
}

/// Counts records copied and reports progress at most every 100 ms (and at the end), in order:
/// partitions are copied concurrently, and a report of fewer records must never follow the final one.
final class TransferMeter: Sendable {
    private let total: Int64
    private let started = ContinuousClock.now
    private let progress: @Sendable (TransferProgress) -> Void
    private let state = Locked<(done: Int64, shown: ContinuousClock.Instant)>((0, .now - .seconds(1)))

    init(total: Int64, progress: @escaping @Sendable (TransferProgress) -> Void) {
        self.total = total
        self.progress = progress
    }

    func add(_ count: Int64) {
        let now = ContinuousClock.now
        // Reported under the lock, so reports reach the display in the order they were counted.
        state.withLock { state in
            state.done += count
            guard now - state.shown >= .milliseconds(100) || state.done >= total else { return }
            state.shown = now
            let elapsed = (now - started) / .seconds(1)
            progress(TransferProgress(done: state.done, total: total, rate: elapsed > 0 ? Double(state.done) / elapsed : 0))
        }
    }
}
