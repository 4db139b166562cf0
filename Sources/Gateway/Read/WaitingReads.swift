import Locking

/// How many reads each client has waiting for a consistency token: a wait holds a connection
/// and a place in every ``CheckpointWatch`` round, so one client may hold only `limit` of them.
final class WaitingReads: Sendable {
    let limit: Int
    private let counts = Locked([String: Int]())

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place for `client`; false when it already has `limit`.
    func enter(_ client: String) -> Bool {
        counts.withLock { counts in
            guard counts[client, default: 0] < limit else { return false }
            counts[client, default: 0] += 1
            return true
        }
    }

    /// Gives the place back.
    func leave(_ client: String) {
        counts.withLock { counts in
            let left = counts[client, default: 1] - 1
            counts[client] = left > 0 ? left : nil
        }
    }
}
