import Foundation
import Journal
import Logging
import MetadataKeys
import Privacy

/// `encore dev`'s one-time upgrade of a data directory written before user records were sealed:
/// the journal is re-written (``LogRewrite``) beside the old one, the read models are removed
/// (they are rebuilt from the new log at start, so their stored envelopes are the new records),
/// and the new journal takes the old one's place. A crash at any step leaves either the old
/// journal, to be converted again, or the new one.
struct DevJournalUpgrade {
    let dataDirectory: String
    let keys: DataKeys
    let logger: Logger

    private var log: String { "\(dataDirectory)/log" }
    private var upgrading: String { "\(dataDirectory)/log.upgrading" }
    private var old: String { "\(dataDirectory)/log.old" }

    /// Refuses a data directory whose key store is gone while its log holds records sealed with
    /// it: a new, empty key store would read every user as erased. Checked before the key store
    /// is opened (and so made).
    static func refuseMissingKeyStore(dataDirectory: String, logger: Logger) async throws {
        let keyStore = "\(dataDirectory)/keys.db"
        guard !FileManager.default.fileExists(atPath: keyStore), FileManager.default.fileExists(atPath: "\(dataDirectory)/log/journal.json")
        else { return }
        let journal = try Journal(directory: URL(fileURLWithPath: "\(dataDirectory)/log"), logger: logger)
        guard try await LogRewrite.holdsSealedRecords(journal) else { return }
        throw KeyStoreRefusal(
            "the key store \(keyStore) is missing, but the log in \(dataDirectory)/log holds user records sealed with its keys: "
                + "put it back, or restore it from a key backup with `encore keys restore --from BACKUP --store sqlite:\(dataDirectory)/encore.db "
                + "--log \(dataDirectory)/log --master-key-file \(dataDirectory)/master.key` "
                + "(without it every user would read as erased)")
    }

    /// The journal, upgraded first if it holds user records in plaintext.
    func journal() async throws -> Journal {
        try finishInterruptedSwap()
        if try await upgradeIfNeeded() { try swap() }
        return try Journal(directory: URL(fileURLWithPath: log), logger: logger)
    }

    /// Writes the upgraded journal beside the old one and removes the read models; false when
    /// there is nothing to upgrade. Both journals are let go of (their locks) on return.
    private func upgradeIfNeeded() async throws -> Bool {
        let journal = try Journal(directory: URL(fileURLWithPath: log), logger: logger)
        let rewrite = LogRewrite(source: journal, keys: keys)
        guard try await rewrite.isNeeded() else { return false }
        logger.notice(
            "upgrading the log journal: sealing user records under their users' keys, at the same offsets",
            metadata: [MetadataKey.path: "\(log)", MetadataKey.records: "\(journal.recordCount)"])
        try? FileManager.default.removeItem(atPath: upgrading)
        let display = ProgressDisplay(terminal: Terminal.standardErrorIsTTY)
        let summary = try await rewrite.run(into: try Journal(directory: URL(fileURLWithPath: upgrading), logger: logger)) {
            display.show($0, "upgrading the log journal")
        }
        display.finish()
        for file in ["encore.db", "encore.db-wal", "encore.db-shm"] {
            try? FileManager.default.removeItem(atPath: "\(dataDirectory)/\(file)")
        }
        logger.notice(
            "upgraded the log journal; the read models are rebuilt from it",
            metadata: [
                MetadataKey.records: "\(summary.records)", MetadataKey.sealed: "\(summary.sealed)", MetadataKey.erased: "\(summary.erased)",
            ])
        return true
    }

    /// The complete new journal in the old one's place, the old one removed.
    private func swap() throws {
        guard rename(log, old) == 0, rename(upgrading, log) == 0 else {
            throw JournalError.io(
                "cannot put the upgraded journal \(upgrading) in place of \(log)", POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
        }
        try FileManager.default.removeItem(atPath: old)
    }

    /// After a crash during ``swap()``: the new journal was complete, so it is put in place.
    private func finishInterruptedSwap() throws {
        let files = FileManager.default
        if files.fileExists(atPath: old) {
            if !files.fileExists(atPath: log) {
                guard rename(upgrading, log) == 0 else {
                    throw JournalError.io("cannot restore \(log) from \(upgrading)", POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
                }
            }
            try files.removeItem(atPath: old)
        } else if files.fileExists(atPath: upgrading) {
            try files.removeItem(atPath: upgrading)  // interrupted before it was complete: done again
        }
    }
}
