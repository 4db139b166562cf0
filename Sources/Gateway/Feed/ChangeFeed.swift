import Domain
import Foundation
import Locking
import Logging
import MetadataKeys
import Privacy
import ServiceLifecycle
import Store

/// The gateway's one source of live change feeds. While any stream is open it reads the
/// checkpoints of each kind streamed every ``FeedSettings/pollInterval``; when a partition's
/// checkpoint moves it reads the outcomes between the old and the new checkpoint once, turns them
/// into events once, and offers them to every matching stream's ``FeedSubscription``, never
/// waiting for a client.
///
/// Each kind has a *hub position*: what the hub has read and published. A stream joins the hub
/// only at or past it (``join(_:from:subscription:backlog:)``), so what the stream read before
/// joining and what the hub publishes afterwards meet without a gap, and a stream skips what its
/// position already covers, so nothing arrives twice. Reads follow the namespace that serves the
/// kind now; log offsets are the same in every namespace and an activated namespace has reached
/// the retired one's checkpoints, so a replay's switch neither repeats nor skips anything.
final class ChangeFeed: Service, Sendable {
    /// Which events a stream wants.
    struct Filter: Sendable {
        var kind: EntityKind
        /// One entity's events, or the whole collection's.
        var entity: UUID?
        var includeRejected: Bool

        func matches(_ event: FeedEvent) -> Bool {
            (entity == nil || event.entityID == entity) && (includeRejected || !event.isRejected)
        }
    }

    private struct Subscriber {
        let filter: Filter
        /// Where the stream joined: it already has everything this covers.
        let joinedAt: FeedPosition
        let subscription: FeedSubscription
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        /// The hub position of each kind a stream is open for.
        var positions: [EntityKind: FeedPosition] = [:]
        /// Open streams per client.
        var streams: [String: Int] = [:]
        var nextID: UInt64 = 0
        var stopped = false
    }

    let settings: FeedSettings
    private let namespaces: ActiveNamespaces
    private let keys: DataKeys
    private let logger: Logger
    private let state = Locked(State())
    /// Wakes the idle hub when a stream joins.
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    /// Outcomes read per query, for the hub and for a stream's backlog.
    private static let page = 500

    init(namespaces: ActiveNamespaces, keys: DataKeys, settings: FeedSettings, logger: Logger) {
        self.namespaces = namespaces
        self.keys = keys
        self.settings = settings
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Counts an open stream of `client` until the lease is released; nil when the client already
    /// has ``FeedSettings/streamsPerClient`` open.
    func lease(client: String) -> StreamLease? {
        let granted = state.withLock { state in
            guard state.streams[client, default: 0] < settings.streamsPerClient else { return false }
            state.streams[client, default: 0] += 1
            return true
        }
        return granted ? StreamLease(feed: self, client: client) : nil
    }

    fileprivate func release(client: String) {
        state.withLock { state in
            state.streams[client, default: 1] -= 1
            if state.streams[client] == 0 { state.streams[client] = nil }
        }
    }

    /// Where a stream from now on starts: the store's current checkpoints (not the hub's
    /// position, which may lag them by a round), so a client that wrote and then opened a stream
    /// does not get its own earlier write.
    func now(_ kind: EntityKind) async throws -> FeedPosition {
        FeedPosition(checkpoints: try await namespaces.store(for: kind).checkpoints(of: kind))
    }

    /// Registers `subscription` for `filter`'s events after `start` and returns its id for
    /// ``leave(_:)`` and the position it joined at. The events between `start` and the hub's
    /// position are handed to `backlog` first, in log order.
    ///
    /// Reading the backlog takes time while the hub goes on, so it repeats until, under the
    /// hub's lock, the stream's position has reached the hub's: only then does it join.
    func join(
        _ filter: Filter, from start: FeedPosition, subscription: FeedSubscription,
        backlog: ([FeedEvent]) async throws -> Void
    ) async throws -> (id: UInt64, position: FeedPosition) {
        var position = start
        while true {
            let store = namespaces.store(for: filter.kind)
            let target: FeedPosition
            if let hub = state.withLock({ $0.positions[filter.kind] }) {
                target = hub
            } else {
                target = FeedPosition(checkpoints: try await store.checkpoints(of: filter.kind))
            }
            if !position.reaches(target) {
                try await read(filter, after: position, upTo: target, from: store, subscription: subscription, to: backlog)
                position.advance(to: target)
            }
            let joined = try state.withLock { [position] state throws(APIError) -> (id: UInt64, position: FeedPosition)? in
                guard !state.stopped else {
                    throw APIError(.serviceUnavailable, "shutting_down", "the gateway is shutting down", headers: [.retryAfter: "1"])
                }
                if let hub = state.positions[filter.kind] {
                    // The hub moved on meanwhile: read what it published, then try again.
                    guard position.reaches(hub) else { return nil }
                } else {
                    state.positions[filter.kind] = target
                }
                state.nextID += 1
                state.subscribers[state.nextID] = Subscriber(filter: filter, joinedAt: position, subscription: subscription)
                return (state.nextID, position)
            }
            if let joined {
                wake.yield()
                return joined
            }
        }
    }

    /// Forgets a stream; a kind no stream wants any more is no longer read.
    func leave(_ id: UInt64) {
        state.withLock { state in
            guard let left = state.subscribers.removeValue(forKey: id) else { return }
            if !state.subscribers.values.contains(where: { $0.filter.kind == left.filter.kind }) {
                state.positions[left.filter.kind] = nil
            }
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.poll() }
        let left = state.withLock { state in
            state.stopped = true
            defer { state.subscribers = [:] }
            return state.subscribers.values.map(\.subscription)
        }
        for subscription in left { subscription.end(.shutdown) }
    }

    private func poll() async {
        var woken = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            let kinds = state.withLock { Set($0.positions.keys) }
            guard !kinds.isEmpty else {
                _ = await woken.next()
                continue
            }
            for kind in kinds.sorted(by: { $0.rawValue < $1.rawValue }) {
                do {
                    try await advance(kind)
                } catch {
                    // The streams wait: the next round reads the same range again.
                    logger.warning(
                        "change feed: cannot read changes",
                        metadata: [MetadataKey.projection: "\(kind.topicSuffix)", MetadataKey.error: "\(error)"])
                }
            }
            try? await Task.sleep(for: settings.pollInterval)
        }
    }

    /// Reads and publishes what the projector folded since the hub position of `kind`.
    private func advance(_ kind: EntityKind) async throws {
        let store = namespaces.store(for: kind)
        let checkpoints = FeedPosition(checkpoints: try await store.checkpoints(of: kind))
        guard let covered = state.withLock({ $0.positions[kind] }) else { return }
        for (partition, end) in checkpoints.offsets.sorted(by: { $0.key < $1.key }) where covered[partition] < end {
            try await pages(kind, partition: partition, after: covered[partition], upTo: end, from: store) { events, reached in
                publish(events, kind: kind, partition: partition, upTo: reached)
            }
        }
    }

    /// Offers events to every stream that wants them, and moves the hub position past them,
    /// in one step under the lock so a joining stream sees both or neither.
    private func publish(_ events: [FeedEvent], kind: EntityKind, partition: Int32, upTo offset: Int64) {
        state.withLock { state in
            guard state.positions[kind] != nil else { return }
            for (id, subscriber) in state.subscribers where subscriber.filter.kind == kind {
                let wanted = events.filter { subscriber.filter.matches($0) && !subscriber.joinedAt.covers($0.position) }
                // An overflowed stream is dropped here; its writer sends the final event.
                if !subscriber.subscription.offer(wanted) { state.subscribers[id] = nil }
            }
            state.positions[kind]?.advance(partition, to: offset)
        }
    }

    /// A joining stream's backlog: the events it wants after `position` up to `target`.
    private func read(
        _ filter: Filter, after position: FeedPosition, upTo target: FeedPosition, from store: any ReadModelReader,
        subscription: FeedSubscription, to deliver: ([FeedEvent]) async throws -> Void
    ) async throws {
        if let entity = filter.entity {
            // One entity's commands are few and indexed by entity: read its history.
            let outcomes = try await store.history(filter.kind, id: entity).filter {
                !position.covers($0.position) && target.covers($0.position)
            }
            try await deliver(try await FeedStates.events(outcomes, kind: filter.kind, in: store, keys: keys).filter(filter.matches))
            return
        }
        for (partition, end) in target.offsets.sorted(by: { $0.key < $1.key }) where position[partition] < end {
            try await pages(filter.kind, partition: partition, after: position[partition], upTo: end, from: store) { events, _ in
                guard subscription.ending == nil else { throw CancellationError() }
                try await deliver(events.filter(filter.matches))
            }
        }
    }

    /// The events of one partition after `after` up to `end`, a page at a time, each with the
    /// offset it covers up to.
    private func pages(
        _ kind: EntityKind, partition: Int32, after: Int64, upTo end: Int64, from store: any ReadModelReader,
        _ body: ([FeedEvent], Int64) async throws -> Void
    ) async throws {
        var after = after
        while after < end {
            let outcomes = try await store.outcomes(kind, partition: partition, after: after, before: end + 1, limit: Self.page)
            after = outcomes.count == Self.page ? outcomes[outcomes.count - 1].position.offset : end
            try await body(try await FeedStates.events(outcomes, kind: kind, in: store, keys: keys), after)
        }
    }
}

/// One open stream counted against its client's limit, until released. Released when it is
/// deallocated, so a response whose body never ran still gives its slot back.
final class StreamLease: Sendable {
    private let feed: ChangeFeed
    private let client: String

    fileprivate init(feed: ChangeFeed, client: String) {
        self.feed = feed
        self.client = client
    }

    deinit { feed.release(client: client) }
}
