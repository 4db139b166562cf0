import Foundation

/// `journal.json`: what a journal holds besides its records — the cluster it was taken from,
/// each topic's partition count and, in a backup, the consumer groups' committed offsets.
public struct JournalManifest: Codable, Sendable, Equatable {
    public static let currentFormat = 1

    public var format = JournalManifest.currentFormat
    /// The Kafka cluster id of the log the records were taken from.
    public var clusterID: String
    /// Partition count per topic.
    public var topics: [String: Int32]
    /// Committed offsets per consumer group, topic and partition (a backup's; empty in dev).
    public var consumerGroups: [String: [String: [String: Int64]]]

    public init(clusterID: String, topics: [String: Int32] = [:], consumerGroups: [String: [String: [String: Int64]]] = [:]) {
        self.clusterID = clusterID
        self.topics = topics
        self.consumerGroups = consumerGroups
    }
}
