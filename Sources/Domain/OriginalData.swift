import Foundation

/// The original system's sample files (`users.csv`, `music.csv`, `playlist.csv`, each with its
/// entities' UUIDs) as create commands.
///
/// Command ids are derived from entity ids, so loading the same files twice yields the same
/// commands, which the projectors apply at most once.
public enum OriginalData {
    /// A file that does not have the expected columns or values.
    public struct FormatError: Error, CustomStringConvertible {
        public let file: String
        public let line: Int
        public let message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    /// The files in load order: songs before the playlists that name them.
    public static let files: [(name: String, kind: EntityKind)] = [
        ("users.csv", .user), ("music.csv", .music), ("playlist.csv", .playlist),
    ]

    /// Parses one file into create commands stamped with `actor` and `timestamp`.
    public static func commands(file: String, contents: String, kind: EntityKind, actor: String, timestamp: Date) throws(FormatError)
        -> [Command]
    {
        let rows = CSV.parse(contents)
        guard let header = rows.first else { return [] }
        let expected: [String] =
            switch kind {
            case .user: ["fname", "lname", "email", "UUID"]
            case .music: ["Artist", "SongTitle", "UUID"]
            case .playlist: ["Name", "Playlist", "UUID"]
            }
        guard header.map({ $0.trimmingCharacters(in: .whitespaces) }) == expected else {
            throw FormatError(file: file, line: 1, message: "expected columns \(expected.joined(separator: ","))")
        }
        var commands: [Command] = []
        for (index, row) in rows.dropFirst().enumerated() where row != [""] {
            let line = index + 2
            guard row.count == expected.count else {
                throw FormatError(file: file, line: line, message: "expected \(expected.count) fields, found \(row.count)")
            }
            guard let id = UUID(uuidString: row[expected.count - 1].trimmingCharacters(in: .whitespaces)) else {
                throw FormatError(file: file, line: line, message: "UUID is not a UUID")
            }
            let action: Action
            switch kind {
            case .user: action = .createUser(User(fname: row[0], lname: row[1], email: row[2]))
            case .music: action = .createMusic(Song(artist: row[0], songTitle: row[1]))
            case .playlist:
                var songs: [UUID] = []
                for part in row[1].split(separator: ",") {
                    guard let song = UUID(uuidString: part.trimmingCharacters(in: .whitespaces)) else {
                        throw FormatError(file: file, line: line, message: "Playlist must list song UUIDs")
                    }
                    songs.append(song)
                }
                action = .createPlaylist(Playlist(name: row[0], songs: songs))
            }
            do {
                try Validation.validate(action)
            } catch {
                throw FormatError(file: file, line: line, message: error.description)
            }
            commands.append(Command(id: loadCommandID(for: id), entityID: id, timestamp: timestamp, actor: actor, action: action))
        }
        return commands
    }

    /// A stable command id per entity: the entity id with its first bytes flipped.
    static func loadCommandID(for entity: UUID) -> UUID {
        var bytes = entity.uuid
        bytes.0 ^= 0x5a
        bytes.1 ^= 0xc3
        return UUID(uuid: bytes)
    }
}
