import Foundation
import Kafka
import Testing

@Suite("Kafka client settings: file, variables, precedence (no broker)")
struct ClientSettingsTests {
    @Test("a properties file: = and :, comments, blank lines, whitespace trimmed, values may hold = and :")
    func parseFile() throws {
        let text = """
            # a comment
            ! another
              security.protocol = SASL_SSL

            sasl.mechanism: SCRAM-SHA-512
            sasl.username=encore\r
            sasl.password=p=ss:word  
            ssl.ca.location=
            """
        let properties = try KafkaClientSettings.parse(properties: text, file: "client.properties")
        #expect(
            properties == [
                "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "encore",
                "sasl.password": "p=ss:word", "ssl.ca.location": "",
            ])
    }

    @Test("a malformed line is refused naming the file and the line number")
    func malformedLine() {
        let noSeparator = #expect(throws: KafkaError.self) {
            try KafkaClientSettings.parse(
                properties: "# ok\nsecurity.protocol=SSL\nssl.ca.location /etc/ca.pem\n", file: "/etc/encore/kafka.properties")
        }
        #expect(noSeparator?.message == "/etc/encore/kafka.properties line 3: expected key=value or key: value")
        let noKey = #expect(throws: KafkaError.self) { try KafkaClientSettings.parse(properties: "=SSL", file: "f") }
        #expect(noKey?.message.hasPrefix("f line 1:") == true)
    }

    @Test("a variable names its property by librdkafka's own list, with aliases and topic-level ones")
    func variableNames() throws {
        #expect(try KafkaClientSettings.propertyName(variable: "ENCORE_KAFKA_SECURITY_PROTOCOL") == "security.protocol")
        #expect(try KafkaClientSettings.propertyName(variable: "ENCORE_KAFKA_SSL_CA_LOCATION") == "ssl.ca.location")
        #expect(try KafkaClientSettings.propertyName(variable: "ENCORE_KAFKA_SASL_PASSWORD") == "sasl.password")
        #expect(try KafkaClientSettings.propertyName(variable: "ENCORE_KAFKA_ACKS") == "acks")
        #expect(try KafkaClientSettings.propertyName(variable: "ENCORE_KAFKA_MESSAGE_TIMEOUT_MS") == "message.timeout.ms")
        // librdkafka has a few names with an underscore: the spelling it knows is the one taken.
        #expect(try KafkaClientSettings.propertyName(variable: "ENCORE_KAFKA_SSL_KEY") == "ssl_key")
    }

    @Test("a variable matching no property, or several, is refused naming it")
    func unknownOrAmbiguousVariable() {
        let unknown = #expect(throws: KafkaError.self) {
            try KafkaClientSettings.variableProperties(["ENCORE_KAFKA_NO_SUCH_THING": "1"])
        }
        #expect(unknown?.message.contains("ENCORE_KAFKA_NO_SUCH_THING names no librdkafka property") == true)
        let known: Set = ["ssl.ca.location", "ssl_ca.location"]
        let ambiguous = #expect(throws: KafkaError.self) {
            try KafkaClientSettings.propertyName(variable: "ENCORE_KAFKA_SSL_CA_LOCATION", propertyExists: known.contains)
        }
        #expect(ambiguous?.message.contains("ssl.ca.location") == true)
        #expect(ambiguous?.message.contains("ssl_ca.location") == true)
    }

    @Test("ENCORE_KAFKA_CONFIG names the file and is no property; other variables and empty ones are ignored")
    func variablesSelected() throws {
        let environment = [
            "ENCORE_KAFKA_CONFIG": "/nonexistent", "ENCORE_KAFKA_SASL_USERNAME": "encore", "ENCORE_KAFKA_CLIENT_ID": "",
            "ENCORE_BROKERS": "b:9092", "KAFKA_SASL_PASSWORD": "x",
        ]
        #expect(try KafkaClientSettings.variableProperties(environment) == ["sasl.username": "encore"])
    }

    @Test("precedence: a variable over the file over the defaults")
    func precedence() throws {
        let file = try temporaryFile("security.protocol=SSL\nclient.id=from-file\nsocket.timeout.ms=5000\n")
        let settings = try KafkaClientSettings.load(
            file: nil, environment: ["ENCORE_KAFKA_CONFIG": file, "ENCORE_KAFKA_CLIENT_ID": "from-variable"], brokers: nil
        )
        #expect(settings.properties == ["security.protocol": "SSL", "client.id": "from-variable", "socket.timeout.ms": "5000"])
        let producer = KafkaConfiguration.producer(
            bootstrapServers: settings.bootstrapServers, ["message.timeout.ms": "5000"].merging(settings.properties) { _, new in new })
        #expect(producer["security.protocol"] == "SSL")
        #expect(producer["linger.ms"] == "5")  // a default nobody overrode
        // --kafka-config wins over ENCORE_KAFKA_CONFIG.
        let other = try temporaryFile("client.id=other\n")
        #expect(
            try KafkaClientSettings.load(file: other, environment: ["ENCORE_KAFKA_CONFIG": file], brokers: nil).properties == [
                "client.id": "other"
            ])
    }

    @Test("the broker list: --brokers or bootstrap.servers, the default without either, both at once refused")
    func brokerList() throws {
        #expect(try KafkaClientSettings().bootstrapServers == "127.0.0.1:9092")
        #expect(try KafkaClientSettings(brokers: "a:9092").bootstrapServers == "a:9092")
        let listed = try KafkaClientSettings(fileProperties: ["bootstrap.servers": "b:9093", "client.id": "c"])
        #expect(listed.bootstrapServers == "b:9093")
        #expect(listed.properties == ["client.id": "c"])
        let both = #expect(throws: KafkaError.self) {
            try KafkaClientSettings(variableProperties: ["bootstrap.servers": "b:9093"], brokers: "a:9092")
        }
        #expect(both?.message.contains("given twice") == true)
    }

    @Test(
        "properties Encore owns are refused with the reason",
        arguments: [
            "enable.idempotence", "acks", "request.required.acks", "isolation.level", "group.id", "enable.auto.commit",
            "transactional.id", "auto.offset.reset", "session.timeout.ms",
        ])
    func ownedProperty(name: String) {
        let error = #expect(throws: KafkaError.self) { try KafkaClientSettings(fileProperties: [name: "x"]) }
        #expect(error?.message.hasPrefix("the Kafka property \(name) cannot be set: ") == true)
        #expect(error?.message == "the Kafka property \(name) cannot be set: \(KafkaClientSettings.ownedProperties[name] ?? "?")")
    }

    @Test("check() asks librdkafka: an unknown key is named, a good set passes")
    func check() throws {
        try KafkaClientSettings(fileProperties: ["security.protocol": "SSL", "ssl.ca.location": "/tmp/ca.pem", "socket.timeout.ms": "2000"])
            .check()
        let error = #expect(throws: KafkaError.self) { try KafkaClientSettings(fileProperties: ["ssl.ca.locaton": "x"]).check() }
        #expect(error?.message.contains("ssl.ca.locaton") == true)
    }

    @Test("secret values never appear in errors or descriptions")
    func secretsRedacted() throws {
        #expect(KafkaClientSettings.isSecret("sasl.password"))
        #expect(KafkaClientSettings.isSecret("ssl.keystore.password"))
        #expect(KafkaClientSettings.isSecret("sasl.oauthbearer.client.secret"))
        #expect(KafkaClientSettings.isSecret("ssl.key.pem"))
        #expect(!KafkaClientSettings.isSecret("sasl.username"))
        let secret = "hunter2-\(UUID().uuidString)"
        // An invalid value for a secret property: librdkafka quotes it, Encore must not.
        let invalid = #expect(throws: KafkaError.self) {
            try KafkaClientSettings(fileProperties: [
                "ssl.key.password": secret, "ssl.key.pem": secret, "sasl.password": secret, "nonsense.password": secret,
            ]).check()
        }
        #expect(invalid?.message.contains("nonsense.password") == true)
        #expect(invalid?.description.contains(secret) == false)
        let settings = try KafkaClientSettings(fileProperties: ["sasl.password": secret, "sasl.username": "encore"])
        #expect(!"\(settings)".contains(secret))
        #expect("\(settings)".contains("sasl.username=encore"))
        let configuration = KafkaConfiguration(bootstrapServers: "b:9092", settings.properties)
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!"\(configuration)".contains(secret))
        #expect(!dumped.contains(secret))
        #expect(!String(reflecting: configuration).contains(secret))
    }

    private func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-\(UUID().uuidString).properties").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
