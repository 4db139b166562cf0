import Kafka
import Locking

/// The partitions a projector process owns right now, as its consumer groups hand them out (or
/// as it assigns them to itself), and those newly assigned that are still held (paused) until
/// started at their checkpoints.
final class Assignments: Sendable {
    private struct State {
        var owned: Set<TopicPartition> = []
        var held: Set<TopicPartition> = []
        var started = 0
        var waiters: [UInt64: (count: Int, resume: CheckedContinuation<Void, any Error>)] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Locked(State())

    var current: Set<TopicPartition> { state.withLock { $0.owned } }

    /// Partitions a group handed out: held until the worker starts them at their checkpoints.
    func assign(_ assigned: [TopicPartition]) {
        own(assigned, held: true)
    }

    /// Partitions a worker assigned to itself, already positioned.
    func take(_ taken: [TopicPartition]) {
        own(taken, held: false)
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

    /// A worker is polling: subscribed to its group, or (sole membership) owning its partitions.
    func workerStarted() {
        let ready = state.withLock { state in
            state.started += 1
            let ready = state.waiters.filter { $0.value.count <= state.started }
            ready.keys.forEach { state.waiters[$0] = nil }
            return ready.values
        }
        ready.forEach { $0.resume.resume() }
    }

    /// Returns once at least `count` workers have started; throws `CancellationError` if the task
    /// is cancelled first.
    func waitUntilStarted(_ count: Int) async throws {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { state in
                    guard state.started < count, !Task.isCancelled else { return true }
                    state.waiters[id] = (count, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
            try Task.checkCancellation()
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume.resume(throwing: CancellationError())
        }
    }

    private func own(_ partitions: [TopicPartition], held: Bool) {
        state.withLock { state in
            state.owned.formUnion(partitions)
            if held { state.held.formUnion(partitions) }
        }
    }
}
