/// Told by a group consumer when the group coordinator moves partitions to or from it.
///
/// Called synchronously inside librdkafka's rebalance callback (on the consumer's polling
/// thread, inside `poll`): it must not block or wait for other work. An owner that starts
/// partitions at positions it must look up (checkpoints in a store) sets
/// ``holdsAssignedPartitions``, then seeks and resumes them from its own task.
public protocol RebalanceListener: Sendable {
    /// The consumer now owns `partitions`.
    func partitionsAssigned(_ partitions: [TopicPartition])

    /// The consumer is about to lose `partitions`: finish and checkpoint their work now.
    func partitionsRevoked(_ partitions: [TopicPartition])

    /// Whether newly assigned partitions start paused, nothing fetched from them until the owner
    /// calls ``KafkaConsumer/resume(_:)`` (after ``KafkaConsumer/seek(_:timeout:)``, typically).
    var holdsAssignedPartitions: Bool { get }
}

extension RebalanceListener {
    public func partitionsAssigned(_ partitions: [TopicPartition]) {}
    public func partitionsRevoked(_ partitions: [TopicPartition]) {}
    public var holdsAssignedPartitions: Bool { false }
}
