import Kafka
import Locking

/// The partitions a projector process owns right now, as its consumer groups hand them out,
/// and those newly assigned that are still held (paused) until started at their checkpoints.
final class Assignments: Sendable {
    private struct State {
        var owned: Set<TopicPartition> = []
        var held: Set<TopicPartition> = []
    }

    private let state = Locked(State())

    var current: Set<TopicPartition> { state.withLock { $0.owned } }

    func assign(_ assigned: [TopicPartition]) {
        state.withLock { state in
            state.owned.formUnion(assigned)
            state.held.formUnion(assigned)
        }
    }

    func revoke(_ revoked: [TopicPartition]) {
        state.withLock { state in
            state.owned.subtract(revoked)
            state.held.subtract(revoked)
        }
    }

    /// The held partitions of `topic`, no longer held once returned.
    func takeHeld(of topic: String) -> Set<TopicPartition> {
        state.withLock { state in
            let taken = state.held.filter { $0.topic == topic }
            state.held.subtract(taken)
            return taken
        }
    }
}
