import Foundation

/// The `payload` object of a record, as the current version of its type reads it.
enum Payload: Encodable {
    /// A user's fields in plaintext: what version 1 of the user records wrote.
    case user(User)
    /// A user's fields sealed under the user's data key: version 2 of the user records.
    case sealed(SealedUser)
    case song(Song)
    case playlist(Playlist)
    case name(Name)
    case music(MusicReference)
    case empty

    struct Name: Codable { var Name: String }

    struct MusicReference: Codable {
        var music_id: UUID

        init(music_id: UUID) { self.music_id = music_id }

        init(from decoder: any Decoder) throws {
            music_id = try decoder.container(keyedBy: CodingKeys.self).decodeUUID(forKey: .music_id)
        }
    }

    struct Empty: Codable {
        init() {}
        /// An object (extra fields ignored, as in every payload), not just any JSON value.
        init(from decoder: any Decoder) throws { _ = try decoder.container(keyedBy: AnyKey.self) }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The plaintext payload of `action` (version 1 of every type).
    init(_ action: Action) {
        switch action {
        case .createUser(let user), .updateUser(let user): self = .user(user)
        case .createMusic(let song), .updateMusic(let song): self = .song(song)
        case .createPlaylist(let playlist): self = .playlist(playlist)
        case .renamePlaylist(let name): self = .name(Name(Name: name))
        case .addSong(let id), .removeSong(let id): self = .music(MusicReference(music_id: id))
        case .deleteUser, .deleteMusic, .deletePlaylist: self = .empty
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .user(let value): try value.encode(to: encoder)
        case .sealed(let value): try value.encode(to: encoder)
        case .song(let value): try value.encode(to: encoder)
        case .playlist(let value): try value.encode(to: encoder)
        case .name(let value): try value.encode(to: encoder)
        case .music(let value): try value.encode(to: encoder)
        case .empty: try Empty().encode(to: encoder)
        }
    }

    /// The action of a record of `type` with this payload; sealed fields are opened by `cipher`
    /// (``User/erased`` once the user's key is gone).
    func action(_ type: RecordType, user entity: UUID, command: UUID, cipher: some PersonalDataCipher) throws -> Action {
        switch (type, self) {
        case (.userCreate, .user(let user)): return .createUser(user)
        case (.userUpdate, .user(let user)): return .updateUser(user)
        case (.userCreate, .sealed(let sealed)): return .createUser(try sealed.open(user: entity, command: command, cipher: cipher))
        case (.userUpdate, .sealed(let sealed)): return .updateUser(try sealed.open(user: entity, command: command, cipher: cipher))
        case (.userDelete, .empty): return .deleteUser
        case (.musicCreate, .song(let song)): return .createMusic(song)
        case (.musicUpdate, .song(let song)): return .updateMusic(song)
        case (.musicDelete, .empty): return .deleteMusic
        case (.playlistCreate, .playlist(let playlist)): return .createPlaylist(playlist)
        case (.playlistRename, .name(let name)): return .renamePlaylist(name: name.Name)
        case (.playlistAddSong, .music(let music)): return .addSong(music.music_id)
        case (.playlistRemoveSong, .music(let music)): return .removeSong(music.music_id)
        case (.playlistDelete, .empty): return .deletePlaylist
        default: preconditionFailure("RecordVersions decoded a \(self) payload for \(type.rawValue)")
        }
    }
}

/// A user's fields (`{"email","fname","lname"}`, the version 1 payload) sealed under the
/// user's data key and bound to its record: `{"sealed":"<base64>"}`.
struct SealedUser: Codable {
    var sealed: Data

    func open(user: UUID, command: UUID, cipher: some PersonalDataCipher) throws -> User {
        guard let plaintext = try cipher.open(sealed, user: user, command: command) else { return .erased }
        do {
            return try JSONDecoder().decode(User.self, from: plaintext)
        } catch {
            throw PersonalDataError.unreadable(user)
        }
    }
}
