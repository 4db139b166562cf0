import Domain
import Locking
import Logging
import MetadataKeys

/// Which namespace serves each read model, and an open store for each, followed from the catalog.
///
/// Gateways and live projectors read and write through it, so when a replay activates a new
/// namespace they move to it without a restart: gateways on their next ``refresh()`` (they call
/// ``run(every:)``), projectors as soon as a commit is refused with ``NamespaceRetired``.
/// Stores of namespaces no longer in use stay open until ``close()``: a read that started on the
/// old namespace still finishes there.
public final class ActiveNamespaces: Closable {
    private struct State {
        var stores: [String: any ReadModelStore]
        var active: [String: String]
    }

    private let base: any ReadModelStore
    private let state: Locked<State>
    private let logger: Logger

    /// Starts with `base` serving every projection; call ``refresh()`` before use.
    public init(base: any ReadModelStore, logger: Logger) {
        self.base = base
        self.logger = logger
        let active = Dictionary(uniqueKeysWithValues: EntityKind.allCases.map { ($0.topicSuffix, base.namespace) })
        state = Locked(State(stores: [base.namespace: base], active: active))
    }

    /// The store of the namespace serving `kind`'s read model.
    public func store(for kind: EntityKind) -> any ReadModelStore {
        state.withLock { state in state.active[kind.topicSuffix].flatMap { state.stores[$0] } ?? base }
    }

    /// The namespace serving each projection, as of the last refresh.
    public var namespaces: [String: String] { state.withLock { $0.active } }

    /// The database's catalog store (the one this was created with); namespace-independent
    /// calls such as ``ReadModelStore/catalog()`` go here.
    public var catalogStore: any ReadModelStore { base }

    /// Re-reads the catalog and opens the stores of newly active namespaces; returns the
    /// projections that moved, with their new namespace.
    @discardableResult
    public func refresh() async throws -> [String: String] {
        let active = try await base.activeNamespaces()
        for namespace in Set(active.values) where state.withLock({ $0.stores[namespace] == nil }) {
            let opened = try await base.sibling(namespace: namespace)
            let kept = state.withLock { state -> Bool in
                guard state.stores[namespace] == nil else { return false }
                state.stores[namespace] = opened
                return true
            }
            if !kept { await opened.close() }
        }
        let moved = state.withLock { state -> [String: String] in
            let moved = active.filter { state.active[$0.key] != $0.value }
            state.active.merge(active) { _, new in new }
            return moved
        }
        for (projection, namespace) in moved.sorted(by: { $0.key < $1.key }) {
            logger.info(
                "read model now served from another namespace",
                metadata: [MetadataKey.projection: "\(projection)", MetadataKey.namespace: "\(namespace)"])
        }
        return moved
    }

    /// The first ``refresh()`` of a starting process. While the store answers with a retriable
    /// error (slow, restarting), it is tried again for up to `patience`: a gateway or projector
    /// started beside a busy database waits for it rather than failing its start.
    public func refreshAtStart(patience: Duration = .seconds(30)) async throws {
        try await retryWhileUnavailable(
            patience: patience,
            retrying: { error in
                logger.warning("the read-model store is not answering yet; trying again", metadata: [MetadataKey.error: "\(error)"])
            }
        ) { _ = try await refresh() }
    }

    /// Refreshes every `interval` until cancelled; a failed refresh is logged and retried.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await refresh()
            } catch {
                logger.warning("cannot refresh the namespace catalog", metadata: [MetadataKey.error: "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Closes every store it opened (not `base`, which its creator closes).
    public func close() async {
        let opened = state.withLock { state -> [any ReadModelStore] in
            let opened = state.stores.filter { $0.key != base.namespace }.map(\.value)
            state.stores = [base.namespace: base]
            return opened
        }
        for store in opened { await store.close() }
    }
}

extension ActiveNamespaces: FoldedLog {
    public func boundClusterID() async throws -> String? { try await catalogStore.clusterID() }

    public func bind(toCluster id: String) async throws { try await catalogStore.setClusterID(id) }

    public func checkpoints(of kinds: [EntityKind]) async throws -> [LogPosition] {
        var positions: [LogPosition] = []
        for kind in kinds { positions += try await store(for: kind).checkpoints(of: kind) }
        return positions
    }
}
