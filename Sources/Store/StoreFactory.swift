import Foundation
import Logging

/// Opens a read-model store from a URL and migrates it.
public enum StoreFactory {
    /// Opens the store at `url` on `namespace` and runs ``ReadModelStore/migrate()``.
    ///
    /// - `sqlite:relative/path.db`, `sqlite:/abs/path.db` or `sqlite:///abs/path.db`: an SQLite
    ///   file (its folder is created if missing).
    /// - `postgres://user:password@host:port/database` (or `postgresql://`), optional `?sslmode=`.
    ///
    /// Throws ``StoreError`` for an unknown scheme, an unreachable server (within about 5 s), or
    /// a failed migration.
    public static func open(url: String, namespace: String = "main", logger: Logger) async throws -> any ReadModelStore {
        let store: any ReadModelStore
        let lowered = url.lowercased()
        if lowered.hasPrefix("sqlite:") {
            var path = Substring(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = path.dropFirst(2) }  // sqlite:///abs → /abs
            let file = String(path)
            guard !file.isEmpty else {
                throw StoreError(.misuse, backend: .sqlite, operation: "open", message: "no file path in \"\(url)\"")
            }
            let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError(.unavailable, backend: .sqlite, operation: "open", message: "cannot create folder \(directory): \(error.localizedDescription)")
            }
            store = try await SQLiteStore(path: file, namespace: namespace, logger: logger)
        } else if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            store = try await PostgresStore(url: url, namespace: namespace, logger: logger)
        } else {
            throw StoreError(
                .misuse, backend: nil, operation: "open",
                message: "unsupported store URL \"\(PostgresEndpoint.redact(url))\": "
                    + "expected sqlite:PATH or postgres://user:password@host:port/database"
            )
        }
        return try await migrated(store)
    }

    /// Runs `store`'s migration; closes it if that fails.
    static func migrated(_ store: any ReadModelStore) async throws -> any ReadModelStore {
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }
}
