import Foundation

/// The PostgreSQL server of this test process, shared by all its tests; each test gets its own database.
///
/// By default a private server (``PrivatePostgresServer``) is started on first use and dies with
/// the process. Set `ENCORE_TEST_POSTGRES_URL` to an admin URL of an existing server
/// (`postgres://user:password@host:port/postgres`) to use that one instead.
public actor TestPostgres {
    /// The one instance per test process.
    public static let shared = TestPostgres()

    private var server: Task<Admin, any Error>?

    /// How to reach the server as a user allowed to create databases.
    private struct Admin: Sendable {
        /// `database` → its URL.
        var url: @Sendable (String) -> String
        var psql: String
    }

    /// Creates a new, empty database and returns its URL
    /// (`postgres://encore:…@127.0.0.1:port/encore_test_…`), starting the server on first use.
    ///
    /// Hand the URL to other processes (gateway, projector) to make them share the database.
    public func makeDatabase() async throws -> String {
        let admin = try await admin()
        let name = "encore_test_\(UUID().uuidString.prefix(8).lowercased())"
        try await ProcessRunner.check(
            admin.psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin.url("postgres"), "-c", "CREATE DATABASE \(name)"])
        return admin.url(name)
    }

    /// Drops a database made by ``makeDatabase()``, disconnecting anyone still connected.
    public func dropDatabase(url: String) async throws {
        guard let name = URLComponents(string: url)?.path.dropFirst(), name.hasPrefix("encore_test_") else {
            throw TestPostgresError("not a test database URL: \(url)")
        }
        let admin = try await admin()
        try await ProcessRunner.check(
            admin.psql,
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin.url("postgres"), "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"]
        )
    }

    /// The database at `url` (made by ``makeDatabase()``) as `pg_dump` writes it: schema and rows, as SQL.
    public func dump(url: String) async throws -> String {
        _ = try await admin()
        return try await ProcessRunner.check("\(PrivatePostgresServer.binDirectory)/pg_dump", ["--no-owner", "-d", url])
    }

    /// The server, started once; a failed start is reported to every caller rather than retried.
    private func admin() async throws -> Admin {
        if let server { return try await server.value }
        let task = Task<Admin, any Error> {
            let psql = "\(PrivatePostgresServer.binDirectory)/psql"
            if let external = ProcessInfo.processInfo.environment["ENCORE_TEST_POSTGRES_URL"], !external.isEmpty {
                guard let components = URLComponents(string: external) else { throw TestPostgresError("invalid ENCORE_TEST_POSTGRES_URL") }
                return Admin(
                    url: { database in
                        var components = components
                        components.path = "/\(database)"
                        return components.string ?? external
                    }, psql: psql)
            }
            let server = try await PrivatePostgresServer.start()
            return Admin(url: { server.url(database: $0) }, psql: psql)
        }
        server = task
        return try await task.value
    }
}
