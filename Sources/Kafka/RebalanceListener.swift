/// Told by a group consumer when the group coordinator moves partitions to or from it.
///
/// Called synchronously on the consumer's polling thread, inside `poll`: keep it short.
public protocol RebalanceListener: Sendable {
    /// The consumer now owns `partitions`. Return a start position for any of them to
    /// override the group's committed offset (e.g. a checkpoint kept in a store).
    func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: KafkaOffset]

    /// The consumer is about to lose `partitions`: finish and checkpoint their work now.
    func partitionsRevoked(_ partitions: [TopicPartition])
}

extension RebalanceListener {
    public func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: KafkaOffset] { [:] }
    public func partitionsRevoked(_ partitions: [TopicPartition]) {}
}
