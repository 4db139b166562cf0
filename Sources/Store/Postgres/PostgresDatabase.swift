import Logging
import PostgresNIO

/// One PostgreSQL database's connection pool, shared by the stores of all its namespaces.
///
/// The pool hands out connections only while `client.run()` runs: ``StoreDatabase/run()`` runs
/// it, in the process's `ServiceGroup` or in a task group scoped to the work.
final class PostgresDatabase: Sendable {
    let endpoint: PostgresEndpoint
    let client: PostgresClient
    let logger: Logger
    let connectTimeout: Duration
    let operationTimeout: Duration
    let readTimeout: Duration

    /// Checks that the database at `url` (`postgres://user:password@host:port/database`,
    /// optional `?sslmode=`) answers, and makes its pool.
    ///
    /// Fails within about `connectTimeout` if the server cannot be reached or refuses the login.
    /// - Parameter operationTimeout: the longest any store operation may take.
    /// - Parameter readTimeout: the longest a single-entity or page read may take (what the
    ///   gateway answers from): with the server down the pool waits for a connection, and a
    ///   client should get a prompt `503` rather than wait out `operationTimeout`.
    init(
        url: String, logger: Logger,
        connectTimeout: Duration = .seconds(5), operationTimeout: Duration = .seconds(30), readTimeout: Duration = .seconds(2)
    ) async throws {
        let endpoint = try PostgresEndpoint(url: url)
        self.endpoint = endpoint
        self.logger = logger
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.readTimeout = readTimeout
        // The pool retries failing connections for a long time without telling why; one direct
        // connection first turns "refused", "no such database" or "bad password" into an error now.
        do {
            let configuration = try endpoint.connectionConfiguration(connectTimeout: connectTimeout)
            try await withDeadline(connectTimeout + .seconds(1)) {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try await connection.close()
            }
        } catch is DeadlineExceeded {
            throw StoreError(
                .unavailable, backend: .postgres, operation: "open", message: "no answer from \(endpoint) within \(connectTimeout)")
        } catch {
            throw StoreError(
                PostgresStore.code(of: error), backend: .postgres, operation: "open",
                message: "cannot connect to \(endpoint): \(PostgresStore.describe(error))", underlying: error
            )
        }
        client = PostgresClient(configuration: try endpoint.clientConfiguration(connectTimeout: connectTimeout), backgroundLogger: logger)
    }
}

extension PostgresDatabase {
    /// Runs an idempotent schema migration again when it collides with another process's:
    /// `CREATE … IF NOT EXISTS` racing the same statement elsewhere can still fail with a unique
    /// violation on the system catalog (seen with roles starting together on separate hosts).
    static func migrating(_ migration: () async throws -> Void) async throws {
        for attempt in 1... {
            do {
                return try await migration()
            } catch let error as StoreError where error.code == .conflict && attempt < 5 {
                try await Task.sleep(for: .milliseconds(50 * attempt))
            }
        }
    }
}
