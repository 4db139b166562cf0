/// A position in the log: a topic partition and an offset in it.
///
/// As a checkpoint, `offset` is the next offset to read (one past the last applied record).
public struct LogPosition: Sendable, Hashable, Codable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String { "\(topic)[\(partition)]@\(offset)" }
}
