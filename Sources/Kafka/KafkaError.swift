import CRdKafka

/// An error reported by librdkafka or by this client, with librdkafka's code and text.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t` value (negative: client-side, positive: broker-side).
    public let code: Int32
    /// librdkafka's symbolic name for ``code``, e.g. `_MSG_TIMED_OUT`.
    public let name: String
    /// Human-readable detail: librdkafka's text plus, where useful, what Encore was doing.
    public let message: String
    /// The same call may succeed if made again (a broker or coordinator not reachable for now,
    /// a timeout); librdkafka's own verdict where it gave one.
    public let isRetriable: Bool
    /// The client can no longer be used (e.g. the idempotent producer lost its guarantee): close
    /// it and make a new one; retrying on it fails forever.
    public let isFatal: Bool

    /// Creates an error from a raw librdkafka code, using librdkafka's text when none is given.
    public init(code: Int32, message: String? = nil) {
        self.init(
            code: code, message: message, retriable: Self.retriableCodes.contains(code), fatal: code == RD_KAFKA_RESP_ERR__FATAL.rawValue)
    }

    private init(code: Int32, message: String?, retriable: Bool, fatal: Bool) {
        self.code = code
        let err = rd_kafka_resp_err_t(rawValue: code)
        self.name = String(cString: rd_kafka_err2name(err))
        self.message = message ?? String(cString: rd_kafka_err2str(err))
        self.isFatal = fatal
        self.isRetriable = retriable && !fatal
    }

    /// Codes that are transient by their nature, for errors that come as a bare code (delivery
    /// reports, callbacks); librdkafka's error objects say so themselves.
    private static let retriableCodes: Set<Int32> = Set(
        [
            RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
            RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__WAIT_COORD,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR,
        ].map(\.rawValue))

    init(_ err: rd_kafka_resp_err_t, message: String? = nil) {
        self.init(code: err.rawValue, message: message)
    }

    /// Takes ownership of a librdkafka error object and destroys it.
    init(consuming error: OpaquePointer) {
        self.init(
            code: rd_kafka_error_code(error).rawValue, message: String(cString: rd_kafka_error_string(error)),
            retriable: rd_kafka_error_is_retriable(error) != 0, fatal: rd_kafka_error_is_fatal(error) != 0
        )
        rd_kafka_error_destroy(error)
    }

    /// A configuration property was unknown or had an invalid value.
    public static func configuration(_ message: String) -> KafkaError {
        KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, message: message)
    }

    /// The client was already closed when the call was made.
    public static let closed = KafkaError(RD_KAFKA_RESP_ERR__DESTROY, message: "the Kafka client is closed")

    /// True when the message could not be delivered before `message.timeout.ms` ran out.
    public var isTimeout: Bool {
        code == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue || code == RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue
    }

    /// True when the topic or partition asked for does not exist.
    public var isUnknownTopicOrPartition: Bool { code == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue }

    public var description: String { "Kafka error \(name) (\(code)): \(message)" }
}

extension rd_kafka_resp_err_t {
    /// Throws unless this is `RD_KAFKA_RESP_ERR_NO_ERROR`.
    func check(_ context: @autoclosure () -> String) throws(KafkaError) {
        guard self != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        throw KafkaError(self, message: "\(context()): \(String(cString: rd_kafka_err2str(self)))")
    }
}

extension String {
    /// Reads a NUL-terminated error buffer filled in by librdkafka.
    init(errorBuffer: [CChar]) {
        let bytes = errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self.init(decoding: bytes, as: UTF8.self)
    }
}
