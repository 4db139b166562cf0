import Domain
import Foundation
import Store

/// The read role: read models, after waiting for a consistency token when one is presented.
///
/// Every read goes to the namespace that serves its read model now, so a replay's activation
/// moves reads over without a restart.
struct ReadService: Sendable {
    let namespaces: ActiveNamespaces
    let watch: CheckpointWatch
    let consistencyTimeout: Duration

    /// The store serving `kind`'s read model.
    func store(for kind: EntityKind) -> any ReadModelReader { namespaces.store(for: kind) }

    /// Waits until the token's projection has passed its offset (503 when it does not in time).
    func await(_ token: ConsistencyToken?) async throws {
        guard let token else { return }
        guard await watch.wait(until: token, timeout: consistencyTimeout) else {
            throw APIError(.serviceUnavailable, "not_yet_consistent",
                           "the read model has not reached \(token) within \(consistencyTimeout)", headers: [.retryAfter: "1"])
        }
    }

    /// A live entity, or 404.
    func live(_ kind: EntityKind, _ id: UUID) async throws -> EntitySnapshot {
        guard let snapshot = try await store(for: kind).snapshot(kind, id: id), !snapshot.isDeleted else {
            throw APIError.notFound("no \(kind.rawValue) with id \(id.uuidString.lowercased())")
        }
        return snapshot
    }

    /// 404 naming the first of `songs` that is not a live song.
    func requireSongs(_ songs: [UUID]) async throws {
        guard !songs.isEmpty else { return }
        let found = try await store(for: .music).snapshots(.music, ids: songs)
        if let missing = songs.first(where: { found[$0]?.isDeleted ?? true }) {
            throw APIError.notFound("no song with id \(missing.uuidString.lowercased())")
        }
    }

    /// One page of live entities and the cursor of the next page, if there is one.
    func page(_ kind: EntityKind, _ page: Page) async throws -> (items: [EntitySnapshot], next: UUID?) {
        // One extra row tells whether another page follows.
        let snapshots = try await store(for: kind).list(kind, after: page.after, limit: page.limit + 1)
        let shown = Array(snapshots.prefix(page.limit))
        return (shown, snapshots.count > page.limit ? shown.last?.id : nil)
    }
}
