import Domain
import Foundation
import Store

/// One change as a feed sends it, encoded once and shared by every stream it goes to; each
/// stream adds its own id (see ``FeedPosition``).
///
/// `event` is the record type (`music.create`) of an applied command and `rejected` for a
/// rejected one; `data` is the v2 resource after the command, `{"id","deleted":true,"version"}`
/// after a delete, or the rejected command's id, type and reason.
struct FeedEvent: Sendable {
    let position: LogPosition
    let entityID: UUID
    let isRejected: Bool
    let name: String
    let data: String

    /// `state` is the entity after an applied command (nil after a delete or a rejection).
    init(_ outcome: CommandOutcome, state: EntitySnapshot?) throws {
        position = outcome.position
        entityID = outcome.entityID
        isRejected = outcome.status == .rejected
        let encoder = EncoreRequestContext.makeResponseEncoder()
        let body: Data
        if isRejected {
            name = "rejected"
            body = try encoder.encode(
                Rejected(
                    commandId: outcome.commandID.lowercasedString, id: outcome.entityID.lowercasedString, type: outcome.recordType.rawValue,
                    reason: outcome.rejection?.code, version: outcome.version
                ))
        } else if let state {
            name = outcome.recordType.rawValue
            body = try encoder.encode(V2.Resource(snapshot: state))
        } else {
            name = outcome.recordType.rawValue
            body = try encoder.encode(Deleted(id: outcome.entityID.lowercasedString, deleted: true, version: outcome.version))
        }
        data = String(decoding: body, as: UTF8.self)
    }

    /// The event in the `text/event-stream` format. JSON has no raw line breaks, so `data` is one line.
    func text(id: String) -> String {
        "event: \(name)\nid: \(id)\ndata: \(data)\n\n"
    }

    private struct Deleted: Encodable {
        let id: String
        let deleted: Bool
        let version: Int
    }

    private struct Rejected: Encodable {
        let commandId: String
        let id: String
        let type: String
        let reason: String?
        let version: Int
    }
}

extension RecordType {
    /// Whether a record of this type deletes its entity.
    var isDelete: Bool { self == .userDelete || self == .musicDelete || self == .playlistDelete }
}
