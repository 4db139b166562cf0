import Foundation
import Kafka
import Logging
import Testing

@Suite("Configuration and library checks (no broker)")
struct ConfigurationTests {
    @Test("an unknown configuration key is a clear error naming the key")
    func unknownKey() throws {
        let configuration = KafkaConfiguration.producer(bootstrapServers: "127.0.0.1:1", ["no.such.setting": "1"])
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: configuration, logger: Logger(label: "test"))
        }
        #expect(error?.message.contains("no.such.setting") == true)
        #expect(error?.message.contains("No such configuration property") == true)
    }

    @Test("an invalid value is a clear error naming the key and value")
    func invalidValue() throws {
        let configuration = KafkaConfiguration.consumer(bootstrapServers: "127.0.0.1:1", groupID: "g", ["session.timeout.ms": "soon"])
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaConsumer(configuration: configuration, logger: Logger(label: "test"))
        }
        #expect(error?.message.contains("session.timeout.ms=soon") == true)
    }

    @Test("consumer defaults carry the requested session timeout")
    func sessionTimeout() {
        let configuration = KafkaConfiguration.consumer(bootstrapServers: "b:9092", groupID: "g", sessionTimeout: .seconds(6))
        #expect(configuration["session.timeout.ms"] == "6000")
        #expect(configuration["heartbeat.interval.ms"] == "2000")
        #expect(configuration["enable.auto.commit"] == "false")
    }

    @Test("the loaded librdkafka meets the minimum, and packed versions decode")
    func version() throws {
        #expect(Librdkafka.Version(packed: 0x0208_00ff) == Librdkafka.Version(major: 2, minor: 8, patch: 0))
        #expect(Librdkafka.Version(packed: 0x0200_02ff) < Librdkafka.minimumVersion)
        try Librdkafka.requireMinimumVersion()
        #expect(Librdkafka.loadedVersion >= Librdkafka.minimumVersion)
    }

    @Test("an old librdkafka is refused with the fix in the message")
    func versionError() {
        let error = #expect(throws: Librdkafka.VersionError.self) {
            try Librdkafka.requireMinimumVersion(.init(major: 2, minor: 0, patch: 2))
        }
        #expect(error?.description.contains("librdkafka 2.0.2 is loaded") == true)
        #expect(error?.description.contains(">= 2.1.0") == true)
        #expect(error?.description.contains("scripts/setup") == true)
    }
}
