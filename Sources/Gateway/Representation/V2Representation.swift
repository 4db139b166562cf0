import Domain
import Foundation
import Hummingbird
import Store

/// The native v2 JSON: `id`, `version` and lower-camel fields.
enum V2: APIVersion {
    static let names = FieldNames(
        artist: "artist", songTitle: "songTitle", playlistName: "name", playlistSongs: "songs", songReference: "musicId")

    /// One entity: id, version, then its fields.
    struct Resource: ResponseEncodable {
        let snapshot: EntitySnapshot

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONKey.self)
            try container.encode(snapshot.id.lowercasedString, forKey: JSONKey("id"))
            try container.encode(snapshot.version, forKey: JSONKey("version"))
            try snapshot.state?.encode(to: &container, names: names)
        }
    }

    /// One page of a collection and the cursor of the next, if there is one.
    struct Page: ResponseEncodable {
        let items: [Resource]
        let nextCursor: String?

        init(_ snapshots: [EntitySnapshot], next: UUID?) {
            items = snapshots.map(Resource.init)
            nextCursor = next?.lowercasedString
        }
    }

    /// A write taken but not yet applied (`Prefer: respond-async`, or the wait ran out).
    struct Accepted: ResponseEncodable {
        let id: String
        let commandId: String
        let consistencyToken: String

        init(_ command: Command, token: ConsistencyToken) {
            id = command.entityID.lowercasedString
            commandId = command.id.lowercasedString
            consistencyToken = token.description
        }
    }

    /// An entity's history: what the projector decided for each of its commands.
    struct History: ResponseEncodable {
        let items: [Entry]

        struct Entry: Encodable {
            let commandId: String
            let type: String
            let status: String
            let version: Int
            let timestamp: String
            let position: Position
            let reason: String?
            let actor: String?
            /// The command as it is in the log, a user's personal fields opened (or, once the
            /// user is erased, `{"erased": true}` in their place).
            let command: JSONValue?

            init(_ outcome: CommandOutcome, opened: Command?) {
                commandId = outcome.commandID.lowercasedString
                type = outcome.recordType.rawValue
                status = outcome.status.rawValue
                version = outcome.version
                timestamp = outcome.timestamp.formatted(.iso8601)
                position = Position(topic: outcome.position.topic, partition: outcome.position.partition, offset: outcome.position.offset)
                reason = outcome.rejection?.code
                actor = outcome.actor
                var command = try? JSONDecoder().decode(JSONValue.self, from: outcome.envelope)
                if case .object(var fields) = command, case .createUser(let user)? = opened?.action ?? nil {
                    fields["payload"] = Self.payload(user)
                    command = .object(fields)
                } else if case .object(var fields) = command, case .updateUser(let user)? = opened?.action ?? nil {
                    fields["payload"] = Self.payload(user)
                    command = .object(fields)
                }
                self.command = command
            }

            private static func payload(_ user: User) -> JSONValue {
                guard !user.isErased else { return .object(["erased": .bool(true)]) }
                return .object(["fname": .string(user.fname), "lname": .string(user.lname), "email": .string(user.email)])
            }
        }

        struct Position: Encodable {
            let topic: String
            let partition: Int32
            let offset: Int64
        }
    }

    /// A new playlist: `name` and, optionally, `songs` as an array of ids.
    struct PlaylistBody: Decodable {
        let playlist: Playlist

        init(from decoder: any Decoder) throws {
            let fields = try JSONFields(decoder, allowed: [names.playlistName, names.playlistSongs])
            let songs = try fields.uuids(names.playlistSongs) ?? []
            playlist = Playlist(name: try fields.string(names.playlistName), songs: songs)
        }
    }

    /// A playlist's new name.
    struct NameBody: Decodable {
        let name: String
        init(from decoder: any Decoder) throws { name = try JSONFields(decoder, allowed: [names.playlistName]).string(names.playlistName) }
    }

    /// `"3"`: the entity version as a strong ETag.
    static func etag(_ version: Int) -> String { "\"\(version)\"" }
}

extension EntitySnapshot {
    /// This entity as `GET /api/v2/{kind}/{id}` answers it, for tools that print the same.
    public func v2JSON() throws -> Data {
        try EncoreRequestContext.makeResponseEncoder().encode(V2.Resource(snapshot: self))
    }
}
