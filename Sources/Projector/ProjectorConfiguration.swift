import Domain
import Kafka
import Log

/// Where a projector reads from and how it batches.
public struct ProjectorConfiguration: Sendable {
    /// Where the log is, and the operator's settings for the consumers and the dead-letter producer.
    public var log: LogLocation
    /// The read models this process maintains (one consumer group each).
    public var kinds: [EntityKind]
    /// Records folded per store transaction at most.
    public var maxBatch: Int
    /// Consumer group session timeout (Tansu holds JoinGroup for half of it).
    public var sessionTimeout: Duration
    /// Folds at most this many records per second per read model; nil is unthrottled. A testing
    /// and operations knob: it keeps a projector deliberately behind (slow-consumer drills).
    public var maxRecordsPerSecond: Int?
    /// How often the running projector re-checks that the log still holds what it folded.
    public var logCheckInterval: Duration
    /// Where the broker's acknowledgement is not durability (`encore dev`): a batch is folded
    /// only once its records (and its dead letters) are durable, so a read model never gets
    /// ahead of the log it could be rebuilt from. nil on a real cluster.
    public var durability: (any LogDurability)?
    /// How partitions reach this process's consumers.
    public var membership: Membership

    /// How a projector process comes to own partitions.
    public enum Membership: Sendable {
        /// Joins each read model's consumer group, which shares the partitions between the
        /// processes running: the production mode.
        case group
        /// Assigns itself every partition of its topics at start, with no rebalance to wait for
        /// (Tansu holds a JoinGroup for half the session timeout), still committing positions
        /// under the group ids so standard Kafka tools see them. Only for a process that is the
        /// sole projector of its read models: `encore dev`.
        case sole
    }

    public init(
        log: LogLocation,
        kinds: [EntityKind] = EntityKind.allCases,
        maxBatch: Int = 2000,
        sessionTimeout: Duration = .seconds(45),
        maxRecordsPerSecond: Int? = nil,
        logCheckInterval: Duration = .seconds(3),
        durability: (any LogDurability)? = nil,
        membership: Membership = .group
    ) {
        self.membership = membership
        self.durability = durability
        self.log = log
        self.kinds = kinds
        self.maxBatch = maxBatch
        self.sessionTimeout = sessionTimeout
        self.maxRecordsPerSecond = maxRecordsPerSecond
        self.logCheckInterval = logCheckInterval
    }

    /// Consumer group of one read model: `<prefix>.projector.<users|music|playlists>`.
    public func groupID(for kind: EntityKind) -> String { log.projectorGroup(kind) }

    /// Where records no projector can fold are sent, with the reason in headers.
    public var deadLetterTopic: String { EncoreTopics.deadLetter(prefix: log.topicPrefix) }
}
