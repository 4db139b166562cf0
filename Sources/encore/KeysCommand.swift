import ArgumentParser
import Domain
import Foundation
import Journal
import Kafka
import Logging
import Privacy
import Replay
import Store

/// `encore keys`: the key store that holds every user's data key, wrapped by the master key.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Back up, restore and re-wrap the users' data keys.",
        subcommands: [RotateMaster.self, Backup.self, Restore.self]
    )

    struct RotateMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master",
            abstract: "Re-wrap every data key under a new master key, in one transaction.",
            discussion: "Then start every role with the new key (ENCORE_MASTER_KEY_FILE): the old one no longer opens the key store."
        )

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var keyOptions: KeyOptions
        @OptionGroup var logging: LoggingOptions

        @Option(help: "File holding the new master key (base64 of 32 bytes; `head -c 32 /dev/urandom | base64`).")
        var newMasterKeyFile: String

        func run() async throws {
            let logger = logging.bootstrap(label: "encore.keys")
            let newMaster = try MasterKey(file: newMasterKeyFile)
            let count = try await storeOptions.withStoreAndKeys(keyOptions, logger: logger) { _, keys in
                try await keys.rotate(to: newMaster)
            }
            print("re-wrapped \(count) data keys under the master key in \(newMasterKeyFile)")
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the key store (keys still wrapped by the master key) into FILE, mode 0600.",
            discussion: "Keep it apart from the master key. A restore re-applies every erasure the log holds."
        )

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var keyOptions: KeyOptions
        @OptionGroup var logging: LoggingOptions

        @Option(help: "The backup file (must not exist yet).")
        var to: String

        func run() async throws {
            let logger = logging.bootstrap(label: "encore.keys")
            let backup = try await storeOptions.withStoreAndKeys(keyOptions, logger: logger) { _, keys in
                KeyStoreBackup(masterCheck: try await keys.store.masterCheck() ?? Data(), keys: try await keys.store.allWrappedKeys())
            }
            try PrivateFile.create(to, contents: String(decoding: try JSONEncoder().encode(backup), as: UTF8.self))
            print("backed up \(backup.keys.count) data keys into \(to)")
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the key store's keys with a backup's, then erase again everyone the log deleted since.",
            discussion: "Run it before any role starts: no erasure made after the backup comes back."
        )

        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var keyOptions: KeyOptions
        @OptionGroup var logging: LoggingOptions

        @Option(help: "The backup file.")
        var from: String

        @Option(help: "Read the erasures from this log directory (a log backup, or encore dev's DATA_DIR/log) instead of the brokers.")
        var log: String?

        func run() async throws {
            let logger = logging.bootstrap(label: "encore.keys")
            guard let data = FileManager.default.contents(atPath: from) else { throw ValidationError("cannot read \(from)") }
            let backup = try JSONDecoder().decode(KeyStoreBackup.self, from: data)
            let (restored, erased) = try await storeOptions.withStoreAndKeys(keyOptions, logger: logger) { _, keys in
                try await keys.restore(masterCheck: backup.masterCheck, keys: backup.keys.map { ($0.user, $0.wrapped) })
                let users = Array(try await deletedUsers(logger: logger))
                try await keys.erase(users)
                return (backup.keys.count, users.count)
            }
            print("restored \(restored) data keys from \(from); erased again the \(erased) users the log deletes")
        }

        /// Every user the log deletes (each deletion is an erasure).
        private func deletedUsers(logger: Logger) async throws -> Set<UUID> {
            func deletion(_ value: Data) -> UUID? {
                guard let command = try? CommandCodec.decode(value, opening: NoPersonalData()), command.action == .deleteUser else {
                    return nil
                }
                return command.entityID
            }
            guard let log else {
                try Librdkafka.requireMinimumVersion()
                let records = try await LogScan.records(of: kafka.log.topic(.user), log: kafka.log, logger: logger) {
                    deletion($0.value) != nil
                }
                return Set(records.compactMap { deletion($0.value) })
            }
            let journal = try Journal(directory: URL(fileURLWithPath: log), logger: logger)
            var users = Set<UUID>()
            for partition in journal.topicPartitions where partition.topic == kafka.log.topic(.user) {
                try await journal.read(partition) { records in users.formUnion(records.compactMap { deletion($0.value) }) }
            }
            return users
        }
    }
}

/// What `encore keys backup` writes: the wrapped keys and the master check, as JSON.
struct KeyStoreBackup: Codable {
    var format = 1
    var masterCheck: Data
    var keys: [Key]

    struct Key: Codable {
        var user: UUID
        var wrapped: Data
    }

    init(masterCheck: Data, keys: [(user: UUID, wrapped: Data)]) {
        self.masterCheck = masterCheck
        self.keys = keys.map { Key(user: $0.user, wrapped: $0.wrapped) }
    }
}
