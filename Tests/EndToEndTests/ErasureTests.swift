import Domain
import Foundation
import Kafka
import KafkaTesting
import Log
import Logging
import Privacy
import Replay
import Store
import StoreTesting
import Testing

/// Erasure end to end: people created, updated and erased through both APIs and the CLI, then
/// every copy searched for their fields.
@Suite("Erasure")
struct ErasureTests {
    /// A person whose three fields are unique strings, so a byte search finds every copy.
    struct Person {
        let fname = "F\(UUID().uuidString.prefix(12))"
        let lname = "L\(UUID().uuidString.prefix(12))"
        var email: String { "\(fname.lowercased())@example.org" }
        var strings: [String] { [fname, lname, email] }
        var json: [String: Any] { ["fname": fname, "lname": lname, "email": email] }
    }

    @Test(
        "an erased person's fields are in no record, no store file or dump, no backup and no API answer; everyone else reads back, after a replay too",
        arguments: StoreBackend.allCases)
    func erasure(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend) { encore in
            let storeURL = try #require(encore.storeURL)
            var people: [(id: String, first: Person, last: Person)] = []
            for n in 0..<24 {
                let first = Person()
                let id = try #require(try await encore.request(.post, "/api/v2/users", json: first.json).json["id"] as? String)
                var last = first
                if n % 2 == 0 {
                    last = Person()
                    #expect(try await encore.request(.put, "/api/v2/users/\(id)", json: last.json).status == .ok)
                }
                people.append((id, first, last))
            }
            let backup = FileManager.default.temporaryDirectory.appendingPathComponent("encore-erasure-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: backup) }
            let log = ["--brokers", encore.broker.bootstrapServers, "--topic-prefix", encore.prefix]
            #expect(try await ChildProcess.run(["log", "backup", "--to", "\(backup)/before"] + log).status == 0)

            // A third each through v1, v2 and the CLI; the rest are kept.
            let erased = Array(people.prefix(12)), kept = Array(people.dropFirst(12))
            for (n, person) in erased.prefix(8).enumerated() {
                let path = n % 2 == 0 ? "/api/v1/user/\(person.id)" : "/api/v2/users/\(person.id)"
                #expect(try await encore.request(.delete, path).status.code < 300)
            }
            let idsFile = "\(backup)-ids.txt"
            try (erased.dropFirst(10).map(\.id).joined(separator: "\n") + "\n").write(toFile: idsFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: idsFile) }
            let cli = try await ChildProcess.run(
                ["users", "erase"] + erased.dropFirst(8).prefix(2).map(\.id) + ["--file", idsFile] + log + ["--store", storeURL])
            #expect(cli.status == 0, "\(cli.output)")
            try await encore.awaitProjected()
            #expect(try await ChildProcess.run(["log", "backup", "--to", "\(backup)/after"] + log).status == 0)

            let secrets = erased.flatMap { $0.first.strings + $0.last.strings }
            func assertNone(in bytes: Data, _ place: String) {
                for secret in secrets where bytes.range(of: Data(secret.utf8)) != nil {
                    Issue.record("\(place) holds \(secret)")
                }
            }
            // Every record of every topic, as a Kafka client reads it: nobody's fields in plaintext.
            let records = try await LogScan.records(of: encore.prefix + ".users", log: encore.log, logger: encore.broker.logger) { _ in true
            }
            #expect(records.count == 24 + 12 + 12)
            for person in people {
                for text in person.first.strings + person.last.strings {
                    #expect(!records.contains { $0.value.range(of: Data(text.utf8)) != nil }, "a record holds \(text)")
                }
            }
            for file in Self.files(under: backup) { assertNone(in: try Data(contentsOf: URL(fileURLWithPath: file)), file) }
            switch backend {
            case .sqlite:
                let folder = URL(fileURLWithPath: String(storeURL.dropFirst("sqlite:".count))).deletingLastPathComponent().path
                for file in Self.files(under: folder) { assertNone(in: try Data(contentsOf: URL(fileURLWithPath: file)), file) }
            case .postgres:
                assertNone(in: Data(try await TestPostgres.shared.dump(url: storeURL).utf8), "pg_dump")
            }

            // Through the API: erased people are 404, their history and past versions show no fields.
            for person in erased {
                #expect(try await encore.request(.get, "/api/v2/users/\(person.id)").status == .notFound)
                #expect(try await encore.request(.get, "/api/v1/user/\(person.id)").status == .notFound)
                let history = try await encore.request(.get, "/api/v2/users/\(person.id)/history")
                assertNone(in: history.body, "history")
                let payloads = (history.json["items"] as? [[String: Any]] ?? []).compactMap {
                    ($0["command"] as? [String: Any])?["payload"] as? [String: Any]
                }
                #expect(payloads.filter { $0["erased"] as? Bool == true }.count == (person.first.fname == person.last.fname ? 1 : 2))
                let past = try await encore.request(.get, "/api/v2/users/\(person.id)?version=1")
                #expect(past.status == .ok)
                #expect(past.json["erased"] as? Bool == true && past.json["fname"] is NSNull)
            }
            try await Self.expectIntact(kept, encore)

            // The users' change feed read from the start: every change, none with an erased field.
            let feed = try await EventStreamClient.open(port: try #require(encore.client.port), path: "/api/v2/users/events?after=")
            let events = try await feed.events(24 + 12 + 12)
            feed.close()
            #expect(events.count == 48)
            assertNone(in: Data(events.map(\.data).joined().utf8), "the change feed")
            let erasedIDs = Set(erased.map(\.id))
            #expect(events.filter { erasedIDs.contains($0.json["id"] as? String ?? "") && $0.json["erased"] as? Bool == true }.count >= 12)

            // A replay rebuilds the same: kept people intact, erased ones still erased, verify clean.
            let replayed = try await Replayer(
                configuration: ReplayConfiguration(log: encore.log), store: encore.store, keys: encore.keys, logger: encore.broker.logger
            ).run()
            #expect(replayed.models.allSatisfy { $0.active })
            try await eventually("the gateway serves the rebuilt namespace", timeout: .seconds(30)) {
                try await encore.store.activeNamespaces()["users"] == replayed.namespace
            }
            try await Self.expectIntact(kept, encore)
            for person in erased { #expect(try await encore.request(.get, "/api/v2/users/\(person.id)").status == .notFound) }
            let verified = try await Replayer(
                configuration: ReplayConfiguration(log: encore.log, mode: .verify), store: encore.store, keys: encore.keys,
                logger: encore.broker.logger
            ).run()
            #expect(verified.differences.isEmpty)
        }
    }

    @Test("a key-store restore from before an erasure does not bring the person back")
    func keyStoreRestore() async throws {
        try await EncoreHarness.with(.sqlite) { encore in
            let storeURL = try #require(encore.storeURL)
            let person = Person()
            let id = try #require(try await encore.request(.post, "/api/v2/users", json: person.json).json["id"] as? String)
            let user = try #require(UUID(uuidString: id))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("encore-keys-\(UUID().uuidString).json").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            let backedUp = try await ChildProcess.run(["keys", "backup", "--to", file, "--store", storeURL])
            #expect(backedUp.status == 0, "\(backedUp.output)")
            #expect(try await encore.keys.store.wrappedKeys(of: [user]).count == 1)
            #expect(try await encore.request(.delete, "/api/v2/users/\(id)").status == .noContent)
            #expect(try await encore.keys.store.wrappedKeys(of: [user]).isEmpty)

            let restored = try await ChildProcess.run(
                [
                    "keys", "restore", "--from", file, "--store", storeURL, "--brokers", encore.broker.bootstrapServers, "--topic-prefix",
                    encore.prefix,
                ])
            #expect(restored.status == 0, "\(restored.output)")
            #expect(restored.standardOutput.contains("erased again the 1 users"), "\(restored.output)")
            #expect(try await encore.keys.store.wrappedKeys(of: [user]).isEmpty, "the restore brought the key back")
        }
    }

    @Test("encore keys rotate-master re-wraps every key: records open under the new master key, the old one is refused")
    func rotateMaster() async throws {
        try await withStoreURL(.sqlite) { storeURL in
            let logger = Logger(label: "test")
            let user = UUID()
            let command = Command(entityID: user, action: .createUser(User(fname: "Ada", lname: "Lovelace", email: "ada@example.org")))
            let record = try await withTestKeys(storeURL: storeURL, logger: logger) { _, keys in
                try CommandCodec.encode(command, sealing: try await keys.keyring(writing: [user]))
            }
            let newMaster = MasterKey()
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("encore-master-\(UUID().uuidString)").path
            try newMaster.text.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let rotated = try await ChildProcess.run(["keys", "rotate-master", "--new-master-key-file", file, "--store", storeURL])
            #expect(rotated.status == 0, "\(rotated.output)")
            #expect(rotated.standardOutput.contains("re-wrapped 1 data keys"), "\(rotated.output)")
            let refused = try await ChildProcess.run(["keys", "backup", "--to", "\(file).json", "--store", storeURL])
            #expect(refused.status != 0 && refused.output.contains("master key does not open the key store"), "\(refused.output)")
            try await StoreDatabase.with(url: storeURL, logger: logger) { database in
                let store = try await database.openKeyStore()
                let keys = try await DataKeys(store: store, master: newMaster)
                let opened = try CommandCodec.decode(record, opening: try await keys.keyring(reading: [user]))
                #expect(opened.action == command.action)
                await store.close()
            }
        }
    }

    /// Each kept person reads back with their latest fields, in v1 and v2.
    static func expectIntact(_ kept: [(id: String, first: Person, last: Person)], _ encore: EncoreHarness) async throws {
        for person in kept {
            let answer = try await encore.request(.get, "/api/v2/users/\(person.id)")
            #expect(answer.json["fname"] as? String == person.last.fname && answer.json["email"] as? String == person.last.email)
        }
    }

    static func files(under folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).map { "\(folder)/\($0)" }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}
