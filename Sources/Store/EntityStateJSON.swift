import Domain
import Foundation

/// The JSON form of an entity's state, shared by both backends.
///
/// Field names are those of the log's payloads (`fname,lname,email`; `Artist,SongTitle`;
/// `Name,Songs`), keys sorted like `CommandCodec`'s, song ids as lowercase UUIDs.
enum EntityStateJSON {
    /// Encodes by hand rather than with `JSONEncoder`: a commit encodes thousands of states, and
    /// these three flat shapes need nothing but string escaping.
    static func encode(_ state: EntityState) -> String {
        var json = "{"
        switch state {
        case .user(let user):
            member("email", user.email, into: &json, first: true)
            member("fname", user.fname, into: &json)
            member("lname", user.lname, into: &json)
        case .music(let song):
            member("Artist", song.artist, into: &json, first: true)
            member("SongTitle", song.songTitle, into: &json)
        case .playlist(let playlist):
            member("Name", playlist.name, into: &json, first: true)
            json += ",\"Songs\":["
            for (index, song) in playlist.songs.enumerated() {
                if index > 0 { json += "," }
                json += "\"\(song.lowercasedString)\""
            }
            json += "]"
        }
        json += "}"
        return json
    }

    /// Decodes the state of an entity of `kind`; throws a readable reason if the JSON does not fit.
    static func decode(_ kind: EntityKind, from json: Data) throws(CorruptRow) -> EntityState {
        let decoder = JSONDecoder()
        do {
            switch kind {
            case .user: return .user(try decoder.decode(User.self, from: json))
            case .music: return .music(try decoder.decode(Song.self, from: json))
            case .playlist: return .playlist(try decoder.decode(Playlist.self, from: json))
            }
        } catch {
            throw CorruptRow("state of a \(kind.rawValue) is not valid JSON for it: \(error)")
        }
    }

    private static func member(_ key: String, _ value: String, into json: inout String, first: Bool = false) {
        if !first { json += "," }
        json += "\"\(key)\":"
        appendString(value, to: &json)
    }

    /// Appends `value` as a JSON string literal (RFC 8259 escaping; non-ASCII stays UTF-8).
    static func appendString(_ value: String, to json: inout String) {
        json += "\""
        // Fast path: most text needs no escaping at all.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            json += value
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case "\n": json += "\\n"
                case "\r": json += "\\r"
                case "\t": json += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = Array("0123456789abcdef")
                    json += "\\u00" + String(hex[Int(scalar.value >> 4)]) + String(hex[Int(scalar.value & 0xF)])
                default:
                    json.unicodeScalars.append(scalar)
                }
            }
        }
        json += "\""
    }
}
