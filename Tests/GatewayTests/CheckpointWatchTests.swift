import Domain
import Foundation
import Logging
import ServiceLifecycle
import Store
import StoreTesting
import Testing

@testable import Gateway

/// The gateway's one checkpoint watch for every waiting request, over a real SQLite store (no broker).
@Suite("CheckpointWatch: waiting requests woken when the projector's checkpoint passes their offset")
struct CheckpointWatchTests {
    static let logger = Logger(label: "watch-test")

    /// Runs `body` with a watch, not yet running, over a fresh SQLite store.
    func withIdleWatch(_ body: @Sendable (CheckpointWatch, any ReadModelStore) async throws -> Void) async throws {
        try await withStoreURL(.sqlite) { url in
            try await StoreDatabase.withStore(url: url, logger: Self.logger) { store in
                try await ActiveNamespaces(base: store, logger: Self.logger).closing { namespaces in
                    try await namespaces.refresh()
                    try await body(CheckpointWatch(namespaces: namespaces, logger: Self.logger), store)
                }
            }
        }
    }

    /// Runs `body` while the watch runs, then stops it.
    func withWatch(_ body: @Sendable (CheckpointWatch, any ReadModelStore) async throws -> Void) async throws {
        try await withIdleWatch { watch, store in
            let running = Task { try await watch.run() }
            do {
                try await body(watch, store)
            } catch {
                running.cancel()
                _ = await running.result
                throw error
            }
            running.cancel()
            _ = await running.result
        }
    }

    func commitCheckpoint(_ store: any ReadModelStore, partition: Int32, next offset: Int64) async throws {
        try await store.commit(
            ProjectionBatch(
                kind: .music, snapshots: [], outcomes: [],
                checkpoints: [LogPosition(topic: "encore.music", partition: partition, offset: offset)]
            ))
    }

    @Test("a waiter is woken once its partition's checkpoint passes its offset, not before, and not by another partition")
    func wakesOnCheckpoint() async throws {
        try await withWatch { watch, store in
            let token = ConsistencyToken(kind: .music, partition: 1, offset: 5)
            try await commitCheckpoint(store, partition: 1, next: 5)  // offset 5 not folded yet
            try await commitCheckpoint(store, partition: 0, next: 100)
            async let woken = watch.wait(until: token, timeout: .seconds(30))
            try await commitCheckpoint(store, partition: 1, next: 6)
            #expect(await woken)
            #expect(await watch.wait(until: ConsistencyToken(kind: .music, partition: 1, offset: 5), timeout: .seconds(30)))
            #expect(await !watch.wait(until: ConsistencyToken(kind: .music, partition: 1, offset: 6), timeout: .milliseconds(50)))
        }
    }

    @Test("a waiter whose task is cancelled returns false at once; other waiters are unaffected")
    func cancellation() async throws {
        try await withWatch { watch, store in
            let cancelled = Task { await watch.wait(until: ConsistencyToken(kind: .user, partition: 0, offset: 0), timeout: .seconds(60)) }
            let kept = Task { await watch.wait(until: ConsistencyToken(kind: .music, partition: 0, offset: 0), timeout: .seconds(60)) }
            let started = ContinuousClock.now
            cancelled.cancel()
            #expect(await !cancelled.value)
            #expect(ContinuousClock.now - started < .seconds(20))
            try await commitCheckpoint(store, partition: 0, next: 1)
            #expect(await kept.value)
        }
    }

    @Test("stopping the watch answers every waiter false, and later waiters at once")
    func stopping() async throws {
        try await withIdleWatch { watch, _ in
            let running = Task { try await watch.run() }
            let started = ContinuousClock.now
            let waiting = Task {
                await watch.wait(until: ConsistencyToken(kind: .playlist, partition: 0, offset: 0), timeout: .seconds(60))
            }
            running.cancel()
            #expect(await !waiting.value)
            _ = try? await running.value
            #expect(await !watch.wait(until: ConsistencyToken(kind: .playlist, partition: 0, offset: 0), timeout: .seconds(60)))
            // Not by their 60 s timeouts.
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }
}
