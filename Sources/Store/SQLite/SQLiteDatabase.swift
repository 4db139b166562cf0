import CSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// An open SQLite handle and its prepared statements. Not thread-safe by design: only its
/// ``SQLiteConnection`` touches it, from that connection's serial queue.
final class SQLiteDatabase {
    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (creating if needed) the database file and applies the settings every connection needs.
    init(path: String, busyTimeout: Duration) throws(SQLiteFailure) {
        var handle: OpaquePointer?
        // NOMUTEX: the connection's serial queue already serializes every call on this handle.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let failure = SQLiteFailure(code: code, handle: handle, context: "cannot open \(path)")
            sqlite3_close_v2(handle)
            throw failure
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        let milliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(handle, Int32(clamping: milliseconds))
    }

    /// Runs one or more SQL statements without parameters or results (DDL, PRAGMAs, BEGIN/COMMIT).
    func execute(_ sql: String) throws(SQLiteFailure) {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &error)
        defer { sqlite3_free(error) }
        guard code == SQLITE_OK else {
            throw SQLiteFailure(code: code, message: error.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code)))
        }
    }

    /// Runs a one-value PRAGMA and returns its text answer, e.g. `journal_mode=WAL` → `wal`.
    func pragma(_ assignment: String) throws(SQLiteFailure) -> String? {
        let statement = try SQLiteStatement(sql: "PRAGMA \(assignment)", database: handle)
        defer { statement.finalize() }
        do {
            return try statement.query([]) { row in row.text(0) }.first ?? nil
        } catch let failure as SQLiteFailure {
            throw failure
        } catch {
            throw SQLiteFailure(code: SQLITE_ERROR, message: "PRAGMA \(assignment): \(error)")
        }
    }

    /// Runs `body` again while it fails with SQLITE_BUSY, for up to `timeout`. For the few calls
    /// where SQLite does not wait on its busy handler: switching a new file to WAL takes an
    /// exclusive lock, and a second connection asking for it at the same moment (a gateway and a
    /// projector starting together) gets SQLITE_BUSY at once, since waiting could deadlock.
    /// Blocking: call on the connection's queue.
    static func retryingBusy<T>(for timeout: Duration, _ body: () throws(SQLiteFailure) -> T) throws(SQLiteFailure) -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                return try body()
            } catch  where error.code & 0xff == SQLITE_BUSY && ContinuousClock.now < deadline {
                usleep(10_000)
            }
        }
    }

    /// The cached prepared statement for `sql`, prepared on first use.
    func statement(_ sql: String) throws(SQLiteFailure) -> SQLiteStatement {
        if let statement = statements[sql] { return statement }
        let statement = try SQLiteStatement(sql: sql, database: handle)
        statements[sql] = statement
        return statement
    }

    /// Runs `body` in `BEGIN IMMEDIATE … COMMIT`: IMMEDIATE takes the write lock up front (waiting
    /// up to the busy timeout) so the transaction cannot fail halfway on a lock upgrade.
    /// Rolls back if `body` or the commit throws.
    func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // After a failed COMMIT SQLite may already have rolled back; then this fails harmlessly.
            if sqlite3_get_autocommit(handle) == 0 { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Finalizes the statements and closes the handle.
    func close() {
        for statement in statements.values { statement.finalize() }
        statements = [:]
        sqlite3_close_v2(handle)
    }
}
