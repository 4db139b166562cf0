import Foundation
import PostgresNIO

/// The key store of a cluster: table `encore_keys.data_keys` in the read models' PostgreSQL
/// database, in a schema of its own that no namespace, replay or `encore store` command uses.
///
/// A deleted row's bytes stay in the table's dead tuples until vacuumed, in the WAL until it is
/// recycled, and in base backups: docs/operations.md says what an operator runs to end that sooner.
final class PostgresKeyStore: KeyStore {
    private let database: PostgresDatabase
    var location: String { "schema encore_keys on \(database.endpoint)" }

    init(database: PostgresDatabase) async throws {
        self.database = database
        try await PostgresDatabase.migrating { [self] in try await migrate() }
    }

    private func migrate() async throws {
        try await perform("open key store") { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext('encore.keys.migrate'))", logger: logger)
                try await connection.query("CREATE SCHEMA IF NOT EXISTS encore_keys", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS encore_keys.data_keys (user_id uuid PRIMARY KEY, wrapped bytea NOT NULL)", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS encore_keys.key_store (name text PRIMARY KEY, value bytea NOT NULL)", logger: logger)
            }
        }
    }

    func wrappedKeys(of users: [UUID]) async throws -> [UUID: Data] {
        guard !users.isEmpty else { return [:] }
        return try await perform("read data keys") { client, logger in
            var found: [UUID: Data] = [:]
            let rows = try await client.query(
                "SELECT user_id, wrapped FROM encore_keys.data_keys WHERE user_id = ANY(\(users)::uuid[])", logger: logger)
            for try await (user, wrapped) in rows.decode((UUID, ByteBuffer).self) { found[user] = Data(buffer: wrapped) }
            return found
        }
    }

    func keep(_ keys: [UUID: Data]) async throws -> [UUID: Data] {
        guard !keys.isEmpty else { return [:] }
        let users = Array(keys.keys)
        let wrapped = users.map { ByteBuffer(data: keys[$0]!) }
        return try await perform("keep data keys") { client, logger in
            try await client.query(
                """
                INSERT INTO encore_keys.data_keys (user_id, wrapped)
                SELECT * FROM UNNEST(\(users)::uuid[], \(wrapped)::bytea[]) ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
            var kept: [UUID: Data] = [:]
            let rows = try await client.query(
                "SELECT user_id, wrapped FROM encore_keys.data_keys WHERE user_id = ANY(\(users)::uuid[])", logger: logger)
            for try await (user, bytes) in rows.decode((UUID, ByteBuffer).self) { kept[user] = Data(buffer: bytes) }
            return kept
        }
    }

    func destroy(_ users: [UUID]) async throws {
        guard !users.isEmpty else { return }
        try await perform("destroy data keys") { client, logger in
            try await client.query("DELETE FROM encore_keys.data_keys WHERE user_id = ANY(\(users)::uuid[])", logger: logger)
        }
    }

    func allWrappedKeys() async throws -> [(user: UUID, wrapped: Data)] {
        try await perform("read data keys") { client, logger in
            var keys: [(user: UUID, wrapped: Data)] = []
            let rows = try await client.query("SELECT user_id, wrapped FROM encore_keys.data_keys ORDER BY user_id", logger: logger)
            for try await (user, wrapped) in rows.decode((UUID, ByteBuffer).self) { keys.append((user, Data(buffer: wrapped))) }
            return keys
        }
    }

    func masterCheck() async throws -> Data? {
        try await perform("read master check") { client, logger in
            for try await value in try await client.query(
                "SELECT value FROM encore_keys.key_store WHERE name = 'master-check'", logger: logger
            ).decode(ByteBuffer.self) {
                return Data(buffer: value)
            }
            return nil
        }
    }

    func keepMasterCheck(_ check: Data) async throws -> Data {
        try await perform("keep master check") { client, logger in
            let bytes = ByteBuffer(data: check)
            try await client.query(
                "INSERT INTO encore_keys.key_store (name, value) VALUES ('master-check', \(bytes)) ON CONFLICT DO NOTHING", logger: logger)
            for try await value in try await client.query(
                "SELECT value FROM encore_keys.key_store WHERE name = 'master-check'", logger: logger
            ).decode(ByteBuffer.self) {
                return Data(buffer: value)
            }
            return check
        }
    }

    func replace(masterCheck: Data, keys: [(user: UUID, wrapped: Data)], removingOthers: Bool) async throws {
        try await perform("replace data keys") { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                if removingOthers { try await connection.query("DELETE FROM encore_keys.data_keys", logger: logger) }
                let check = ByteBuffer(data: masterCheck)
                try await connection.query(
                    """
                    INSERT INTO encore_keys.key_store (name, value) VALUES ('master-check', \(check))
                    ON CONFLICT (name) DO UPDATE SET value = excluded.value
                    """,
                    logger: logger
                )
                // Many rows per statement: one round trip per key made a restore of 140,000 keys
                // outlast the store's deadline.
                for start in stride(from: 0, to: keys.count, by: 10_000) {
                    let chunk = keys[start..<min(start + 10_000, keys.count)]
                    let users = chunk.map(\.user)
                    let wrapped = chunk.map { ByteBuffer(data: $0.wrapped) }
                    try await connection.query(
                        """
                        INSERT INTO encore_keys.data_keys (user_id, wrapped)
                        SELECT * FROM UNNEST(\(users)::uuid[], \(wrapped)::bytea[])
                        ON CONFLICT (user_id) DO UPDATE SET wrapped = excluded.wrapped
                        """,
                        logger: logger
                    )
                }
            }
        }
    }

    func close() async {}

    private func perform<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T)
        async throws -> T
    {
        do {
            return try await withDeadline(database.operationTimeout) { [client = database.client, logger = database.logger] in
                try await body(client, logger)
            }
        } catch is DeadlineExceeded {
            throw StoreError(
                .unavailable, backend: .postgres, operation: operation,
                message: "no answer from \(database.endpoint) within \(database.operationTimeout)")
        } catch let error as CancellationError {
            throw error
        } catch {
            throw StoreError(
                PostgresStore.code(of: error), backend: .postgres, operation: operation, message: PostgresStore.describe(error),
                underlying: error)
        }
    }
}
