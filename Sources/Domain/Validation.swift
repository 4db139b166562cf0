import Foundation

/// Input that a command may not carry: which field, and why.
public struct InvalidField: Error, Sendable, Hashable, CustomStringConvertible {
    /// An entity field a rule applies to. Each API version spells it its own way, so the API
    /// names it in its errors as its clients sent it; the raw value is the name dead-letter
    /// reasons have always used.
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case fname, lname, email
        case artist = "Artist", songTitle = "SongTitle", playlistName = "Name", playlistSongs = "Playlist"
    }

    public var field: Field
    public var message: String

    public init(field: Field, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field.rawValue): \(message)" }
}

/// Field rules for command input, checked on the write side before anything is appended.
public enum Validation {
    public static let maxTextLength = 500
    public static let maxPlaylistSongs = 10_000

    public static func validate(_ action: Action) throws(InvalidField) {
        switch action {
        case .createUser(let user), .updateUser(let user):
            try text(user.fname, field: .fname)
            try text(user.lname, field: .lname)
            try email(user.email)
        case .createMusic(let song), .updateMusic(let song):
            try text(song.artist, field: .artist)
            try text(song.songTitle, field: .songTitle)
        case .createPlaylist(let playlist):
            try text(playlist.name, field: .playlistName)
            guard playlist.songs.count <= maxPlaylistSongs else {
                throw InvalidField(field: .playlistSongs, "at most \(maxPlaylistSongs) songs")
            }
            guard Set(playlist.songs).count == playlist.songs.count else {
                throw InvalidField(field: .playlistSongs, "a song may appear only once")
            }
        case .renamePlaylist(let name):
            try text(name, field: .playlistName)
        case .addSong, .removeSong, .deleteUser, .deleteMusic, .deletePlaylist:
            break
        }
    }

    private static func text(_ value: String, field: InvalidField.Field) throws(InvalidField) {
        // Printable ASCII (what nearly every command carries): one pass over the bytes decides
        // the three rules below exactly as they do: no control characters, one character per
        // byte, and the space as the only whitespace.
        if value.utf8.allSatisfy({ (0x20...0x7e).contains($0) }) {
            guard value.utf8.contains(where: { $0 != 0x20 }) else { throw InvalidField(field: field, "must not be empty") }
            guard value.utf8.count <= maxTextLength else { throw InvalidField(field: field, "at most \(maxTextLength) characters") }
            return
        }
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw InvalidField(field: field, "must not be empty")
        }
        guard value.count <= maxTextLength else {
            throw InvalidField(field: field, "at most \(maxTextLength) characters")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw InvalidField(field: field, "must not contain control characters")
        }
    }

    private static func email(_ value: String) throws(InvalidField) {
        try text(value, field: .email)
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !value.contains(where: \.isWhitespace)
        else {
            throw InvalidField(field: .email, "not an email address")
        }
    }
}
