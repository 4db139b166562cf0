import Foundation

/// Seals and opens a user's personal fields (fname, lname, email) under that user's own data
/// key. Records carry only the sealed bytes, so destroying the key erases the person from every
/// copy of the log at once (crypto-shredding). The keys live outside the log, in a key store.
public protocol PersonalDataCipher: Sendable {
    /// `plaintext` sealed for `user`, bound to the record `command` so it cannot be moved to another.
    func seal(_ plaintext: Data, user: UUID, command: UUID) throws(PersonalDataError) -> Data
    /// The plaintext of `sealed`, or nil once `user`'s key has been erased.
    func open(_ sealed: Data, user: UUID, command: UUID) throws(PersonalDataError) -> Data?
}

/// Where the data keys of the users whose records are about to be read come from: `DataKeys`
/// (module Privacy), looked up afresh for each piece of work.
public protocol PersonalDataKeys: Sendable {
    /// A cipher holding the keys of `users` as they are now (none for an erased user).
    func cipher(reading users: [UUID]) async throws -> any PersonalDataCipher
}

extension PersonalDataKeys {
    /// What opens one entity's records: its user's key for a user, nothing for other kinds.
    public func cipher(for kind: EntityKind, entity: UUID) async throws -> any PersonalDataCipher {
        kind == .user ? try await cipher(reading: [entity]) : NoPersonalData()
    }
}

/// Why personal data could not be sealed or opened.
public enum PersonalDataError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No key was looked up for this user before sealing or opening (a caller's mistake).
    case keyNotLoaded(UUID)
    /// The sealed bytes do not open under the user's key: altered, or sealed for another record.
    case unreadable(UUID)

    public var description: String {
        switch self {
        case .keyNotLoaded(let user): "no data key was loaded for user \(user.lowercasedString)"
        case .unreadable(let user): "the personal data of user \(user.lowercasedString) does not open under its key"
        }
    }
}

/// For topics without personal data: asked to seal or open, it refuses.
public struct NoPersonalData: PersonalDataCipher, PersonalDataKeys {
    public init() {}
    public func cipher(reading users: [UUID]) async throws -> any PersonalDataCipher { self }
    public func seal(_ plaintext: Data, user: UUID, command: UUID) throws(PersonalDataError) -> Data { throw .keyNotLoaded(user) }
    public func open(_ sealed: Data, user: UUID, command: UUID) throws(PersonalDataError) -> Data? { throw .keyNotLoaded(user) }
}

extension User {
    /// A user whose data key was erased: the fields are gone. Validation never lets a
    /// command carry empty fields, so no live user equals this.
    public static let erased = User(fname: "", lname: "", email: "")

    public var isErased: Bool { self == .erased }
}

extension Action {
    /// Whether this is a user's create or update whose fields are gone with the user's key:
    /// nothing is left to validate.
    var hasErasedFields: Bool {
        switch self {
        case .createUser(let user), .updateUser(let user): user.isErased
        default: false
        }
    }
}
