import Foundation

/// Where the users' data keys are kept, each wrapped by the master key: outside the log and
/// outside the read models' namespaces, so no replay ever rebuilds or touches it. The store
/// sees only wrapped bytes; wrapping and unwrapping are the caller's (module `Privacy`).
public protocol KeyStore: Sendable {
    /// Where it is, for messages: a file, or a schema and server.
    var location: String { get }

    /// The wrapped keys of those of `users` that have one.
    func wrappedKeys(of users: [UUID]) async throws -> [UUID: Data]

    /// Keeps each user's wrapped key unless the user has one already, in one transaction;
    /// answers the keys kept, so two writers racing for a new user agree on one key.
    func keep(_ keys: [UUID: Data]) async throws -> [UUID: Data]

    /// Deletes the keys of `users` so that their bytes are gone from the store's files (not
    /// only unlinked from its index) before this returns.
    func destroy(_ users: [UUID]) async throws

    /// Every user and wrapped key, for re-wrapping and backups.
    func allWrappedKeys() async throws -> [(user: UUID, wrapped: Data)]

    /// The value that proves which master key wraps this store's keys; nil for a new store.
    func masterCheck() async throws -> Data?

    /// Sets the master check if none is set (first start); answers the one set.
    func keepMasterCheck(_ check: Data) async throws -> Data

    /// Replaces the master check and every listed key in one transaction (a master-key
    /// rotation, or a restore): all of it happens, or none.
    func replace(masterCheck: Data, keys: [(user: UUID, wrapped: Data)], removingOthers: Bool) async throws

    func close() async
}
