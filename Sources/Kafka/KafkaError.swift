import CRdKafka

/// An error reported by librdkafka or by this client, with librdkafka's code and text.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t` value (negative: client-side, positive: broker-side).
    public let code: Int32
    /// librdkafka's symbolic name for ``code``, e.g. `_MSG_TIMED_OUT`.
    public let name: String
    /// Human-readable detail: librdkafka's text plus, where useful, what Encore was doing.
    public let message: String

    /// Creates an error from a raw librdkafka code, using librdkafka's text when none is given.
    public init(code: Int32, message: String? = nil) {
        self.code = code
        let err = rd_kafka_resp_err_t(rawValue: code)
        self.name = String(cString: rd_kafka_err2name(err))
        self.message = message ?? String(cString: rd_kafka_err2str(err))
    }

    init(_ err: rd_kafka_resp_err_t, message: String? = nil) {
        self.init(code: err.rawValue, message: message)
    }

    /// Takes ownership of a librdkafka error object and destroys it.
    init(consuming error: OpaquePointer) {
        self.init(code: rd_kafka_error_code(error).rawValue, message: String(cString: rd_kafka_error_string(error)))
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
