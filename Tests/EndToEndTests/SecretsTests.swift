import Foundation
import KafkaTesting
import StoreTesting
import Testing

/// A secret Kafka property's value never reaches an `encore` process's output: not in its
/// logs at the most verbose level with librdkafka's own debug output on, not in a refusal at
/// start, not in `--help`.
@Suite("Secrets are never printed", .serialized)
struct SecretsTests {
    @Test("a run with ENCORE_KAFKA_SASL_PASSWORD, trace logs and librdkafka debug on never prints the password; nor does --help")
    func passwordNeverPrinted() async throws {
        try await TestBroker.with { broker in
            try await withStoreURL(.sqlite) { store in
                let secret = "Encore-Secret-\(UUID().uuidString)"
                let environment = [
                    "ENCORE_STORE": store,
                    "ENCORE_BROKERS": broker.bootstrapServers,
                    "ENCORE_KAFKA_SASL_USERNAME": "encore",
                    "ENCORE_KAFKA_SASL_PASSWORD": secret,
                    "ENCORE_KAFKA_DEBUG": "all",
                    "ENCORE_LOG_LEVEL": "trace",
                    "ENCORE_TOPIC_PREFIX": "secrets-\(UUID().uuidString.prefix(8).lowercased())",
                ]
                let run = try await ChildProcess.run(["generate", "20"], environment: environment)
                #expect(run.status == 0, "\(run.output.suffix(2000))")
                // librdkafka's debug output was there to leak it: it prints the client configuration
                // (redacting sasl.username as well, measured with librdkafka 2.8).
                #expect(run.output.contains("sasl.password = [redacted]"))
                #expect(!run.output.contains(secret))

                // --help prints option defaults: none may come from a secret variable.
                let help = try await ChildProcess.run(
                    ["gateway", "--help"],
                    environment: environment.merging([
                        "ENCORE_STORE": "postgres://encore:\(secret)@127.0.0.1:1/encore", "ENCORE_JWT_SECRET": secret,
                    ]) { _, new in new })
                #expect(help.output.contains("--kafka-config"))
                #expect(!help.output.contains(secret))
            }
        }
    }

    @Test("a refusal at start names the property, not its value, and exits non-zero before any work")
    func refusalWithoutValue() async throws {
        let secret = "Encore-Secret-\(UUID().uuidString)"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-\(UUID().uuidString).properties").path
        try "security.protocol=SASL_SSL\nsasl.passwrd=\(secret)\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        // A broker address nothing listens on: the refusal must come before any connection.
        let misspelt = try await ChildProcess.run(["lag", "--brokers", "127.0.0.1:1", "--kafka-config", file])
        #expect(misspelt.status != 0)
        #expect(misspelt.standardError.contains("sasl.passwrd"), "\(misspelt.output)")
        #expect(!misspelt.output.contains(secret))

        let invalid = try await ChildProcess.run(
            ["history", "users", UUID().uuidString, "--brokers", "127.0.0.1:1"],
            environment: [
                "ENCORE_KAFKA_SASL_PASSWORD": secret, "ENCORE_KAFKA_SSL_KEY_PASSWORD": secret, "ENCORE_KAFKA_NO_SUCH_PROPERTY": secret,
            ]
        )
        #expect(invalid.status != 0)
        #expect(invalid.standardError.contains("ENCORE_KAFKA_NO_SUCH_PROPERTY names no librdkafka property"), "\(invalid.output)")
        #expect(!invalid.output.contains(secret))

        let owned = try await ChildProcess.run(
            ["history", "users", UUID().uuidString, "--brokers", "127.0.0.1:1"], environment: ["ENCORE_KAFKA_ACKS": "1"])
        #expect(owned.status != 0)
        #expect(owned.standardError.contains("the Kafka property acks cannot be set"), "\(owned.output)")
    }
}
