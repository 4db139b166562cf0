import Domain
import Foundation
import Testing

/// A stand-in for the data keys in pure tests: "seals" by reversing the bytes behind a marker,
/// and holds no key for the users in `erased`. (The real AES-GCM keyring is tested in PrivacyTests.)
struct ReversingCipher: PersonalDataCipher {
    var erased: Set<UUID> = []

    func seal(_ plaintext: Data, user: UUID, command: UUID) throws(PersonalDataError) -> Data {
        Data("sealed:".utf8) + plaintext.reversed()
    }

    func open(_ sealed: Data, user: UUID, command: UUID) throws(PersonalDataError) -> Data? {
        guard !erased.contains(user) else { return nil }
        guard sealed.starts(with: Data("sealed:".utf8)) else { throw .unreadable(user) }
        return Data(sealed.dropFirst(7).reversed())
    }
}

@Suite("Record versions and upcasting")
struct RecordVersionsTests {
    let ada = User(fname: "Ada", lname: "Lovelace", email: "ada@example.com")

    @Test("writers write each type's current version: user records 2, sealed; every other type 1")
    func writersWriteCurrent() throws {
        for action in Sample.actions {
            let command = Sample.command(action)
            let record =
                try JSONSerialization.jsonObject(with: try CommandCodec.encode(command, sealing: ReversingCipher())) as! [String: Any]
            #expect(record["schemaVersion"] as? Int == action.recordType.currentVersion)
            if case .createUser(let user) = action {
                let text = String(decoding: try CommandCodec.encode(command, sealing: ReversingCipher()), as: UTF8.self)
                #expect(!text.contains(user.email))
            }
        }
        #expect(RecordType.userCreate.currentVersion == 2 && RecordType.userUpdate.currentVersion == 2)
    }

    @Test("a log mixing versions of the same entities folds to the state of one written wholly in the current version")
    func mixedVersionsFoldAlike() throws {
        var random = SplitMix64(seed: 24)
        let cipher = ReversingCipher()
        for _ in 0..<50 {
            let user = random.uuid()
            let commands =
                [Command(entityID: user, action: .createUser(ada))]
                + (0..<random.below(6)).map { n in
                    Command(entityID: user, action: .updateUser(User(fname: "F\(n)", lname: "L\(n)", email: "u\(n)@example.com")))
                }
                + (random.chance(30) ? [Command(entityID: user, action: .deleteUser)] : [])
            let current = try commands.map { try CommandCodec.decode(try CommandCodec.encode($0, sealing: cipher), opening: cipher) }
            let mixed = try commands.map { command in
                let record = random.chance(50) ? CommandCodec.encodeVersion1(command) : try CommandCodec.encode(command, sealing: cipher)
                return try CommandCodec.decode(record, opening: cipher)
            }
            #expect(Fold.replay(mixed) == Fold.replay(current))
            #expect(Fold.replay(current) == Fold.replay(commands.map(\.rounded)))
        }
    }

    @Test("a version newer than this build knows is refused, naming both versions")
    func newerVersionRefused() throws {
        let command = Sample.command(.createUser(ada))
        var record = try JSONSerialization.jsonObject(with: try CommandCodec.encode(command, sealing: ReversingCipher())) as! [String: Any]
        record["schemaVersion"] = 3
        let data = try JSONSerialization.data(withJSONObject: record)
        #expect(throws: PoisonRecord("schema version 3 of user.create is newer than this build reads (version 2)")) {
            try CommandCodec.decode(data, opening: ReversingCipher())
        }
    }

    @Test("an erased user's records decode with erased fields; their deletion still folds")
    func erasedUser() throws {
        let user = UUID()
        let create = Command(entityID: user, action: .createUser(ada))
        let cipher = ReversingCipher(erased: [user])
        let decoded = try CommandCodec.decode(try CommandCodec.encode(create, sealing: ReversingCipher()), opening: cipher)
        #expect(decoded.action == .createUser(.erased))
        #expect(User.erased.isErased && !ada.isErased)
        let state = Fold.replay([decoded, Command(entityID: user, action: .deleteUser)])
        #expect(state?.isDeleted == true)
    }

    @Test("sealed fields that do not open are a reason to dead-letter, not a misreading")
    func unreadable() throws {
        let command = Sample.command(.createUser(ada))
        var record = try JSONSerialization.jsonObject(with: try CommandCodec.encode(command, sealing: ReversingCipher())) as! [String: Any]
        record["payload"] = ["sealed": Data("garbage".utf8).base64EncodedString()]
        let data = try JSONSerialization.data(withJSONObject: record)
        #expect(throws: PoisonRecord.self) { try CommandCodec.decode(data, opening: ReversingCipher()) }
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
