import Foundation
import Logging
import Store

/// The read-model store backends, for tests parameterized over both:
/// `@Test(arguments: StoreBackend.allCases)`.
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// A file in a new temporary folder.
    case sqlite
    /// A new database on the shared test server (``TestPostgres``).
    case postgres

    /// `sqlite` or `postgres`, as test names show it.
    public var description: String { rawValue }
}

/// Runs `body` with the URL of a fresh, empty store location, removed afterwards:
/// an `sqlite:` file in a new temporary folder, or a new database on ``TestPostgres``.
///
/// Open it as often as needed with `StoreDatabase.withStore(url:namespace:logger:_:)`, in this
/// process or in child processes, to make several stores (or a gateway and a projector) share it.
public func withStoreURL<T>(
    _ backend: StoreBackend,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (String) async throws -> T
) async throws -> T {
    switch backend {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body("sqlite:\(directory.appendingPathComponent("store.db").path)")
    case .postgres:
        let url = try await TestPostgres.shared.makeDatabase()
        do {
            let result = try await body(url)
            try? await TestPostgres.shared.dropDatabase(url: url)
            return result
        } catch {
            try? await TestPostgres.shared.dropDatabase(url: url)
            throw error
        }
    }
}

/// Runs `body` with a migrated store on a fresh location of `backend` (see ``withStoreURL(_:isolation:_:)``),
/// closing it (and stopping its database) afterwards.
public func withStore<T>(
    _ backend: StoreBackend,
    namespace: String = "main",
    isolation: isolated (any Actor)? = #isolation,
    _ body: (any ReadModelStore) async throws -> T
) async throws -> T {
    try await withStoreURL(backend) { url in
        try await StoreDatabase.withStore(url: url, namespace: namespace, logger: storeTestLogger, body)
    }
}

/// Only critical logs by default; `ENCORE_TEST_LOG=debug` (or any level) for more.
public let storeTestLogger: Logger = {
    var logger = Logger(label: "encore.store.test")
    logger.logLevel = ProcessInfo.processInfo.environment["ENCORE_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    return logger
}()
