import Domain
import Foundation
import Store

/// Who may change what, in `jwt` and `oidc` modes (`legacy` and `none` have no identities, so
/// they check nothing, as the original system did):
/// - users: anyone may register; only a user may change or delete their own record;
/// - music and playlists: any signed-in user may create them; only their creator may change or
///   delete them. Entities created without a known actor (`encore load`, `legacy` mode) may be
///   changed by any signed-in user.
enum WritePolicy {
    /// Whether ``check(_:creator:)`` judges `command` by its entity's creator: a signed-in
    /// change to music or a playlist.
    static func needsCreator(_ command: Command) -> Bool {
        command.actor != nil && !command.action.recordType.isCreate && command.kind != .user
    }

    /// Throws 403 unless `command.actor` may apply `command` to an entity created by `creator`.
    static func check(_ command: Command, creator: String?) throws {
        guard let actor = command.actor, !command.action.recordType.isCreate else { return }
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
        outcomes.last { $0.status == .applied && $0.recordType.isCreate }?.actor
    }
}
