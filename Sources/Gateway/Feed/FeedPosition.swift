import Domain

/// How far a change feed has gone: per partition of the feed's topic, the offset of the last
/// record it covered (a partition that is absent covered nothing yet). Offsets are the log's, so a
/// position means the same in every namespace a replay builds.
///
/// Written as an event id and read back from `Last-Event-ID` or `?after=`: `0:15,1:7,3:22`,
/// partitions in ascending order.
struct FeedPosition: Sendable, Hashable, CustomStringConvertible {
    private(set) var offsets: [Int32: Int64]

    init(_ offsets: [Int32: Int64] = [:]) {
        self.offsets = offsets
    }

    /// The position just before a projection's checkpoints (which name the next offset to read).
    init(checkpoints: [LogPosition]) {
        offsets = Dictionary(checkpoints.filter { $0.offset > 0 }.map { ($0.partition, $0.offset - 1) }, uniquingKeysWith: max)
    }

    /// Parses an event id; nil when it is not one. "" is the start of the log.
    init?(_ text: String) {
        var offsets: [Int32: Int64] = [:]
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) where !text.isEmpty {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let partition = Int32(parts[0]), partition >= 0, let offset = Int64(parts[1]), offset >= 0,
                offsets[partition] == nil
            else { return nil }
            offsets[partition] = offset
        }
        self.offsets = offsets
    }

    /// The last offset covered on `partition`; -1 when nothing was.
    subscript(partition: Int32) -> Int64 { offsets[partition] ?? -1 }

    /// Whether a record is already covered (delivered, or passed over as not matching).
    func covers(_ position: LogPosition) -> Bool { position.offset <= self[position.partition] }

    /// Whether this position has reached `other` on every partition.
    func reaches(_ other: FeedPosition) -> Bool { other.offsets.allSatisfy { self[$0.key] >= $0.value } }

    /// Covers everything up to `offset` on `partition` as well.
    mutating func advance(_ partition: Int32, to offset: Int64) {
        if offset > self[partition] { offsets[partition] = offset }
    }

    /// Covers everything `other` covers as well.
    mutating func advance(to other: FeedPosition) {
        for (partition, offset) in other.offsets { advance(partition, to: offset) }
    }

    var description: String {
        offsets.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
}
