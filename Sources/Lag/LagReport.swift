import Foundation

/// How a projector group is doing, worst first when several partitions disagree.
public enum LagStatus: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Keeping up: no lag, or lag that is not growing.
    case ok = "OK"
    /// Lag grew over the window while the checkpoint moves: falling behind.
    case warn = "WARN"
    /// Lag > 0 and the checkpoint has not moved for the stall period.
    case stalled = "STALLED"
    /// The group has no live member: no projector is running for it.
    case stopped = "STOPPED"
    /// The log ends before the checkpoint: records the read model folded are gone.
    case dataLoss = "DATA_LOSS"

    /// Severity order, for "worst of".
    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: LagStatus, rhs: LagStatus) -> Bool { lhs.rank < rhs.rank }
}

/// Lag of every projector group: what `encore lag --json` prints and `/lag` serves.
public struct LagReport: Sendable, Hashable, Codable {
    public var generatedAt: Date
    /// The window rates and statuses are computed over.
    public var windowSeconds: Double
    public var groups: [GroupLag]
    /// Replays writing progress within the last minute.
    public var replays: [ReplayView]
    /// Past samples, oldest first (only in `/lag` and the dashboard; empty in one-off reports).
    public var history: [LagHistorySample]
}

/// One projector group (one read model).
public struct GroupLag: Sendable, Hashable, Codable {
    public var group: String
    public var projection: String
    /// The namespace whose checkpoints count (the active one).
    public var namespace: String
    public var topic: String
    public var status: LagStatus
    /// Sum over partitions of log end − checkpoint.
    public var lag: Int64
    /// Age of the oldest unprocessed record over all partitions; 0 without lag; nil if unknown.
    public var lagSeconds: Double?
    /// Records folded per second over the window.
    public var rate: Double?
    /// Live members of the consumer group; nil if the coordinator did not answer.
    public var members: Int?
    public var partitions: [PartitionLag]
}

/// One partition of a projector group's topic.
public struct PartitionLag: Sendable, Hashable, Codable {
    public var partition: Int32
    /// Next offset to fold, from the store (authoritative).
    public var checkpoint: Int64
    /// Next offset committed to Kafka (informational); nil when never committed.
    public var committed: Int64?
    /// Log end (high watermark) from Fetch responses.
    public var logEnd: Int64
    public var lag: Int64
    public var lagSeconds: Double?
    public var rate: Double?
    public var status: LagStatus
}

/// A replay in progress, as its catalog row says.
public struct ReplayView: Sendable, Hashable, Codable {
    public var namespace: String
    public var projection: String
    public var state: String
    public var done: Int64
    public var total: Int64
    public var rate: Double
    public var etaSeconds: Double?
    public var updatedAt: Date
}

/// One past sample, per group.
public struct LagHistorySample: Sendable, Hashable, Codable {
    public struct Point: Sendable, Hashable, Codable {
        public var lag: Int64
        public var lagSeconds: Double?
        public var rate: Double?
    }

    public var at: Date
    public var groups: [String: Point]
}

extension LagReport {
    /// JSON as `/lag` serves it: ISO 8601 times with milliseconds, sorted keys.
    public func json(pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return try encoder.encode(self)
    }
}
