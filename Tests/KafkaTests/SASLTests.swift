import Foundation
import Kafka
import KafkaTesting
import Testing

/// SASL/SCRAM against a broker that requires it. Tansu 0.6.0 keeps users in its storage, and a
/// memory-storage broker that requires authentication refuses `tansu user create` itself
/// (NotAuthenticated), so no user can exist there: what can be exercised is the refusal.
@Suite("SASL/SCRAM to Kafka")
struct SASLTests {
    @Test("a credential the broker does not know fails within the timeout, saying why, without the password")
    func unknownUser() async throws {
        try await TestBroker.with(requiringAuthentication: true) { broker in
            let password = "pw-\(UUID().uuidString)"
            let settings = try KafkaClientSettings.load(
                file: nil,
                environment: [
                    "ENCORE_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "ENCORE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
                    "ENCORE_KAFKA_SASL_USERNAME": "encore", "ENCORE_KAFKA_SASL_PASSWORD": password,
                ],
                brokers: broker.bootstrapServers
            )
            try settings.check()
            #expect(!settings.description.contains(password))
            let admin = try KafkaAdmin(
                configuration: KafkaConfiguration(bootstrapServers: settings.bootstrapServers, settings.properties), logger: broker.logger)
            let started = ContinuousClock.now
            let error = await #expect(throws: KafkaError.self) { _ = try await admin.clusterID(timeout: .seconds(5)) }
            #expect(ContinuousClock.now - started < .seconds(15))
            await admin.close()
            let message = error.map { "\($0)" } ?? ""
            #expect(message.contains("SASL authentication error"), "\(message)")
            #expect(message.contains("unknown-user"), "\(message)")
            #expect(!message.contains(password))
        }
    }
}
