import Foundation

/// Why the journal could not be read, written or used, with the underlying error where there is one.
public enum JournalError: Error, Sendable, CustomStringConvertible {
    /// A file operation failed (disk full, permissions, ...).
    case io(String, any Error & Sendable)
    /// The journal's files are damaged somewhere other than a torn tail.
    case corrupt(String)
    /// The journal does not belong with what it is used with (another cluster, read models ahead of it).
    case mismatch(String)
    /// Another process holds the journal.
    case locked(String)
    /// A caller broke the journal's rules (offsets going back).
    case misuse(String)

    public var description: String {
        switch self {
        case .io(let what, let error): "\(what): \(error)"
        case .corrupt(let what): "the log journal is damaged: \(what)"
        case .mismatch(let what): what
        case .locked(let what): what
        case .misuse(let what): what
        }
    }
}
