import Domain
import Foundation
import Store

/// The native v2 JSON shapes: `id`, `version` and lower-camel fields.
enum V2Representation {
    static func resource(_ snapshot: EntitySnapshot) -> [String: Any] {
        var body: [String: Any] = ["id": snapshot.id.uuidString.lowercased(), "version": snapshot.version]
        switch snapshot.state {
        case .user(let user)?:
            body["fname"] = user.fname
            body["lname"] = user.lname
            body["email"] = user.email
        case .music(let song)?:
            body["artist"] = song.artist
            body["songTitle"] = song.songTitle
        case .playlist(let playlist)?:
            body["name"] = playlist.name
            body["songs"] = playlist.songs.map { $0.uuidString.lowercased() }
        case nil:
            break
        }
        return body
    }

    static func history(_ outcome: CommandOutcome) -> [String: Any] {
        var entry: [String: Any] = [
            "commandId": outcome.commandID.uuidString.lowercased(),
            "type": outcome.recordType.rawValue,
            "status": outcome.status.rawValue,
            "version": outcome.version,
            "timestamp": outcome.timestamp.formatted(.iso8601),
            "position": ["topic": outcome.position.topic, "partition": outcome.position.partition, "offset": outcome.position.offset],
        ]
        if let rejection = outcome.rejection { entry["reason"] = rejection.rawValue }
        if let actor = outcome.actor { entry["actor"] = actor }
        if let command = try? JSONSerialization.jsonObject(with: outcome.envelope) { entry["command"] = command }
        return entry
    }

    /// `"3"` — the entity version as a strong ETag.
    static func etag(_ version: Int) -> String { "\"\(version)\"" }
}
