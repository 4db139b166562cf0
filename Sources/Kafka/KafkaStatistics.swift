import Foundation

/// A subset of librdkafka's periodic statistics (`statistics.interval.ms`), as values.
///
/// Field meanings follow librdkafka's STATISTICS.md; only what Encore reads is decoded.
public struct KafkaStatistics: Decodable, Sendable, Equatable {
    /// The client instance name, e.g. `rdkafka#producer-1`.
    public var name: String
    /// `producer` or `consumer`.
    public var type: String
    /// When librdkafka emitted these statistics.
    public var time: Date
    /// Messages waiting in the producer queue.
    public var queuedMessages: Int
    /// Messages transmitted to (producer) or received from (consumer) brokers.
    public var transmittedMessages: Int
    public var receivedMessages: Int
    public var brokers: [String: Broker]
    public var topics: [String: Topic]

    /// Per-broker connection figures.
    public struct Broker: Decodable, Sendable, Equatable {
        public var name: String
        public var state: String
        /// Round-trip time in microseconds, when measured.
        public var rtt: Window?
    }

    /// A rolling window of measurements (microseconds).
    public struct Window: Decodable, Sendable, Equatable {
        public var min: Int
        public var max: Int
        public var avg: Int
        public var p99: Int
    }

    /// Per-topic figures.
    public struct Topic: Decodable, Sendable, Equatable {
        public var topic: String
        public var partitions: [String: Partition]
    }

    /// Per-partition figures; offsets are -1001 where unknown.
    public struct Partition: Decodable, Sendable, Equatable {
        public var partition: Int32
        public var highWatermark: Int64
        public var lowWatermark: Int64
        public var committedOffset: Int64
        public var consumerLag: Int64

        enum CodingKeys: String, CodingKey {
            case partition
            case highWatermark = "hi_offset"
            case lowWatermark = "lo_offset"
            case committedOffset = "committed_offset"
            case consumerLag = "consumer_lag"
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, type, time, brokers, topics
        case queuedMessages = "msg_cnt"
        case transmittedMessages = "txmsgs"
        case receivedMessages = "rxmsgs"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        type = try c.decode(String.self, forKey: .type)
        time = Date(timeIntervalSince1970: try c.decode(Double.self, forKey: .time))
        queuedMessages = try c.decode(Int.self, forKey: .queuedMessages)
        transmittedMessages = try c.decode(Int.self, forKey: .transmittedMessages)
        receivedMessages = try c.decode(Int.self, forKey: .receivedMessages)
        brokers = try c.decodeIfPresent([String: Broker].self, forKey: .brokers) ?? [:]
        topics = try c.decodeIfPresent([String: Topic].self, forKey: .topics) ?? [:]
    }

    /// Decodes the JSON document librdkafka hands to its statistics callback.
    public static func decode(_ json: Data) throws -> KafkaStatistics {
        try JSONDecoder().decode(KafkaStatistics.self, from: json)
    }
}
