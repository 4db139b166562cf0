import Foundation
import Locking
import Logging
import ServiceLifecycle

/// The database a store URL names, whose namespaces' stores share what it holds: for PostgreSQL
/// one connection pool.
///
/// The pool hands out connections only while ``run()`` runs, as postgres-nio's `PostgresClient`
/// documents: a long-running process runs it as a `Service` in its `ServiceGroup` (before the
/// services that use its stores, so it stops after them); short work runs in
/// ``with(url:logger:isolation:_:)`` or ``withStore(url:namespace:logger:isolation:_:)``, which
/// run it in a task group around the work. SQLite has nothing to run.
public final class StoreDatabase: Service, Sendable {
    private enum Backend {
        case sqlite(path: String)
        case postgres(PostgresDatabase)
    }

    private let backend: Backend
    private let logger: Logger

    /// Checks the database at `url` and makes what its stores share.
    ///
    /// - `sqlite:relative/path.db`, `sqlite:/abs/path.db` or `sqlite:///abs/path.db`: an SQLite
    ///   file (its folder is created if missing).
    /// - `postgres://user:password@host:port/database` (or `postgresql://`), optional `?sslmode=`.
    ///
    /// Throws ``StoreError`` for an unknown scheme or an unreachable server (within about 5 s).
    public init(url: String, logger: Logger) async throws {
        self.logger = logger
        if let file = try Self.sqlitePath(url) {
            let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError(
                    .unavailable, backend: .sqlite, operation: "open",
                    message: "cannot create folder \(directory): \(error.localizedDescription)")
            }
            backend = .sqlite(path: file)
        } else {
            backend = .postgres(try await PostgresDatabase(url: url, logger: logger))
        }
    }

    /// The file of an `sqlite:` URL; nil for a PostgreSQL URL; throws for any other.
    static func sqlitePath(_ url: String) throws -> String? {
        let lowered = url.lowercased()
        if lowered.hasPrefix("sqlite:") {
            var path = Substring(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = path.dropFirst(2) }  // sqlite:///abs → /abs
            guard !path.isEmpty else {
                throw StoreError(.misuse, backend: .sqlite, operation: "open", message: "no file path in \"\(url)\"")
            }
            return String(path)
        }
        guard lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") else {
            throw StoreError(
                .misuse, backend: nil, operation: "open",
                message: "unsupported store URL \"\(PostgresEndpoint.redact(url))\": "
                    + "expected sqlite:PATH or postgres://user:password@host:port/database"
            )
        }
        return nil
    }

    /// Runs the PostgreSQL pool until graceful shutdown or cancellation; stores of this database
    /// fail as unavailable after it. For SQLite it only waits as long.
    public func run() async {
        switch backend {
        case .postgres(let database):
            await database.client.run()
        case .sqlite:
            try? await gracefulShutdown()
        }
    }

    /// The store of `namespace`, after ``ReadModelStore/migrate()``; with PostgreSQL its calls
    /// need ``run()`` running.
    public func open(namespace: String = "main") async throws -> any ReadModelStore {
        switch backend {
        case .sqlite(let path):
            try await SQLiteStore(path: path, namespace: namespace, logger: logger).migrated()
        case .postgres(let database):
            try await PostgresStore(database: database, namespace: namespace).migrated()
        }
    }

    /// The key store kept with this database: for SQLite its own file `keys.db` in the store
    /// file's folder, for PostgreSQL schema `encore_keys`. Needs ``run()`` like a store.
    public func openKeyStore() async throws -> any KeyStore {
        switch backend {
        case .sqlite(let path):
            try await SQLiteKeyStore(path: URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("keys.db").path)
        case .postgres(let database): try await PostgresKeyStore(database: database)
        }
    }

    /// Runs `body` with the store of `namespace` (see ``open(namespace:)``) and closes it
    /// afterwards, whether `body` returned or threw.
    public func withStore<T>(
        namespace: String = "main", isolation: isolated (any Actor)? = #isolation, _ body: (any ReadModelStore) async throws -> T
    ) async throws -> T {
        try await open(namespace: namespace).closing(body)
    }

    /// Runs `body` with the database at `url` (see ``init(url:logger:)``) while its ``run()``
    /// runs beside it in a task group, and stops that when `body` returns or throws.
    public static func with<T>(
        url: String, logger: Logger, isolation: isolated (any Actor)? = #isolation, _ body: (StoreDatabase) async throws -> T
    ) async throws -> T {
        let database = try await StoreDatabase(url: url, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self, isolation: isolation) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    /// Runs `body` with the store of `namespace` in the database at `url`, closing the store and
    /// stopping the database afterwards: ``with(url:logger:isolation:_:)`` and
    /// ``withStore(namespace:isolation:_:)`` in one.
    public static func withStore<T>(
        url: String, namespace: String = "main", logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ body: (any ReadModelStore) async throws -> T
    ) async throws -> T {
        try await with(url: url, logger: logger) { try await $0.withStore(namespace: namespace, body) }
    }
}
