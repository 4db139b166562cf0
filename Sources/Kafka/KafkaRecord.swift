import CRdKafka
import Foundation

/// A record header: a name and an optional byte value.
public struct KafkaHeader: Hashable, Sendable {
    public var name: String
    public var value: Data?

    public init(_ name: String, _ value: Data?) {
        self.name = name
        self.value = value
    }

    /// A header whose value is a UTF-8 string.
    public init(_ name: String, _ value: String) {
        self.init(name, Data(value.utf8))
    }
}

/// A record read from a partition.
public struct KafkaRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: Data?
    public var value: Data
    public var headers: [KafkaHeader]
    /// The record's timestamp (create time, or log-append time if the topic says so).
    public var timestamp: Date?

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }

    /// The first header with this name, decoded as UTF-8.
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value.flatMap { String(data: $0, encoding: .utf8) }
    }

    /// A record as a reader would return it (records held in memory, in tests of readers' users).
    public init(
        topic: String, partition: Int32, offset: Int64, key: Data?, value: Data, headers: [KafkaHeader] = [], timestamp: Date? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// Copies a librdkafka message that carries no error.
    init(copying message: UnsafePointer<rd_kafka_message_t>) {
        let m = message.pointee
        topic = String(cString: rd_kafka_topic_name(m.rkt))
        partition = m.partition
        offset = m.offset
        key = m.key.map { Data(bytes: $0, count: m.key_len) }
        value = m.payload.map { Data(bytes: $0, count: m.len) } ?? Data()
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ms = rd_kafka_message_timestamp(message, &type)
        timestamp = type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : Date(timeIntervalSince1970: Double(ms) / 1000)
        headers = Self.readHeaders(message)
    }

    private static func readHeaders(_ message: UnsafePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var native: OpaquePointer?
        guard rd_kafka_message_headers(message, &native) == RD_KAFKA_RESP_ERR_NO_ERROR, let native else { return [] }
        var headers: [KafkaHeader] = []
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(native, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            headers.append(KafkaHeader(String(cString: name!), value.map { Data(bytes: $0, count: size) }))
            index += 1
        }
        return headers
    }
}

/// A record to produce.
public struct ProducerMessage: Sendable {
    public var topic: String
    public var key: Data?
    public var value: Data
    public var headers: [KafkaHeader]
    /// An explicit partition, or nil to let the partitioner hash the key.
    public var partition: Int32?
    /// An explicit create time (millisecond precision), or nil for now.
    public var timestamp: Date?

    public init(topic: String, key: Data?, value: Data, headers: [KafkaHeader] = [], partition: Int32? = nil, timestamp: Date? = nil) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
        self.timestamp = timestamp
    }
}

/// The broker's acknowledgement of one produced record.
public struct DeliveryReport: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Date?

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Date? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }
}

/// What appends one record at a time: ``KafkaProducer``, or a test's stand-in where the logic
/// around the append is under test.
public protocol RecordProducer: Sendable {
    /// Returns once the broker acknowledged the record; a throw means it was not acknowledged.
    func send(_ message: ProducerMessage) async throws -> DeliveryReport
}
