import CSQLite

/// An SQLite result code other than success, with the connection's error message.
struct SQLiteFailure: Error, Sendable, CustomStringConvertible {
    let code: Int32
    let message: String

    /// Reads the message of the last failed call on `handle` (or SQLite's text for `code`).
    init(code: Int32, handle: OpaquePointer?, context: String? = nil) {
        self.code = code
        let text =
            handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        message = context.map { "\($0): \(text)" } ?? text
    }

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    var description: String { "\(message) (SQLite code \(code))" }
}

extension SQLiteFailure {
    /// The kind of failure SQLite's primary result code names.
    var storeCode: StoreError.Code {
        switch code & 0xff {
        case SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_FORMAT: .corruptData
        case SQLITE_CONSTRAINT: .conflict
        case SQLITE_MISUSE, SQLITE_RANGE, SQLITE_MISMATCH, SQLITE_READONLY, SQLITE_AUTH: .misuse
        // Busy, locked, I/O, full, cannot open, interrupted, out of memory; and SQLITE_ERROR, which
        // is generic (a table of a namespace being switched, too): retried as before, not guessed.
        default: .unavailable
        }
    }
}
