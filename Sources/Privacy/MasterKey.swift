import Crypto
import Foundation

/// The key that wraps every user's data key (AES-256-GCM). It is never stored beside the keys
/// it wraps in production: it comes from a file or an `ENCORE_*` variable.
public struct MasterKey: Sendable {
    let key: SymmetricKey

    /// A new random master key.
    public init() { key = SymmetricKey(size: .bits256) }

    /// The key written as base64 of its 32 bytes (what ``text`` gives).
    public init(text: String, source: String) throws(KeyStoreRefusal) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: trimmed), bytes.count == 32 else {
            throw KeyStoreRefusal(
                "the master key in \(source) is not 32 bytes in base64: make one with `head -c 32 /dev/urandom | base64`")
        }
        key = SymmetricKey(data: bytes)
    }

    /// The master key kept in `path`.
    public init(file path: String) throws(KeyStoreRefusal) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyStoreRefusal("cannot read the master key file \(path): give the file that wrapped this key store's keys")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), source: path)
    }

    /// Base64 of the key's 32 bytes.
    public var text: String { key.withUnsafeBytes { Data($0).base64EncodedString() } }

    func wrap(_ dataKey: SymmetricKey, user: UUID) -> Data {
        let bytes = dataKey.withUnsafeBytes { Data($0) }
        // Sealing with a fresh random nonce cannot fail for a 256-bit key.
        return try! AES.GCM.seal(bytes, using: key, authenticating: Self.binding(user)).combined!
    }

    func unwrap(_ wrapped: Data, user: UUID) -> SymmetricKey? {
        guard let box = try? AES.GCM.SealedBox(combined: wrapped),
            let bytes = try? AES.GCM.open(box, using: key, authenticating: Self.binding(user)), bytes.count == 32
        else { return nil }
        return SymmetricKey(data: bytes)
    }

    /// A value only this master key opens: a store records it, so a wrong key is caught at start.
    func check() -> Data { try! AES.GCM.seal(Self.checkText, using: key).combined! }

    func opens(check: Data) -> Bool {
        guard let box = try? AES.GCM.SealedBox(combined: check), let text = try? AES.GCM.open(box, using: key) else { return false }
        return text == Self.checkText
    }

    private static let checkText = Data("encore master key check".utf8)
    private static func binding(_ user: UUID) -> Data { Data("encore/data-key/\(user.lowercasedString)".utf8) }
}

/// Why the key store cannot be used: a sentence naming the problem and its fix. Nothing has
/// been written when it is thrown.
public struct KeyStoreRefusal: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
