import CSQLite
import Foundation

/// A value bound to a statement parameter.
enum SQLiteValue {
    case null
    case integer(Int64)
    case text(String)
    case blob(Data)
}

/// A prepared statement owned by one ``SQLiteDatabase`` (and so confined to its queue).
///
/// Kept prepared for the connection's lifetime; every use binds, steps and resets it.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private let database: OpaquePointer

    init(sql: String, database: OpaquePointer) throws(SQLiteFailure) {
        var statement: OpaquePointer?
        // PERSISTENT: these statements live as long as the connection.
        let code = sqlite3_prepare_v3(database, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw SQLiteFailure(code: code, handle: database, context: "cannot prepare \(sql.prefix(80))")
        }
        self.handle = statement
        self.database = database
    }

    func finalize() { sqlite3_finalize(handle) }

    /// Binds `values` to ?1, ?2, …, runs the statement to completion and resets it.
    func execute(_ values: [SQLiteValue]) throws(SQLiteFailure) {
        defer { reset() }
        try bind(values)
        while try step() {}
    }

    /// Binds `values`, calls `row` for each result row, and resets the statement.
    func query<Row>(_ values: [SQLiteValue], _ row: (SQLiteRow) throws(CorruptRow) -> Row) throws -> [Row] {
        defer { reset() }
        try bind(values)
        var rows: [Row] = []
        while try step() { rows.append(try row(SQLiteRow(handle: handle))) }
        return rows
    }

    private func bind(_ values: [SQLiteValue]) throws(SQLiteFailure) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null:
                code = sqlite3_bind_null(handle, index)
            case .integer(let number):
                code = sqlite3_bind_int64(handle, index, number)
            case .text(var text):
                // withUTF8 gives a nil base address for "", which SQLite would bind as NULL.
                code =
                    text.isEmpty
                    ? sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
                    : text.withUTF8 { sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), sqliteTransient) }
            case .blob(let data):
                code =
                    data.isEmpty
                    ? sqlite3_bind_zeroblob(handle, index, 0)
                    : data.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), sqliteTransient) }
            }
            guard code == SQLITE_OK else { throw SQLiteFailure(code: code, handle: database, context: "cannot bind parameter \(index)") }
        }
    }

    /// True while there is a row to read.
    private func step() throws(SQLiteFailure) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw SQLiteFailure(code: code, handle: database)
        }
    }

    private func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}

/// The current result row of a statement, read by column index.
struct SQLiteRow {
    fileprivate let handle: OpaquePointer

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(handle, column) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
    }

    func requiredText(_ column: Int32) throws(CorruptRow) -> String {
        guard let text = text(column) else { throw CorruptRow("column \(column) is NULL") }
        return text
    }

    func blob(_ column: Int32) -> Data? {
        guard !isNull(column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let bytes = sqlite3_column_blob(handle, column) else { return Data() }
        return Data(bytes: bytes, count: count)
    }

    func uuid(_ column: Int32) throws(CorruptRow) -> UUID {
        try UUID(storeText: requiredText(column))
    }
}

/// SQLITE_TRANSIENT (a macro Swift cannot import): SQLite copies the bound bytes.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
