import Foundation

/// What a finished replay did (`encore replay --json` prints it).
public struct ReplaySummary: Sendable, Hashable, Codable {
    /// One rebuilt read model.
    public struct Model: Sendable, Hashable, Codable {
        public var projection: String
        /// Records read by this run (not counting what an earlier, resumed run read).
        public var records: Int64
        /// Records that cannot be folded (the live projector dead-letters them), skipped.
        public var poison: Int64
        /// Whether this run continued from the namespace's own checkpoint.
        public var resumed: Bool
        /// With ``ReplayConfiguration/Mode/activate``: the namespace it replaced (nil if none).
        public var replaced: String?
        /// Whether the namespace serves the projection now.
        public var active: Bool
        /// Where the rebuild's own loop spent its time (wall clock; models rebuild concurrently).
        public var stages: Stages
    }

    /// Seconds spent in each stage of a model's rebuild: waiting for fetched records, decoding
    /// them (data keys included), reading snapshots and applied commands, folding, and
    /// encoding and committing the result.
    public struct Stages: Sendable, Hashable, Codable {
        public var fetch: Double
        public var decode: Double
        public var read: Double
        public var fold: Double
        public var write: Double
    }

    public var namespace: String
    public var mode: ReplayConfiguration.Mode
    public var asOf: Date?
    public var models: [Model]
    /// With ``ReplayConfiguration/Mode/verify``: entities that differ from the live namespace.
    public var differences: [EntityDifference]
    public var seconds: Double
    public var recordsPerSecond: Double
}

/// One entity whose rebuilt state is not the live one.
public struct EntityDifference: Sendable, Hashable, Codable, CustomStringConvertible {
    public var projection: String
    public var id: UUID
    /// `version N`, `deleted` or `missing`, and the state as JSON, for each side.
    public var live: String
    public var rebuilt: String

    public var description: String { "\(projection) \(id.lowercasedString): live \(live), rebuilt \(rebuilt)" }
}
