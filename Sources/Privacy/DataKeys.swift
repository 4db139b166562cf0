import Crypto
import Domain
import Foundation
import Store

/// The users' data keys: made when a user is first written, looked up for every read of their
/// records, destroyed when they are erased. Each is kept wrapped by the master key in a
/// ``KeyStore``, and looked up afresh for each piece of work, so an erasure made by one
/// process holds at once in every other.
public struct DataKeys: PersonalDataKeys {
    public let store: any KeyStore
    let master: MasterKey

    /// Opens `store` with `master`: a new store records which master key it is under; an
    /// existing one must be under `master`, and every key in it must unwrap.
    public init(store: any KeyStore, master: MasterKey) async throws {
        let source = store.location
        self.store = store
        self.master = master
        let check = try await store.keepMasterCheck(master.check())
        guard master.opens(check: check) else {
            throw KeyStoreRefusal(
                "the master key does not open the key store \(source): give the master key its keys were wrapped with "
                    + "(ENCORE_MASTER_KEY or ENCORE_MASTER_KEY_FILE); `encore keys rotate-master` changes it")
        }
        for key in try await store.allWrappedKeys() where master.unwrap(key.wrapped, user: key.user) == nil {
            throw KeyStoreRefusal(
                "the data key of user \(key.user.lowercasedString) in \(source) does not unwrap under the master key: "
                    + "the key store is damaged; restore it with `encore keys restore`")
        }
    }

    /// The keys of `users` for reading their records.
    public func keyring(reading users: some Sequence<UUID>) async throws -> Keyring {
        let lookedUp = Set(users)
        var keys: [UUID: SymmetricKey] = [:]
        for (user, wrapped) in try await store.wrappedKeys(of: Array(lookedUp)) { keys[user] = try unwrap(wrapped, user: user) }
        return Keyring(keys: keys, lookedUp: lookedUp)
    }

    public func cipher(reading users: [UUID]) async throws -> any PersonalDataCipher { try await keyring(reading: users) }

    /// The keys of `users` for writing their records, each made and kept first (in one
    /// transaction) if the user has none.
    public func keyring(writing users: some Sequence<UUID>) async throws -> Keyring {
        let fresh = Dictionary(
            Set(users).map { ($0, master.wrap(SymmetricKey(size: .bits256), user: $0)) }, uniquingKeysWith: { a, _ in a })
        var keys: [UUID: SymmetricKey] = [:]
        for (user, wrapped) in try await store.keep(fresh) { keys[user] = try unwrap(wrapped, user: user) }
        return Keyring(keys: keys, lookedUp: Set(keys.keys))
    }

    /// Destroys the keys of `users`: their sealed fields, in every copy of the log, can no longer be opened.
    public func erase(_ users: [UUID]) async throws { try await store.destroy(users) }

    /// Replaces every key with a backup's, which must be under this master key. Erasures made
    /// since the backup are the caller's to apply again (they are in the log).
    public func restore(masterCheck: Data, keys: [(user: UUID, wrapped: Data)]) async throws {
        guard master.opens(check: masterCheck) else {
            throw KeyStoreRefusal("the key store backup is under another master key: give the master key it was made with")
        }
        for key in keys where master.unwrap(key.wrapped, user: key.user) == nil {
            throw KeyStoreRefusal("the data key of user \(key.user.lowercasedString) in the backup does not unwrap: the backup is damaged")
        }
        try await store.replace(masterCheck: masterCheck, keys: keys, removingOthers: true)
    }

    /// Re-wraps every key under `newMaster`, in one transaction; answers how many.
    public func rotate(to newMaster: MasterKey) async throws -> Int {
        var rewrapped: [(user: UUID, wrapped: Data)] = []
        for key in try await store.allWrappedKeys() {
            rewrapped.append((key.user, newMaster.wrap(try unwrap(key.wrapped, user: key.user), user: key.user)))
        }
        try await store.replace(masterCheck: newMaster.check(), keys: rewrapped, removingOthers: false)
        return rewrapped.count
    }

    /// `user`'s data key out of its wrapping, or a refusal naming the user.
    private func unwrap(_ wrapped: Data, user: UUID) throws -> SymmetricKey {
        guard let key = master.unwrap(wrapped, user: user) else {
            throw KeyStoreRefusal("the data key of user \(user.lowercasedString) does not unwrap under the master key")
        }
        return key
    }
}
