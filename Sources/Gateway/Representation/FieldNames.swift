import Domain
import Foundation

/// What one API version calls an entity's fields. The one mapping between entity states and
/// JSON: responses and request bodies of both versions go through it.
struct FieldNames: Sendable {
    var artist: String
    var songTitle: String
    var playlistName: String
    var playlistSongs: String
    /// The field of a request that names one song (adding it to a playlist).
    var songReference: String

    /// Users' fields are spelled the same in every version.
    static let userFields: Set<String> = ["fname", "lname", "email"]

    /// What this version calls a field that a validation rule refused.
    func name(of field: InvalidField.Field) -> String {
        switch field {
        case .fname, .lname, .email: field.rawValue
        case .artist: artist
        case .songTitle: songTitle
        case .playlistName: playlistName
        case .playlistSongs: playlistSongs
        }
    }
}

/// An API version: its field names.
protocol APIVersion {
    static var names: FieldNames { get }
}

extension EntityState {
    /// Writes this state's fields, named as `names` says.
    func encode(to container: inout KeyedEncodingContainer<JSONKey>, names: FieldNames) throws {
        switch self {
        case .user(let user) where user.isErased:
            // An erased person, as history and as-of reads show them: the fields are gone.
            for field in ["fname", "lname", "email"] { try container.encodeNil(forKey: JSONKey(field)) }
            try container.encode(true, forKey: JSONKey("erased"))
        case .user(let user):
            try container.encode(user.fname, forKey: JSONKey("fname"))
            try container.encode(user.lname, forKey: JSONKey("lname"))
            try container.encode(user.email, forKey: JSONKey("email"))
        case .music(let song):
            try container.encode(song.artist, forKey: JSONKey(names.artist))
            try container.encode(song.songTitle, forKey: JSONKey(names.songTitle))
        case .playlist(let playlist):
            try container.encode(playlist.name, forKey: JSONKey(names.playlistName))
            try container.encode(playlist.songs.map(\.lowercasedString), forKey: JSONKey(names.playlistSongs))
        }
    }
}

/// A user's fields, the same in every version.
struct UserBody: Decodable {
    let user: User

    init(from decoder: any Decoder) throws {
        let fields = try JSONFields(decoder, allowed: FieldNames.userFields)
        user = User(fname: try fields.string("fname"), lname: try fields.string("lname"), email: try fields.string("email"))
    }
}

/// A song's fields, named by `Version`.
struct SongBody<Version: APIVersion>: Decodable {
    let song: Song

    init(from decoder: any Decoder) throws {
        let names = Version.names
        let fields = try JSONFields(decoder, allowed: [names.artist, names.songTitle])
        song = Song(artist: try fields.string(names.artist), songTitle: try fields.string(names.songTitle))
    }
}

/// One song's id, as a playlist's add (and v1 remove) takes it.
struct SongReference<Version: APIVersion>: Decodable {
    let song: UUID

    init(from decoder: any Decoder) throws {
        let field = Version.names.songReference
        song = try JSONFields(decoder, allowed: [field]).uuid(field)
    }
}
