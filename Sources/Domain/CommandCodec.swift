import Foundation

/// A record that cannot be folded: not JSON, an unknown type, a schema version this build
/// does not know, or a command the write side would have refused. Projectors send it to the
/// dead-letter topic with this reason.
public struct PoisonRecord: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Encodes commands as the log's versioned JSON envelope and decodes them back.
///
/// ```json
/// {"type":"playlist.add-song","schemaVersion":1,"commandId":"…","entityId":"…",
///  "timestamp":"2026-11-29T07:00:00.123Z","actor":"…","expectedVersion":3,
///  "payload":{"music_id":"…"}}
/// ```
/// Payload field names are the original system's (`fname`, `Artist`, `Name`, `music_id`).
public enum CommandCodec {
    /// The envelope version this build writes, and the only one it reads.
    public static let schemaVersion = 1

    public static func encode(_ command: Command) -> Data {
        let envelope = Envelope(
            header: EnvelopeHeader(
                type: command.action.recordType.rawValue,
                schemaVersion: schemaVersion,
                commandId: command.id,
                entityId: command.entityID,
                timestamp: timestampString(command.timestamp),
                actor: command.actor,
                expectedVersion: command.expectedVersion
            ),
            payload: Payload(command.action)
        )
        // Encoding plain strings, UUIDs and numbers cannot fail.
        return try! encoder.encode(envelope)
    }

    /// Decoded timestamps are whole milliseconds: `Date(timeIntervalSince1970: Double(ms) / 1000)`.
    public static func decode(_ data: Data) throws(PoisonRecord) -> Command {
        if let command = CanonicalEnvelope.decode(data) { return command }
        return try decodeInFull(data)
    }

    /// The full decoder (`JSONDecoder`): every form JSON allows, and the reason for a refusal.
    static func decodeInFull(_ data: Data) throws(PoisonRecord) -> Command {
        do {
            return try JSONDecoder().decode(DecodedEnvelope.self, from: data).command
        } catch let refusal as EnvelopeRefusal {
            throw PoisonRecord(refusal.reason)
        } catch {
            throw PoisonRecord("not a command envelope: \(describe(error))")
        }
    }

    /// Why a well-formed JSON object is still not a command this build can fold.
    private struct EnvelopeRefusal: Error {
        let reason: String
    }

    /// The whole envelope in one parse. Type and version are read first: another version's
    /// envelope may differ in every other field.
    private struct DecodedEnvelope: Decodable {
        let command: Command

        enum CodingKeys: String, CodingKey {
            case type, schemaVersion, commandId, entityId, timestamp, actor, expectedVersion, payload
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let typeName = try container.decode(String.self, forKey: .type)
            let version = try container.decode(Int.self, forKey: .schemaVersion)
            guard let type = RecordType(rawValue: typeName) else {
                throw EnvelopeRefusal(reason: "unknown record type \(CommandCodec.excerpt(typeName))")
            }
            guard version == CommandCodec.schemaVersion else {
                throw EnvelopeRefusal(reason: "unsupported schema version \(version) of \(typeName)")
            }
            let commandID = try container.decodeUUID(forKey: .commandId)
            let entityID = try container.decodeUUID(forKey: .entityId)
            let timestampText = try container.decode(String.self, forKey: .timestamp)
            let actor = try container.decodeIfPresent(String.self, forKey: .actor)
            let expectedVersion = try container.decodeIfPresent(Int.self, forKey: .expectedVersion)
            guard let parsed = try? Date(timestampText, strategy: CommandCodec.timestampStyle) else {
                throw EnvelopeRefusal(reason: "invalid timestamp \(CommandCodec.excerpt(timestampText))")
            }
            let action: Action
            do {
                action = try Payload.decode(type, from: container)
            } catch {
                throw EnvelopeRefusal(reason: "invalid payload of \(typeName): \(CommandCodec.describe(error))")
            }
            // Written around the gateway (its rules are the log's contract): fold nothing a client could not send.
            do {
                try Validation.validate(action)
            } catch {
                throw EnvelopeRefusal(reason: "invalid \(typeName): \(error)")
            }
            command = Command(
                id: commandID, entityID: entityID,
                timestamp: Date(timeIntervalSince1970: (parsed.timeIntervalSince1970 * 1000).rounded() / 1000),
                actor: actor, expectedVersion: expectedVersion, action: action
            )
        }
    }

    /// At most the first 100 characters of `text`: a reason travels in a record header, and a
    /// hostile record may carry megabytes where a type name goes.
    static func excerpt(_ text: String) -> String {
        text.count <= 100 ? text : "\(text.prefix(100))… (\(text.utf8.count) bytes)"
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// `2026-11-29T07:00:00.123Z`, rounded to the nearest millisecond. (The format style
    /// truncates, and a whole-millisecond `Date` is usually a hair below its millisecond.)
    private static func timestampString(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (wholeSeconds, millis) = fraction < 0 ? (seconds - 1, fraction + 1000) : (seconds, fraction)
        let whole = Date(timeIntervalSince1970: Double(wholeSeconds)).formatted(Date.ISO8601FormatStyle())  // …:00Z
        let digits = String(millis)
        return String(whole.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            context.codingPath.isEmpty ? "not a JSON object" : "wrong type at \(path(context))"
        case DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty ? context.debugDescription : "\(path(context)): \(context.debugDescription)"
        default: "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private struct EnvelopeHeader: Encodable {
        var type: String
        var schemaVersion: Int
        var commandId: UUID
        var entityId: UUID
        var timestamp: String
        var actor: String?
        var expectedVersion: Int?
    }

    /// The header's fields and `payload`, side by side in one JSON object.
    private struct Envelope: Encodable {
        var header: EnvelopeHeader
        var payload: Payload

        enum CodingKeys: String, CodingKey { case payload }

        func encode(to encoder: any Encoder) throws {
            try header.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(payload, forKey: .payload)
        }
    }

    /// The `payload` object of each record type.
    private enum Payload: Encodable {
        case user(User)
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
            case .song(let value): try value.encode(to: encoder)
            case .playlist(let value): try value.encode(to: encoder)
            case .name(let value): try value.encode(to: encoder)
            case .music(let value): try value.encode(to: encoder)
            case .empty: try Empty().encode(to: encoder)
            }
        }

        static func decode(_ type: RecordType, from envelope: KeyedDecodingContainer<DecodedEnvelope.CodingKeys>) throws -> Action {
            func payload<T: Decodable>(_: T.Type) throws -> T {
                try envelope.decode(T.self, forKey: .payload)
            }
            switch type {
            case .userCreate: return .createUser(try payload(User.self))
            case .userUpdate: return .updateUser(try payload(User.self))
            case .userDelete:
                _ = try payload(Empty.self)
                return .deleteUser
            case .musicCreate: return .createMusic(try payload(Song.self))
            case .musicUpdate: return .updateMusic(try payload(Song.self))
            case .musicDelete:
                _ = try payload(Empty.self)
                return .deleteMusic
            case .playlistCreate: return .createPlaylist(try payload(Playlist.self))
            case .playlistRename: return .renamePlaylist(name: try payload(Name.self).Name)
            case .playlistAddSong: return .addSong(try payload(MusicReference.self).music_id)
            case .playlistRemoveSong: return .removeSong(try payload(MusicReference.self).music_id)
            case .playlistDelete:
                _ = try payload(Empty.self)
                return .deletePlaylist
            }
        }
    }
}
