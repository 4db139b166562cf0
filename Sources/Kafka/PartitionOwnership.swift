/// Partitions a process consumes right now, whether a consumer group handed them out or the
/// process assigned them to itself. `encore dev`'s projectors own every partition directly and
/// are members of no group, so monitoring asks them rather than the group coordinator.
public protocol PartitionOwnership: Sendable {
    var assignedPartitions: Set<TopicPartition> { get }
}
