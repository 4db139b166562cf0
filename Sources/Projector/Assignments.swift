import Kafka
import Synchronization

/// The partitions a projector process owns right now, as its consumer groups hand them out.
final class Assignments: Sendable {
    private let partitions = Mutex<Set<TopicPartition>>([])

    var current: Set<TopicPartition> { partitions.withLock { $0 } }

    func assign(_ assigned: [TopicPartition]) {
        partitions.withLock { $0.formUnion(assigned) }
    }

    func revoke(_ revoked: [TopicPartition]) {
        partitions.withLock { $0.subtract(revoked) }
    }
}
