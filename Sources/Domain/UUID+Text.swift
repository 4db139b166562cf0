import Foundation

/// Fast UUID text conversions. Foundation's `uuidString` formats with `snprintf` and
/// `UUID(uuidString:)` parses with `sscanf`; a replay converts several ids per record, and
/// those two calls took a quarter of its time.
extension UUID {
    /// Lowercase 8-4-4-4-12 hex: the log's keys and ids, and the stores' text form (lowercase,
    /// so text order equals byte order, as PostgreSQL's `uuid` order).
    public var lowercasedString: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { text in
                var index = 0
                for (position, byte) in bytes.enumerated() {
                    if position == 4 || position == 6 || position == 8 || position == 10 {
                        text[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    text[index] = hexDigits[Int(byte >> 4)]
                    text[index + 1] = hexDigits[Int(byte & 0x0F)]
                    index += 2
                }
                return index
            }
        }
    }

    /// Parses 8-4-4-4-12 hex in either case; nil for anything else.
    public init?(text: some StringProtocol) {
        var utf8 = text.utf8.makeIterator()
        self.init(parsing: &utf8)
    }

    /// The same, from UTF-8 bytes (an envelope's, without making a string first).
    init?(utf8 bytes: UnsafeRawBufferPointer) {
        var iterator = bytes.makeIterator()
        self.init(parsing: &iterator)
    }

    private init?(parsing utf8: inout some IteratorProtocol<UInt8>) {
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &bytes) { output -> Bool in
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    guard utf8.next() == UInt8(ascii: "-") else { return false }
                }
                guard let high = utf8.next().flatMap(hexValue), let low = utf8.next().flatMap(hexValue) else { return false }
                output[index] = high << 4 | low
            }
            return utf8.next() == nil
        }
        guard parsed else { return nil }
        self.init(uuid: bytes)
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

private func hexValue(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension KeyedDecodingContainer {
    /// A UUID field, parsed without Foundation's `sscanf`; the same error as `UUID`'s own
    /// `Decodable` for text that is not a UUID.
    func decodeUUID(forKey key: Key) throws -> UUID {
        let text = try decode(String.self, forKey: key)
        guard let id = UUID(text: text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "Attempted to decode UUID from invalid UUID string.")
        }
        return id
    }
}
