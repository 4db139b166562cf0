/// A read-model store operation failed: what kind of failure, which backend and operation, why,
/// and the error underneath (as postgres-nio's `PSQLError` carries its cause).
///
/// The message never contains a password: URLs are shown redacted.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; callers decide on it (retry, refuse, stop), not on messages.
    public enum Code: String, Sendable, Hashable {
        /// The store did not answer or is overloaded (server down, timeout, database locked):
        /// the same operation may succeed later.
        case unavailable
        /// The operation conflicts with the store's state (e.g. dropping a namespace in use, a
        /// uniqueness constraint): retrying it unchanged fails again.
        case conflict
        /// Stored data cannot be read back (an unknown record type, a damaged file): retrying
        /// fails again, and the row must be named.
        case corruptData = "corrupt-data"
        /// The store was used wrongly (closed, a bad URL or path, SQL it refuses): a bug or a
        /// configuration error.
        case misuse

        /// Whether the same operation may succeed if retried.
        public var isRetriable: Bool { self == .unavailable }
    }

    /// The storage engine that failed; nil when no backend was chosen yet (a bad store URL).
    public enum Backend: String, Sendable, Hashable {
        case sqlite = "SQLite"
        case postgres = "PostgreSQL"
    }

    public var code: Code
    /// The backend that failed, if one was chosen.
    public var backend: Backend?
    /// The store operation, e.g. `commit` or `open`.
    public var operation: String
    /// What went wrong, in the backend's words where it gave any.
    public var message: String
    /// The backend's own error, where there was one.
    public var underlying: (any Error & Sendable)?

    /// Creates an error for `operation` on `backend`.
    public init(_ code: Code, backend: Backend?, operation: String, message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.backend = backend
        self.operation = operation
        self.message = message
        self.underlying = underlying
    }

    /// E.g. `SQLite store commit failed: database is locked (code 5)`.
    public var description: String {
        "\(backend.map { "\($0.rawValue) store" } ?? "store") \(operation) failed: \(message)"
    }
}
