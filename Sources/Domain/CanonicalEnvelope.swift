import Foundation

/// A one-pass reader for envelopes as `CommandCodec.encode` writes them, which is nearly every
/// record a replay reads. Foundation's `JSONDecoder` and ISO 8601 parser were 28% of a replay's
/// CPU; this reads the same bytes without building a JSON tree.
///
/// It answers only when it is sure to agree with the full decoder: anything outside the plain
/// form — an escape in a string, a fraction or exponent, an unknown or repeated field, a
/// timestamp in another form, a record the full decoder would refuse — gives nil, and the caller
/// decodes with `JSONDecoder`, which then says what is wrong in its own words. Sealed user
/// records are opened with `cipher`; one it cannot open goes to the full decoder too.
enum CanonicalEnvelope {
    static func decode(_ data: Data, opening cipher: some PersonalDataCipher = NoPersonalData()) -> Command? {
        data.withUnsafeBytes { bytes in
            var reader = Reader(bytes: bytes)
            guard let command = reader.envelope(opening: cipher), reader.atEnd() else { return nil }
            return command
        }
    }

    /// A JSON value this reader keeps: the bytes of a string without escapes, a plain integer,
    /// null, or the byte range of an object (the payload, read once the type is known).
    private enum Value {
        case string(UnsafeRawBufferPointer)
        case integer(Int)
        case null
        case object(Range<Int>)
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

        mutating func envelope(opening cipher: some PersonalDataCipher) -> Command? {
            var type: RecordType?, schemaVersion: Int?, commandID: UUID?, entityID: UUID?
            var timestamp: Date?, actor: String?, expectedVersion: Int?, payload: Range<Int>?
            var actorSeen = false, expectedVersionSeen = false
            // Each field once: a repeated one, like an unknown one, goes to the full decoder.
            let complete = object { reader, key in
                guard let value = reader.value() else { return false }
                switch (key, value) {
                case ("type", .string(let text)) where type == nil: type = Self.text(text).flatMap(RecordType.init(rawValue:))
                case ("schemaVersion", .integer(let number)) where schemaVersion == nil: schemaVersion = number
                case ("commandId", .string(let text)) where commandID == nil: commandID = UUID(utf8: text)
                case ("entityId", .string(let text)) where entityID == nil: entityID = UUID(utf8: text)
                case ("timestamp", .string(let text)) where timestamp == nil: timestamp = Self.timestamp(text)
                case ("payload", .object(let range)) where payload == nil: payload = range
                case ("actor", .string(let text)) where !actorSeen:
                    guard let text = Self.text(text) else { return false }
                    actor = text
                case ("actor", .null) where !actorSeen: break
                case ("expectedVersion", .integer(let number)) where !expectedVersionSeen: expectedVersion = number
                case ("expectedVersion", .null) where !expectedVersionSeen: break
                default: return false
                }
                switch key {
                case "actor": actorSeen = true
                case "expectedVersion": expectedVersionSeen = true
                default: break
                }
                return true
            }
            // Version 1 of every type (a user record's plaintext version 1 reads as its upcast),
            // and the sealed version 2 of the user records.
            guard complete, let type, let schemaVersion, schemaVersion == 1 || schemaVersion == type.currentVersion,
                let commandID, let entityID, let timestamp, let payload
            else { return nil }
            var inner = Reader(bytes: UnsafeRawBufferPointer(rebasing: bytes[payload]))
            let read = schemaVersion == 1 ? inner.action(type) : inner.sealedUser(type, user: entityID, command: commandID, cipher: cipher)
            guard let action = read, inner.atEnd(), action.hasErasedFields || (try? Validation.validate(action)) != nil else {
                return nil
            }
            return Command(
                id: commandID, entityID: entityID, timestamp: timestamp, actor: actor, expectedVersion: expectedVersion, action: action)
        }

        private static let userFields = ["email", "fname", "lname"], songFields = ["Artist", "SongTitle"]
        private static let nameField = ["Name"], musicField = ["music_id"], sealedField = ["sealed"]

        /// The payload of `type`, with exactly the fields its encoder writes.
        mutating func action(_ type: RecordType) -> Action? {
            switch type {
            case .userCreate, .userUpdate:
                guard let fields = strings(Self.userFields) else { return nil }
                let user = User(fname: fields[1], lname: fields[2], email: fields[0])
                return type == .userCreate ? .createUser(user) : .updateUser(user)
            case .musicCreate, .musicUpdate:
                guard let fields = strings(Self.songFields) else { return nil }
                let song = Song(artist: fields[0], songTitle: fields[1])
                return type == .musicCreate ? .createMusic(song) : .updateMusic(song)
            case .playlistRename:
                return strings(Self.nameField).map { .renamePlaylist(name: $0[0]) }
            case .playlistAddSong, .playlistRemoveSong:
                guard let id = strings(Self.musicField).flatMap({ UUID(text: $0[0]) }) else { return nil }
                return type == .playlistAddSong ? .addSong(id) : .removeSong(id)
            case .userDelete, .musicDelete, .playlistDelete:
                guard object({ _, _ in false }) else { return nil }
                return type == .userDelete ? .deleteUser : type == .musicDelete ? .deleteMusic : .deletePlaylist
            case .playlistCreate:
                var name: String?, songs: [UUID]?
                let complete = object { reader, key in
                    switch key {
                    case "Name" where name == nil:
                        name = reader.string()
                        return name != nil
                    case "Songs" where songs == nil:
                        songs = reader.uuids()
                        return songs != nil
                    default: return false
                    }
                }
                guard complete, let name, let songs else { return nil }
                return .createPlaylist(Playlist(name: name, songs: songs))
            }
        }

        /// `{"sealed":"<base64>"}` of a user record, opened: the user's fields, or ``User/erased``
        /// once the user's key is gone; nil where the full decoder must say what is wrong.
        mutating func sealedUser(_ type: RecordType, user: UUID, command: UUID, cipher: some PersonalDataCipher) -> Action? {
            guard let text = strings(Self.sealedField)?[0], let sealed = Data(base64Encoded: text) else { return nil }
            let opened: Data?
            do {
                opened = try cipher.open(sealed, user: user, command: command)
            } catch {
                return nil
            }
            var fields: User = .erased
            if let opened {
                let read: [String]? = opened.withUnsafeBytes { plaintext in
                    var reader = Reader(bytes: plaintext)
                    guard let fields = reader.strings(Self.userFields), reader.atEnd() else { return nil }
                    return fields
                }
                guard let read else { return nil }
                fields = User(fname: read[1], lname: read[2], email: read[0])
            }
            return type == .userCreate ? .createUser(fields) : .updateUser(fields)
        }

        /// An object of string fields named `names`, each once, in the order of `names`.
        mutating func strings(_ names: [String]) -> [String]? {
            var fields = [String?](repeating: nil, count: names.count)
            let complete = object { reader, key in
                guard let slot = names.firstIndex(of: key), fields[slot] == nil else { return false }
                fields[slot] = reader.string()
                return fields[slot] != nil
            }
            guard complete, !fields.contains(where: { $0 == nil }) else { return nil }
            return fields.map { $0! }
        }

        /// `{ "key": value, … }`, calling `member` after each key to read its value; false for
        /// anything that is not such an object, or when `member` says no.
        mutating func object(_ member: (inout Reader, String) -> Bool) -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            if take(UInt8(ascii: "}")) { return true }
            repeat {
                skipSpace()
                guard let key = string(), take(UInt8(ascii: ":")), member(&self, key) else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        }

        mutating func value() -> Value? {
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case Self.quote: return stringBytes().map(Value.string)
            case UInt8(ascii: "{"):
                let start = index
                guard skipObject() else { return nil }
                return .object(start..<index)
            case UInt8(ascii: "n"):
                guard literal("null") else { return nil }
                return .null
            default: return integer().map(Value.integer)
            }
        }

        /// A string without escapes, as valid UTF-8.
        mutating func string() -> String? { stringBytes().flatMap(Self.text) }

        /// The bytes between the quotes of a string without escapes or control characters.
        mutating func stringBytes() -> UnsafeRawBufferPointer? {
            skipSpace()
            guard index < bytes.count, bytes[index] == Self.quote else { return nil }
            let start = index + 1
            var end = start
            while end < bytes.count, bytes[end] != Self.quote {
                // Escapes and raw control characters are left to the full decoder.
                guard bytes[end] != Self.backslash, bytes[end] >= 0x20 else { return nil }
                end += 1
            }
            guard end < bytes.count else { return nil }
            index = end + 1
            return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        }

        /// The text of valid UTF-8 bytes (ASCII, the usual case, without the general check).
        static func text(_ utf8: UnsafeRawBufferPointer) -> String? {
            let units = utf8.assumingMemoryBound(to: UInt8.self)
            if units.allSatisfy({ $0 < 0x80 }) { return String(decoding: units, as: UTF8.self) }
            return String(validating: units, as: UTF8.self)
        }

        /// `-?(0|[1-9][0-9]*)` within `Int`; "-0" is left to the full decoder.
        mutating func integer() -> Int? {
            let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
            var cursor = negative ? index + 1 : index
            let start = cursor
            var magnitude = 0
            while cursor < bytes.count, case let digit = bytes[cursor], digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") {
                let (times, overflowTimes) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = times.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
                guard !overflowTimes, !overflowSum else { return nil }
                magnitude = sum
                cursor += 1
            }
            let digits = cursor - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0"), !(negative && magnitude == 0) else { return nil }
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ".") || bytes[cursor] | 0x20 == UInt8(ascii: "e") { return nil }
            index = cursor
            return negative ? -magnitude : magnitude
        }

        /// `[ "uuid", … ]`.
        mutating func uuids() -> [UUID]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var ids: [UUID] = []
            if take(UInt8(ascii: "]")) { return ids }
            repeat {
                guard let id = stringBytes().flatMap(UUID.init(utf8:)) else { return nil }
                ids.append(id)
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? ids : nil
        }

        /// Passes over an object of strings and arrays of UUIDs (every payload is one).
        mutating func skipObject() -> Bool {
            object { reader, _ in
                reader.skipSpace()
                if reader.index < reader.bytes.count, reader.bytes[reader.index] == UInt8(ascii: "[") { return reader.uuids() != nil }
                return reader.stringBytes() != nil
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        /// Skips white space, then takes `byte` if it is next.
        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func atEnd() -> Bool {
            skipSpace()
            return index == bytes.count
        }

        /// `YYYY-MM-DDTHH:MM:SS.mmmZ` from 1970 to 9999, as `CommandCodec` writes it; nil for
        /// any other form or an impossible date.
        static func timestamp(_ utf8: UnsafeRawBufferPointer) -> Date? {
            guard utf8.count == 24 else { return nil }
            func digits(_ range: Range<Int>) -> Int? {
                var value = 0
                for position in range {
                    let byte = utf8[position]
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                    value = value * 10 + Int(byte - UInt8(ascii: "0"))
                }
                return value
            }
            for (position, separator) in Self.timestampSeparators where utf8[position] != separator { return nil }
            guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10),
                let hour = digits(11..<13), let minute = digits(14..<16), let second = digits(17..<19),
                let millisecond = digits(20..<23),
                year >= 1970, (1...12).contains(month), hour < 24, minute < 60, second < 60,
                (1...daysIn(month: month, year: year)).contains(day)
            else { return nil }
            let days = daysSinceEpoch(year: year, month: month, day: day)
            let milliseconds = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millisecond
            return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        }

        private static let timestampSeparators: [(Int, UInt8)] = [
            (4, UInt8(ascii: "-")), (7, UInt8(ascii: "-")), (10, UInt8(ascii: "T")), (13, UInt8(ascii: ":")),
            (16, UInt8(ascii: ":")), (19, UInt8(ascii: ".")), (23, UInt8(ascii: "Z")),
        ]

        static func daysIn(month: Int, year: Int) -> Int {
            switch month {
            case 2: year.isMultiple(of: 4) && (!year.isMultiple(of: 100) || year.isMultiple(of: 400)) ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }

        /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
        static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
            let shiftedYear = month <= 2 ? year - 1 : year
            let era = shiftedYear / 400
            let yearOfEra = shiftedYear - era * 400
            let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return era * 146_097 + dayOfEra - 719_468
        }
    }
}
