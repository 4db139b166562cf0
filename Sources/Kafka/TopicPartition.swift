/// One partition of one topic.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// A position in a partition: an absolute offset or one of librdkafka's logical offsets.
public struct KafkaOffset: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ offset: Int64) { self.rawValue = offset }

    /// The oldest record still in the log.
    public static let beginning = KafkaOffset(rawValue: -2)
    /// The next record to be written.
    public static let end = KafkaOffset(rawValue: -1)
    /// The group's committed offset (falling back to `auto.offset.reset`).
    public static let stored = KafkaOffset(rawValue: -1000)
    /// No offset (e.g. nothing committed yet).
    public static let invalid = KafkaOffset(rawValue: -1001)

    /// True for a real position (>= 0) rather than a logical one.
    public var isAbsolute: Bool { rawValue >= 0 }

    public var description: String {
        switch self {
        case .beginning: "beginning"
        case .end: "end"
        case .stored: "stored"
        case .invalid: "none"
        default: String(rawValue)
        }
    }
}

/// A partition together with a position in it.
public struct TopicPartitionOffset: Hashable, Sendable, CustomStringConvertible {
    public var topicPartition: TopicPartition
    public var offset: KafkaOffset

    public init(_ topicPartition: TopicPartition, _ offset: KafkaOffset) {
        self.topicPartition = topicPartition
        self.offset = offset
    }

    public init(_ topic: String, _ partition: Int32, _ offset: KafkaOffset) {
        self.init(TopicPartition(topic, partition), offset)
    }

    public var description: String { "\(topicPartition)@\(offset)" }
}
