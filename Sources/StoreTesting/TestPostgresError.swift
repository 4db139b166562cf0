/// The test PostgreSQL server could not be started or used.
public struct TestPostgresError: Error, Sendable, CustomStringConvertible {
    /// What failed, with the tool's output where there was any.
    public let description: String

    init(_ description: String) { self.description = description }
}
