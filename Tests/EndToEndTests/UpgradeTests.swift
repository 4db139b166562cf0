import Domain
import Foundation
import Journal
import Kafka
import KafkaTesting
import Log
import Logging
import Privacy
import Store
import StoreTesting
import Testing

/// Logs written before user records were sealed: `encore dev` upgrades its journal once, and
/// `encore log rewrite` converts a backup. The fixture is a journal in the format every earlier
/// `encore dev` and `encore log backup` wrote, its records encoded by the version 1 encoder
/// earlier builds used (`CommandCodec.encodeVersion1`).
@Suite("Upgrading logs written before sealed user records")
struct UpgradeTests {
    /// Three users as an earlier build left them: one kept, one updated, one deleted; and a song.
    struct Fixture {
        let kept = (UUID(), ErasureTests.Person())
        let updated = (UUID(), ErasureTests.Person(), ErasureTests.Person())
        let deleted = (UUID(), ErasureTests.Person())
        let song = UUID()

        /// In log order.
        let commands: [Command]

        init() {
            func user(_ person: ErasureTests.Person) -> User { User(fname: person.fname, lname: person.lname, email: person.email) }
            commands = [
                Command(entityID: kept.0, action: .createUser(user(kept.1))),
                Command(entityID: updated.0, action: .createUser(user(updated.1))),
                Command(entityID: updated.0, action: .updateUser(user(updated.2))),
                Command(entityID: deleted.0, action: .createUser(user(deleted.1))),
                Command(entityID: deleted.0, action: .deleteUser),
                Command(entityID: song, action: .createMusic(Song(artist: "Can", songTitle: "Vitamin C"))),
            ]
        }

        var plaintext: [String] { kept.1.strings + updated.1.strings + updated.2.strings + deleted.1.strings }

        /// Writes the journal of an earlier build into `directory`: every topic one partition.
        func write(to directory: String) throws {
            let journal = try Journal(directory: URL(fileURLWithPath: directory), logger: Logger(label: "fixture"))
            let topics = EncoreTopics.names(prefix: "encore")
            try journal.save(
                JournalManifest(clusterID: "encore-dev-fixture", topics: Dictionary(uniqueKeysWithValues: topics.map { ($0, 1) })))
            var records: [TopicPartition: [JournalRecord]] = [:]
            for command in commands {
                let partition = TopicPartition(command.kind.topic(prefix: "encore"), 0)
                let type = command.action.recordType
                records[partition, default: []].append(
                    JournalRecord(
                        offset: Int64(records[partition]?.count ?? 0), timestamp: Int64(Date().timeIntervalSince1970 * 1000),
                        key: Data(command.entityID.lowercasedString.utf8), value: CommandCodec.encodeVersion1(command),
                        headers: [KafkaHeader("schema-id", type.schemaID(version: 1))]))
            }
            try journal.append(records)
        }
    }

    @Test("encore dev upgrades such a journal once: kept users intact, the deleted user's data nowhere, no plaintext left in the log")
    func devUpgrade() async throws {
        let dataDir = DevInstance.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let fixture = Fixture()
        try fixture.write(to: "\(dataDir)/log")
        let before = Set(DevInstance.segments(in: dataDir))

        let dev = try await DevInstance.start(dataDir: dataDir)
        #expect(dev.standardError.contains("upgrading the log journal"), "\(dev.standardError)")
        try await eventually("the restored log is folded", timeout: .seconds(30)) {
            try await dev.request("GET", "/api/v2/music/\(fixture.song.lowercasedString)").status == 200
        }
        let kept = try await dev.request("GET", "/api/v2/users/\(fixture.kept.0.lowercasedString)")
        #expect(kept.json?["email"] as? String == fixture.kept.1.email)
        let updated = try await dev.request("GET", "/api/v2/users/\(fixture.updated.0.lowercasedString)")
        #expect(updated.json?["fname"] as? String == fixture.updated.2.fname)
        #expect(try await dev.request("GET", "/api/v2/users/\(fixture.deleted.0.lowercasedString)").status == 404)
        let history = try await dev.request("GET", "/api/v2/users/\(fixture.deleted.0.lowercasedString)/history")
        #expect(history.text.contains(#""erased":true"#), "\(history.text)")
        try await dev.interrupt()

        // The journal (what the broker is restored from) holds nobody's fields; the store only
        // the live users' rows.
        #expect(!Set(DevInstance.segments(in: dataDir)).isEmpty && before.count > 0)
        for file in ErasureTests.files(under: "\(dataDir)/log") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            for text in fixture.plaintext { #expect(bytes.range(of: Data(text.utf8)) == nil, "\(file) holds \(text)") }
        }
        for file in ErasureTests.files(under: dataDir) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            for text in fixture.deleted.1.strings + fixture.updated.1.strings {
                #expect(bytes.range(of: Data(text.utf8)) == nil, "\(file) holds \(text)")
            }
        }

        let again = try await DevInstance.start(dataDir: dataDir)
        #expect(!again.standardError.contains("upgrading the log journal"), "upgraded once")
        #expect(
            try await again.request("GET", "/api/v2/users/\(fixture.kept.0.lowercasedString)").json?["fname"] as? String
                == fixture.kept.1.fname)
        // An erasure in dev: the person's wrapped key, read from the key store before, is then
        // in no file of the data directory (the key store's own included).
        let person = ErasureTests.Person()
        let created = try await again.request("POST", "/api/v2/users", json: person.json)
        let id = try #require(created.json?["id"] as? String)
        let wrapped = try await StoreDatabase.with(url: "sqlite:\(dataDir)/encore.db", logger: Logger(label: "test")) { database in
            let store = try await database.openKeyStore()
            let found = try await store.wrappedKeys(of: [try #require(UUID(uuidString: id))])
            await store.close()
            return found
        }
        let key = try #require(wrapped.values.first)
        #expect(try await again.request("DELETE", "/api/v1/user/\(id)").status == 200)
        try await again.interrupt()
        for file in ErasureTests.files(under: dataDir) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.range(of: key) == nil, "\(file) holds the erased user's wrapped key")
            for text in person.strings { #expect(bytes.range(of: Data(text.utf8)) == nil, "\(file) holds \(text)") }
        }

        // Without its key store the sealed log would read as everyone erased: refused, nothing made.
        try FileManager.default.removeItem(atPath: "\(dataDir)/keys.db")
        let refused = try await DevInstance.runToExit(dataDir: dataDir)
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("keys.db is missing"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: "\(dataDir)/keys.db"))
    }

    @Test(
        "encore log rewrite converts such a backup: same offsets, sealed records that open for kept users only",
        arguments: StoreBackend.allCases)
    func logRewrite(backend: StoreBackend) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("encore-rewrite-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fixture = Fixture()
        try fixture.write(to: "\(folder)/old")
        try await withStoreURL(backend) { storeURL in
            let run = try await ChildProcess.run([
                "log", "rewrite", "--from", "\(folder)/old", "--to", "\(folder)/new", "--store", storeURL,
            ])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.standardOutput.contains("4 user records sealed"), "\(run.output)")
            for file in ErasureTests.files(under: "\(folder)/new") {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                for text in fixture.plaintext { #expect(bytes.range(of: Data(text.utf8)) == nil, "\(file) holds \(text)") }
            }
            let new = try Journal(directory: URL(fileURLWithPath: "\(folder)/new"), logger: Logger(label: "test"))
            #expect(new.manifest?.clusterID == "encore-dev-fixture")
            let users = TopicPartition("encore.users", 0)
            var records: [JournalRecord] = []
            try await new.read(users) { records += $0 }
            #expect(records.map(\.offset) == Array(0..<5))
            try await withTestKeys(storeURL: storeURL, logger: Logger(label: "test")) { _, keys in
                let keyring = try await keys.keyring(reading: [fixture.kept.0, fixture.updated.0, fixture.deleted.0])
                let commands = try records.map { try CommandCodec.decode($0.value, opening: keyring) }
                #expect(commands.map(\.id) == fixture.commands.filter { $0.kind == .user }.map(\.id))
                #expect(
                    commands[0].action
                        == .createUser(User(fname: fixture.kept.1.fname, lname: fixture.kept.1.lname, email: fixture.kept.1.email)))
                #expect(commands[3].action == .createUser(.erased))
                let schemaIDs = records.map { record in
                    record.headers.first { $0.name == "schema-id" }?.value.map { String(decoding: $0, as: UTF8.self) }
                }
                #expect(
                    schemaIDs == [
                        "encore/user.create/2", "encore/user.create/2", "encore/user.update/2", "encore/user.create/2",
                        "encore/user.delete/1",
                    ])
            }
        }
    }
}
