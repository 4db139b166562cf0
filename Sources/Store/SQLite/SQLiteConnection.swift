import Dispatch
import Locking

/// One SQLite connection with its own serial Dispatch queue.
///
/// Every sqlite3 call blocks (file I/O, busy waits up to the busy timeout), so it runs on this
/// queue, never on Swift's cooperative pool; the serial queue also guarantees the handle is used
/// by one thread at a time. The mutex only makes that ownership visible to the compiler.
final class SQLiteConnection: Sendable {
    let path: String
    private let queue: DispatchQueue
    private let database = Locked<SQLiteDatabase?>(nil)

    /// Opens the file on the connection's queue and runs `configure` there once.
    init(path: String, label: String, busyTimeout: Duration, configure: @escaping @Sendable (SQLiteDatabase) throws -> Void) async throws {
        self.path = path
        self.queue = DispatchQueue(label: "encore.sqlite.\(label)")
        try await blocking(on: queue) {
            try self.database.withLock { current in
                let opened = try SQLiteDatabase(path: path, busyTimeout: busyTimeout)
                do {
                    try configure(opened)
                } catch {
                    opened.close()
                    throw error
                }
                current = opened
            }
        }
    }

    /// Runs `body` with the open database on the connection's queue.
    /// Throws ``StoreError`` naming `operation` for any failure, or if the connection is closed.
    func run<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        do {
            return try await blocking(on: queue) {
                try self.database.withLock { current throws -> T in
                    guard let current else {
                        throw StoreError(.misuse, backend: .sqlite, operation: operation, message: "the store is closed")
                    }
                    return try body(current)
                }
            }
        } catch let error as StoreError {
            throw error
        } catch let error as any CommitRefusal {
            throw error  // Not a store failure: the caller lost its partition or namespace.
        } catch {
            throw StoreError(Self.code(of: error), backend: .sqlite, operation: operation, message: "\(error) [\(path)]", underlying: error)
        }
    }

    /// The kind of failure an error from SQLite or from reading its rows is.
    static func code(of error: any Error) -> StoreError.Code {
        switch error {
        case let failure as SQLiteFailure: failure.storeCode
        case is CorruptRow: .corruptData
        default: .unavailable
        }
    }

    /// Closes the handle after any queued work. Later calls fail with "the store is closed".
    func close() async {
        _ = try? await blocking(on: queue) {
            self.database.withLock { current in
                current?.close()
                current = nil
            }
        }
    }

}
