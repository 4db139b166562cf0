import Foundation

/// How far a replay is: kept in its namespace's catalog row (``NamespaceEntry/progress``) for
/// lag reports and dashboards, and shown by the CLI.
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

    public init(
        namespace: String, projection: String, phase: Phase, done: Int64, total: Int64, rate: Double, etaSeconds: Double?,
        startedAt: Date, updatedAt: Date
    ) {
        self.namespace = namespace
        self.projection = projection
        self.phase = phase
        self.done = done
        self.total = total
        self.rate = rate
        self.etaSeconds = etaSeconds
        self.startedAt = startedAt
        self.updatedAt = updatedAt
    }

    /// Whole percent done, 0–100.
    public var percent: Int { total == 0 ? 100 : Int(min(100, Double(done) * 100 / Double(total))) }

    /// The JSON kept in the catalog: ISO 8601 times, sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads what ``json()`` wrote.
    public init(json: Data) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        self = try decoder.decode(Self.self, from: json)
    }
}
