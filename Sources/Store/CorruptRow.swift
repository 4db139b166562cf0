/// A stored row that cannot be turned back into a domain value (e.g. an unknown record type
/// written by a newer build); stores report it as a ``StoreError``.
struct CorruptRow: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
