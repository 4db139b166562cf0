import Domain
import Foundation
import Testing

/// One song's commands a minute apart from 10:00, with a rejected one among them, and the
/// snapshot after each applied command, recorded as the fold went.
struct SongLife {
    let commands: [Command]
    /// Version → state after it, as `Fold.apply` produced it step by step.
    let snapshots: [Int: EntitySnapshot]

    init() {
        let entity = id(7)
        let actions: [(Action, Int?)] = [
            (.createMusic(Song(artist: "Can", songTitle: "Vitamin C")), nil),
            (.updateMusic(Song(artist: "Can", songTitle: "Mother Sky")), 1),
            (.updateMusic(Song(artist: "Can", songTitle: "stale")), 1),  // rejected: version-mismatch
            (.updateMusic(Song(artist: "Can", songTitle: "Halleluhwah")), nil),
            (.deleteMusic, nil),
            (.updateMusic(Song(artist: "Can", songTitle: "after delete")), nil),  // rejected: deleted
        ]
        commands = actions.enumerated().map { n, step in
            Command(entityID: entity, timestamp: utc(2026, 11, 29, 10, n), expectedVersion: step.1, action: step.0)
        }
        var current: EntitySnapshot?
        var snapshots: [Int: EntitySnapshot] = [:]
        for command in commands {
            if case .applied(let next) = Fold.apply(command, to: current) {
                current = next
                snapshots[next.version] = next
            }
        }
        self.snapshots = snapshots
    }
}

@Suite("Past states: an entity folded up to a time or a version")
struct PastStateTests {
    let life = SongLife()

    @Test("each version is the snapshot the fold produced when it applied that version's command")
    func versions() throws {
        #expect(life.snapshots.count == 4)
        for version in 1...3 {
            #expect(PastState(folding: life.commands, at: .version(version)) == .existing(try #require(life.snapshots[version])))
        }
        #expect(PastState(folding: life.commands, at: .version(4)) == .deleted(version: 4, at: utc(2026, 11, 29, 10, 4)))
        #expect(PastState(folding: life.commands, at: .version(9)) == .deleted(version: 4, at: utc(2026, 11, 29, 10, 4)))
        #expect(PastState(folding: life.commands.prefix(3), at: .version(3)) == .notYet(latest: 2))
    }

    @Test("a time sees every command stamped at or before it, the rejected ones changing nothing")
    func times() throws {
        #expect(PastState(folding: life.commands, at: .time(utc(2026, 11, 29, 9, 59))) == .notYet(latest: 0))
        #expect(PastState(folding: life.commands, at: .time(utc(2026, 11, 29, 10, 0))) == .existing(try #require(life.snapshots[1])))
        #expect(PastState(folding: life.commands, at: .time(utc(2026, 11, 29, 10, 1, 30))) == .existing(try #require(life.snapshots[2])))
        // 10:02 is the rejected stale update: still version 2.
        #expect(PastState(folding: life.commands, at: .time(utc(2026, 11, 29, 10, 2, 59))) == .existing(try #require(life.snapshots[2])))
        #expect(PastState(folding: life.commands, at: .time(utc(2026, 11, 29, 10, 3))) == .existing(try #require(life.snapshots[3])))
        #expect(
            PastState(folding: life.commands, at: .time(utc(2026, 11, 29, 10, 4))) == .deleted(version: 4, at: utc(2026, 11, 29, 10, 4)))
        #expect(PastState(folding: life.commands, at: .time(utc(2030, 1, 1))) == .deleted(version: 4, at: utc(2026, 11, 29, 10, 4)))
    }

    @Test("the whole history at its end is what Fold.replay rebuilds")
    func end() {
        let lastTime = Moment.time(utc(2026, 11, 29, 10, 3, 30))
        #expect(PastState(folding: life.commands.prefix(4), at: lastTime) == .existing(Fold.replay(life.commands.prefix(4))!))
    }

    @Test("why an entity had no state says which case it was")
    func absence() {
        let name = "music 7"
        #expect(
            PastState.notYet(latest: 0).absence(of: name, at: .time(utc(2026, 11, 29, 9))).contains(
                "did not exist yet at 2026-11-29T09:00:00Z"))
        #expect(PastState.notYet(latest: 2).absence(of: name, at: .version(3)) == "music 7 has no version 3 yet: its latest is 2")
        #expect(PastState.notYet(latest: 0).absence(of: name, at: .version(1)) == "music 7 was never created, so it has no version 1")
        #expect(
            PastState.deleted(version: 4, at: utc(2026, 11, 29, 10, 4)).absence(of: name, at: .version(5))
                == "music 7 had been deleted by then: at 2026-11-29T10:04:00Z, version 4")
    }

    @Test(
        "times parse with or without fractional seconds, and nothing else does",
        arguments: [
            ("2026-11-29T09:30:00Z", true), ("2026-11-29T09:30:00.250Z", true), ("2026-11-29T10:30:00+01:00", true),
            ("2026-11-29", false), ("yesterday", false), ("", false),
        ])
    func parse(_ text: String, valid: Bool) {
        #expect((Moment.parseTime(text) != nil) == valid, "\(text)")
    }
}
