import Foundation

extension RecordType {
    /// The schema version writers write. Readers read every version up to it; a record of a
    /// newer one is refused (dead-lettered), never guessed at.
    ///
    /// - user.create, user.update: 2 — the personal fields sealed under the user's data key
    ///   (version 1 carried them in plaintext).
    /// - every other type: 1.
    public var currentVersion: Int {
        switch self {
        case .userCreate, .userUpdate: 2
        default: 1
        }
    }
}

/// How a record of any version this build knows is read: the payload is decoded by the
/// decoder of the version it was written in, then upcast one version at a time to the
/// current one by the steps below, each a small pure function. Adding a version means a
/// decoder for it, one upcaster from the version before, a schema, and tests
/// (see `schemas/README.md`).
enum RecordVersions {
    /// The payload of a record of `type` written in `version` (1 ... `type.currentVersion`),
    /// upcast to the current version.
    static func payload(_ type: RecordType, version: Int, from decoder: any Decoder) throws -> Payload {
        switch (type, version) {
        case (.userCreate, 1), (.userUpdate, 1): return userVersion1To2(try User(from: decoder))
        case (.userCreate, _), (.userUpdate, _): return .sealed(try SealedUser(from: decoder))
        case (.userDelete, _), (.musicDelete, _), (.playlistDelete, _):
            _ = try Payload.Empty(from: decoder)
            return .empty
        case (.musicCreate, _), (.musicUpdate, _): return .song(try Song(from: decoder))
        case (.playlistCreate, _): return .playlist(try Playlist(from: decoder))
        case (.playlistRename, _): return .name(try Payload.Name(from: decoder))
        case (.playlistAddSong, _), (.playlistRemoveSong, _): return .music(try Payload.MusicReference(from: decoder))
        }
    }

    /// user.create / user.update, version 1 → 2. Version 1 carried the fields in plaintext, so
    /// they are already open: they pass on as they are, never sealed here (a reader has no key
    /// to seal with). `encore log rewrite` and the dev journal's upgrade re-write such records
    /// sealed, at the same offsets.
    static func userVersion1To2(_ user: User) -> Payload { .user(user) }
}
