import CSQLite

/// An SQLite result code other than success, with the connection's error message.
struct SQLiteFailure: Error, Sendable, CustomStringConvertible {
    let code: Int32
    let message: String

    /// Reads the message of the last failed call on `handle` (or SQLite's text for `code`).
    init(code: Int32, handle: OpaquePointer?, context: String? = nil) {
        self.code = code
        let text = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        message = context.map { "\($0): \(text)" } ?? text
    }

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    var description: String { "\(message) (SQLite code \(code))" }
}
