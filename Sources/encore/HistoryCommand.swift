import ArgumentParser
import Domain
import Foundation
import Gateway
import Kafka
import Logging
import Replay
import Store

/// `encore history TYPE ID`: one entity's commands and outcomes, from the log; with `--as-of`
/// or `--at-version`, the entity as it was then, as `GET /api/v2/{type}/{id}?asOf=` answers it.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show one entity's commands with their outcomes, read from the log (not from a read model)."
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var keyOptions: KeyOptions
    @OptionGroup var logging: LoggingOptions

    @Argument(help: "users, music or playlists (or user, playlist).")
    var type: String

    @Argument(help: "The entity's id (UUID).")
    var id: String

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Print the entity as it was at this ISO 8601 time (e.g. 2026-11-29T09:30:00Z), in the v2 API's JSON.")
    var asOf: String?

    @Option(help: "Print the entity as it was at this version, in the v2 API's JSON.")
    var atVersion: Int?

    func validate() throws {
        guard asOf == nil || atVersion == nil else { throw ValidationError("give --as-of or --at-version, not both") }
        if let asOf, Moment.parseTime(asOf) == nil {
            throw ValidationError("--as-of \(asOf) is not an ISO 8601 time such as 2026-11-29T09:30:00Z")
        }
        if let atVersion, atVersion < 1 { throw ValidationError("--at-version must be a positive integer") }
    }

    /// The moment asked for, if any.
    private var moment: Moment? {
        if let atVersion { return .version(atVersion) }
        return asOf.flatMap(Moment.parseTime).map(Moment.time)
    }

    func run() async throws {
        try Librdkafka.requireMinimumVersion()
        guard let entityID = UUID(uuidString: id) else { throw ValidationError("\(id) is not a UUID") }
        let kinds = try EntityKind.models(type, option: "the type")
        guard kinds.count == 1, let kind = kinds.first else { throw ValidationError("give one type: users, music or playlists") }
        var logger = logging.bootstrap(label: "encore.history")
        logger.logLevel = max(logger.logLevel, .warning)
        // Only a user's records need the key store (their fields are sealed).
        let (outcomes, commands) =
            kind == .user
            ? try await storeOptions.withStoreAndKeys(keyOptions, logger: logger) { _, keys in
                try await history(kind, entityID, keys: keys, cipher: try await keys.keyring(reading: [entityID]), logger: logger)
            }
            : try await history(kind, entityID, keys: NoPersonalData(), cipher: NoPersonalData(), logger: logger)
        if let moment {
            // The log's own records, folded as the projector folds them.
            let state = PastState(folding: commands, at: moment)
            guard case .existing(let snapshot) = state else {
                Terminal.writeError("encore history: \(state.absence(of: "\(kind.rawValue) \(entityID.lowercasedString)", at: moment))\n")
                throw ExitCode(1)
            }
            Terminal.printJSON(try snapshot.v2JSON())
            return
        }
        if json {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            Terminal.printJSON(try encoder.encode(outcomes.map(HistoryLine.init)))
            return
        }
        guard !outcomes.isEmpty else {
            print("no records for \(kind.rawValue) \(entityID.uuidString.lowercased()) in \(kafka.log.topic(kind))")
            return
        }
        for line in outcomes.map(HistoryLine.init) {
            let result =
                line.status == "applied"
                ? "applied → version \(line.version)" : "rejected: \(line.rejection ?? "?") (version stays \(line.version))"
            print(
                "\(line.topic)[\(line.partition)]@\(line.offset)  \(line.time.formatted(.iso8601))  \(line.type)  command \(line.commandId)  \(result)"
                    + (line.actor.map { "  by \($0)" } ?? ""))
        }
    }
}

extension HistoryCommand {
    /// The entity's outcomes read from the log, and its commands with their fields opened by `cipher`.
    fileprivate func history(
        _ kind: EntityKind, _ id: UUID, keys: any PersonalDataKeys, cipher: any PersonalDataCipher, logger: Logger
    ) async throws -> ([CommandOutcome], [Command]) {
        let outcomes = try await EntityHistory.read(kind, id: id, log: kafka.log, keys: keys, logger: logger)
        return (outcomes, try outcomes.map { try CommandCodec.decode($0.envelope, opening: cipher) })
    }
}

/// One command of the history, as printed.
private struct HistoryLine: Encodable {
    var topic: String
    var partition: Int32
    var offset: Int64
    var time: Date
    var type: String
    var commandId: String
    var status: String
    var rejection: String?
    var version: Int
    var actor: String?
    /// The command as it is in the log.
    var envelope: String

    init(_ outcome: CommandOutcome) {
        topic = outcome.position.topic
        partition = outcome.position.partition
        offset = outcome.position.offset
        time = outcome.timestamp
        type = outcome.recordType.rawValue
        commandId = outcome.commandID.uuidString.lowercased()
        status = outcome.status.rawValue
        rejection = outcome.rejection?.rawValue
        version = outcome.version
        actor = outcome.actor
        envelope = String(decoding: outcome.envelope, as: UTF8.self)
    }
}
