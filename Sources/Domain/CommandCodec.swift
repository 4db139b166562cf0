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
/// Writers write each type's current version (``RecordType/currentVersion``); readers read
/// every version up to it, upcasting older ones (see `RecordVersions.swift`).
public enum CommandCodec {
    /// `command` in its record type's current version; a user's personal fields sealed by `cipher`.
    public static func encode(_ command: Command, sealing cipher: some PersonalDataCipher) throws(PersonalDataError) -> Data {
        let type = command.action.recordType
        let payload: Payload
        switch command.action {
        case .createUser(let user), .updateUser(let user):
            let sealed = try cipher.seal(try! encoder.encode(user), user: command.entityID, command: command.id)
            payload = .sealed(SealedUser(sealed: sealed))
        default:
            payload = Payload(command.action)
        }
        return envelope(command, version: type.currentVersion, payload: payload)
    }

    /// `command` as builds before record versions wrote it: version 1 of every type, personal
    /// fields in plaintext. Only for making logs of those builds (upgrade fixtures, tests).
    public static func encodeVersion1(_ command: Command) -> Data {
        envelope(command, version: 1, payload: Payload(command.action))
    }

    private static func envelope(_ command: Command, version: Int, payload: Payload) -> Data {
        let envelope = Envelope(
            header: EnvelopeHeader(
                type: command.action.recordType.rawValue,
                schemaVersion: version,
                commandId: command.id,
                entityId: command.entityID,
                timestamp: timestampString(command.timestamp),
                actor: command.actor,
                expectedVersion: command.expectedVersion
            ),
            payload: payload
        )
        // Encoding plain strings, UUIDs, bytes and numbers cannot fail.
        return try! encoder.encode(envelope)
    }

    /// Decoded timestamps are whole milliseconds: `Date(timeIntervalSince1970: Double(ms) / 1000)`.
    /// A user whose key `cipher` no longer has decodes with ``User/erased`` fields.
    public static func decode(_ data: Data, opening cipher: some PersonalDataCipher) throws(PoisonRecord) -> Command {
        if let command = CanonicalEnvelope.decode(data, opening: cipher) { return command }
        return try decodeInFull(data, opening: cipher)
    }

    /// The full decoder (`JSONDecoder`): every form JSON allows, and the reason for a refusal.
    static func decodeInFull(_ data: Data, opening cipher: some PersonalDataCipher) throws(PoisonRecord) -> Command {
        do {
            let decoder = JSONDecoder()
            decoder.userInfo[cipherKey] = cipher as any PersonalDataCipher
            return try decoder.decode(DecodedEnvelope.self, from: data).command
        } catch let refusal as EnvelopeRefusal {
            throw PoisonRecord(refusal.reason)
        } catch {
            throw PoisonRecord("not a command envelope: \(describe(error))")
        }
    }

    static let cipherKey = CodingUserInfoKey(rawValue: "encore.personalDataCipher")!

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
            guard version <= type.currentVersion else {
                throw EnvelopeRefusal(
                    reason: "schema version \(version) of \(typeName) is newer than this build reads (version \(type.currentVersion))")
            }
            guard version >= 1 else { throw EnvelopeRefusal(reason: "unknown schema version \(version) of \(typeName)") }
            let commandID = try container.decodeUUID(forKey: .commandId)
            let entityID = try container.decodeUUID(forKey: .entityId)
            let timestampText = try container.decode(String.self, forKey: .timestamp)
            let actor = try container.decodeIfPresent(String.self, forKey: .actor)
            let expectedVersion = try container.decodeIfPresent(Int.self, forKey: .expectedVersion)
            guard let parsed = try? Date(timestampText, strategy: CommandCodec.timestampStyle) else {
                throw EnvelopeRefusal(reason: "invalid timestamp \(CommandCodec.excerpt(timestampText))")
            }
            guard container.contains(.payload) else {
                throw DecodingError.keyNotFound(CodingKeys.payload, .init(codingPath: [], debugDescription: "no payload"))
            }
            let action: Action
            do {
                let payload = try RecordVersions.payload(type, version: version, from: container.superDecoder(forKey: .payload))
                let cipher = decoder.userInfo[CommandCodec.cipherKey] as? any PersonalDataCipher ?? NoPersonalData()
                action = try payload.action(type, user: entityID, command: commandID, cipher: cipher)
            } catch let error as PersonalDataError {
                // A key not loaded too: readers look keys up by the record key, so this record's
                // key does not name its entity.
                throw EnvelopeRefusal(reason: "\(error)")
            } catch {
                throw EnvelopeRefusal(reason: "invalid payload of \(typeName): \(CommandCodec.describe(error))")
            }
            // Written around the gateway (its rules are the log's contract): fold nothing a client could not send.
            do {
                if !action.hasErasedFields { try Validation.validate(action) }
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
}
