import Foundation

/// A user as the original system stored it.
public struct User: Codable, Sendable, Hashable {
    public var fname: String
    public var lname: String
    public var email: String

    public init(fname: String, lname: String, email: String) {
        self.fname = fname
        self.lname = lname
        self.email = email
    }
}

/// A song; JSON keys keep the original system's capitalisation.
public struct Song: Codable, Sendable, Hashable {
    public var artist: String
    public var songTitle: String

    public init(artist: String, songTitle: String) {
        self.artist = artist
        self.songTitle = songTitle
    }

    enum CodingKeys: String, CodingKey {
        case artist = "Artist"
        case songTitle = "SongTitle"
    }
}

/// A named, ordered list of song ids.
public struct Playlist: Codable, Sendable, Hashable {
    public var name: String
    public var songs: [UUID]

    public init(name: String, songs: [UUID]) {
        self.name = name
        self.songs = songs
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case songs = "Songs"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        var list = try container.nestedUnkeyedContainer(forKey: .songs)
        var songs: [UUID] = []
        while !list.isAtEnd {
            let text = try list.decode(String.self)
            guard let song = UUID(text: text) else {
                throw DecodingError.dataCorruptedError(in: list, debugDescription: "Attempted to decode UUID from invalid UUID string.")
            }
            songs.append(song)
        }
        self.songs = songs
    }
}

/// The current state of one entity of any kind.
public enum EntityState: Sendable, Hashable {
    case user(User)
    case music(Song)
    case playlist(Playlist)

    public var kind: EntityKind {
        switch self {
        case .user: .user
        case .music: .music
        case .playlist: .playlist
        }
    }
}

/// One entity as a read model holds it: its state, and how many commands were applied to it.
///
/// A deleted entity stays as a tombstone (`state == nil`) so that a later create of the same
/// id is rejected identically in every replay.
public struct EntitySnapshot: Sendable, Hashable {
    public var kind: EntityKind
    public var id: UUID
    /// Number of commands applied to this entity; the v2 API's ETag.
    public var version: Int
    /// nil once deleted.
    public var state: EntityState?

    public init(kind: EntityKind, id: UUID, version: Int, state: EntityState?) {
        self.kind = kind
        self.id = id
        self.version = version
        self.state = state
    }

    public var isDeleted: Bool { state == nil }
}
