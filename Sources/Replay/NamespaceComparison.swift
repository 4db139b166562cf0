import Domain
import Foundation
import Store

/// Compares one read model in two namespaces entity by entity (tombstones included).
enum NamespaceComparison {
    private static let page = 2000

    /// Every difference, walking both namespaces in id order.
    static func all(_ kind: EntityKind, live: any ReadModelStore, rebuilt: any ReadModelStore) async throws -> [EntityDifference] {
        var differences: [EntityDifference] = []
        var liveCursor: UUID?
        var rebuiltCursor: UUID?
        var livePage: [EntitySnapshot] = []
        var rebuiltPage: [EntitySnapshot] = []
        var liveDone = false
        var rebuiltDone = false
        while true {
            if livePage.isEmpty, !liveDone {
                livePage = try await live.list(kind, after: liveCursor, limit: page, includingDeleted: true)
                liveDone = livePage.count < page
                liveCursor = livePage.last?.id ?? liveCursor
            }
            if rebuiltPage.isEmpty, !rebuiltDone {
                rebuiltPage = try await rebuilt.list(kind, after: rebuiltCursor, limit: page, includingDeleted: true)
                rebuiltDone = rebuiltPage.count < page
                rebuiltCursor = rebuiltPage.last?.id ?? rebuiltCursor
            }
            guard let nextLive = livePage.first else {
                differences += rebuiltPage.map { difference(kind, id: $0.id, live: nil, rebuilt: $0) }
                rebuiltPage = []
                if rebuiltDone { return differences }
                continue
            }
            guard let nextRebuilt = rebuiltPage.first else {
                differences += livePage.map { difference(kind, id: $0.id, live: $0, rebuilt: nil) }
                livePage = []
                if liveDone { return differences }
                continue
            }
            // Both sides are sorted the same way (byte order of the lowercase id).
            let liveKey = nextLive.id.lowercasedString
            let rebuiltKey = nextRebuilt.id.lowercasedString
            if liveKey == rebuiltKey {
                if nextLive != nextRebuilt { differences.append(difference(kind, id: nextLive.id, live: nextLive, rebuilt: nextRebuilt)) }
                livePage.removeFirst()
                rebuiltPage.removeFirst()
            } else if liveKey < rebuiltKey {
                differences.append(difference(kind, id: nextLive.id, live: nextLive, rebuilt: nil))
                livePage.removeFirst()
            } else {
                differences.append(difference(kind, id: nextRebuilt.id, live: nil, rebuilt: nextRebuilt))
                rebuiltPage.removeFirst()
            }
        }
    }

    /// The differences among these ids only.
    static func some(_ kind: EntityKind, ids: [UUID], live: any ReadModelStore, rebuilt: any ReadModelStore) async throws
        -> [EntityDifference]
    {
        let liveSnapshots = try await live.snapshots(kind, ids: ids)
        let rebuiltSnapshots = try await rebuilt.snapshots(kind, ids: ids)
        return ids.compactMap { id in
            liveSnapshots[id] == rebuiltSnapshots[id]
                ? nil : difference(kind, id: id, live: liveSnapshots[id], rebuilt: rebuiltSnapshots[id])
        }
    }

    private static func difference(_ kind: EntityKind, id: UUID, live: EntitySnapshot?, rebuilt: EntitySnapshot?) -> EntityDifference {
        EntityDifference(projection: kind.topicSuffix, id: id, live: describe(live), rebuilt: describe(rebuilt))
    }

    private static func describe(_ snapshot: EntitySnapshot?) -> String {
        guard let snapshot else { return "missing" }
        guard let state = snapshot.state else { return "version \(snapshot.version), deleted" }
        return "version \(snapshot.version), \(state)"
    }
}
