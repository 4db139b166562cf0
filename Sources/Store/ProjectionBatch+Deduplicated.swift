import Domain
import Foundation

extension ProjectionBatch {
    /// One snapshot per entity, the last one given: a batch should already hold only final
    /// snapshots, and PostgreSQL's `ON CONFLICT DO UPDATE` refuses to touch a row twice.
    public var finalSnapshots: [EntitySnapshot] {
        lastPerKey(snapshots) { SnapshotKey(kind: $0.kind, id: $0.id) }
    }

    /// One checkpoint per topic partition, the last one given.
    public var finalCheckpoints: [LogPosition] {
        lastPerKey(checkpoints) { PartitionKey(topic: $0.topic, partition: $0.partition) }
    }

    private struct SnapshotKey: Hashable {
        var kind: EntityKind
        var id: UUID
    }

    private struct PartitionKey: Hashable {
        var topic: String
        var partition: Int32
    }
}

/// Keeps the last element per key, in the order of those last occurrences.
private func lastPerKey<Element, Key: Hashable>(_ elements: [Element], key: (Element) -> Key) -> [Element] {
    var lastIndex: [Key: Int] = [:]
    lastIndex.reserveCapacity(elements.count)
    for (index, element) in elements.enumerated() { lastIndex[key(element)] = index }
    guard lastIndex.count < elements.count else { return elements }
    return elements.indices.filter { lastIndex[key(elements[$0])] == $0 }.map { elements[$0] }
}
