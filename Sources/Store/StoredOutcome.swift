import Domain
import Foundation

/// A `CommandOutcome` as the columns of an outcomes row; both backends write and read through it.
///
/// Timestamps are kept as whole microseconds since 1970 (PostgreSQL's `timestamptz` precision),
/// converted here once for both backends, so an outcome reads back equal from either.
struct StoredOutcome: Sendable {
    var commandID: UUID
    var kind: String
    var entityID: UUID
    var recordType: String
    var status: String
    var rejection: String?
    var version: Int64
    var topic: String
    var partition: Int32
    var offset: Int64
    var timestampMicroseconds: Int64
    var actor: String?
    var envelope: Data

    init(_ outcome: CommandOutcome) {
        commandID = outcome.commandID
        kind = outcome.kind.rawValue
        entityID = outcome.entityID
        recordType = outcome.recordType.rawValue
        status = outcome.status.rawValue
        rejection = outcome.rejection?.rawValue
        version = Int64(outcome.version)
        topic = outcome.position.topic
        partition = outcome.position.partition
        offset = outcome.position.offset
        timestampMicroseconds = outcome.timestamp.microsecondsSince1970
        actor = outcome.actor
        envelope = outcome.envelope
    }

    init(
        commandID: UUID, kind: String, entityID: UUID, recordType: String, status: String, rejection: String?,
        version: Int64, topic: String, partition: Int32, offset: Int64, timestampMicroseconds: Int64, actor: String?, envelope: Data
    ) {
        self.commandID = commandID
        self.kind = kind
        self.entityID = entityID
        self.recordType = recordType
        self.status = status
        self.rejection = rejection
        self.version = version
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestampMicroseconds = timestampMicroseconds
        self.actor = actor
        self.envelope = envelope
    }

    /// The domain value; throws if a column holds something this build does not know.
    func outcome() throws(CorruptRow) -> CommandOutcome {
        guard let kind = EntityKind(rawValue: kind) else { throw CorruptRow("unknown entity kind \"\(kind)\" in outcome \(commandID)") }
        guard let recordType = RecordType(rawValue: recordType) else {
            throw CorruptRow("unknown record type \"\(recordType)\" in outcome \(commandID)")
        }
        guard let status = CommandOutcome.Status(rawValue: status) else {
            throw CorruptRow("unknown status \"\(status)\" in outcome \(commandID)")
        }
        var decodedRejection: Rejection?
        if let rejection {
            guard let known = Rejection(rawValue: rejection) else {
                throw CorruptRow("unknown rejection \"\(rejection)\" in outcome \(commandID)")
            }
            decodedRejection = known
        }
        return CommandOutcome(
            commandID: commandID, kind: kind, entityID: entityID, recordType: recordType, status: status,
            rejection: decodedRejection, version: Int(version),
            position: LogPosition(topic: topic, partition: partition, offset: offset),
            timestamp: Date(microsecondsSince1970: timestampMicroseconds),
            actor: actor, envelope: envelope
        )
    }
}
