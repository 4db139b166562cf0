import Foundation
import Privacy
import Store

/// Runs `body` with data keys in a key store of their own (an SQLite file in a new temporary
/// folder, removed afterwards) under a new master key.
public func withTestDataKeys<T>(isolation: isolated (any Actor)? = #isolation, _ body: (DataKeys) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-keys-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await StoreDatabase.with(url: "sqlite:\(directory.path)/store.db", logger: storeTestLogger) { database in
        let store = try await database.openKeyStore()
        do {
            let result = try await body(try await DataKeys(store: store, master: MasterKey()))
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}
