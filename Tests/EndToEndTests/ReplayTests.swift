import Domain
import Foundation
import Kafka
import KafkaTesting
import Locking
import Log
import Projection
import Projector
import Replay
import Store
import StoreTesting
import Testing

/// Replays against a real broker and store, with the live projector and gateway running.
@Suite("Replay")
struct ReplayTests {
    @Test(
        "a replay of 100,000 commands killed midway resumes from its checkpoint, activates, equals the live model, and --verify is clean",
        arguments: StoreBackend.allCases)
    func killResumeVerify(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend, exclusive: true) { harness in
            let url = try #require(harness.storeURL)
            try await harness.append(SyntheticWorkload(count: 100_000, seed: 7))
            try await harness.awaitProjected()

            // A replay process killed with SIGKILL part-way through.
            let child = try ChildProcess.encore([
                "replay", "--namespace", "resumed", "--no-switch", "--batch-size", "1000", "--brokers", harness.broker.bootstrapServers,
                "--topic-prefix", harness.prefix, "--store", url, "--log-level", "error",
            ])
            let rebuilt = try await harness.store.sibling(namespace: "resumed")
            try await eventually("the replay is part-way", timeout: .seconds(120)) {
                try await Self.folded(rebuilt) >= 20_000
            }
            child.kill()
            let before = try await Self.folded(rebuilt)
            #expect(before < 100_000, "killed before the end")

            let summary = try await Replayer(
                configuration: ReplayConfiguration(
                    log: LogLocation(brokers: harness.broker.bootstrapServers, topicPrefix: harness.prefix, kafkaProperties: [:]),
                    namespace: "resumed"),
                store: harness.store, keys: harness.keys, logger: harness.broker.logger
            ).run()
            #expect(summary.namespace == "resumed")
            #expect(summary.models.contains { $0.resumed })
            #expect(summary.models.reduce(0) { $0 + $1.records } == 100_000 - before, "reads only what the killed run had not folded")
            #expect(summary.models.allSatisfy { $0.active && $0.replaced == "main" })
            #expect(try await harness.store.activeNamespaces() == ["users": "resumed", "music": "resumed", "playlists": "resumed"])

            // The retired namespace is frozen at the same log position: both must be equal.
            let live = try await readModelDump(harness.store)
            #expect(live.values.reduce(0) { $0 + $1.count } > 30_000)
            #expect(try await readModelDump(rebuilt) == live)

            let verified = try await Replayer(
                configuration: ReplayConfiguration(
                    log: LogLocation(brokers: harness.broker.bootstrapServers, topicPrefix: harness.prefix, kafkaProperties: [:]),
                    mode: .verify),
                store: harness.store, keys: harness.keys, logger: harness.broker.logger
            ).run()
            #expect(verified.differences.isEmpty)
            #expect(verified.models.reduce(0) { $0 + $1.records } == 100_000)
            #expect(try await !harness.store.catalog().contains { $0.namespace == verified.namespace }, "the side namespace is dropped")
            await rebuilt.close()
        }
    }

    @Test(
        "--as-of rebuilds the catalog exactly as it was at that time, as a snapshot that is never activated",
        arguments: StoreBackend.allCases)
    func asOf(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend) { harness in
            try await harness.append(SyntheticWorkload(count: 3_000, seed: 11))
            try await harness.awaitProjected()
            let captured = try await readModelDump(harness.store)
            let asOf = Date()
            // Kafka timestamps are milliseconds: later records must fall after the as-of instant.
            try await eventually("the clock passes the as-of time", timeout: .seconds(1)) { Date().timeIntervalSince(asOf) > 0.002 }
            try await harness.append(SyntheticWorkload(count: 2_000, seed: 12))
            try await harness.awaitProjected()
            #expect(try await readModelDump(harness.store) != captured)

            let summary = try await Replayer(
                configuration: ReplayConfiguration(
                    log: LogLocation(brokers: harness.broker.bootstrapServers, topicPrefix: harness.prefix, kafkaProperties: [:]),
                    asOf: asOf, mode: .build),
                store: harness.store, keys: harness.keys, logger: harness.broker.logger
            ).run()
            #expect(summary.models.reduce(0) { $0 + $1.records } == 3_000)
            let snapshot = try await harness.store.sibling(namespace: summary.namespace)
            #expect(try await readModelDump(snapshot) == captured)
            let rows = try await harness.store.catalog().filter { $0.namespace == summary.namespace }
            #expect(rows.count == 3 && rows.allSatisfy { $0.state == .snapshot && $0.asOf != nil })
            #expect(try await harness.store.activeNamespaces().values.allSatisfy { $0 == "main" })
            await snapshot.close()
        }
    }

    @Test(
        "switching to a rebuilt namespace under continuous reads and writes: no failed read, no read older than one already returned",
        arguments: StoreBackend.allCases)
    func switchUnderLoad(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend, exclusive: true) { harness in
            let songs = (0..<50).map { index in
                Command(entityID: UUID(), actor: "test", action: .createMusic(Song(artist: "Load", songTitle: "Song \(index)")))
            }
            try await harness.append(songs)
            try await harness.append(SyntheticWorkload(count: 5_000, seed: 3))
            try await harness.awaitProjected()
            let ids = songs.map(\.entityID)

            let stop = Flag()
            let readCount = Counter()
            // Keeps updating the songs, so versions keep rising while the switch happens.
            let producer = try harness.broker.producer()
            let writer = Task {
                let appender = CommandAppender(producer: producer, topicPrefix: harness.prefix) { [keys = harness.keys] in
                    try await keys.keyring(writing: $0)
                }
                var round = 0
                while !stop.isSet {
                    round += 1
                    try await appender.append(
                        ids.map { id in
                            Command(entityID: id, actor: "test", action: .updateMusic(Song(artist: "Load", songTitle: "Round \(round)")))
                        })
                    // About 1,000 writes a second: steady load that leaves the 2-core CI machine room to replay.
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let readers = (0..<2).map { _ in
                Task { () throws -> (reads: Int, failures: [String]) in
                    var seen: [UUID: Int] = [:]
                    var reads = 0
                    var failures: [String] = []
                    while !stop.isSet {
                        let id = ids.randomElement()!
                        let answer = try await harness.request(.get, "/api/v2/music/\(id.uuidString.lowercased())")
                        reads += 1
                        readCount.increment()
                        guard answer.status == .ok, let version = answer.json["version"] as? Int else {
                            failures.append("GET \(id): \(answer.status) \(answer.text)")
                            continue
                        }
                        if version < seen[id, default: 0] { failures.append("\(id): version \(version) after \(seen[id]!)") }
                        seen[id] = max(version, seen[id, default: 0])
                    }
                    return (reads, failures)
                }
            }
            let summary = try await Replayer(
                configuration: ReplayConfiguration(
                    log: LogLocation(brokers: harness.broker.bootstrapServers, topicPrefix: harness.prefix, kafkaProperties: [:])),
                store: harness.store, keys: harness.keys, logger: harness.broker.logger
            ).run()
            #expect(summary.models.allSatisfy { $0.active })
            // The gateway follows, and the live projector moves on into the new namespace.
            try await eventually("the gateway serves the rebuilt namespace", timeout: .seconds(30)) {
                let lag = try await harness.request(.get, "/lag").json
                let groups = lag["groups"] as? [[String: Any]] ?? []
                return groups.count == 3 && groups.allSatisfy { $0["namespace"] as? String == summary.namespace }
            }
            let rebuilt = try await harness.store.sibling(namespace: summary.namespace)
            let movedOn = try await Self.folded(rebuilt)
            try await eventually("the live projector folds into the rebuilt namespace", timeout: .seconds(30)) {
                try await Self.folded(rebuilt) > movedOn
            }
            // Reads go on after the switch, on the rebuilt namespace.
            let atSwitch = readCount.value
            try await eventually("reads continue after the switch", timeout: .seconds(30)) {
                readCount.value >= atSwitch + 50
            }
            stop.set()
            try await writer.value
            await producer.close()
            var reads = 0
            for reader in readers {
                let result = try await reader.value
                reads += result.reads
                #expect(result.failures.isEmpty, "\(result.failures.prefix(5))")
            }
            #expect(reads > 50)
            // What the live projector folded after the switch equals a fresh rebuild.
            try await harness.awaitProjected()
            let verified = try await Replayer(
                configuration: ReplayConfiguration(
                    log: LogLocation(brokers: harness.broker.bootstrapServers, topicPrefix: harness.prefix, kafkaProperties: [:]),
                    mode: .verify),
                store: harness.store, keys: harness.keys, logger: harness.broker.logger
            ).run()
            #expect(verified.differences.isEmpty)
            await rebuilt.close()
        }
    }

    /// Records folded into a namespace: the sum of its checkpoints over every read model.
    static func folded(_ store: any ReadModelStore) async throws -> Int64 {
        var total: Int64 = 0
        for kind in EntityKind.allCases {
            total += try await store.checkpoints(of: kind).reduce(0) { $0 + $1.offset }
        }
        return total
    }
}

/// A count shared by test tasks.
final class Counter: Sendable {
    private let count = Locked(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}

/// A one-way stop signal shared by test tasks.
final class Flag: Sendable {
    private let value = Locked(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
