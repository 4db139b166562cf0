import Domain
import Foundation

/// The original system's JSON shapes: `{"Items":[…],"Count":n}` and its field names.
enum V1Representation {
    static func idField(_ kind: EntityKind) -> String {
        switch kind {
        case .user: "user_id"
        case .music: "music_id"
        case .playlist: "playlist_id"
        }
    }

    static func item(_ snapshot: EntitySnapshot) -> [String: Any] {
        var item: [String: Any] = [idField(snapshot.kind): snapshot.id.uuidString.lowercased()]
        switch snapshot.state {
        case .user(let user)?:
            item["fname"] = user.fname
            item["lname"] = user.lname
            item["email"] = user.email
        case .music(let song)?:
            item["Artist"] = song.artist
            item["SongTitle"] = song.songTitle
        case .playlist(let playlist)?:
            item["Name"] = playlist.name
            item["Playlist"] = playlist.songs.map { $0.uuidString.lowercased() }
        case nil:
            break
        }
        return item
    }

    static func items(_ snapshots: [EntitySnapshot], next: UUID? = nil, kind: EntityKind) -> [String: Any] {
        var body: [String: Any] = ["Items": snapshots.map(item), "Count": snapshots.count]
        if let next { body["LastEvaluatedKey"] = [idField(kind): next.uuidString.lowercased()] }
        return body
    }
}
