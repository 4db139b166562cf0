import Domain
import Foundation

/// One row of a database's namespace catalog: which namespace holds which read model, and in
/// what state.
///
/// Exactly one namespace is ``State/active`` per projection: the one gateways read and live
/// projectors write. A replay builds another one (``State/building``) and, once it has caught
/// up, activates it; the one it replaces becomes ``State/retired`` and stays until dropped.
public struct NamespaceEntry: Sendable, Hashable {
    /// Where a namespace is in its life for one projection.
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        /// A replay is writing it; nobody reads it yet.
        case building
        /// Served to readers and written by live projectors.
        case active
        /// Still served to readers, but takes no commits for a moment: a replay that keeps
        /// falling behind under heavy writes freezes the live namespace, catches up with its
        /// now fixed checkpoints and activates. The freeze lapses after ``freezeLease``, so a
        /// replay that dies meanwhile cannot stop the live projectors for long.
        case frozen
        /// Replaced by a newer namespace: frozen, kept until dropped.
        case retired
        /// A finished `--as-of` replay: the catalog as it was at a time; frozen.
        case snapshot

        /// Whether projectors may still commit into a namespace in this state.
        public var acceptsCommits: Bool { self == .building || self == .active }

        /// Whether readers are served from a namespace in this state.
        public var serves: Bool { self == .active || self == .frozen }
    }

    /// How long a freeze holds at most.
    public static let freezeLease: TimeInterval = 15

    /// Whether a commit in a namespace in `state` since `changedAt` is refused.
    static func refusesCommits(_ state: State, changedAt: Date, now: Date = Date()) -> Bool {
        if state == .frozen { return now.timeIntervalSince(changedAt) < freezeLease }
        return !state.acceptsCommits
    }

    /// The namespace name (`main` for the first one).
    public var namespace: String
    /// The read model, e.g. `users`.
    public var projection: String
    public var state: State
    /// For a snapshot: the time its replay stopped at.
    public var asOf: Date?
    /// When the row was created.
    public var createdAt: Date
    /// When the state last changed (for an active namespace: when it was activated).
    public var changedAt: Date
    /// The replay's progress while it builds, if any: JSON the store keeps without reading it
    /// (Replay's `ReplayProgress` writes it, Lag reads it).
    public var progress: Data?

    public init(
        namespace: String, projection: String, state: State, asOf: Date? = nil,
        createdAt: Date, changedAt: Date, progress: Data? = nil
    ) {
        self.namespace = namespace
        self.projection = projection
        self.state = state
        self.asOf = asOf
        self.createdAt = createdAt
        self.changedAt = changedAt
        self.progress = progress
    }
}

/// The result of ``ReadModelStore/activate(projection:force:)``.
public enum Activation: Sendable, Hashable {
    /// This namespace now serves the projection; `previous` was retired (nil if there was none).
    case switched(previous: String?)
    /// This namespace already served the projection.
    case alreadyActive
    /// Not switched: the active namespace has folded further on these partitions (its
    /// checkpoints); switching now would make reads go back in time.
    case behind(active: String, positions: [LogPosition])
}

/// A commit the store refused on purpose; nothing was written, and the projector must re-read
/// its position rather than treat the store as failed.
public protocol CommitRefusal: Error, Sendable, CustomStringConvertible {}

/// A commit refused because the namespace no longer takes writes for the projection: a replay
/// activated another namespace (or it is a finished snapshot). The projector must move to the
/// active namespace.
public struct NamespaceRetired: CommitRefusal, Hashable {
    public var namespace: String
    public var projection: String
    public var state: NamespaceEntry.State

    public var description: String {
        "namespace \(namespace) is \(state.rawValue) for \(projection): it takes no more commits"
    }
}

extension Activation {
    /// The positions of `theirs` that are past `ours` on the same partition (a partition missing
    /// from `ours` counts as offset 0).
    static func positionsAhead(_ theirs: [LogPosition], of ours: [LogPosition]) -> [LogPosition] {
        theirs.filter { their in
            let our = ours.first { $0.topic == their.topic && $0.partition == their.partition }?.offset ?? 0
            return their.offset > our
        }
    }
}
