import Domain
import Foundation
import Store

/// Who may change what, in `jwt` mode (the `legacy` and `none` modes have no identities, so
/// they check nothing, as the original system did):
/// - users: anyone may register; only a user may change or delete their own record;
/// - music and playlists: any signed-in user may create them; only their creator may change or
///   delete them. Entities created without a known actor (`encore load`, `legacy` mode) may be
///   changed by any signed-in user.
enum WritePolicy {
    private static let creations: Set<RecordType> = [.userCreate, .musicCreate, .playlistCreate]

    /// Whether a command creates its entity (then no creator exists yet).
    static func creates(_ command: Command) -> Bool { creations.contains(command.action.recordType) }

    /// Throws 403 unless `command.actor` may apply `command` to an entity created by `creator`.
    static func check(_ command: Command, creator: String?) throws {
        guard let actor = command.actor, !creates(command) else { return }
        let id = command.entityID.lowercasedString
        switch command.kind {
        case .user:
            guard actor == id else {
                throw APIError(.forbidden, "forbidden", "a user may change only their own record; this token is for user \(actor)")
            }
        case .music, .playlist:
            guard creator == nil || creator == actor else {
                throw APIError(.forbidden, "forbidden", "only the user who created \(command.kind.rawValue) \(id) may change or delete it")
            }
        }
    }

    /// The actor of the command that created the entity's current incarnation, from its outcomes in log order.
    static func creator(in outcomes: [CommandOutcome]) -> String? {
        outcomes.last { $0.status == .applied && creations.contains($0.recordType) }?.actor
    }
}
