import Domain
import Foundation

extension SplitMix64 {
    /// A number in `0..<bound` (the modulo bias is irrelevant for test data).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// true with probability `percent`%.
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }

    mutating func uuid() -> UUID {
        let a = next(), b = next()
        func byte(_ word: UInt64, _ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: word >> (8 * index)) }
        return UUID(
            uuid: (
                byte(a, 0), byte(a, 1), byte(a, 2), byte(a, 3), byte(a, 4), byte(a, 5),
                byte(a, 6) & 0x0F | 0x40, byte(a, 7),  // version 4
                byte(b, 0) & 0x3F | 0x80, byte(b, 1),  // RFC 4122 variant
                byte(b, 2), byte(b, 3), byte(b, 4), byte(b, 5), byte(b, 6), byte(b, 7)
            ))
    }
}

/// A readable fixed id: `id(7)` is `00000000-0000-4000-8000-000000000007`.
func id(_ n: Int) -> UUID {
    let hex = String(n, radix: 16)
    return UUID(uuidString: "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex)!
}

/// A date with whole milliseconds (the envelope's timestamp precision), from a UTC calendar date.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0, ms: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let whole = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
    return Date(timeIntervalSince1970: (whole.timeIntervalSince1970 * 1000 + Double(ms)) / 1000)
}

enum Sample {
    static let user = User(fname: "Ada", lname: "Lovelace", email: "ada@example.org")
    static let otherUser = User(fname: "Grace", lname: "Hopper", email: "grace@navy.example.mil")
    static let song = Song(artist: "Nina Simone", songTitle: "Feeling Good")
    static let otherSong = Song(artist: "Björk", songTitle: "Jóga")
    static let playlist = Playlist(name: "Evening", songs: [id(101), id(102)])

    /// One action of every kind, in `RecordType.allCases` order.
    static let actions: [Action] = [
        .createUser(user), .updateUser(otherUser), .deleteUser,
        .createMusic(song), .updateMusic(otherSong), .deleteMusic,
        .createPlaylist(playlist), .renamePlaylist(name: "Late night"),
        .addSong(id(103)), .removeSong(id(101)), .deletePlaylist,
    ]

    static func command(
        _ action: Action, entity: UUID = id(1), expectedVersion: Int? = nil, actor: String? = nil, n: Int = 0
    ) -> Command {
        Command(
            id: id(1000 + n), entityID: entity, timestamp: utc(2026, 11, 29, 7, 0, 0, ms: 123 + n),
            actor: actor, expectedVersion: expectedVersion, action: action
        )
    }
}
