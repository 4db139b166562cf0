import Domain
import Kafka
import Locking
import Log
import Logging
import MetadataKeys
import Store

/// Notices a lost log (see ``LogIntegrity``) and remembers it until the read models move to other
/// namespaces, e.g. after `encore replay --adopt-log`.
///
/// A broker restarted empty shows log ends behind the checkpoints only until new writes pass
/// them again; remembering keeps the gateway saying so instead of serving a mix of both logs.
final class LogLossWatch: Sendable {
    private struct State {
        var samples = 0
        /// The active namespaces when the loss was seen, and what was wrong.
        var seen: (namespaces: [String], problems: [String])?
    }

    private let integrity: LogIntegrity
    private let kinds: [EntityKind]
    /// Checks on one sample in this many (each check is a few broker round trips).
    private let every: Int
    private let logger: Logger
    private let state = Locked(State())

    init(integrity: LogIntegrity, kinds: [EntityKind], every: Int, logger: Logger) {
        self.integrity = integrity
        self.kinds = kinds
        self.every = max(1, every)
        self.logger = logger
    }

    /// What was lost, one sentence each; empty while the log is whole.
    var problems: [String] { state.withLock { $0.seen?.problems ?? [] } }

    /// Checks when due and returns what is known to be lost under the active namespaces.
    func check(admin: KafkaAdmin, namespaces: ActiveNamespaces) async -> [String] {
        let active = kinds.map { namespaces.store(for: $0).namespace }
        let due = state.withLock { state -> Bool in
            if let seen = state.seen, seen.namespaces != active {
                logger.notice(
                    "the read models moved to other namespaces; the lost log no longer applies",
                    metadata: [MetadataKey.namespaces: "\(active)"])
                state.seen = nil
            }
            defer { state.samples += 1 }
            return state.seen == nil && state.samples % every == 0
        }
        guard due else { return problems }
        do {
            let found = try await integrity.problems(admin: admin, folded: namespaces, kinds: kinds, bind: false)
            guard !found.isEmpty else { return [] }
            logger.error(
                "the log lost what the read models were built from", metadata: [MetadataKey.problems: "\(LogLost(problems: found))"])
            state.withLock { $0.seen = (active, found) }
            return found
        } catch {
            logger.warning("log integrity check failed; will retry", metadata: [MetadataKey.error: "\(error)"])
            return []
        }
    }
}
