import Foundation

/// A moment in an entity's past: a time, or one of its versions.
public enum Moment: Sendable, Hashable {
    /// As the log stood at this time: every command stamped at or before it, in log order.
    case time(Date)
    /// Right after the command that made this version.
    case version(Int)
}

/// What an entity was at a ``Moment``, folded from its own commands with the projectors' fold,
/// so it is what the read model showed then.
public enum PastState: Sendable, Hashable {
    /// It existed: its state and version then.
    case existing(EntitySnapshot)
    /// It had not been created yet (or, for a version, the entity has not reached it: `latest`
    /// is its version now, 0 if it never existed).
    case notYet(latest: Int)
    /// It had been deleted: at which version, and when.
    case deleted(version: Int, at: Date)

    /// Folds `commands` (one entity's, in log order) up to `moment`.
    public init(folding commands: some Sequence<Command>, at moment: Moment) {
        var current: EntitySnapshot?
        var deletedAt: Date?
        for command in commands {
            if case .time(let time) = moment, command.timestamp > time { break }
            guard case .applied(let next) = Fold.apply(command, to: current) else { continue }
            current = next
            if next.isDeleted { deletedAt = command.timestamp }
            if case .version(let version) = moment, next.version == version { break }
        }
        guard let current else {
            self = .notYet(latest: 0)
            return
        }
        if current.isDeleted, let deletedAt {
            // No command applies after a deletion: every later moment finds it deleted.
            self = .deleted(version: current.version, at: deletedAt)
        } else if case .version(let wanted) = moment, wanted != current.version {
            self = .notYet(latest: current.version)
        } else {
            self = .existing(current)
        }
    }
}

extension PastState {
    /// Why `name` (e.g. "music 5f…") had no state at `moment`, as one sentence; "" when it had one.
    public func absence(of name: String, at moment: Moment) -> String {
        switch (self, moment) {
        case (.existing, _):
            ""
        case (.notYet(let latest), .version(let version)) where latest > 0:
            "\(name) has no version \(version) yet: its latest is \(latest)"
        case (.notYet, .version(let version)):
            "\(name) was never created, so it has no version \(version)"
        case (.notYet, .time(let time)):
            "\(name) did not exist yet at \(time.formatted(.iso8601))"
        case (.deleted(let version, let at), _):
            "\(name) had been deleted by then: at \(at.formatted(.iso8601)), version \(version)"
        }
    }
}

extension Moment {
    /// An ISO 8601 time such as `2026-11-29T09:30:00Z`, with or without fractional seconds; nil
    /// for anything else.
    public static func parseTime(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601))
    }
}
