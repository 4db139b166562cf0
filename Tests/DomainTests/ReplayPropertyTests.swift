import Domain
import Foundation
import Testing

/// Random command sequences over a few entities of every kind, from a seed.
private struct Scenario {
    static let entities: [(kind: EntityKind, id: UUID)] = EntityKind.allCases.flatMap { kind in
        (0..<3).map { n in (kind, id(10 * (EntityKind.allCases.firstIndex(of: kind)! + 1) + n)) }
    }
    /// A small pool so that duplicate adds and removals of absent songs happen often.
    static let songs = (0..<5).map { id(900 + $0) }

    static func commands(seed: UInt64, count: Int) -> [Command] {
        var random = SplitMix64(seed: seed)
        let start = utc(2026, 1, 1).timeIntervalSince1970
        return (0..<count).map { n in
            let entity = random.pick(entities)
            return Command(
                id: random.uuid(), entityID: entity.id,
                timestamp: Date(timeIntervalSince1970: start + Double(n)),
                actor: random.chance(50) ? "actor-\(random.below(3))" : nil,
                expectedVersion: random.chance(20) ? random.below(5) : nil,
                action: action(for: entity.kind, &random)
            )
        }
    }

    private static func text(_ random: inout SplitMix64) -> String { "t\(random.below(4))" }

    private static func action(for kind: EntityKind, _ random: inout SplitMix64) -> Action {
        switch (kind, random.below(10)) {
        case (.user, 0..<3): .createUser(User(fname: text(&random), lname: text(&random), email: "a@b.c"))
        case (.user, 3..<8): .updateUser(User(fname: text(&random), lname: text(&random), email: "a@b.c"))
        case (.user, _): .deleteUser
        case (.music, 0..<3): .createMusic(Song(artist: text(&random), songTitle: text(&random)))
        case (.music, 3..<8): .updateMusic(Song(artist: text(&random), songTitle: text(&random)))
        case (.music, _): .deleteMusic
        case (.playlist, 0..<2):
            .createPlaylist(Playlist(name: text(&random), songs: (0..<random.below(3)).map { _ in random.pick(songs) }))
        case (.playlist, 2..<3): .renamePlaylist(name: text(&random))
        case (.playlist, 3..<6): .addSong(random.pick(songs))
        case (.playlist, 6..<9): .removeSong(random.pick(songs))
        case (.playlist, _): .deletePlaylist
        }
    }
}

/// Folds interleaved commands into per-entity snapshots, as a projector does.
private func foldAll(_ commands: [Command]) -> (snapshots: [UUID: EntitySnapshot], outcomes: [FoldOutcome]) {
    var snapshots: [UUID: EntitySnapshot] = [:]
    var outcomes: [FoldOutcome] = []
    for command in commands {
        let outcome = Fold.apply(command, to: snapshots[command.entityID])
        if case .applied(let next) = outcome { snapshots[command.entityID] = next }
        outcomes.append(outcome)
    }
    return (snapshots, outcomes)
}

@Suite("Fold replay properties")
struct ReplayPropertyTests {
    static let seeds: [UInt64] = (1...40).map { 0xE4C0_0000 + $0 }

    @Test("SplitMix64 is deterministic and matches the reference output")
    func generator() {
        // First outputs for seed 1234567 of the reference algorithm (Vigna's splitmix64.c).
        var random = SplitMix64(seed: 1_234_567)
        #expect(
            [random.next(), random.next(), random.next()] == [
                6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
            ])
        #expect(Scenario.commands(seed: 7, count: 50) == Scenario.commands(seed: 7, count: 50))
        #expect(Scenario.commands(seed: 7, count: 50) != Scenario.commands(seed: 8, count: 50))
    }

    @Test("folding the same records twice gives identical snapshots and outcomes", arguments: seeds)
    func deterministic(seed: UInt64) {
        let commands = Scenario.commands(seed: seed, count: 300)
        let first = foldAll(commands)
        let second = foldAll(Scenario.commands(seed: seed, count: 300))
        #expect(first.snapshots == second.snapshots)
        #expect(first.outcomes == second.outcomes)
    }

    @Test("an entity's fold depends only on its own records", arguments: seeds)
    func entityIndependence(seed: UInt64) {
        let commands = Scenario.commands(seed: seed, count: 300)
        let interleaved = foldAll(commands).snapshots
        for entity in Scenario.entities {
            let own = commands.filter { $0.entityID == entity.id }
            #expect(Fold.replay(own) == interleaved[entity.id], "entity \(entity.id) seed \(seed)")
        }
    }

    @Test("any other interleaving that keeps each entity's order folds to the same snapshots", arguments: seeds)
    func reinterleaving(seed: UInt64) {
        let commands = Scenario.commands(seed: seed, count: 300)
        var queues = Dictionary(grouping: commands, by: \.entityID).mapValues { ArraySlice($0) }
        var random = SplitMix64(seed: ~seed)
        var merged: [Command] = []
        while !queues.isEmpty {
            let entity = random.pick(queues.keys.sorted { $0.uuidString < $1.uuidString })
            merged.append(queues[entity]!.removeFirst())
            if queues[entity]!.isEmpty { queues[entity] = nil }
        }
        #expect(merged.count == commands.count)
        #expect(merged != commands)
        #expect(foldAll(merged).snapshots == foldAll(commands).snapshots)
    }

    @Test("the random scenarios exercise every outcome")
    func coverage() {
        var rejections: Set<Rejection> = []
        var applied: Set<RecordType> = []
        var deleted = 0, live = 0
        for seed in Self.seeds {
            let commands = Scenario.commands(seed: seed, count: 300)
            let result = foldAll(commands)
            for (command, outcome) in zip(commands, result.outcomes) {
                switch outcome {
                case .applied: applied.insert(command.action.recordType)
                case .rejected(let rejection): rejections.insert(rejection)
                }
            }
            for snapshot in result.snapshots.values {
                if snapshot.isDeleted { deleted += 1 } else { live += 1 }
            }
        }
        #expect(rejections == [.alreadyExists, .deleted, .notFound, .versionMismatch, .duplicateSong, .songNotInPlaylist])
        #expect(applied == Set(RecordType.allCases))
        #expect(deleted > 0)
        #expect(live > 0)
    }
}
