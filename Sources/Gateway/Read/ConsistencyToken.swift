import Domain

/// Where a command landed in the log, as `<projection>:<partition>:<offset>`.
///
/// A read that presents it (`X-Consistency-Token`) waits until that projection's checkpoint for
/// the partition has passed the offset, so it sees the write.
public struct ConsistencyToken: Sendable, Hashable, CustomStringConvertible {
    public var kind: EntityKind
    public var partition: Int32
    public var offset: Int64

    public init(kind: EntityKind, partition: Int32, offset: Int64) {
        self.kind = kind
        self.partition = partition
        self.offset = offset
    }

    /// Parses the header value; nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let kind = EntityKind.allCases.first(where: { $0.topicSuffix == parts[0] }),
            let partition = Int32(parts[1]), partition >= 0,
            let offset = Int64(parts[2]), offset >= 0
        else { return nil }
        self.init(kind: kind, partition: partition, offset: offset)
    }

    public var description: String { "\(kind.topicSuffix):\(partition):\(offset)" }

    static let header = "X-Consistency-Token"
}
