import Foundation

/// The key store of one machine: its own SQLite file (mode 0600), apart from the read models.
///
/// `secure_delete` overwrites a deleted key's bytes in the file, and the rollback journal
/// (rather than WAL) means no second file keeps a copy: a transaction's journal holds the
/// old pages only until it commits, and is deleted then.
final class SQLiteKeyStore: KeyStore {
    let path: String
    var location: String { path }
    private let connection: SQLiteConnection

    init(path: String, busyTimeout: Duration = .seconds(5)) async throws {
        self.path = path
        // Made here with mode 0600: SQLite gives the files it adds (its journal) the same mode.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(
                .unavailable, backend: .sqlite, operation: "open key store",
                message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        Glibc.close(descriptor)
        do {
            connection = try await SQLiteConnection(path: path, label: "keys", busyTimeout: busyTimeout) { database in
                let mode = try SQLiteDatabase.retryingBusy(for: busyTimeout) { () throws(SQLiteFailure) in
                    try database.pragma("journal_mode = DELETE")
                }
                guard mode?.lowercased() == "delete" else {
                    throw SQLiteFailure(code: 1, message: "cannot set \(path) to a rollback journal (journal mode is \(mode ?? "unknown"))")
                }
                try database.execute(
                    """
                    PRAGMA secure_delete = ON; PRAGMA synchronous = FULL;
                    CREATE TABLE IF NOT EXISTS data_keys (user_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS key_store (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
                    """
                )
            }
        } catch {
            throw StoreError(
                SQLiteConnection.code(of: error), backend: .sqlite, operation: "open key store", message: "\(error)", underlying: error)
        }
    }

    func wrappedKeys(of users: [UUID]) async throws -> [UUID: Data] {
        guard !users.isEmpty else { return [:] }
        return try await connection.run("read data keys") { database in
            let statement = try database.statement("SELECT wrapped FROM data_keys WHERE user_id = ?")
            var found: [UUID: Data] = [:]
            for user in users {
                if let wrapped = try statement.query([.text(user.lowercasedString)], { $0.blob(0) }).first ?? nil { found[user] = wrapped }
            }
            return found
        }
    }

    func keep(_ keys: [UUID: Data]) async throws -> [UUID: Data] {
        guard !keys.isEmpty else { return [:] }
        return try await connection.run("keep data keys") { database in
            try database.writeTransaction {
                let insert = try database.statement("INSERT INTO data_keys (user_id, wrapped) VALUES (?, ?) ON CONFLICT DO NOTHING")
                let select = try database.statement("SELECT wrapped FROM data_keys WHERE user_id = ?")
                var kept: [UUID: Data] = [:]
                for (user, wrapped) in keys {
                    try insert.execute([.text(user.lowercasedString), .blob(wrapped)])
                    kept[user] = (try select.query([.text(user.lowercasedString)]) { $0.blob(0) }.first ?? nil) ?? wrapped
                }
                return kept
            }
        }
    }

    func destroy(_ users: [UUID]) async throws {
        guard !users.isEmpty else { return }
        try await connection.run("destroy data keys") { database in
            try database.writeTransaction {
                let statement = try database.statement("DELETE FROM data_keys WHERE user_id = ?")
                for user in users { try statement.execute([.text(user.lowercasedString)]) }
            }
        }
    }

    func allWrappedKeys() async throws -> [(user: UUID, wrapped: Data)] {
        try await connection.run("read data keys") { database in
            try database.statement("SELECT user_id, wrapped FROM data_keys ORDER BY user_id").query([]) { row throws(CorruptRow) in
                (user: try row.uuid(0), wrapped: row.blob(1) ?? Data())
            }
        }
    }

    func masterCheck() async throws -> Data? {
        try await connection.run("read master check") { database in
            try database.statement("SELECT value FROM key_store WHERE name = 'master-check'").query([]) { $0.blob(0) }.first ?? nil
        }
    }

    func keepMasterCheck(_ check: Data) async throws -> Data {
        try await connection.run("keep master check") { database in
            try database.writeTransaction {
                try database.statement("INSERT INTO key_store (name, value) VALUES ('master-check', ?) ON CONFLICT DO NOTHING").execute([
                    .blob(check)
                ])
                return
                    (try database.statement("SELECT value FROM key_store WHERE name = 'master-check'").query([]) { $0.blob(0) }.first ?? nil)
                    ?? check
            }
        }
    }

    func replace(masterCheck: Data, keys: [(user: UUID, wrapped: Data)], removingOthers: Bool) async throws {
        try await connection.run("replace data keys") { database in
            try database.writeTransaction {
                if removingOthers { try database.execute("DELETE FROM data_keys") }
                try database.statement(
                    "INSERT INTO key_store (name, value) VALUES ('master-check', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
                )
                .execute([.blob(masterCheck)])
                let statement = try database.statement(
                    "INSERT INTO data_keys (user_id, wrapped) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET wrapped = excluded.wrapped")
                for key in keys { try statement.execute([.text(key.user.lowercasedString), .blob(key.wrapped)]) }
            }
        }
    }

    func close() async { await connection.close() }
}
