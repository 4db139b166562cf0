import PostgresNIO

/// PostgreSQL failures as ``StoreError``s: their kind and a message with the server's own words.
extension PostgresStore {
    /// The kind of failure: from the SQLSTATE class where the server answered (23 integrity, 22
    /// data, 42 syntax or access, 0A unsupported), else the connection failed (unavailable).
    static func code(of error: any Error) -> StoreError.Code {
        switch error {
        case let error as PostgresTransactionError:
            guard let inner = error.closureError ?? error.commitError ?? error.beginError else { return .unavailable }
            return code(of: inner)
        case let error as PSQLError:
            guard let state = error.serverInfo?[.sqlState] else { return .unavailable }
            switch state.prefix(2) {
            case "23": return .conflict
            case "22", "XX": return .corruptData
            case "42", "0A", "2B", "2D", "3D", "3F": return .misuse
            default: return .unavailable  // 08 connection, 40 rollback, 53 resources, 57 shutdown, …
            }
        case is CorruptRow: return .corruptData
        default: return .unavailable
        }
    }

    /// The server's message and SQLSTATE where there is one (PostgresNIO's own description hides
    /// them), else the underlying network error.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PostgresTransactionError:
            if let inner = error.closureError ?? error.commitError ?? error.beginError { return describe(inner) }
            return "\(error)"
        case let error as PSQLError:
            if let info = error.serverInfo {
                var text = "\(info[.message] ?? "server error") (SQLSTATE \(info[.sqlState] ?? "?"))"
                if let detail = info[.detail] { text += ": \(detail)" }
                return text
            }
            return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
        case let error as CorruptRow:
            return "stored data cannot be read: \(error)"
        default:
            return "\(error)"
        }
    }
}
