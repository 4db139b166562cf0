import Domain
import Foundation
import Journal
import Kafka
import Privacy

/// Re-writes a log kept on disk (a backup, or `encore dev`'s journal) so that no user record
/// carries personal data in plaintext. Each user record of version 1 becomes version 2, sealed
/// under its user's data key — or, for a user the log deletes, under a key made for the purpose
/// and kept nowhere — at the same offset, with the same timestamp, key and headers (its
/// `schema-id` naming the new version). Every other record is copied as it is, and so is the
/// manifest: cluster id, partitions and the consumer groups' offsets.
struct LogRewrite {
    let source: Journal
    let keys: DataKeys

    struct Summary {
        var records: Int64 = 0
        var sealed: Int64 = 0
        var erased: Int
    }

    /// The partitions of the users' topics in `journal`.
    private static func userPartitions(of journal: Journal) -> [TopicPartition] {
        journal.topicPartitions.filter { $0.topic.hasSuffix(".\(EntityKind.user.topicSuffix)") }
    }

    private var userPartitions: [TopicPartition] { Self.userPartitions(of: source) }

    /// Whether any user record is sealed (so the log needs the key store it was sealed with).
    static func holdsSealedRecords(_ journal: Journal) async throws -> Bool {
        let sealed = Set([RecordType.userCreate, .userUpdate].map { $0.schemaID(version: $0.currentVersion) })
        var found = false
        for partition in userPartitions(of: journal) where !found {
            try await journal.read(partition) { records in
                found =
                    found
                    || records.contains {
                        $0.headers.contains {
                            $0.name == "schema-id" && $0.value.map { sealed.contains(String(decoding: $0, as: UTF8.self)) } == true
                        }
                    }
            }
        }
        return found
    }

    /// Whether any user record still carries its fields in plaintext.
    func isNeeded() async throws -> Bool {
        var found = false
        for partition in userPartitions where !found {
            try await source.read(partition) { records in
                found = found || records.contains { Self.plaintextUser($0) != nil }
            }
        }
        return found
    }

    /// Writes the re-written log into `destination` (an empty journal), reporting progress.
    func run(into destination: Journal, progress: @escaping @Sendable (TransferProgress) -> Void) async throws -> Summary {
        guard let manifest = source.manifest else { return Summary(erased: 0) }
        // The people the log deletes keep nothing; everyone else's key is made (or found) first.
        var deleted = Set<UUID>(), users = Set<UUID>()
        for partition in userPartitions {
            try await source.read(partition) { records in
                for record in records {
                    guard let command = try? CommandCodec.decode(record.value, opening: NoPersonalData()) else { continue }
                    if command.action == .deleteUser { deleted.insert(command.entityID) } else { users.insert(command.entityID) }
                }
            }
        }
        let kept = try await keys.keyring(writing: users.subtracting(deleted))
        let thrownAway = Keyring.unkept(deleted)
        try destination.save(manifest)
        var summary = Summary(erased: deleted.count)
        let total = source.recordCount
        let started = ContinuousClock.now
        for partition in source.topicPartitions {
            try await source.read(partition) { records in
                let rewritten = try records.map { record -> JournalRecord in
                    guard let command = Self.plaintextUser(record) else { return record }
                    var copy = record
                    let cipher = deleted.contains(command.entityID) ? thrownAway : kept
                    copy.value = try CommandCodec.encode(command, sealing: cipher)
                    let type = command.action.recordType
                    copy.headers =
                        record.headers.filter { $0.name != "schema-id" } + [
                            KafkaHeader("schema-id", type.schemaID(version: type.currentVersion))
                        ]
                    summary.sealed += 1
                    return copy
                }
                try destination.append([partition: rewritten])
                summary.records += Int64(records.count)
                let elapsed = (ContinuousClock.now - started) / .seconds(1)
                progress(TransferProgress(done: summary.records, total: total, rate: elapsed > 0 ? Double(summary.records) / elapsed : 0))
            }
        }
        // Keys of deleted people made by later writes (version 2 records) go too.
        try await keys.erase(Array(deleted))
        return summary
    }

    /// The command of a user record whose fields are in plaintext (version 1), else nil.
    private static func plaintextUser(_ record: JournalRecord) -> Command? {
        guard let command = try? CommandCodec.decode(record.value, opening: NoPersonalData()) else { return nil }
        switch command.action {
        case .createUser(let user), .updateUser(let user): return user.isErased ? nil : command
        default: return nil
        }
    }
}
