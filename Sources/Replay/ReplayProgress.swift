import Foundation

/// How far a replay is: written to the catalog for dashboards, and shown by the CLI.
public struct ReplayProgress: Sendable, Hashable, Codable {
    /// What the replay is doing now.
    public enum Phase: String, Sendable, Hashable, Codable {
        /// Reading the log up to the end it had when the replay started.
        case building
        /// Reading on until it has reached the live namespace, to activate or compare.
        case catchingUp = "catching-up"
        /// Comparing with the live namespace.
        case verifying
    }

    public var namespace: String
    /// The read model being rebuilt now.
    public var projection: String
    public var phase: Phase
    /// Records read so far, over every read model of the replay.
    public var done: Int64
    /// Records to read in the building phase, over every read model.
    public var total: Int64
    /// Records per second over the last few seconds.
    public var rate: Double
    /// Seconds left at that rate; nil before a rate is known.
    public var etaSeconds: Double?
    public var startedAt: Date
    public var updatedAt: Date

    /// Whole percent done, 0–100.
    public var percent: Int { total == 0 ? 100 : Int(min(100, Double(done) * 100 / Double(total))) }
}
