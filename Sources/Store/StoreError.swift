/// A read-model store operation failed: which backend, which operation, and why.
///
/// The message never contains a password: URLs are shown redacted.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The storage engine that failed; nil when no backend was chosen yet (a bad store URL).
    public enum Backend: String, Sendable, Hashable {
        case sqlite = "SQLite"
        case postgres = "PostgreSQL"
    }

    /// The backend that failed, if one was chosen.
    public var backend: Backend?
    /// The store operation, e.g. `commit` or `open`.
    public var operation: String
    /// What went wrong, in the backend's words where it gave any.
    public var message: String

    /// Creates an error for `operation` on `backend`.
    public init(backend: Backend?, operation: String, message: String) {
        self.backend = backend
        self.operation = operation
        self.message = message
    }

    /// E.g. `SQLite store commit failed: database is locked (code 5)`.
    public var description: String {
        "\(backend.map { "\($0.rawValue) store" } ?? "store") \(operation) failed: \(message)"
    }
}
