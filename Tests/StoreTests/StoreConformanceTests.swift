import Domain
import Foundation
import Store
import StoreTesting
import Testing

/// One behavioural suite, run against every backend.
@Suite("ReadModelStore conformance")
struct StoreConformanceTests {
    @Test("migrate is idempotent and keeps data", arguments: StoreBackend.allCases)
    func migrateIsIdempotent(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            let user = Fixtures.user()
            try await store.commit(Fixtures.batch(snapshots: [user]))
            try await store.migrate()
            try await store.migrate()
            #expect(try await store.snapshot(.user, id: user.id) == user)
            try await store.ping()
        }
    }

    @Test("snapshots and tombstones read back as written", arguments: StoreBackend.allCases)
    func snapshotsRoundTrip(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            let user = Fixtures.user(fname: "Zoë \"Quote\" \\ back\\slash / tab\tnew\nline", email: "zoe+tag@example.com")
            let song = Fixtures.song(title: "Ünïcødé ♫ 日本語 🎷")
            let playlist = Fixtures.playlist(songs: [song.id, UUID(), UUID()])
            let emptyPlaylist = Fixtures.playlist(name: "Empty", songs: [])
            let deleted = Fixtures.tombstone(.music, UUID(), version: 3)
            try await store.commit(Fixtures.batch(snapshots: [user, song, playlist, emptyPlaylist, deleted]))

            #expect(try await store.snapshot(.user, id: user.id) == user)
            #expect(try await store.snapshot(.music, id: song.id) == song)
            #expect(try await store.snapshot(.playlist, id: playlist.id) == playlist)
            #expect(try await store.snapshot(.playlist, id: emptyPlaylist.id) == emptyPlaylist)
            #expect(try await store.snapshot(.music, id: deleted.id) == deleted)
            // Same id, other kind: not found.
            #expect(try await store.snapshot(.user, id: song.id) == nil)
            #expect(try await store.snapshot(.user, id: UUID()) == nil)

            let missing = UUID()
            let many = try await store.snapshots(.music, ids: [song.id, deleted.id, missing, user.id])
            #expect(many == [song.id: song, deleted.id: deleted])
            #expect(try await store.snapshots(.music, ids: []) == [:])

            // An upsert replaces the state; a later tombstone replaces it again.
            let renamed = Fixtures.user(user.id, version: 2, fname: "Ada")
            try await store.commit(Fixtures.batch(snapshots: [renamed]))
            #expect(try await store.snapshot(.user, id: user.id) == renamed)
            let gone = Fixtures.tombstone(.user, user.id, version: 3)
            try await store.commit(Fixtures.batch(snapshots: [gone]))
            #expect(try await store.snapshot(.user, id: user.id) == gone)
        }
    }

    @Test("list pages through live entities of one kind in id order", arguments: StoreBackend.allCases)
    func listPaging(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            let users = (0..<25).map { _ in Fixtures.user() }
            let deletedIDs = Set(users.prefix(5).map(\.id))
            let snapshots = users.map { deletedIDs.contains($0.id) ? Fixtures.tombstone(.user, $0.id) : $0 }
            let songs = (0..<3).map { _ in Fixtures.song() }
            try await store.commit(Fixtures.batch(snapshots: snapshots + songs))

            let expected = Fixtures.sorted(users.map(\.id).filter { !deletedIDs.contains($0) })
            var seen: [UUID] = []
            var cursor: UUID?
            var pages = 0
            while true {
                let page = try await store.list(.user, after: cursor, limit: 7)
                #expect(page.count <= 7)
                #expect(page.allSatisfy { $0.kind == .user && !$0.isDeleted })
                guard let last = page.last else { break }
                seen += page.map(\.id)
                cursor = last.id
                pages += 1
            }
            #expect(seen == expected)
            #expect(pages == 3)
            #expect(try await store.list(.user, after: nil, limit: 0).isEmpty)
            #expect(try await store.list(.music, after: nil, limit: 100).map(\.id) == Fixtures.sorted(songs.map(\.id)))

            // A cursor that is itself deleted (or unknown) still pages strictly after it.
            let deletedCursor = Fixtures.sorted(deletedIDs)[2]
            let afterDeleted = try await store.list(.user, after: deletedCursor, limit: 100).map(\.id)
            #expect(afterDeleted == expected.filter { $0.uuidString.lowercased() > deletedCursor.uuidString.lowercased() })
            // The full snapshot comes back, not just the id.
            let first = try #require(try await store.list(.user, after: nil, limit: 1).first)
            #expect(first == users.first { $0.id == first.id })
        }
    }

    @Test("outcomes: lookup, existing ids, history in log order", arguments: StoreBackend.allCases)
    func outcomesAndHistory(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            let entity = UUID()
            let other = UUID()
            // Written out of log order, across two batches and two partitions.
            var late = Fixtures.outcome(entity: entity, offset: 120, version: 3, actor: nil)
            var rejected = Fixtures.outcome(
                entity: entity, offset: 7, status: .rejected, rejection: .versionMismatch, version: 1, actor: "")
            // Timestamps keep whole microseconds, also before PostgreSQL's 2000 epoch.
            late.timestamp = Date(timeIntervalSince1970: 1_790_000_000.123457)
            rejected.timestamp = Date(timeIntervalSince1970: 946_684_799.000001)
            let first = Fixtures.outcome(entity: entity, offset: 5, version: 1)
            let otherPartition = Fixtures.outcome(entity: entity, offset: 1, partition: 2, version: 4)
            let unrelated = Fixtures.outcome(entity: other, offset: 6)
            let otherKind = Fixtures.outcome(kind: .music, entity: entity, offset: 8, topic: "encore.music")
            try await store.commit(Fixtures.batch(outcomes: [late, unrelated]))
            try await store.commit(Fixtures.batch(outcomes: [otherPartition, rejected, first, otherKind]))

            #expect(try await store.history(.user, id: entity) == [first, rejected, late, otherPartition])
            #expect(try await store.history(.music, id: entity) == [otherKind])
            #expect(try await store.history(.user, id: UUID()).isEmpty)

            #expect(try await store.outcome(commandID: rejected.commandID) == rejected)
            #expect(try await store.outcome(commandID: late.commandID) == late)
            #expect(try await store.outcome(commandID: UUID()) == nil)

            let unknown = UUID()
            #expect(
                try await store.existingOutcomes(commandIDs: [first.commandID, unknown, otherKind.commandID]) == [
                    first.commandID, otherKind.commandID,
                ])
            #expect(try await store.existingOutcomes(commandIDs: []).isEmpty)
        }
    }

    @Test("outcomes of one partition between two offsets, in offset order, paged", arguments: StoreBackend.allCases)
    func partitionOutcomes(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            // Written out of offset order; another partition and another kind beside them.
            let onZero = [9, 3, 4, 12, 5].map { Fixtures.outcome(entity: UUID(), offset: $0) }
            let onOne = Fixtures.outcome(entity: UUID(), offset: 6, partition: 1)
            let music = Fixtures.outcome(kind: .music, entity: UUID(), offset: 7, topic: "encore.music")
            try await store.commit(Fixtures.batch(outcomes: Array(onZero.prefix(2)) + [music]))
            try await store.commit(Fixtures.batch(outcomes: Array(onZero.dropFirst(2)) + [onOne]))
            let offsets = { (outcomes: [CommandOutcome]) in outcomes.map(\.position.offset) }

            // Both bounds are exclusive: after the last one seen, before a checkpoint.
            #expect(offsets(try await store.outcomes(.user, partition: 0, after: 3, before: 12, limit: 10)) == [4, 5, 9])
            #expect(
                try await store.outcomes(.user, partition: 0, after: -1, before: 100, limit: 10)
                    == onZero.sorted { $0.position.offset < $1.position.offset })
            #expect(offsets(try await store.outcomes(.user, partition: 0, after: -1, before: 100, limit: 2)) == [3, 4])
            #expect(offsets(try await store.outcomes(.user, partition: 1, after: -1, before: 100, limit: 10)) == [6])
            #expect(offsets(try await store.outcomes(.music, partition: 0, after: 0, before: 8, limit: 10)) == [7])
            #expect(try await store.outcomes(.user, partition: 0, after: 5, before: 9, limit: 10).isEmpty)
            #expect(try await store.outcomes(.user, partition: 0, after: 9, before: 9, limit: 10).isEmpty)
            #expect(try await store.outcomes(.user, partition: 0, after: -1, before: 100, limit: 0).isEmpty)
            #expect(try await store.outcomes(.user, partition: 2, after: -1, before: 100, limit: 10).isEmpty)

            // The same answer while a bulk load has the indexes suspended.
            _ = try await store.suspendIndexes()
            #expect(offsets(try await store.outcomes(.user, partition: 0, after: 3, before: 12, limit: 10)) == [4, 5, 9])
            try await store.restoreIndexes()
            #expect(offsets(try await store.outcomes(.user, partition: 0, after: 3, before: 12, limit: 10)) == [4, 5, 9])
        }
    }

    @Test("a duplicate command id keeps the first outcome", arguments: StoreBackend.allCases)
    func duplicateCommandKeepsFirst(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            let entity = UUID()
            let original = Fixtures.outcome(entity: entity, offset: 1)
            var redelivered = Fixtures.outcome(original.commandID, entity: entity, offset: 9, status: .rejected, rejection: .alreadyExists)
            redelivered.envelope = Data("second".utf8)
            // Within one batch: the first in log order wins.
            try await store.commit(Fixtures.batch(outcomes: [original, redelivered]))
            #expect(try await store.outcome(commandID: original.commandID) == original)
            // In a later batch: the stored one stays.
            try await store.commit(Fixtures.batch(outcomes: [redelivered]))
            #expect(try await store.outcome(commandID: original.commandID) == original)
            #expect(try await store.history(.user, id: entity) == [original])
        }
    }

    @Test(
        "a bulk load with the outcome indexes suspended reads back the same, and migrate or restore builds them again",
        arguments: StoreBackend.allCases)
    func bulkLoad(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            let entity = UUID()
            let before = Fixtures.outcome(entity: entity, offset: 1)
            try await store.commit(Fixtures.batch(outcomes: [before]))
            let suspended = try await store.suspendIndexes()
            #expect(suspended == (backend == .sqlite))
            let during = Fixtures.outcome(entity: entity, offset: 2)
            let music = Fixtures.outcome(kind: .music, entity: UUID(), offset: 3, topic: "encore.music")
            try await store.commit(Fixtures.batch(outcomes: [during, music]))
            #expect(try await store.commandIDs(.user) == [before.commandID, during.commandID])
            var redelivered = during
            redelivered.status = .rejected
            redelivered.rejection = .alreadyExists
            // A killed load leaves the indexes dropped: opening the namespace again builds them,
            // and a re-delivered command keeps its first outcome.
            try await store.migrate()
            try await store.commit(Fixtures.batch(outcomes: [redelivered]))
            #expect(try await store.outcome(commandID: during.commandID) == during)
            // A finished load builds them too.
            #expect(try await store.suspendIndexes() == suspended)
            try await store.restoreIndexes()
            try await store.commit(Fixtures.batch(outcomes: [redelivered]))
            #expect(try await store.outcome(commandID: during.commandID) == during)
            #expect(try await store.history(.user, id: entity) == [before, during])
            #expect(try await store.existingOutcomes(commandIDs: [music.commandID, UUID()]) == [music.commandID])
        }
    }

    @Test("checkpoints are upserted per projection and partition", arguments: StoreBackend.allCases)
    func checkpoints(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            #expect(try await store.checkpoints(of: .user).isEmpty)
            try await store.commit(
                Fixtures.batch(
                    .user,
                    checkpoints: [
                        LogPosition(topic: "encore.users", partition: 3, offset: 10),
                        LogPosition(topic: "encore.users", partition: 0, offset: 4),
                    ]))
            try await store.commit(Fixtures.batch(.music, checkpoints: [LogPosition(topic: "encore.music", partition: 0, offset: 99)]))
            try await store.commit(
                Fixtures.batch(
                    .user,
                    checkpoints: [
                        LogPosition(topic: "encore.users", partition: 0, offset: 5),
                        LogPosition(topic: "encore.users", partition: 0, offset: 8),  // the last one of a batch wins
                    ]))
            #expect(
                try await store.checkpoints(of: .user) == [
                    LogPosition(topic: "encore.users", partition: 0, offset: 8),
                    LogPosition(topic: "encore.users", partition: 3, offset: 10),
                ])
            #expect(try await store.checkpoints(of: .music) == [LogPosition(topic: "encore.music", partition: 0, offset: 99)])
        }
    }

    @Test("a failing commit leaves nothing half-written", arguments: StoreBackend.allCases)
    func failedCommitIsAtomic(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            let kept = Fixtures.user()
            let checkpoint = LogPosition(topic: "encore.users", partition: 0, offset: 3)
            try await store.commit(Fixtures.batch(snapshots: [kept], checkpoints: [checkpoint]))

            let changed = Fixtures.user(kept.id, version: 2, fname: "Changed")
            let added = Fixtures.user()
            let outcome = Fixtures.outcome(entity: added.id, offset: 3)
            // Snapshots and outcomes are written first; the invalid checkpoint (a negative
            // offset violates a CHECK constraint) fails last, so the rollback must undo them.
            let bad = Fixtures.batch(
                snapshots: [changed, added], outcomes: [outcome],
                checkpoints: [
                    LogPosition(topic: "encore.users", partition: 0, offset: 4),
                    LogPosition(topic: "encore.users", partition: 1, offset: -1),
                ]
            )
            let error = try await #require(throws: StoreError.self) { try await store.commit(bad) }
            #expect(error.operation == "commit")
            #expect(error.code == .conflict, "a violated constraint fails again on retry")
            #expect(error.underlying != nil)
            #expect(error.message.lowercased().contains("check constraint"))  // the server's reason is kept
            #expect(error.backend == (backend == .sqlite ? .sqlite : .postgres))

            #expect(try await store.snapshot(.user, id: kept.id) == kept)
            #expect(try await store.snapshot(.user, id: added.id) == nil)
            #expect(try await store.outcome(commandID: outcome.commandID) == nil)
            #expect(try await store.checkpoints(of: .user) == [checkpoint])

            // The store is still usable afterwards.
            try await store.commit(Fixtures.batch(snapshots: [changed]))
            #expect(try await store.snapshot(.user, id: kept.id) == changed)
        }
    }

    @Test("two namespaces on one database are isolated", arguments: StoreBackend.allCases)
    func namespacesAreIsolated(backend: StoreBackend) async throws {
        try await withTwoStores(backend, namespaces: ("main", "replay_1")) { live, replay in
            let user = Fixtures.user()
            let outcome = Fixtures.outcome(entity: user.id, offset: 0)
            let checkpoint = LogPosition(topic: "encore.users", partition: 0, offset: 1)
            try await live.commit(Fixtures.batch(snapshots: [user], outcomes: [outcome], checkpoints: [checkpoint]))

            #expect(try await replay.snapshot(.user, id: user.id) == nil)
            #expect(try await replay.list(.user, after: nil, limit: 10).isEmpty)
            #expect(try await replay.outcome(commandID: outcome.commandID) == nil)
            #expect(try await replay.history(.user, id: user.id).isEmpty)
            #expect(try await replay.checkpoints(of: .user).isEmpty)

            // The same command id in the other namespace is a different outcome.
            var replayed = outcome
            replayed.version = 7
            try await replay.commit(Fixtures.batch(outcomes: [replayed]))
            #expect(try await replay.outcome(commandID: outcome.commandID) == replayed)
            #expect(try await live.outcome(commandID: outcome.commandID) == outcome)
            #expect(try await live.snapshot(.user, id: user.id) == user)
        }
    }

    @Test("a second store on the same location sees committed data", arguments: StoreBackend.allCases)
    func secondStoreSeesCommits(backend: StoreBackend) async throws {
        // Stand-in for a projector process writing and a gateway process reading.
        try await withTwoStores(backend) { projector, gateway in
            let song = Fixtures.song()
            #expect(try await gateway.snapshot(.music, id: song.id) == nil)  // reader opened before the write
            for version in 1...3 {
                let next = Fixtures.song(song.id, version: version, title: "Take \(version)")
                let outcome = Fixtures.outcome(
                    kind: .music, entity: song.id, offset: Int64(version), topic: "encore.music", version: version)
                try await projector.commit(
                    Fixtures.batch(
                        .music, snapshots: [next], outcomes: [outcome],
                        checkpoints: [LogPosition(topic: "encore.music", partition: 0, offset: Int64(version + 1))]))
                #expect(try await gateway.snapshot(.music, id: song.id) == next)
                #expect(try await gateway.outcome(commandID: outcome.commandID) == outcome)
            }
            #expect(try await gateway.checkpoints(of: .music) == [LogPosition(topic: "encore.music", partition: 0, offset: 4)])
            #expect(try await gateway.history(.music, id: song.id).map(\.version) == [1, 2, 3])
        }
    }

    @Test("two stores committing at the same time both succeed", arguments: StoreBackend.allCases)
    func concurrentWriters(backend: StoreBackend) async throws {
        // SQLite: the second writer waits for the file's write lock (busy timeout) instead of failing.
        try await withTwoStores(backend) { first, second in
            // Big enough batches that the two writers' transactions overlap many times.
            let rounds = 10
            async let firstIDs = Self.commitUsers(to: first, rounds: rounds)
            async let secondIDs = Self.commitUsers(to: second, rounds: rounds)
            let ids = try await firstIDs + secondIDs
            #expect(ids.count == 2 * rounds * 1_000)
            #expect(try await first.snapshots(.user, ids: ids).count == ids.count)
        }
    }

    private static func commitUsers(to store: any ReadModelStore, rounds: Int) async throws -> [UUID] {
        var ids: [UUID] = []
        for _ in 0..<rounds {
            let users = (0..<1_000).map { _ in Fixtures.user() }
            try await store.commit(Fixtures.batch(snapshots: users))
            ids += users.map(\.id)
        }
        return ids
    }

    @Test("a closed store fails with an error instead of hanging", arguments: StoreBackend.allCases)
    func closedStoreFails(backend: StoreBackend) async throws {
        try await withStoreURL(backend) { url in
            try await StoreDatabase.with(url: url, logger: storeTestLogger) { database in
                let store = try await database.open()
                await store.close()
                let error = try await #require(throws: StoreError.self) {
                    try await store.commit(Fixtures.batch(snapshots: [Fixtures.user()]))
                }
                #expect(error.message.contains("closed"))
                #expect(error.code == .misuse)
                await #expect(throws: StoreError.self) { try await store.ping() }
                await store.close()  // a second close is harmless
            }
        }
    }

    @Test("large batches commit in one transaction", arguments: StoreBackend.allCases)
    func largeBatches(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            let batchSize = 5_000
            let batches = 4
            var allIDs: [UUID] = []
            var commandIDs: [UUID] = []
            let clock = ContinuousClock()
            var elapsed = Duration.zero
            for batch in 0..<batches {
                let users = (0..<batchSize).map { Fixtures.user(fname: "User \(batch)-\($0)") }
                let outcomes = users.enumerated().map { index, user in
                    Fixtures.outcome(entity: user.id, offset: Int64(batch * batchSize + index), partition: Int32(index % 6))
                }
                allIDs += users.map(\.id)
                commandIDs += outcomes.map(\.commandID)
                let checkpoints = (0..<6).map {
                    LogPosition(topic: "encore.users", partition: Int32($0), offset: Int64((batch + 1) * batchSize))
                }
                elapsed += try await clock.measure {
                    try await store.commit(Fixtures.batch(snapshots: users, outcomes: outcomes, checkpoints: checkpoints))
                }
            }
            let rows = batches * batchSize * 2
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "\(backend): committed \(rows) rows (\(batches) batches of \(batchSize) snapshots + \(batchSize) outcomes) in \(elapsed): \(Int(Double(rows) / seconds)) rows/s"
            )

            #expect(try await store.existingOutcomes(commandIDs: commandIDs).count == commandIDs.count)
            let found = try await store.snapshots(.user, ids: allIDs)
            #expect(found.count == allIDs.count)
            var listed = 0
            var cursor: UUID?
            while true {
                let page = try await store.list(.user, after: cursor, limit: 1_000)
                guard let last = page.last else { break }
                listed += page.count
                cursor = last.id
            }
            #expect(listed == allIDs.count)
            #expect(
                try await store.checkpoints(of: .user).map(\.offset) == Array(repeating: Int64(batches * batchSize), count: 6))
        }
    }

    /// Opens two stores on one fresh location of `backend` (two processes' view of it), runs
    /// `body`, and closes both whether or not `body` throws.
    private func withTwoStores(
        _ backend: StoreBackend, namespaces: (String, String) = ("main", "main"),
        _ body: (any ReadModelStore, any ReadModelStore) async throws -> Void
    ) async throws {
        try await withStoreURL(backend) { url in
            // A database each, as two processes have.
            try await StoreDatabase.withStore(url: url, namespace: namespaces.0, logger: storeTestLogger) { first in
                try await StoreDatabase.withStore(url: url, namespace: namespaces.1, logger: storeTestLogger) { second in
                    try await body(first, second)
                }
            }
        }
    }
}
