import Domain
import Foundation
import Locking
import Store

/// Counts a replay's records and derives its rate (over the last few seconds) and ETA.
final class ProgressTracker: Sendable {
    private struct State {
        var progress: ReplayProgress
        /// (time, done) samples of the last few seconds, for the rate.
        var samples: [(Date, Int64)] = []
        var persistedAt: Date = .distantPast
    }

    private let state: Locked<State>
    private static let rateWindow: TimeInterval = 5

    init(namespace: String, started: Date) {
        state = Locked(
            State(
                progress: ReplayProgress(
                    namespace: namespace, projection: "", phase: .building, done: 0, total: 0, rate: 0, etaSeconds: nil,
                    startedAt: started, updatedAt: started
                )))
    }

    var snapshot: ReplayProgress { state.withLock { $0.progress } }

    func add(total: Int64) {
        state.withLock { $0.progress.total += total }
    }

    func begin(_ kind: EntityKind, phase: ReplayProgress.Phase) {
        state.withLock {
            $0.progress.projection = kind.topicSuffix
            $0.progress.phase = phase
        }
    }

    /// Adds `records`; returns the progress and whether it is time to persist it (once a second).
    func advance(by records: Int64) -> (progress: ReplayProgress, persist: Bool) {
        state.withLock { state in
            let now = Date()
            state.progress.done += records
            // Catching up reads past the end the replay started with.
            state.progress.total = max(state.progress.total, state.progress.done)
            state.progress.updatedAt = now
            state.samples.append((now, state.progress.done))
            state.samples.removeAll { now.timeIntervalSince($0.0) > Self.rateWindow }
            if let first = state.samples.first, now.timeIntervalSince(first.0) > 0.2 {
                state.progress.rate = Double(state.progress.done - first.1) / now.timeIntervalSince(first.0)
            } else if now.timeIntervalSince(state.progress.startedAt) > 0 {
                state.progress.rate = Double(state.progress.done) / now.timeIntervalSince(state.progress.startedAt)
            }
            let left = max(0, state.progress.total - state.progress.done)
            state.progress.etaSeconds = state.progress.rate > 0 ? Double(left) / state.progress.rate : nil
            let persist = now.timeIntervalSince(state.persistedAt) >= 1
            if persist { state.persistedAt = now }
            return (state.progress, persist)
        }
    }
}
