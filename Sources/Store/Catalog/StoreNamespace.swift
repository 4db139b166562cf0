/// A validated namespace name: the prefix of a store's tables (SQLite) or its schema (PostgreSQL).
///
/// Only `[a-z0-9_]`, 1 to 48 characters, so it can be spliced into identifiers without quoting
/// problems and `encore_<namespace>` stays within PostgreSQL's 63-byte identifier limit.
struct StoreNamespace: Sendable, Hashable, CustomStringConvertible {
    static let maxLength = 48

    let name: String

    init(_ name: String, backend: StoreError.Backend) throws(StoreError) {
        let valid = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
        guard valid, (1...Self.maxLength).contains(name.utf8.count) else {
            throw StoreError(
                .misuse, backend: backend, operation: "open",
                message: "invalid namespace \"\(name)\": use 1 to \(Self.maxLength) characters of [a-z0-9_]"
            )
        }
        self.name = name
    }

    var description: String { name }
}
