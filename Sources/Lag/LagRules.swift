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
    /// last) and the group's live members.
    static func status(_ window: [Observation], members: Int?, stallAfter: TimeInterval) -> LagStatus {
        guard let now = window.last else { return .ok }
        if now.logEnd < now.checkpoint { return .dataLoss }
        if members == 0 { return .stopped }
        guard now.lag > 0 else { return .ok }
        // Stalled: the checkpoint has been the same for at least `stallAfter`.
        let unchangedSince = window.reversed().prefix { $0.checkpoint == now.checkpoint }.last?.at ?? now.at
        if now.at.timeIntervalSince(unchangedSince) >= stallAfter { return .stalled }
        if let first = window.first, now.lag > first.lag, now.at.timeIntervalSince(first.at) >= stallAfter { return .warn }
        return .ok
    }
}
