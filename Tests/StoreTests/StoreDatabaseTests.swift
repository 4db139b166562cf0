import Domain
import Foundation
import Store
import StoreTesting
import Testing

@Suite("StoreDatabase: one database, its namespaces' stores, and what runs it")
struct StoreDatabaseTests {
    @Test("the stores of a database's namespaces share it: closing one leaves the others working", arguments: StoreBackend.allCases)
    func namespacesShareTheDatabase(backend: StoreBackend) async throws {
        try await withStoreURL(backend) { url in
            try await StoreDatabase.with(url: url, logger: storeTestLogger) { database in
                try await database.withStore { main async throws in
                    let user = Fixtures.user()
                    try await main.commit(Fixtures.batch(snapshots: [user]))
                    let other = try await main.sibling(namespace: "other")
                    await other.close()
                    #expect(try await main.snapshot(.user, id: user.id) == user)
                    try await database.withStore(namespace: "other") { reopened in try await reopened.ping() }
                }
            }
        }
    }
}
