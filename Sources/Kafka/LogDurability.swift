/// Says when an appended record is durable beyond the broker's acknowledgement.
///
/// On Apache Kafka `acks=all` is the durability, and no such gate is used. `encore dev`'s
/// broker keeps records in memory only, so there a journal on disk is the durability, and
/// writers wait for it before they acknowledge (and projectors before they fold).
public protocol LogDurability: Sendable {
    /// Returns once the record at `offset` of `partition` is durable; throws if that cannot be
    /// known within `timeout` (the record may or may not be kept).
    func waitUntilDurable(_ partition: TopicPartition, offset: Int64, timeout: Duration) async throws
}
