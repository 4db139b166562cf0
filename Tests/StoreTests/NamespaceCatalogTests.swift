import Domain
import Foundation
import StoreTesting
import Testing

@testable import Store

/// The namespace catalog: which namespace serves each read model, activation without going
/// back in time, retired namespaces refusing commits, dropping.
@Suite("Namespace catalog")
struct NamespaceCatalogTests {
    private static func checkpoint(_ offset: Int64, partition: Int32 = 0) -> LogPosition {
        LogPosition(topic: "encore.users", partition: partition, offset: offset)
    }

    @Test("main serves every read model of a new database", arguments: StoreBackend.allCases)
    func mainIsActive(backend: StoreBackend) async throws {
        try await withStore(backend) { store async throws in
            #expect(try await store.activeNamespaces() == ["users": "main", "music": "main", "playlists": "main"])
            #expect(try await store.catalog().allSatisfy { $0.namespace == "main" && $0.state == .active })
        }
    }

    @Test(
        "activation waits until the new namespace has folded as far as the live one, then retires it",
        arguments: StoreBackend.allCases)
    func activation(backend: StoreBackend) async throws {
        try await withStore(backend) { live async throws in
            try await live.commit(
                Fixtures.batch(snapshots: [Fixtures.user()], checkpoints: [Self.checkpoint(10), Self.checkpoint(4, partition: 1)]))
            let rebuilt = try await live.sibling(namespace: "r1")
            try await rebuilt.register(.user, state: .building, asOf: nil, progress: Data(#"{"done":1}"#.utf8))
            try await rebuilt.commit(Fixtures.batch(checkpoints: [Self.checkpoint(10), Self.checkpoint(3, partition: 1)]))

            #expect(
                try await rebuilt.activate(.user, force: false)
                    == .behind(active: "main", positions: [Self.checkpoint(4, partition: 1)]))
            #expect(try await live.activeNamespaces()["users"] == "main")

            try await rebuilt.commit(Fixtures.batch(checkpoints: [Self.checkpoint(4, partition: 1)]))
            #expect(try await rebuilt.activate(.user, force: false) == .switched(previous: "main"))
            #expect(try await rebuilt.activate(.user, force: false) == .alreadyActive)
            #expect(try await live.activeNamespaces() == ["users": "r1", "music": "main", "playlists": "main"])
            let states = Dictionary(uniqueKeysWithValues: try await live.catalog().map { ("\($0.namespace).\($0.projection)", $0.state) })
            #expect(states["main.users"] == .retired)
            #expect(states["r1.users"] == .active)
            #expect(states["main.music"] == .active)

            // The retired namespace takes no more commits for that model, and changes nothing.
            let late = Fixtures.user()
            await #expect(throws: NamespaceRetired.self) {
                try await live.commit(Fixtures.batch(snapshots: [late], checkpoints: [Self.checkpoint(11)]))
            }
            #expect(try await live.snapshot(.user, id: late.id) == nil)
            #expect(try await live.checkpoints(of: .user).first?.offset == 10)
            // Other models of the same namespace still do.
            try await live.commit(Fixtures.batch(.music, snapshots: [Fixtures.song()]))
            // Registering never demotes the active namespace.
            try await rebuilt.register(.user, state: .building, asOf: nil, progress: nil)
            #expect(try await live.activeNamespaces()["users"] == "r1")
            await rebuilt.close()
        }
    }

    @Test("force activates a namespace that is behind (after the log was lost)", arguments: StoreBackend.allCases)
    func forcedActivation(backend: StoreBackend) async throws {
        try await withStore(backend) { live async throws in
            try await live.commit(Fixtures.batch(checkpoints: [Self.checkpoint(100)]))
            let rebuilt = try await live.sibling(namespace: "adopted")
            #expect(try await rebuilt.activate(.user, force: true) == .switched(previous: "main"))
            await rebuilt.close()
        }
    }

    @Test("drop refuses the active namespace and removes a retired one", arguments: StoreBackend.allCases)
    func drop(backend: StoreBackend) async throws {
        try await withStore(backend) { live async throws in
            let user = Fixtures.user()
            try await live.commit(Fixtures.batch(snapshots: [user]))
            await #expect(throws: StoreError.self) { try await live.drop() }
            let rebuilt = try await live.sibling(namespace: "r2")
            for kind in EntityKind.allCases {
                #expect(try await rebuilt.activate(kind, force: false) == .switched(previous: "main"))
            }
            try await live.drop()
            #expect(try await live.catalog().allSatisfy { $0.namespace == "r2" })
            // Reopening main creates it empty; it does not take the models back.
            let reopened = try await live.sibling(namespace: "main")
            #expect(try await reopened.snapshot(.user, id: user.id) == nil)
            #expect(try await reopened.activeNamespaces()["users"] == "r2")
            await reopened.close()
            await rebuilt.close()
        }
    }

    @Test("the Kafka cluster id is recorded once per database", arguments: StoreBackend.allCases)
    func clusterID(backend: StoreBackend) async throws {
        try await withStore(backend) { store async throws in
            #expect(try await store.clusterID() == nil)
            try await store.setClusterID("cluster-a")
            let other = try await store.sibling(namespace: "other")
            #expect(try await other.clusterID() == "cluster-a")
            await other.close()
        }
    }

    @Test("list with tombstones walks every entity in id order", arguments: StoreBackend.allCases)
    func listIncludingDeleted(backend: StoreBackend) async throws {
        try await withStore(backend) { store async throws in
            let live = (0..<3).map { _ in Fixtures.song() }
            let gone = (0..<2).map { _ in Fixtures.tombstone(.music, UUID()) }
            try await store.commit(Fixtures.batch(.music, snapshots: live + gone))
            let all = try await store.list(.music, after: nil, limit: 10, includingDeleted: true)
            #expect(all.map(\.id) == Fixtures.sorted((live + gone).map(\.id)))
            #expect(Set(all) == Set(live + gone))
            #expect(try await store.list(.music, after: nil, limit: 10).count == 3)
        }
    }

    @Test(
        "a frozen namespace keeps serving reads, refuses commits, and is retired by the activation that catches up with it",
        arguments: StoreBackend.allCases)
    func freeze(backend: StoreBackend) async throws {
        try await withStore(backend) { live async throws in
            try await live.commit(Fixtures.batch(checkpoints: [Self.checkpoint(7)]))
            let rebuilt = try await live.sibling(namespace: "r3")
            let freezing = Date()
            let frozen = try #require(try await rebuilt.freeze(.user))
            #expect(frozen.namespace == "main")
            #expect(frozen.checkpoints == [Self.checkpoint(7)])
            #expect(try await live.activeNamespaces()["users"] == "main", "still serves reads")
            do {
                try await live.commit(Fixtures.batch(checkpoints: [Self.checkpoint(8)]))
                // Right only once the freeze has lapsed: a loaded CI run took longer than the
                // lease (15 s) from the freeze to this commit on PostgreSQL.
                #expect(
                    Date().timeIntervalSince(freezing) >= NamespaceEntry.freezeLease,
                    "a commit was accepted into a namespace frozen moments ago")
            } catch is NamespaceRetired {}
            #expect(try await rebuilt.freeze(.user) == nil, "already frozen")

            try await rebuilt.thaw(.user)
            try await live.commit(Fixtures.batch(checkpoints: [Self.checkpoint(8)]))
            _ = try await rebuilt.freeze(.user)
            try await rebuilt.commit(Fixtures.batch(checkpoints: [Self.checkpoint(8)]))
            #expect(try await rebuilt.activate(.user, force: false) == .switched(previous: "main"))
            #expect(try await live.catalog().first { $0.namespace == "main" && $0.projection == "users" }?.state == .retired)
            await rebuilt.close()
        }
    }

    @Test("a freeze lapses after its lease, so a replay that died cannot stop the projectors")
    func freezeLease() {
        let now = Date()
        #expect(NamespaceEntry.refusesCommits(.frozen, changedAt: now, now: now))
        #expect(!NamespaceEntry.refusesCommits(.frozen, changedAt: now.addingTimeInterval(-NamespaceEntry.freezeLease - 1), now: now))
        #expect(!NamespaceEntry.refusesCommits(.active, changedAt: now, now: now))
        #expect(!NamespaceEntry.refusesCommits(.building, changedAt: now, now: now))
        #expect(NamespaceEntry.refusesCommits(.retired, changedAt: .distantPast, now: now))
        #expect(NamespaceEntry.refusesCommits(.snapshot, changedAt: .distantPast, now: now))
    }
}
