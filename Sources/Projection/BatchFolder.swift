import Domain
import Foundation
import Kafka
import Store

/// One record as a projector sees it: where it is in the log, and its bytes.
public struct LogRecord: Sendable, Hashable {
    public var position: LogPosition
    public var key: Data?
    public var value: Data
    /// The record's headers; the projector continues the producer's trace from them.
    public var headers: [KafkaHeader]

    public init(position: LogPosition, key: Data?, value: Data, headers: [KafkaHeader] = []) {
        self.position = position
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// The entity id the key names (in either case), nil for a missing or non-UUID key.
    public var entityKey: UUID? { key.flatMap { UUID(text: String(decoding: $0, as: UTF8.self)) } }
}

/// Folds a polled batch of one topic into a `ProjectionBatch`, given the entities' current
/// snapshots. Pure: the projector does the I/O around it.
public struct BatchFolder: Sendable {
    public var kind: EntityKind

    public init(kind: EntityKind) { self.kind = kind }

    /// The decoded commands of a batch, and the records that cannot be folded.
    public struct Decoded: Sendable {
        public var commands: [(LogRecord, Command)]
        public var poison: [(LogRecord, PoisonRecord)]
        public var entityIDs: [UUID] { Array(Set(commands.map(\.1.entityID))) }
        public var commandIDs: [UUID] { commands.map(\.1.id) }
    }

    /// The users whose data keys `decode` needs to open `records` (none outside the users topic).
    public func users(in records: [LogRecord]) -> [UUID] {
        kind == .user ? Array(Set(records.compactMap(\.entityKey))) : []
    }

    /// Decodes every record, opening personal fields with `cipher` (holding the keys of
    /// ``users(in:)``); wrong kinds and keys that do not name the entity are poison too.
    public func decode(_ records: [LogRecord], opening cipher: some PersonalDataCipher) -> Decoded {
        var decoded = Decoded(commands: [], poison: [])
        for record in records {
            do throws(PoisonRecord) {
                let command = try CommandCodec.decode(record.value, opening: cipher)
                guard command.kind == kind else {
                    throw PoisonRecord(
                        "record type \(command.action.recordType.rawValue) does not belong in topic \(record.position.topic)")
                }
                guard record.entityKey == command.entityID else {
                    throw PoisonRecord("record key does not equal entityId \(command.entityID.lowercasedString)")
                }
                decoded.commands.append((record, command))
            } catch {
                decoded.poison.append((record, error))
            }
        }
        return decoded
    }

    /// Folds the decoded commands over `current` snapshots. Commands whose id already has an
    /// outcome (`alreadyApplied`) are skipped, so a re-delivered command never applies twice.
    public func fold(
        _ decoded: Decoded,
        records: [LogRecord],
        current: [UUID: EntitySnapshot],
        alreadyApplied: Set<UUID>
    ) -> ProjectionBatch {
        var snapshots = current
        var changed = Set<UUID>()
        var outcomes: [CommandOutcome] = []
        var seen = alreadyApplied
        for (record, command) in decoded.commands where seen.insert(command.id).inserted {
            let before = snapshots[command.entityID]
            let outcome = Fold.apply(command, to: before)
            let status: CommandOutcome.Status
            let rejection: Rejection?
            let version: Int
            switch outcome {
            case .applied(let next):
                snapshots[command.entityID] = next
                changed.insert(command.entityID)
                (status, rejection, version) = (.applied, nil, next.version)
            case .rejected(let reason):
                (status, rejection, version) = (.rejected, reason, before?.version ?? 0)
            }
            outcomes.append(
                CommandOutcome(
                    commandID: command.id, kind: command.kind, entityID: command.entityID,
                    recordType: command.action.recordType, status: status, rejection: rejection, version: version,
                    position: record.position, timestamp: command.timestamp, actor: command.actor, envelope: record.value
                ))
        }
        return ProjectionBatch(
            kind: kind,
            snapshots: changed.map { ($0.lowercasedString, $0) }.sorted { $0.0 < $1.0 }.compactMap { snapshots[$0.1] },
            outcomes: outcomes,
            checkpoints: Self.checkpoints(after: records),
            starts: Self.starts(of: records)
        )
    }

    /// Per partition, the lowest offset in `records`.
    static func starts(of records: [LogRecord]) -> [LogPosition] {
        var first: [String: LogPosition] = [:]
        for record in records {
            let key = "\(record.position.topic)#\(record.position.partition)"
            if (first[key]?.offset ?? .max) > record.position.offset { first[key] = record.position }
        }
        return first.values.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    /// Per partition, one past the highest offset in `records`.
    static func checkpoints(after records: [LogRecord]) -> [LogPosition] {
        var next: [String: LogPosition] = [:]
        for record in records {
            let key = "\(record.position.topic)#\(record.position.partition)"
            let candidate = LogPosition(
                topic: record.position.topic, partition: record.position.partition, offset: record.position.offset + 1)
            if (next[key]?.offset ?? -1) < candidate.offset { next[key] = candidate }
        }
        return next.values.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }
}
