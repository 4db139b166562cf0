import Foundation
import Kafka
import KafkaTesting
import Logging
import Testing

/// Kafka over TLS for real: a Tansu broker behind `stunnel` with a CA made for the test, the
/// client configured through ``KafkaClientSettings`` as an operator's variables would.
@Suite("TLS to Kafka through stunnel", .serialized)
struct TLSTests {
    @Test("produce and consume through TLS with verification on")
    func produceAndConsume() async throws {
        try await TLSTestBroker.with { tls in
            let settings = try KafkaClientSettings.load(
                file: nil,
                environment: ["ENCORE_KAFKA_SECURITY_PROTOCOL": "SSL", "ENCORE_KAFKA_SSL_CA_LOCATION": tls.certificates.authority],
                brokers: tls.bootstrapServers
            )
            try settings.check()
            #expect(settings.properties["ssl.endpoint.identification.algorithm"] == nil)  // librdkafka's default: https, host name checked
            let logger = tls.broker.logger
            let topic = "tls-\(UUID().uuidString.prefix(8).lowercased())"
            try await KafkaAdmin.with(
                configuration: KafkaConfiguration(bootstrapServers: settings.bootstrapServers, settings.properties), logger: logger
            ) {
                try await $0.createTopics([TopicSpecification(name: topic, partitions: 2)], ifNotExists: false)
            }
            let producer = try KafkaProducer(
                configuration: .producer(bootstrapServers: settings.bootstrapServers, settings.properties), logger: logger)
            for index in 0..<20 {
                _ = try await producer.send(ProducerMessage(topic: topic, key: Data("k\(index)".utf8), value: Data("v\(index)".utf8)))
            }
            await producer.close()
            let consumer = try KafkaConsumer(
                configuration: .consumer(
                    bootstrapServers: settings.bootstrapServers, groupID: "tls-\(UUID().uuidString)",
                    sessionTimeout: TestBroker.sessionTimeout,
                    ["fetch.wait.max.ms": "50"].merging(settings.properties) { _, new in new }
                ),
                logger: logger
            )
            try consumer.subscribe(topics: [topic])
            var values: Set<String> = []
            try await eventually("20 records consumed through TLS", timeout: .seconds(60)) {
                for record in try await consumer.poll() { values.insert(String(decoding: record.value, as: UTF8.self)) }
                return values.count == 20
            }
            #expect(values == Set((0..<20).map { "v\($0)" }))
            await consumer.close()
        }
    }

    @Test("a wrong CA fails within the timeout, saying the certificate was not verified")
    func wrongAuthority() async throws {
        try await TLSTestBroker.with { tls in
            let other = try await TestCertificates.make(name: "Some Other CA")
            defer { other.remove() }
            let settings = try KafkaClientSettings(
                variableProperties: ["security.protocol": "SSL", "ssl.ca.location": other.authority, "socket.timeout.ms": "5000"],
                brokers: tls.bootstrapServers
            )
            let producer = try KafkaProducer(
                configuration: .producer(
                    bootstrapServers: settings.bootstrapServers,
                    ["message.timeout.ms": "5000"].merging(settings.properties) { _, new in new }),
                logger: tls.broker.logger
            )
            let started = ContinuousClock.now
            let error = await #expect(throws: KafkaError.self) {
                _ = try await producer.send(ProducerMessage(topic: "tls-wrong-ca", key: nil, value: Data("x".utf8)))
            }
            let elapsed = ContinuousClock.now - started
            await producer.close()
            #expect(elapsed < .seconds(15))
            #expect(error?.isTimeout == true)
            #expect(error?.message.contains("certificate verify failed") == true, "\(String(describing: error))")
        }
    }

    @Test("a wrong host name fails within the timeout, saying the certificate does not match")
    func wrongHostName() async throws {
        try await TLSTestBroker.with { tls in
            // The certificate is for localhost; the broker is reached as 127.0.0.1.
            let settings = try KafkaClientSettings(
                variableProperties: tls.clientProperties, brokers: "127.0.0.1:\(tls.proxy.port)"
            )
            let admin = try KafkaAdmin(
                configuration: KafkaConfiguration(bootstrapServers: settings.bootstrapServers, settings.properties),
                logger: tls.broker.logger)
            let started = ContinuousClock.now
            let error = await #expect(throws: KafkaError.self) { _ = try await admin.clusterID(timeout: .seconds(5)) }
            #expect(ContinuousClock.now - started < .seconds(15))
            await admin.close()
            #expect(error?.message.contains("certificate verify failed") == true, "\(String(describing: error))")
        }
    }
}
