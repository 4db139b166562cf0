import Domain
import Foundation
import Privacy
import Store

/// The read role: read models, after waiting for a consistency token when one is presented.
///
/// Every read goes to the namespace that serves its read model now, so a replay's activation
/// moves reads over without a restart.
struct ReadService: Sendable {
    let namespaces: ActiveNamespaces
    let watch: CheckpointWatch
    let consistencyTimeout: Duration
    /// The users' data keys, to open their records' personal fields in history and as-of reads.
    let keys: DataKeys
    /// Refuses tokens naming positions the log does not have; nil where no broker is at hand
    /// (router tests), and then every token waits.
    let logEnds: LogEnds?
    /// Readers one client may have waiting for consistency tokens at once.
    let waiting = WaitingReads(limit: 16)

    /// The store serving `kind`'s read model.
    func store(for kind: EntityKind) -> any ReadModelReader { namespaces.store(for: kind) }

    /// Waits until the token's projection has passed its offset (503 when it does not in time).
    ///
    /// A token the projector has passed answers at once. One the log does not have (beyond its
    /// partition's end, or for a partition the topic lacks) is refused with 422 as soon as a
    /// fresh look at the log end says so, while the wait runs beside that look so a real token
    /// is not held up by it. Each client may have ``WaitingReads/limit`` readers waiting.
    func await(_ token: ConsistencyToken?, client: String) async throws {
        guard let token else { return }
        let checkpoints = try await store(for: token.kind).checkpoints(of: token.kind)
        if checkpoints.contains(where: { $0.partition == token.partition && $0.offset > token.offset }) { return }
        guard waiting.enter(client) else {
            throw APIError(
                .tooManyRequests, "too_many_waiting_reads",
                "this client already has \(waiting.limit) reads waiting for consistency tokens; retry after 1 s",
                headers: [.retryAfter: "1"])
        }
        defer { waiting.leave(client) }
        let reached = try await withThrowingTaskGroup(of: Bool?.self) { group in
            group.addTask { await watch.wait(until: token, timeout: consistencyTimeout) }
            if let logEnds {
                group.addTask {
                    if let refusal = Self.refusal(of: token, await logEnds.judgeUnlessCancelled(token)) { throw refusal }
                    return nil
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let reached = result { return reached }
            }
            return false
        }
        guard reached else {
            throw APIError(
                .serviceUnavailable, "not_yet_consistent",
                "the read model has not reached \(token) within \(consistencyTimeout)", headers: [.retryAfter: "1"])
        }
    }

    /// The 422 for a token the log cannot reach, nil when it can (or nobody can tell now).
    static func refusal(of token: ConsistencyToken, _ verdict: LogEnds.Verdict?) -> APIError? {
        let detail: String
        switch verdict {
        case nil, .inLog?:
            return nil
        case .beyondEnd(let end)?:
            detail =
                "partition \(token.partition) of \(token.kind.topicSuffix) ends at offset \(end), before \(token.offset): this log never acknowledged that write (is the token from another cluster?)"
        case .noPartition(let count)?:
            detail =
                count == 0
                ? "the log has no \(token.kind.topicSuffix) topic yet, so no write made \(token)"
                : "\(token.kind.topicSuffix) has \(count) partitions, so no write made \(token)"
        }
        return APIError(.unprocessableContent, "unreachable_consistency_token", detail)
    }

    /// A live entity, or 404.
    func live(_ kind: EntityKind, _ id: UUID) async throws -> EntitySnapshot {
        guard let snapshot = try await store(for: kind).snapshot(kind, id: id), !snapshot.isDeleted else {
            throw APIError.notFound("no \(kind.rawValue) with id \(id.uuidString.lowercased())")
        }
        return snapshot
    }

    /// An entity as it was at `moment`, folded from its history; 404 saying why when it did not
    /// exist then.
    func past(_ kind: EntityKind, _ id: UUID, at moment: Moment) async throws -> EntitySnapshot {
        let name = "\(kind.rawValue) \(id.lowercasedString)"
        let outcomes = try await store(for: kind).history(kind, id: id)
        guard !outcomes.isEmpty else { throw APIError.notFound("no \(name)") }
        let opened = try await self.opened(outcomes, of: kind, id: id)
        let commands = try outcomes.map { outcome in
            guard let command = opened[outcome.commandID] else {
                throw APIError(.internalServerError, "corrupt_data", "\(name)'s history holds a command this server cannot read")
            }
            return command
        }
        let state = PastState(folding: commands, at: moment)
        guard case .existing(let snapshot) = state else { throw APIError.notFound(state.absence(of: name, at: moment)) }
        return snapshot
    }

    /// The commands of one entity's `outcomes`, by command id, a user's personal fields opened
    /// with the data key as it is now (erased fields once the user is erased). A stored
    /// envelope that no longer decodes is left out.
    func opened(_ outcomes: [CommandOutcome], of kind: EntityKind, id: UUID) async throws -> [UUID: Command] {
        let cipher = try await keys.cipher(for: kind, entity: id)
        var commands: [UUID: Command] = [:]
        for outcome in outcomes {
            commands[outcome.commandID] = try? CommandCodec.decode(outcome.envelope, opening: cipher)
        }
        return commands
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
