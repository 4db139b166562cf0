import ArgumentParser
import Domain
import Foundation
import Kafka
import Locking
import Log
import Logging
import Projection
import Projector
import Store

/// `encore load DIR`: appends the original system's CSV files as create commands.
///
/// Everything is checked before anything is appended (columns, values, and that every playlist
/// song is in `music.csv` or already in the catalog). Entities already in the read model are
/// skipped, so re-running changes nothing.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Append the original system's users.csv, music.csv and playlist.csv as create commands."
    )

    @Argument(help: "Directory holding users.csv, music.csv and/or playlist.csv.")
    var directory: String

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var keyOptions: KeyOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try Librdkafka.requireMinimumVersion()
        let logger = logging.bootstrap(label: "encore.load")
        let batches = try readFiles()
        guard !batches.isEmpty else {
            throw ValidationError("no users.csv, music.csv or playlist.csv in \(directory)")
        }
        try await storeOptions.withStoreAndKeys(keyOptions, logger: logger) { store, keys in
            try await KafkaProducer(configuration: kafka.log.producer(), logger: logger)
                .closing { producer in
                    let pending = try await newCommands(batches, store: store)
                    try await kafka.ensureTopics(logger: logger)
                    for (kind, commands) in pending where !commands.isEmpty {
                        try await CommandAppender(producer: producer, topicPrefix: kafka.topicPrefix) {
                            try await keys.keyring(writing: $0)
                        }.append(commands)
                        print("\(kind.topicSuffix): appended \(commands.count) create command(s)")
                    }
                    let skipped = batches.map(\.commands.count).reduce(0, +) - pending.map(\.commands.count).reduce(0, +)
                    print("skipped \(skipped) entit\(skipped == 1 ? "y" : "ies") already in the catalog")
                }
        }
    }

    private func readFiles() throws -> [(kind: EntityKind, commands: [Command])] {
        let now = Date()
        return try OriginalData.files.compactMap { file in
            let path = URL(fileURLWithPath: directory).appendingPathComponent(file.name).path
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            let contents = try String(contentsOfFile: path, encoding: .utf8)
            return (
                file.kind, try OriginalData.commands(file: path, contents: contents, kind: file.kind, actor: "encore-load", timestamp: now)
            )
        }
    }

    /// Drops entities the catalog has; fails if a playlist names a song that is nowhere.
    private func newCommands(_ batches: [(kind: EntityKind, commands: [Command])], store: any ReadModelStore) async throws -> [(
        kind: EntityKind, commands: [Command]
    )] {
        let loadedSongs = Set(batches.filter { $0.kind == .music }.flatMap { $0.commands.map(\.entityID) })
        var result: [(kind: EntityKind, commands: [Command])] = []
        for (kind, commands) in batches {
            let existing = try await store.snapshots(kind, ids: commands.map(\.entityID))
            if kind == .playlist {
                let named = commands.flatMap { command -> [UUID] in
                    if case .createPlaylist(let playlist) = command.action { return playlist.songs }
                    return []
                }
                let unknown = Set(named).subtracting(loadedSongs)
                let known = try await store.snapshots(.music, ids: Array(unknown))
                if let missing = unknown.first(where: { known[$0]?.isDeleted ?? true }) {
                    throw ValidationError(
                        "playlist.csv names song \(missing.uuidString.lowercased()), which is neither in music.csv nor in the catalog")
                }
            }
            result.append((kind, commands.filter { existing[$0.entityID] == nil }))
        }
        return result
    }
}
