import Foundation

/// One command as appended to the log: who asked for what, on which entity.
public struct Command: Sendable, Hashable {
    public var id: UUID
    public var entityID: UUID
    public var timestamp: Date
    /// Who issued it (user id from the token, or a tool name such as `encore-load`).
    public var actor: String?
    /// The entity version the client based this command on (`If-Match`), if any.
    public var expectedVersion: Int?
    public var action: Action

    public init(
        id: UUID = UUID(), entityID: UUID, timestamp: Date = Date(), actor: String? = nil, expectedVersion: Int? = nil, action: Action
    ) {
        self.id = id
        self.entityID = entityID
        self.timestamp = timestamp
        self.actor = actor
        self.expectedVersion = expectedVersion
        self.action = action
    }

    public var kind: EntityKind { action.kind }
}

/// What a command asks for.
public enum Action: Sendable, Hashable {
    case createUser(User)
    case updateUser(User)
    case deleteUser
    case createMusic(Song)
    case updateMusic(Song)
    case deleteMusic
    case createPlaylist(Playlist)
    case renamePlaylist(name: String)
    case addSong(UUID)
    case removeSong(UUID)
    case deletePlaylist

    public var kind: EntityKind {
        switch self {
        case .createUser, .updateUser, .deleteUser: .user
        case .createMusic, .updateMusic, .deleteMusic: .music
        case .createPlaylist, .renamePlaylist, .addSong, .removeSong, .deletePlaylist: .playlist
        }
    }

    /// The record type written in the envelope, e.g. `playlist.add-song`.
    public var recordType: RecordType {
        switch self {
        case .createUser: .userCreate
        case .updateUser: .userUpdate
        case .deleteUser: .userDelete
        case .createMusic: .musicCreate
        case .updateMusic: .musicUpdate
        case .deleteMusic: .musicDelete
        case .createPlaylist: .playlistCreate
        case .renamePlaylist: .playlistRename
        case .addSong: .playlistAddSong
        case .removeSong: .playlistRemoveSong
        case .deletePlaylist: .playlistDelete
        }
    }
}

/// Every record type in the log; each has a JSON Schema per version under `schemas/`.
public enum RecordType: String, Sendable, CaseIterable, Codable {
    case userCreate = "user.create"
    case userUpdate = "user.update"
    case userDelete = "user.delete"
    case musicCreate = "music.create"
    case musicUpdate = "music.update"
    case musicDelete = "music.delete"
    case playlistCreate = "playlist.create"
    case playlistRename = "playlist.rename"
    case playlistAddSong = "playlist.add-song"
    case playlistRemoveSong = "playlist.remove-song"
    case playlistDelete = "playlist.delete"

    /// Whether a record of this type creates its entity (there is no earlier state to check against).
    public var isCreate: Bool { self == .userCreate || self == .musicCreate || self == .playlistCreate }

    /// The schema id carried in the `schema-id` record header, e.g. `encore/user.create/1`.
    public func schemaID(version: Int) -> String { "encore/\(rawValue)/\(version)" }
}
