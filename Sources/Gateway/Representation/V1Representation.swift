import Domain
import Foundation
import Hummingbird

/// The original system's JSON: `{"Items":[…],"Count":n}`, `user_id`, `Artist`, `Name`,
/// playlists' songs as one comma-separated string in requests.
enum V1: APIVersion {
    static let names = FieldNames(
        artist: "Artist", songTitle: "SongTitle", playlistName: "Name", playlistSongs: "Playlist", songReference: "music_id")

    static func idField(_ kind: EntityKind) -> String {
        switch kind {
        case .user: "user_id"
        case .music: "music_id"
        case .playlist: "playlist_id"
        }
    }

    /// One entity: its id under its kind's id field, then its fields.
    struct Item: Encodable {
        let snapshot: EntitySnapshot

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONKey.self)
            try container.encode(snapshot.id.lowercasedString, forKey: JSONKey(idField(snapshot.kind)))
            try snapshot.state?.encode(to: &container, names: names)
        }
    }

    /// Every read answers a list, as the original's table scans did.
    struct Items: ResponseEncodable {
        let items: [Item]
        let count: Int
        let lastEvaluatedKey: WriteAnswer?

        init(_ snapshots: [EntitySnapshot], next: UUID? = nil, kind: EntityKind) {
            items = snapshots.map(Item.init)
            count = snapshots.count
            lastEvaluatedKey = next.map { WriteAnswer(kind: kind, id: $0) }
        }

        enum CodingKeys: String, CodingKey {
            case items = "Items", count = "Count", lastEvaluatedKey = "LastEvaluatedKey"
        }
    }

    /// `{"music_id": "…"}`.
    struct WriteAnswer: ResponseEncodable {
        let kind: EntityKind
        let id: UUID

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONKey.self)
            try container.encode(id.lowercasedString, forKey: JSONKey(idField(kind)))
        }
    }

    /// A new playlist: `Name` and, optionally, `Playlist` as `"id1,id2"`.
    struct PlaylistBody: Decodable {
        let name: String
        let songs: [UUID]

        init(from decoder: any Decoder) throws {
            let fields = try JSONFields(decoder, allowed: [names.playlistName, names.playlistSongs])
            songs = try Self.songList(fields.has(names.playlistSongs) ? try fields.string(names.playlistSongs) : "")
            name = try fields.string(names.playlistName)
        }

        /// `"id1,id2"` to ids; empty means none.
        static func songList(_ text: String) throws -> [UUID] {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return [] }
            return try trimmed.split(separator: ",").map { part in
                guard let id = UUID(uuidString: part.trimmingCharacters(in: .whitespaces)) else {
                    throw APIError.badRequest("\(names.playlistSongs) must be a comma-separated list of song UUIDs")
                }
                return id
            }
        }
    }

    /// `{"uid": "…"}`: log in as that user.
    struct Login: Decodable {
        let uid: UUID
        init(from decoder: any Decoder) throws { uid = try JSONFields(decoder, allowed: ["uid"]).uuid("uid") }
    }

    /// `{"jwt": "…"}`: the original's log-off, which only checked the field.
    struct Logoff: Decodable {
        init(from decoder: any Decoder) throws { _ = try JSONFields(decoder, allowed: ["jwt"]).string("jwt") }
    }

    /// `{}`.
    struct Empty: ResponseEncodable {}
}
