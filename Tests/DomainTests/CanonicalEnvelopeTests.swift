import Foundation
import Testing

@testable import Domain

/// The one-pass reader of canonical envelopes agrees with the full decoder wherever it answers,
/// and answers for what `CommandCodec.encode` writes.
@Suite("Canonical envelope reader")
struct CanonicalEnvelopeTests {
    /// The full decoder's command, or nil where it refuses the record.
    static func full(_ data: Data) -> Command? { try? CommandCodec.decodeInFull(data, opening: NoPersonalData()) }

    @Test("every encoded command is read in one pass, equal to the full decoder's reading")
    func encodedCommands() throws {
        var commands = Array(SyntheticWorkload(count: 5_000, seed: 7, timestamp: utc(2026, 2, 28, 23, 59, 59, ms: 999)))
        for action in Sample.actions {
            commands.append(Sample.command(action, expectedVersion: 41, actor: "ünïcödé / slash", n: 999))
            commands.append(Command(id: UUID(), entityID: UUID(), timestamp: utc(2024, 2, 29, 12, 0, 0, ms: 1), action: action))
            commands.append(Command(id: UUID(), entityID: UUID(), timestamp: utc(1970, 1, 1), expectedVersion: 0, action: action))
        }
        for command in commands {
            let data = CommandCodec.encodeVersion1(command)
            let fast = try #require(CanonicalEnvelope.decode(data), "\(String(decoding: data, as: UTF8.self))")
            #expect(fast == Self.full(data))
        }
    }

    @Test("sealed user records are read in one pass, opened or erased, equal to the full decoder's reading; damaged ones agree too")
    func sealedUserRecords() throws {
        let commands = SyntheticWorkload(count: 3_000, seed: 5, timestamp: utc(2026, 12, 8)).filter {
            $0.action.recordType.currentVersion == 2
        }
        #expect(commands.count > 100)
        let erasedUsers = Set(commands.map(\.entityID).filter { $0.uuid.0.isMultiple(of: 3) })
        let cipher = ReversingCipher(erased: erasedUsers)
        var random = SplitMix64(seed: 8)
        var erased = 0
        for command in commands {
            let data = try CommandCodec.encode(command, sealing: ReversingCipher())
            let fast = try #require(CanonicalEnvelope.decode(data, opening: cipher), "\(String(decoding: data, as: UTF8.self))")
            #expect(fast == (try? CommandCodec.decodeInFull(data, opening: cipher)))
            if fast.action.hasErasedFields { erased += 1 }
            var bytes = Array(data)
            bytes[random.below(bytes.count)] = random.pick(Array("{}\":,0aZ=+/".utf8))
            if let damaged = CanonicalEnvelope.decode(Data(bytes), opening: cipher) {
                #expect(damaged == (try? CommandCodec.decodeInFull(Data(bytes), opening: cipher)))
            }
        }
        #expect(erased > 0 && erased < commands.count)
        // A record its cipher cannot open is the full decoder's to refuse, with its reason.
        let unreadable = Data(
            String(decoding: try CommandCodec.encode(commands[0], sealing: ReversingCipher()), as: UTF8.self)
                .replacingOccurrences(of: "\"sealed\":\"", with: "\"sealed\":\"QUJD").utf8)
        #expect(CanonicalEnvelope.decode(unreadable, opening: ReversingCipher()) == nil)
    }

    @Test("forms outside the plain one are left to the full decoder, or read the same")
    func otherForms() throws {
        let command = Sample.command(.createPlaylist(Playlist(name: "Mix", songs: [id(1), id(2)])), expectedVersion: 3, actor: "ada")
        let canonical = String(decoding: CommandCodec.encodeVersion1(command), as: UTF8.self)
        let variants: [(String, expectedFast: Bool)] = [
            (" \n{ " + canonical.dropFirst().replacingOccurrences(of: ",", with: " ,\t") + " \r\n", true),
            (canonical.replacingOccurrences(of: "\"actor\":\"ada\"", with: "\"actor\":null"), true),
            (canonical.replacingOccurrences(of: "\"Mix\"", with: "\"M\\u0069x\""), false),
            (canonical.replacingOccurrences(of: "\"expectedVersion\":3", with: "\"expectedVersion\":3.0"), false),
            (canonical.replacingOccurrences(of: "\"expectedVersion\":3", with: "\"expectedVersion\":3,\"extra\":1"), false),
            (canonical.replacingOccurrences(of: "\"expectedVersion\":3", with: "\"expectedVersion\":3,\"expectedVersion\":4"), false),
            (canonical.replacingOccurrences(of: "\"schemaVersion\":1", with: "\"schemaVersion\":2"), false),
            (canonical.replacingOccurrences(of: "Z\"", with: "+00:00\""), false),
            (canonical + "x", false),
        ]
        for (text, expectedFast) in variants {
            let data = Data(text.utf8)
            let fast = CanonicalEnvelope.decode(data)
            #expect((fast != nil) == expectedFast, "\(text)")
            if let fast { #expect(fast == Self.full(data), "\(text)") }
        }
    }

    @Test("damaged envelopes: whatever the one-pass reader accepts, the full decoder accepts as the same command")
    func damagedEnvelopes() throws {
        var random = SplitMix64(seed: 2026)
        let originals = SyntheticWorkload(count: 200, seed: 11, timestamp: utc(2026, 12, 7, 1, 2, 3, ms: 45)).map {
            Array(CommandCodec.encodeVersion1($0))
        }
        let replacements = Array("{}[]:,\"\\ 0123456789-.eEnull\u{7f}aZT".utf8) + [0x00, 0x1F, 0xC3, 0xFF]
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = random.pick(originals)
            let position = random.below(bytes.count)
            switch round % 3 {
            case 0: bytes[position] = random.pick(replacements)
            case 1: bytes.remove(at: position)
            default: bytes.insert(random.pick(replacements), at: position)
            }
            let data = Data(bytes)
            guard let fast = CanonicalEnvelope.decode(data) else { continue }
            accepted += 1
            #expect(fast == Self.full(data), "\(String(decoding: data, as: UTF8.self))")
        }
        // Changes inside text fields keep the plain form: the comparison above did happen.
        #expect(accepted > 1_000)
    }

    @Test("timestamps: the calendar arithmetic equals Foundation's ISO 8601 parser, and impossible dates are left to it")
    func timestamps() throws {
        var random = SplitMix64(seed: 99)
        let latest: Int64 = 253_402_300_799_999  // 9999-12-31T23:59:59.999Z
        for _ in 0..<20_000 {
            let milliseconds = Int64(random.next() % UInt64(latest))
            let command = Command(
                id: id(1), entityID: id(2), timestamp: Date(timeIntervalSince1970: Double(milliseconds) / 1000), action: .deleteMusic)
            let data = CommandCodec.encodeVersion1(command)
            #expect(CanonicalEnvelope.decode(data)?.timestamp == Self.full(data)?.timestamp)
        }
        let command = Command(id: id(1), entityID: id(2), timestamp: utc(2026, 12, 7), action: .deleteMusic)
        let text = String(decoding: CommandCodec.encodeVersion1(command), as: UTF8.self)
        for impossible in ["2026-02-29", "2026-13-01", "2026-04-31", "2026-12-00"] {
            #expect(CanonicalEnvelope.decode(Data(text.replacingOccurrences(of: "2026-12-07", with: impossible).utf8)) == nil)
        }
    }
}
