import Domain
import Foundation
import KafkaTesting
import Log
import Projection
import Projector
import Store
import StoreTesting
import Testing

/// `encore log backup` and `encore log restore` as an operator runs them after losing a cluster:
/// the read models continue on the restored log with no replay and no `--adopt-log`.
@Suite("Log backup and restore into a new cluster")
struct LogBackupTests {
    @Test(
        "backup, restore into a fresh broker with --store: offsets identical, read models rebound, replay --verify clean, lag 0",
        arguments: StoreBackend.allCases)
    func restoreIntoNewCluster(_ backend: StoreBackend) async throws {
        let backup = FileManager.default.temporaryDirectory.appendingPathComponent("encore-backup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: backup) }
        try await TestLoad.run(exclusive: false) {
            try await withStoreURL(backend) { url in
                let (prefix, ends, source) = try await Self.buildAndBackUp(storeURL: url, into: backup)
                try await TestBroker.with { fresh in
                    let common = ["--brokers", fresh.bootstrapServers, "--topic-prefix", prefix, "--log-level", "error"]
                    let restored = try await ChildProcess.run(["log", "restore", "--from", backup, "--store", url, "--json"] + common)
                    #expect(restored.status == 0, "\(restored.output)")
                    let summary = try OperationsCommandTests.json(restored.standardOutput)
                    #expect(summary["rebound"] as? Bool == true, "\(restored.standardOutput)")
                    #expect(
                        restored.standardError.contains("restoring the log"),
                        "progress lines when not on a terminal: \(restored.standardError)")

                    let admin = try fresh.admin()
                    var freshEnds: [String: Int64] = [:]
                    for topic in EncoreTopics.names(prefix: prefix) {
                        for (partition, marks) in try await admin.watermarks(topic: topic) { freshEnds["\(partition)"] = marks.high }
                    }
                    let target = try await admin.clusterID()
                    await admin.close()
                    #expect(freshEnds == ends, "every partition ends where it did")
                    try await StoreDatabase.withStore(url: url, logger: fresh.logger) { store async throws in
                        #expect(try await store.clusterID() == target)
                        #expect(target != source)
                    }

                    let verify = try await ChildProcess.run(["replay", "--verify", "--json", "--store", url] + common)
                    #expect(verify.status == 0, "\(verify.output)")
                    #expect((try OperationsCommandTests.json(verify.standardOutput)["differences"] as? [Any])?.isEmpty == true)
                    let lag = try await ChildProcess.run(["lag", "--json", "--interval", "0.5", "--store", url] + common)
                    let groups = try #require(
                        try OperationsCommandTests.json(lag.standardOutput)["groups"] as? [[String: Any]], "\(lag.output)")
                    #expect(groups.count == 3)
                    #expect(groups.allSatisfy { $0["lag"] as? Int == 0 }, "\(lag.standardOutput)")

                    let again = try await ChildProcess.run(["log", "restore", "--from", backup] + common)
                    #expect(again.status != 0)
                    #expect(
                        again.standardError.contains("already holds") && again.standardError.contains("--force"), "\(again.standardError)")
                }
            }
        }
    }

    /// Runs the system on a first broker, writes, backs the log up twice (the second copies only
    /// the new records); returns the topic prefix, every partition's end and the cluster id.
    static func buildAndBackUp(storeURL: String, into backup: String) async throws -> (String, [String: Int64], String) {
        let result = ResultBox()
        try await EncoreHarness.with(storeURL: storeURL) { harness in
            try await harness.append(SyntheticWorkload(count: 1_500, seed: 31))
            try await harness.awaitProjected()
            let common = ["--brokers", harness.broker.bootstrapServers, "--topic-prefix", harness.prefix, "--log-level", "error"]
            let first = try await ChildProcess.run(["log", "backup", "--to", backup, "--json"] + common)
            #expect(first.status == 0, "\(first.output)")
            #expect(try OperationsCommandTests.json(first.standardOutput)["copied"] as? Int == 1_500)
            try await harness.append(SyntheticWorkload(count: 200, seed: 32))
            try await harness.awaitProjected()
            let second = try await ChildProcess.run(["log", "backup", "--to", backup, "--json"] + common)
            #expect(second.status == 0, "\(second.output)")
            #expect(
                try OperationsCommandTests.json(second.standardOutput)["copied"] as? Int == 200, "incremental: \(second.standardOutput)")
            let admin = try harness.broker.admin()
            var ends: [String: Int64] = [:]
            for topic in EncoreTopics.names(prefix: harness.prefix) {
                for (partition, marks) in try await admin.watermarks(topic: topic) { ends["\(partition)"] = marks.high }
            }
            let cluster = try await admin.clusterID()
            await admin.close()
            result.set((harness.prefix, ends, cluster))
        }
        return try #require(result.value)
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (String, [String: Int64], String)?
    func set(_ value: (String, [String: Int64], String)) { lock.withLock { stored = value } }
    var value: (String, [String: Int64], String)? { lock.withLock { stored } }
}
