import Foundation
import Kafka
import Tracing

/// Writes trace context (W3C `traceparent`, `tracestate`, …) into a record's headers, so a
/// projector can continue the producer's trace.
public struct KafkaHeaderInjector: Injector {
    public init() {}

    public func inject(_ value: String, forKey key: String, into carrier: inout [KafkaHeader]) {
        carrier.append(KafkaHeader(key, value))
    }
}

/// Reads trace context from a consumed record's headers.
public struct KafkaHeaderExtractor: Extractor {
    public init() {}

    public func extract(key: String, from carrier: [KafkaHeader]) -> String? {
        carrier.first { $0.name == key }?.value.map { String(decoding: $0, as: UTF8.self) }
    }
}
