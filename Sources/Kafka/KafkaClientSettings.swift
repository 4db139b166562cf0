import Foundation

/// The operator's librdkafka properties for every client a process makes (TLS, SASL, timeouts…),
/// from a properties file and `ENCORE_KAFKA_<PROPERTY>` variables, checked at start.
///
/// Precedence: a variable over the file over Encore's defaults. The broker list is one setting
/// wherever it comes from: `--brokers` (`ENCORE_BROKERS`) or `bootstrap.servers` in the file or a
/// variable, and giving it both ways is refused rather than one silently winning.
public struct KafkaClientSettings: Sendable, Equatable, CustomStringConvertible {
    /// The broker list every client starts from.
    public let bootstrapServers: String
    /// The operator's properties by librdkafka name, applied over each role's defaults
    /// (`bootstrap.servers` is in ``bootstrapServers`` instead).
    public let properties: [String: String]

    /// The variable naming the properties file (not a property itself).
    public static let fileVariable = "ENCORE_KAFKA_CONFIG"
    /// Variables with this prefix set one librdkafka property each.
    public static let variablePrefix = "ENCORE_KAFKA_"
    /// The broker list when none is given anywhere.
    public static let defaultBootstrapServers = "127.0.0.1:9092"

    /// Properties Encore sets itself because its guarantees depend on them, with the reason
    /// given to an operator who tries to set one.
    public static let ownedProperties: [String: String] = {
        let idempotence = "Encore's producers are idempotent so that a retried send never appends a command twice"
        let acks = "Encore acknowledges a command only once every in-sync replica has it (acks=all)"
        let groups = "Encore names its consumer groups itself, one per read model under --topic-prefix"
        let commits = "projectors commit an offset only after the store has committed what they folded up to it"
        let brokers = "give the broker list as bootstrap.servers or --brokers (ENCORE_BROKERS)"
        let session = "set it with --session-timeout-ms (ENCORE_SESSION_TIMEOUT_MS); Encore derives the heartbeat from it"
        return [
            "enable.idempotence": idempotence,
            "enable.gapless.guarantee": idempotence,
            "acks": acks,
            "request.required.acks": acks,
            "isolation.level": "projectors and replays read only committed records (read_committed)",
            "group.id": groups,
            "group.instance.id": "every projector would share one static member id and fence the others out of the group",
            "enable.auto.commit": commits,
            "auto.commit.enable": commits,
            "enable.auto.offset.store": commits,
            "auto.offset.reset": "a new projector group must start at the log's first record, or it would skip commands",
            "enable.partition.eof": "Encore's consumers expect no end-of-partition events",
            "transactional.id":
                "Encore's producers are idempotent, not transactional; a shared transactional id would fence every process but one",
            "enable.metrics.push": "client metrics push is kept off: with it on, librdkafka can hang while closing a client",
            "metadata.broker.list": brokers,
            "session.timeout.ms": session,
            "heartbeat.interval.ms": session,
        ]
    }()

    /// Combines the file's properties, the variables' and the broker list of `--brokers`
    /// (`nil` when not given), refusing what Encore owns.
    public init(fileProperties: [String: String] = [:], variableProperties: [String: String] = [:], brokers: String? = nil)
        throws(KafkaError)
    {
        var merged = fileProperties.merging(variableProperties) { _, variable in variable }
        for key in merged.keys.sorted() {
            if let reason = Self.ownedProperties[key] {
                throw .configuration("the Kafka property \(key) cannot be set: \(reason)")
            }
        }
        let listed = merged.removeValue(forKey: "bootstrap.servers")
        if let brokers, listed != nil {
            throw .configuration(
                "the broker list is given twice, as --brokers/ENCORE_BROKERS (\(brokers)) and as bootstrap.servers in the Kafka properties: give it once"
            )
        }
        bootstrapServers = brokers ?? listed ?? Self.defaultBootstrapServers
        properties = merged
    }

    /// Reads `--kafka-config` (else `ENCORE_KAFKA_CONFIG`) and the `ENCORE_KAFKA_*` variables of
    /// `environment`, naming each variable's property with librdkafka's own list.
    public static func load(
        file: String?, environment: [String: String], brokers: String?,
        propertyExists: (String) -> Bool = Librdkafka.hasProperty
    ) throws(KafkaError) -> KafkaClientSettings {
        var fileProperties: [String: String] = [:]
        if let path = file ?? environment[fileVariable].flatMap({ $0.isEmpty ? nil : $0 }) {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw .configuration("cannot read the Kafka properties file \(path): \(error.localizedDescription)")
            }
            fileProperties = try parse(properties: text, file: path)
        }
        let variables = try variableProperties(environment, propertyExists: propertyExists)
        return try KafkaClientSettings(fileProperties: fileProperties, variableProperties: variables, brokers: brokers)
    }

    /// Parses Java-properties text: `key=value` or `key: value` lines, `#` and `!` comments,
    /// blank lines, whitespace trimmed. Line continuations and escapes are not supported.
    public static func parse(properties text: String, file: String) throws(KafkaError) -> [String: String] {
        var result: [String: String] = [:]
        // \r\n is one Character in Swift: split on newlines, not on "\n".
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw .configuration("\(file) line \(index + 1): expected key=value or key: value")
            }
            let key = line[..<separator].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, !key.contains(where: \.isWhitespace) else {
                throw .configuration("\(file) line \(index + 1): expected a property name before \(line[separator])")
            }
            result[key] = line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    /// The properties set by `ENCORE_KAFKA_<PROPERTY>` variables (empty ones count as unset).
    public static func variableProperties(
        _ environment: [String: String], propertyExists: (String) -> Bool = Librdkafka.hasProperty
    ) throws(KafkaError) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in environment.sorted(by: { $0.key < $1.key })
        where name.hasPrefix(variablePrefix) && name != fileVariable && !value.isEmpty {
            result[try propertyName(variable: name, propertyExists: propertyExists)] = value
        }
        return result
    }

    /// The property a variable sets: its name after the prefix, lower-cased, each `_` read as
    /// `.` or `_` — whichever spelling librdkafka knows. None or several is refused.
    public static func propertyName(variable: String, propertyExists: (String) -> Bool = Librdkafka.hasProperty) throws(KafkaError)
        -> String
    {
        let words = variable.dropFirst(variablePrefix.count).lowercased().split(separator: "_", omittingEmptySubsequences: false)
        guard !words.contains(where: \.isEmpty), words.count <= 12 else {
            throw .configuration("\(variable) names no librdkafka property")
        }
        var spellings = [String(words[0])]
        for word in words.dropFirst() {
            spellings = spellings.flatMap { ["\($0).\(word)", "\($0)_\(word)"] }
        }
        let known = spellings.filter(propertyExists)
        guard known.count == 1, let name = known.first else {
            throw known.isEmpty
                ? KafkaError.configuration("\(variable) names no librdkafka property (the name is the property upper-cased, . as _)")
                : .configuration(
                    "\(variable) could be any of the librdkafka properties \(known.joined(separator: ", ")): set it in --kafka-config instead"
                )
        }
        return name
    }

    /// Checks every property with librdkafka (unknown names, invalid values) before any work.
    public func check() throws(KafkaError) {
        let configuration = KafkaConfiguration(bootstrapServers: bootstrapServers, properties)
        let native = try configuration.makeNative()
        KafkaConfiguration.destroy(native)
    }

    /// Whether a property's value must never be printed: passwords, secrets, private keys.
    public static func isSecret(_ name: String) -> Bool {
        let name = name.lowercased()
        return name.contains("password") || name.contains("secret")
            || ["ssl.key.pem", "ssl_key", "sasl.oauthbearer.config", "sasl.jaas.config"].contains(name)
    }

    /// The value as it may be printed: secrets replaced.
    public static func printable(_ name: String, _ value: String) -> String {
        isSecret(name) ? "[redacted]" : value
    }

    public var description: String {
        let listed = properties.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.printable($0.key, $0.value))" }
        return (["bootstrap.servers=\(bootstrapServers)"] + listed).joined(separator: ", ")
    }
}
