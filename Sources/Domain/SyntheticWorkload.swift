import Foundation

/// A deterministic stream of catalog commands for load tests, replays and benchmarks: mostly
/// creates, with updates, renames, playlist edits and deletes of entities created earlier in
/// the stream (some of which the fold rejects, as real traffic would have).
///
/// The same seed always yields the same commands, ids included.
public struct SyntheticWorkload: Sequence, Sendable {
    public let count: Int
    public let seed: UInt64
    public let timestamp: Date

    public init(count: Int, seed: UInt64 = 42, timestamp: Date = Date()) {
        self.count = count
        self.seed = seed
        self.timestamp = timestamp
    }

    public func makeIterator() -> Iterator { Iterator(count: count, seed: seed, timestamp: timestamp) }

    public struct Iterator: IteratorProtocol {
        private var remaining: Int
        private var random: SplitMix64
        private let timestamp: Date
        private var users: [UUID] = []
        private var songs: [UUID] = []
        private var playlists: [UUID] = []

        init(count: Int, seed: UInt64, timestamp: Date) {
            remaining = count
            random = SplitMix64(seed: seed)
            self.timestamp = timestamp
        }

        public mutating func next() -> Command? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let id = uuid()
            // Edits need something to edit: the first commands create one entity of each kind.
            let roll = songs.isEmpty ? 0 : users.isEmpty ? 30 : playlists.isEmpty ? 50 : random.next() % 100
            let action: Action
            let entity: UUID
            switch roll {
            case 0..<30:
                entity = uuid()
                songs.append(entity)
                action = .createMusic(Song(artist: "Artist \(random.next() % 5000)", songTitle: "Song \(entity.uuidString.prefix(8))"))
            case 30..<50:
                entity = uuid()
                users.append(entity)
                let n = random.next() % 100_000
                action = .createUser(User(fname: "First\(n)", lname: "Last\(n)", email: "user\(n)@example.com"))
            case 50..<58:
                entity = uuid()
                playlists.append(entity)
                action = .createPlaylist(Playlist(name: "Mix \(random.next() % 10_000)", songs: [pick(songs)]))
            case 58..<80:
                entity = pick(playlists)
                action = .addSong(pick(songs))
            case 80..<85:
                entity = pick(playlists)
                action = .removeSong(pick(songs))
            case 85..<89:
                entity = pick(playlists)
                action = .renamePlaylist(name: "Renamed \(random.next() % 10_000)")
            case 89..<93:
                entity = pick(songs)
                action = .updateMusic(Song(artist: "Artist \(random.next() % 5000)", songTitle: "Remix \(random.next() % 10_000)"))
            case 93..<96:
                entity = pick(users)
                let n = random.next() % 100_000
                action = .updateUser(User(fname: "First\(n)", lname: "Last\(n)", email: "user\(n)@example.com"))
            case 96..<98:
                entity = pick(songs)
                action = .deleteMusic
            case 98:
                entity = pick(users)
                action = .deleteUser
            default:
                entity = pick(playlists)
                action = .deletePlaylist
            }
            return Command(id: id, entityID: entity, timestamp: timestamp, actor: "synthetic", action: action)
        }

        private mutating func pick(_ ids: [UUID]) -> UUID { ids[Int(random.next() % UInt64(ids.count))] }

        private mutating func uuid() -> UUID {
            let high = random.next()
            let low = random.next()
            var bytes = (
                UInt8(truncatingIfNeeded: high >> 56), UInt8(truncatingIfNeeded: high >> 48), UInt8(truncatingIfNeeded: high >> 40),
                UInt8(truncatingIfNeeded: high >> 32), UInt8(truncatingIfNeeded: high >> 24), UInt8(truncatingIfNeeded: high >> 16),
                UInt8(truncatingIfNeeded: high >> 8), UInt8(truncatingIfNeeded: high), UInt8(truncatingIfNeeded: low >> 56),
                UInt8(truncatingIfNeeded: low >> 48), UInt8(truncatingIfNeeded: low >> 40), UInt8(truncatingIfNeeded: low >> 32),
                UInt8(truncatingIfNeeded: low >> 24), UInt8(truncatingIfNeeded: low >> 16), UInt8(truncatingIfNeeded: low >> 8),
                UInt8(truncatingIfNeeded: low)
            )
            bytes.6 = (bytes.6 & 0x0F) | 0x40  // version 4
            bytes.8 = (bytes.8 & 0x3F) | 0x80  // RFC 4122 variant
            return UUID(uuid: bytes)
        }
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64): a seed fixes every
/// "random" sequence on every platform and toolchain.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
