import CRdKafka
import Foundation

/// librdkafka configuration properties for one client, with Encore's defaults per role.
///
/// Any librdkafka property can be set by name; an unknown name or invalid value is
/// reported as a ``KafkaError`` when the client is created, naming the property.
public struct KafkaConfiguration: Sendable, CustomStringConvertible, CustomReflectable {
    /// The properties handed to librdkafka, by their librdkafka names.
    public var properties: [String: String]

    /// A configuration with `bootstrap.servers` set, plus `extra`.
    ///
    /// Client metrics push (KIP-714) is off: with it on, librdkafka 2.8's `rd_kafka_destroy`
    /// can hang waiting for the telemetry thread to terminate (seen against Tansu).
    public init(bootstrapServers: String, _ extra: [String: String] = [:]) {
        properties = ["bootstrap.servers": bootstrapServers, "enable.metrics.push": "false"].merging(extra) { _, new in new }
    }

    /// Reads or sets one librdkafka property.
    public subscript(key: String) -> String? {
        get { properties[key] }
        set { properties[key] = newValue }
    }

    /// Producer defaults: idempotent, `acks=all`, batching on, delivery bounded to 30 s.
    public static func producer(bootstrapServers: String, _ extra: [String: String] = [:]) -> KafkaConfiguration {
        KafkaConfiguration(
            bootstrapServers: bootstrapServers,
            [
                "enable.idempotence": "true",
                "acks": "all",
                "linger.ms": "5",
                "batch.num.messages": "10000",
                // Without this bound a send to an unreachable broker would wait 300 s.
                "message.timeout.ms": "30000",
                // A partition's queued records are checked for timeouts between reconnect
                // attempts: librdkafka's 10 s backoff ceiling would stretch the bound above.
                "reconnect.backoff.max.ms": "1000",
            ].merging(extra) { _, new in new }
        )
    }

    /// Consumer defaults: explicit commits, start at the earliest record, no EOF events.
    public static func consumer(
        bootstrapServers: String,
        groupID: String,
        sessionTimeout: Duration = .seconds(45),
        _ extra: [String: String] = [:]
    ) -> KafkaConfiguration {
        var base = [
            "enable.auto.commit": "false",
            "auto.offset.reset": "earliest",
            "enable.partition.eof": "false",
            "session.timeout.ms": String(sessionTimeout.milliseconds),
            "heartbeat.interval.ms": String(max(sessionTimeout.milliseconds / 3, 100)),
        ]
        base["group.id"] = groupID
        return KafkaConfiguration(bootstrapServers: bootstrapServers, base.merging(extra) { _, new in new })
    }

    /// Builds librdkafka's configuration object; the caller owns it.
    func makeNative() throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, key, value, &errstr, errstr.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                // librdkafka's reason may quote the value: a secret is cut out of it too.
                let secret = KafkaClientSettings.isSecret(key) && !value.isEmpty
                let reason = String(errorBuffer: errstr)
                let printable = secret ? reason.replacingOccurrences(of: value, with: "[redacted]") : reason
                // An unknown name's value says nothing, and might be a secret under a misspelt name.
                let setting = result == RD_KAFKA_CONF_UNKNOWN ? key : "\(key)=\(KafkaClientSettings.printable(key, value))"
                throw .configuration("invalid Kafka configuration \(setting): \(printable)")
            }
        }
        return conf
    }

    /// Frees a configuration object from ``makeNative()`` that no client took over.
    static func destroy(_ conf: OpaquePointer) {
        rd_kafka_conf_destroy(conf)
    }

    /// The properties with secrets redacted, so that printing a configuration never leaks one.
    public var description: String {
        properties.sorted { $0.key < $1.key }.map { "\($0.key)=\(KafkaClientSettings.printable($0.key, $0.value))" }.joined(separator: ", ")
    }

    /// Reflection (`dump`, a crash's printed values) sees the redacted text, not the dictionary.
    public var customMirror: Mirror { Mirror(self, children: ["properties": description]) }
}

extension Duration {
    /// Whole milliseconds, saturating at `Int32.max` (librdkafka's timeout type).
    var milliseconds: Int32 {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }
}
