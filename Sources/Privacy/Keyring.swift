import Crypto
import Domain
import Foundation

/// The data keys of some users, looked up for one piece of work (a batch, a write, a history):
/// seals and opens their personal fields with AES-256-GCM, each record bound to its user and
/// command. A user looked up without a key has been erased: their fields open as nothing.
public struct Keyring: PersonalDataCipher {
    let keys: [UUID: SymmetricKey]
    let lookedUp: Set<UUID>

    public func seal(_ plaintext: Data, user: UUID, command: UUID) throws(PersonalDataError) -> Data {
        guard let key = keys[user] else { throw .keyNotLoaded(user) }
        return try! AES.GCM.seal(plaintext, using: key, authenticating: Self.binding(user, command)).combined!
    }

    public func open(_ sealed: Data, user: UUID, command: UUID) throws(PersonalDataError) -> Data? {
        guard lookedUp.contains(user) else { throw .keyNotLoaded(user) }
        guard let key = keys[user] else { return nil }
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
            let plaintext = try? AES.GCM.open(box, using: key, authenticating: Self.binding(user, command))
        else { throw .unreadable(user) }
        return plaintext
    }

    private static func binding(_ user: UUID, _ command: UUID) -> Data {
        Data("encore/user/\(user.lowercasedString)/\(command.lowercasedString)".utf8)
    }
}

extension Keyring {
    /// New keys for `users`, kept nowhere: what they seal can never be opened. For re-writing
    /// the records of people a log already deleted, so that none of their data is left.
    public static func unkept(_ users: some Sequence<UUID>) -> Keyring {
        let keys = Dictionary(Set(users).map { ($0, SymmetricKey(size: .bits256)) }, uniquingKeysWith: { first, _ in first })
        return Keyring(keys: keys, lookedUp: Set(keys.keys))
    }
}
