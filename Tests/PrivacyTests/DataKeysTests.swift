import Domain
import Foundation
import Privacy
import Store
import StoreTesting
import Testing

/// The key store on both backends, with the codec that seals and opens user records.
@Suite("Data keys and sealed user records")
struct DataKeysTests {
    let ada = User(fname: "Ada", lname: "Lovelace", email: "ada@example.com")

    @Test("a user record is sealed in the log and opens under its key", arguments: StoreBackend.allCases)
    func sealsAndOpens(backend: StoreBackend) async throws {
        try await withKeys(backend) { keys, _, _ in
            let command = Command(entityID: UUID(), action: .createUser(ada))
            let record = try CommandCodec.encode(command, sealing: try await keys.keyring(writing: [command.entityID]))
            let text = String(decoding: record, as: UTF8.self)
            for field in [ada.fname, ada.lname, ada.email] { #expect(!text.contains(field)) }
            #expect(text.contains(#""schemaVersion":2"#))
            let decoded = try CommandCodec.decode(record, opening: try await keys.keyring(reading: [command.entityID]))
            #expect(decoded == command.rounded)
        }
    }

    @Test("an erased user's records open as erased, other users' as before", arguments: StoreBackend.allCases)
    func erasure(backend: StoreBackend) async throws {
        try await withKeys(backend) { keys, _, _ in
            let erased = Command(entityID: UUID(), action: .createUser(ada))
            let kept = Command(entityID: UUID(), action: .createUser(User(fname: "Grace", lname: "Hopper", email: "grace@example.com")))
            let records = try await [erased, kept].asyncMap {
                try CommandCodec.encode($0, sealing: try await keys.keyring(writing: [$0.entityID]))
            }
            try await keys.erase([erased.entityID])
            let keyring = try await keys.keyring(reading: [erased.entityID, kept.entityID])
            #expect(try CommandCodec.decode(records[0], opening: keyring).action == .createUser(.erased))
            #expect(try CommandCodec.decode(records[1], opening: keyring) == kept.rounded)
        }
    }

    @Test("a wrong master key is refused; the right one opens the store again", arguments: StoreBackend.allCases)
    func wrongMasterKey(backend: StoreBackend) async throws {
        try await withStoreURL(backend) { url in
            let master = MasterKey()
            try await StoreDatabase.with(url: url, logger: storeTestLogger) { database in
                let store = try await database.openKeyStore()
                defer { Task { await store.close() } }
                let keys = try await DataKeys(store: store, master: master)
                _ = try await keys.keyring(writing: [UUID()])
                await #expect(throws: KeyStoreRefusal.self) { try await DataKeys(store: store, master: MasterKey()) }
                _ = try await DataKeys(store: store, master: master)
            }
        }
    }

    @Test("a wrapped key that does not unwrap refuses the start, naming the user and the fix", arguments: StoreBackend.allCases)
    func corruptWrappedKey(backend: StoreBackend) async throws {
        try await withKeys(backend) { keys, store, master in
            let user = UUID()
            _ = try await store.keep([user: Data(repeating: 7, count: 60)])
            let refusal = await #expect(throws: KeyStoreRefusal.self) { try await DataKeys(store: store, master: master) }
            #expect(refusal?.description.contains(user.lowercasedString) == true)
            #expect(refusal?.description.contains("encore keys restore") == true)
        }
    }

    @Test("rotate-master re-wraps every key: records still open, the old master key is refused", arguments: StoreBackend.allCases)
    func rotation(backend: StoreBackend) async throws {
        try await withKeys(backend) { keys, store, oldMaster in
            let command = Command(entityID: UUID(), action: .createUser(ada))
            let record = try CommandCodec.encode(command, sealing: try await keys.keyring(writing: [command.entityID]))
            let newMaster = MasterKey()
            #expect(try await keys.rotate(to: newMaster) == 1)
            let rotated = try await DataKeys(store: store, master: newMaster)
            #expect(try CommandCodec.decode(record, opening: try await rotated.keyring(reading: [command.entityID])) == command.rounded)
            await #expect(throws: KeyStoreRefusal.self) { try await DataKeys(store: store, master: oldMaster) }
        }
    }

    @Test("a sealed record altered in the log is dead-letter material, not misread")
    func tampered() async throws {
        try await withKeys(.sqlite) { keys, _, _ in
            let command = Command(entityID: UUID(), action: .createUser(ada))
            var record = try CommandCodec.encode(command, sealing: try await keys.keyring(writing: [command.entityID]))
            let other = Command(id: UUID(), entityID: command.entityID, action: .updateUser(ada))
            // The same sealed bytes under another command id: bound to their record, they do not open.
            let moved = String(decoding: record, as: UTF8.self).replacingOccurrences(of: command.id.uuidString, with: other.id.uuidString)
            #expect(moved != String(decoding: record, as: UTF8.self))
            record = Data(moved.utf8)
            let keyring = try await keys.keyring(reading: [command.entityID])
            #expect(throws: PoisonRecord.self) { try CommandCodec.decode(record, opening: keyring) }
        }
    }

    @Test("SQLite: the key file is mode 0600, and an erased key's bytes are in no file of its folder")
    func sqliteErasureLeavesNoBytes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keys.db").path
        try await StoreDatabase.with(url: "sqlite:\(directory.path)/store.db", logger: storeTestLogger) { database in
            let store = try await database.openKeyStore()
            let keys = try await DataKeys(store: store, master: MasterKey())
            let users = (0..<50).map { _ in UUID() }
            for user in users { _ = try await keys.keyring(writing: [user]) }
            let wrapped = try await store.wrappedKeys(of: Array(users.prefix(10)))
            #expect(wrapped.count == 10)
            try await keys.erase(Array(users.prefix(10)))
            #expect(try await store.wrappedKeys(of: users).count == 40)
            await store.close()
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                let bytes = try Data(contentsOf: directory.appendingPathComponent(file))
                for key in wrapped.values { #expect(bytes.range(of: key) == nil, "\(file) still holds an erased key") }
            }
        }
    }

    private func withKeys(_ backend: StoreBackend, _ body: (DataKeys, any KeyStore, MasterKey) async throws -> Void) async throws {
        try await withStoreURL(backend) { url in
            try await StoreDatabase.with(url: url, logger: storeTestLogger) { database in
                let store = try await database.openKeyStore()
                let master = MasterKey()
                do {
                    try await body(try await DataKeys(store: store, master: master), store, master)
                    await store.close()
                } catch {
                    await store.close()
                    throw error
                }
            }
        }
    }
}

extension Command {
    /// As the codec gives it back: the timestamp in whole milliseconds.
    var rounded: Command {
        var copy = self
        copy.timestamp = Date(timeIntervalSince1970: (timestamp.timeIntervalSince1970 * 1000).rounded() / 1000)
        return copy
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
