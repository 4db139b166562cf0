import Foundation

/// The pure part of lag monitoring: rates and statuses from a partition's recent observations.
enum LagRules {
    /// One observation of a partition.
    struct Observation: Sendable, Hashable {
        var at: Date
        var checkpoint: Int64
        var logEnd: Int64
        var lag: Int64 { max(0, logEnd - checkpoint) }
    }

    /// Records folded per second between the oldest observation in the window and the newest.
    static func rate(_ window: [Observation]) -> Double? {
        guard let first = window.first, let last = window.last, last.at > first.at else { return nil }
        return Double(last.checkpoint - first.checkpoint) / last.at.timeIntervalSince(first.at)
    }

    /// The status of a partition given its observations in the window (oldest first, newest
    /// last) and the group's live members. A group with no member is not STOPPED while it has
    /// nothing to fold: a caught-up read model with no projector is for readiness to judge.
    static func status(_ window: [Observation], members: Int?, stallAfter: TimeInterval) -> LagStatus {
        guard let now = window.last else { return .ok }
        if now.logEnd < now.checkpoint { return .dataLoss }
        guard now.lag > 0 else { return .ok }
        // No live member while records wait: stopped, unless the checkpoint moves, which means a
        // consumer outside any group folds them (`encore dev`'s projectors own their partitions directly).
        if members == 0, window.first?.checkpoint == now.checkpoint { return .stopped }
        // Stalled: the checkpoint has been the same for at least `stallAfter`.
        let unchangedSince = window.reversed().prefix { $0.checkpoint == now.checkpoint }.last?.at ?? now.at
        if now.at.timeIntervalSince(unchangedSince) >= stallAfter { return .stalled }
        if let first = window.first, now.lag > first.lag, now.at.timeIntervalSince(first.at) >= stallAfter { return .warn }
        return .ok
    }
}
