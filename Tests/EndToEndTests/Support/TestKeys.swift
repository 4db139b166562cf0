import Foundation
import Logging
import Privacy
import Store

/// The master key of every key store the end-to-end tests make, in process and in the
/// `encore` processes they start (through `ENCORE_MASTER_KEY`), so both open the same store.
enum TestKeys {
    static let masterText = "ZW5jb3JlLWVuZC10by1lbmQtdGVzdC1tYXN0ZXItayE="
    static let environment = ["ENCORE_MASTER_KEY": masterText]
    static var master: MasterKey { try! MasterKey(text: masterText, source: "TestKeys") }
}

/// Runs `body` with the `main` store at `storeURL` and the key store kept with it, under ``TestKeys/master``.
func withTestKeys<T>(
    storeURL: String, logger: Logger, isolation: isolated (any Actor)? = #isolation,
    _ body: (any ReadModelStore, DataKeys) async throws -> T
) async throws -> T {
    try await StoreDatabase.with(url: storeURL, logger: logger) { database in
        let keyStore = try await database.openKeyStore()
        do {
            let keys = try await DataKeys(store: keyStore, master: TestKeys.master)
            let result = try await database.withStore { try await body($0, keys) }
            await keyStore.close()
            return result
        } catch {
            await keyStore.close()
            throw error
        }
    }
}
