import Domain
import Foundation
import KafkaTesting
import Store
import StoreTesting
import Testing

/// `encore replay`, `encore lag` and `encore history` as an operator runs them: child processes
/// against the harness's broker and store.
@Suite("Operations commands")
struct OperationsCommandTests {
    @Test(
        "replay --verify is clean on an untouched model, names a tampered entity and exits 1, and prints progress lines when not on a terminal"
    )
    func verify() async throws {
        try await EncoreHarness.with(.sqlite) { harness in
            try await harness.append(SyntheticWorkload(count: 2_000, seed: 21))
            try await harness.awaitProjected()
            let arguments = ["replay", "--verify", "--json"] + (try Self.common(harness))

            let clean = try await ChildProcess.run(arguments)
            #expect(clean.status == 0, "\(clean.output)")
            let summary = try Self.json(clean.standardOutput)
            #expect((summary["differences"] as? [Any])?.isEmpty == true)
            #expect(clean.standardError.contains("replay verify_"), "a plain progress line: \(clean.standardError)")
            #expect(clean.standardError.contains("records/s"))

            // Change one entity behind the projector's back: the rebuild must notice.
            let victim = try #require(try await harness.store.list(.music, after: nil, limit: 1).first)
            let tampered = EntitySnapshot(
                kind: .music, id: victim.id, version: victim.version, state: .music(Song(artist: "Nobody", songTitle: "Tampered")))
            try await harness.store.commit(ProjectionBatch(kind: .music, snapshots: [tampered], outcomes: [], checkpoints: []))
            let dirty = try await ChildProcess.run(arguments)
            #expect(dirty.status == 1, "\(dirty.output)")
            let differences = try #require(try Self.json(dirty.standardOutput)["differences"] as? [[String: Any]])
            #expect(differences.count == 1)
            #expect((differences.first?["id"] as? String).flatMap(UUID.init(uuidString:)) == victim.id)
            #expect((differences.first?["live"] as? String)?.contains("Tampered") == true)
        }
    }

    @Test(
        "a log that is not the one the read models were built from is refused with the command that fixes it; --adopt-log rebuilds from it")
    func lostLog() async throws {
        try await EncoreHarness.with(.sqlite) { harness in
            try await harness.append(SyntheticWorkload(count: 300, seed: 22))
            try await harness.awaitProjected()
            let recorded = try #require(try await harness.store.clusterID())
            // As if the broker had been recreated: Tansu keeps nothing across restarts.
            try await harness.store.setClusterID("a-cluster-that-is-gone")

            let refused = try await ChildProcess.run(["replay"] + (try Self.common(harness)))
            #expect(refused.status == 3, "\(refused.output)")
            #expect(refused.standardError.contains("a-cluster-that-is-gone"), "\(refused.standardError)")
            #expect(refused.standardError.contains("encore replay --adopt-log"), "\(refused.standardError)")
            #expect(try await harness.store.activeNamespaces().values.allSatisfy { $0 == "main" }, "nothing switched")

            let adopted = try await ChildProcess.run(["replay", "--adopt-log", "--json"] + (try Self.common(harness)))
            #expect(adopted.status == 0, "\(adopted.output)")
            let namespace = try #require(try Self.json(adopted.standardOutput)["namespace"] as? String)
            #expect(try await harness.store.clusterID() == recorded)
            #expect(try await harness.store.activeNamespaces().values.allSatisfy { $0 == namespace })
        }
    }

    @Test("lag --json reports every group caught up with one member; history lists an entity's commands from the log")
    func lagAndHistory() async throws {
        try await EncoreHarness.with(.sqlite) { harness in
            let song = UUID()
            try await harness.append([
                Command(entityID: song, actor: "test", action: .createMusic(Song(artist: "A", songTitle: "One"))),
                Command(entityID: song, actor: "test", action: .createMusic(Song(artist: "A", songTitle: "Again"))),
                Command(entityID: song, actor: "test", action: .updateMusic(Song(artist: "A", songTitle: "Two"))),
            ])
            try await harness.awaitProjected()

            let lag = try await ChildProcess.run(["lag", "--json", "--interval", "0.5"] + (try Self.common(harness)))
            #expect(lag.status == 0, "\(lag.output)")
            let groups = try #require(try Self.json(lag.standardOutput)["groups"] as? [[String: Any]])
            #expect(groups.count == 3)
            #expect(groups.allSatisfy { $0["lag"] as? Int == 0 && $0["members"] as? Int == 1 && $0["status"] as? String == "OK" })
            #expect(
                groups.reduce(0) { $0 + (($1["partitions"] as? [[String: Any]])?.reduce(0) { $0 + ($1["checkpoint"] as? Int ?? 0) } ?? 0) }
                    == 3)

            let history = try await ChildProcess.run([
                "history", "music", song.uuidString, "--brokers", harness.broker.bootstrapServers, "--topic-prefix", harness.prefix,
            ])
            #expect(history.status == 0, "\(history.output)")
            let lines = history.standardOutput.split(separator: "\n")
            #expect(lines.count == 3, "\(history.standardOutput)")
            #expect(lines[0].contains("music.create") && lines[0].contains("applied → version 1"))
            #expect(lines[1].contains("music.create") && lines[1].contains("rejected: already-exists"))
            #expect(lines[2].contains("music.update") && lines[2].contains("applied → version 2"))
        }
    }

    static func common(_ harness: EncoreHarness) throws -> [String] {
        let url = try #require(harness.storeURL)
        return ["--brokers", harness.broker.bootstrapServers, "--topic-prefix", harness.prefix, "--store", url, "--log-level", "error"]
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }
}
