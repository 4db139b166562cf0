import Domain
import Foundation
import Kafka
import Locking
import Log
import Projection
import Store
import StoreTesting
import Testing

@testable import Replay

/// The replay engine in process: its log held in memory (``MemoryLog``), its namespaces in a
/// real SQLite store; no broker.
@Suite("Replayer in process: resume, as-of cut-off, chase and freeze, verify")
struct ReplayerTests {
    /// Runs `body` with a fresh SQLite store and an empty log.
    private func withLogAndStore(_ body: (MemoryLog, any ReadModelStore) async throws -> Void) async throws {
        try await withStoreURL(.sqlite) { url in
            try await withTestDataKeys { keys in
                try await StoreDatabase.withStore(url: url, logger: MemoryLog.logger) { store in
                    try await body(MemoryLog(keys: keys), store)
                }
            }
        }
    }

    private func replay(_ log: MemoryLog, _ store: any ReadModelStore, _ configure: (inout ReplayConfiguration) -> Void = { _ in })
        async throws -> ReplaySummary
    {
        var configuration = ReplayConfiguration(log: log.location)
        configure(&configuration)
        return try await Replayer(configuration: configuration, store: store, keys: log.keys, logger: MemoryLog.logger).run(from: log)
    }

    /// Every entity of every kind in `namespace` (tombstones included), by id.
    private func contents(of namespace: String, in store: any ReadModelStore) async throws -> [EntityKind: [EntitySnapshot]] {
        let other = try await store.sibling(namespace: namespace)
        var contents: [EntityKind: [EntitySnapshot]] = [:]
        for kind in EntityKind.allCases {
            contents[kind] = try await other.list(kind, after: nil, limit: 10_000, includingDeleted: true)
        }
        await other.close()
        return contents
    }

    @Test(
        "a replay run again into the same namespace resumes from its checkpoints: it reads only what came after, and ends equal to the live models"
    )
    func resume() async throws {
        try await withLogAndStore { log, store in
            let workload = Array(SyntheticWorkload(count: 300, seed: 11))
            try await log.fold(try await log.append(workload.prefix(200)), into: store)
            let first = try await replay(log, store) {
                $0.namespace = "rebuilt"
                $0.mode = .build
            }
            #expect(first.models.reduce(0) { $0 + $1.records } == 200)
            #expect(first.models.allSatisfy { !$0.resumed && !$0.active })

            try await log.fold(try await log.append(workload.dropFirst(200)), into: store)
            let second = try await replay(log, store) { $0.namespace = "rebuilt" }
            #expect(second.models.allSatisfy { $0.resumed && $0.active }, "\(second.models)")
            #expect(second.models.reduce(0) { $0 + $1.records } == 100, "only the records after the first run's checkpoints")
            // The live models were folded from the same log: the rebuilt ones must equal them.
            let live = try await contents(of: "main", in: store)
            let rebuilt = try await contents(of: "rebuilt", in: store)
            #expect(live == rebuilt)
            #expect(try await store.catalog().contains { $0.namespace == "rebuilt" && $0.state == .active })
        }
    }

    @Test("an as-of replay folds the records written up to that time and none after, and is kept as a snapshot")
    func asOf() async throws {
        try await withLogAndStore { log, store in
            let workload = Array(SyntheticWorkload(count: 240, seed: 12))
            let early = Date(timeIntervalSince1970: 1_800_000_000)
            let late = early.addingTimeInterval(3600)
            let before = try await log.append(workload.prefix(150), at: early)
            try await log.append(workload.dropFirst(150), at: late)
            // What the read models were at the cut-off: only the early records, folded apart.
            try await foldInto("expected", before, log: log, store: store)

            let summary = try await replay(log, store) {
                $0.namespace = "then"
                $0.asOf = early.addingTimeInterval(1)
            }
            #expect(summary.models.reduce(0) { $0 + $1.records } == 150, "\(summary.models)")
            #expect(try await contents(of: "then", in: store) == contents(of: "expected", in: store))
            #expect(try await store.catalog().filter { $0.namespace == "then" }.allSatisfy { $0.state == .snapshot })
        }
    }

    @Test("activation chases a live namespace that keeps moving, then freezes it and activates at its frozen checkpoints")
    func chaseAndFreeze() async throws {
        try await withLogAndStore { log, store in
            try await log.fold(try await log.append(SyntheticWorkload(count: 100, seed: 13).filter { $0.kind == .music }), into: store)
            // A live projector folds one new song before every poll of the replay, until the
            // freeze refuses its commit.
            let refused = RefusalFlag()
            log.onPoll {
                guard !refused.isSet else { return }
                let song = Command(entityID: UUID(), action: .createMusic(Song(artist: "Live", songTitle: "meanwhile")))
                do {
                    try await log.fold(try await log.append([song]), into: store)
                } catch is NamespaceRetired {
                    refused.set()
                } catch {
                    Issue.record("the live fold failed: \(error)")
                }
            }
            let summary = try await replay(log, store) {
                $0.namespace = "rebuilt"
                $0.kinds = [.music]
            }
            #expect(summary.models.first?.active == true, "\(summary.models)")
            #expect(refused.isSet, "the live namespace was frozen: a live commit was refused")
            // Activated at the frozen checkpoints: exactly the live state, nothing lost or added.
            let live = try await contents(of: "main", in: store)
            let rebuilt = try await contents(of: "rebuilt", in: store)
            #expect(live[.music] == rebuilt[.music])
            #expect(try await store.catalog().contains { $0.namespace == "rebuilt" && $0.projection == "music" && $0.state == .active })
        }
    }

    @Test("verify names each entity whose live state differs from the log's fold, and leaves nothing behind")
    func verify() async throws {
        try await withLogAndStore { log, store in
            let workload = Array(SyntheticWorkload(count: 200, seed: 14))
            try await log.fold(try await log.append(workload), into: store)
            let clean = try await replay(log, store) { $0.mode = .verify }
            #expect(clean.differences.isEmpty, "\(clean.differences)")

            // A live row changed behind the log's back.
            let song = try #require(try await store.list(.music, after: nil, limit: 1, includingDeleted: false).first)
            let tampered = EntitySnapshot(
                kind: .music, id: song.id, version: song.version, state: .music(Song(artist: "Forged", songTitle: "Forged")))
            try await store.commit(ProjectionBatch(kind: .music, snapshots: [tampered], outcomes: [], checkpoints: []))
            let dirty = try await replay(log, store) { $0.mode = .verify }
            #expect(dirty.differences.map(\.id) == [song.id], "\(dirty.differences)")
            #expect(try await store.catalog().allSatisfy { !$0.namespace.hasPrefix("verify_") }, "the verify namespace is dropped")
        }
    }

    @Test("a log mixing version 1 and version 2 user records replays to the live state, and verify is clean over it")
    func mixedVersions() async throws {
        let workload = Array(SyntheticWorkload(count: 600, seed: 15))
        #expect(workload.contains { $0.kind == .user })
        let version1 = Self.everyOther(workload.map(\.id))
        try await withLogAndStore { log, store in
            let records = try await log.append(workload) { version1.contains($0.id) }
            try await log.fold(records, into: store)
            let verified = try await replay(log, store) { $0.mode = .verify }
            #expect(verified.differences.isEmpty, "\(verified.differences)")
            let rebuilt = try await replay(log, store, Self.buildInto("rebuilt"))
            #expect(rebuilt.models.allSatisfy { $0.poison == 0 })
            let live = try await contents(of: "main", in: store)
            let replayed = try await contents(of: "rebuilt", in: store)
            #expect(live == replayed)
        }
    }

    private static func everyOther(_ ids: [UUID]) -> Set<UUID> {
        Set(ids.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
    }

    private static func buildInto(_ namespace: String) -> (inout ReplayConfiguration) -> Void {
        { configuration in
            configuration.namespace = namespace
            configuration.mode = .build
        }
    }

    /// Folds `records` into `namespace` of `store`, whatever serves the read models.
    private func foldInto(_ namespace: String, _ records: [KafkaRecord], log: MemoryLog, store: any ReadModelStore) async throws {
        let target = try await store.sibling(namespace: namespace)
        for kind in EntityKind.allCases {
            try await target.register(kind, state: .building, asOf: nil, progress: nil)
        }
        try await log.fold(records) { _ in target }
        await target.close()
    }
}

/// Set once, from the live projector's task, read by the test.
private final class RefusalFlag: Sendable {
    private let flag = Locked(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
