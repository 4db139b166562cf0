import Domain
import Foundation
import Locking

/// What the gateway's read role needs: entities, outcomes and histories, and the checkpoints a
/// consistency token is compared with.
public protocol ReadModelReader: Sendable {
    /// The namespace this store reads and writes.
    var namespace: String { get }

    /// One entity, including tombstones of deleted ones (`state == nil`); nil if never seen.
    func snapshot(_ kind: EntityKind, id: UUID) async throws -> EntitySnapshot?

    /// Several entities of one kind at once (tombstones included); missing ids are absent.
    func snapshots(_ kind: EntityKind, ids: [UUID]) async throws -> [UUID: EntitySnapshot]

    /// Entities of one kind ordered by id, strictly after `after`, at most `limit`: live ones
    /// only, or tombstones too with `includingDeleted` (to compare two namespaces).
    func list(_ kind: EntityKind, after: UUID?, limit: Int, includingDeleted: Bool) async throws -> [EntitySnapshot]

    /// The outcome of one command, once a projector has folded it.
    func outcome(commandID: UUID) async throws -> CommandOutcome?

    /// Every command folded for one entity, in log order, with its outcome.
    func history(_ kind: EntityKind, id: UUID) async throws -> [CommandOutcome]

    /// A projection's checkpoints: per topic partition, the next offset to read.
    func checkpoints(of kind: EntityKind) async throws -> [LogPosition]

    /// The outcomes of `kind`'s commands on one partition with `after < offset < before`, in
    /// offset order, at most `limit`: what a projector folded between two checkpoints (live
    /// change feeds read each such range once and page through a resume's backlog).
    func outcomes(_ kind: EntityKind, partition: Int32, after: Int64, before: Int64, limit: Int) async throws -> [CommandOutcome]

    /// Succeeds when the store answers a trivial query (readiness).
    func ping() async throws
}

/// What a projector or a replay folds into: the entities' current snapshots, which commands are
/// already applied, the checkpoints, and the one transactional commit of a batch.
public protocol ProjectionSink: Sendable {
    /// The namespace this store reads and writes.
    var namespace: String { get }

    /// Several entities of one kind at once (tombstones included); missing ids are absent.
    func snapshots(_ kind: EntityKind, ids: [UUID]) async throws -> [UUID: EntitySnapshot]

    /// Which of these command ids already have an outcome (so a re-delivered command is not applied twice).
    func existingOutcomes(commandIDs: [UUID]) async throws -> Set<UUID>

    /// A projection's checkpoints: per topic partition, the next offset to read.
    func checkpoints(of kind: EntityKind) async throws -> [LogPosition]

    /// Writes a batch's snapshots, outcomes and checkpoints in one transaction: all or nothing.
    /// An outcome whose command id is already stored is left as it is.
    ///
    /// Refused (a ``CommitRefusal``, nothing written) when another projector's checkpoint is past
    /// the batch (``CheckpointFenced``) or this namespace no longer takes commits for the
    /// projection (``NamespaceRetired``).
    func commit(_ batch: ProjectionBatch) async throws
}

/// The namespaces of one database and which serves each read model (replays, the gateway's
/// namespace follower), and the Kafka cluster the read models are bound to.
public protocol NamespaceCatalog: Sendable {
    /// The same database opened on another namespace (created and migrated if new).
    func sibling(namespace: String) async throws -> any ReadModelStore

    /// Every namespace of this database with its state per projection.
    func catalog() async throws -> [NamespaceEntry]

    /// Creates or updates this namespace's catalog row for `projection`. Never makes it active:
    /// that is ``activate(_:force:)``'s job.
    func register(_ kind: EntityKind, state: NamespaceEntry.State, asOf: Date?, progress: Data?) async throws

    /// Makes this namespace the one that serves `projection`, in one transaction that retires
    /// the active one, but only if this namespace's checkpoints have reached the active one's
    /// on every partition (so no reader goes back in time). `force` skips that check: for
    /// rebuilding after the log itself was lost.
    func activate(_ kind: EntityKind, force: Bool) async throws -> Activation

    /// Freezes the namespace serving `projection` (see ``NamespaceEntry/State/frozen``); returns
    /// its name and checkpoints, fixed until ``activate(_:force:)`` or the lease ends.
    func freeze(_ kind: EntityKind) async throws -> (namespace: String, checkpoints: [LogPosition])?

    /// Ends a freeze of `projection`'s namespace early (a replay giving up).
    func thaw(_ kind: EntityKind) async throws

    /// Drops this namespace's tables and catalog rows. Refused while it is active for a projection.
    func drop() async throws

    /// The Kafka cluster id the read models were built from, if recorded.
    func clusterID() async throws -> String?

    /// Records the Kafka cluster id the read models are built from.
    func setClusterID(_ id: String) async throws
}

/// Rebuilding a namespace faster: a replay loading it from the start drops its outcome indexes,
/// whose random keys make every commit rewrite pages all over the file, and builds them once at
/// the end by sorting. Opening (migrating) the namespace always creates them again, so a killed
/// load leaves nothing half-indexed behind.
public protocol BulkLoading: Sendable {
    /// Drops this namespace's outcome indexes until ``restoreIndexes()``. Commits then append
    /// outcomes without checking command ids, so the caller deduplicates (``commandIDs(_:)``).
    /// Returns false when the store keeps its indexes; commits then go on as usual.
    func suspendIndexes() async throws -> Bool

    /// Builds the outcome indexes again; commits check command ids again.
    func restoreIndexes() async throws

    /// Every command id with an outcome for `kind`: a bulk load's deduplication when it resumes.
    func commandIDs(_ kind: EntityKind) async throws -> Set<UUID>
}

/// The key-value read models and the projectors' checkpoints, in one transactional store: the
/// reader, sink and catalog in one, as each backend provides them.
///
/// Two backends implement it: SQLite (embedded, one machine; WAL so a gateway process can read
/// while a projector process writes) and PostgreSQL (several gateways and projectors on several
/// machines). A store is opened on a *namespace* (its own set of tables / schema), so a replay
/// can rebuild a read model beside the live one.
///
/// Closing it (``Closable/close()``) releases what it holds; later calls fail as misuse.
public protocol ReadModelStore: ReadModelReader, ProjectionSink, NamespaceCatalog, BulkLoading, Closable {
    /// Creates this namespace's tables if they do not exist yet. Idempotent.
    func migrate() async throws
}

extension ReadModelStore {
    /// This store, migrated; closed if the migration fails.
    func migrated() async throws -> Self {
        do {
            try await migrate()
        } catch {
            await close()
            throw error
        }
        return self
    }
}

extension ReadModelReader {
    /// Live (not deleted) entities of one kind ordered by id, strictly after `after`, at most `limit`.
    public func list(_ kind: EntityKind, after: UUID?, limit: Int) async throws -> [EntitySnapshot] {
        try await list(kind, after: after, limit: limit, includingDeleted: false)
    }
}

extension NamespaceCatalog {
    /// The namespace that serves each projection (`main` for one not in the catalog yet).
    public func activeNamespaces() async throws -> [String: String] {
        var active: [String: String] = [:]
        for entry in try await catalog() where entry.state.serves { active[entry.projection] = entry.namespace }
        for kind in EntityKind.allCases where active[kind.topicSuffix] == nil { active[kind.topicSuffix] = "main" }
        return active
    }
}

/// What a projector folded from one polled batch of records.
public struct ProjectionBatch: Sendable, Hashable {
    /// The read model the batch belongs to.
    public var kind: EntityKind
    /// The final snapshot of every entity the batch changed (tombstones for deletions).
    public var snapshots: [EntitySnapshot]
    /// One outcome per command in the batch, in log order.
    public var outcomes: [CommandOutcome]
    /// New checkpoints: per partition, the next offset to read.
    public var checkpoints: [LogPosition]
    /// Per partition, the offset of the batch's first record. The commit is refused with
    /// ``CheckpointFenced`` when a stored checkpoint is already past one of them: another
    /// projector took the partition over and went further, so this batch is stale.
    public var starts: [LogPosition]

    public init(
        kind: EntityKind, snapshots: [EntitySnapshot], outcomes: [CommandOutcome], checkpoints: [LogPosition],
        starts: [LogPosition] = []
    ) {
        self.kind = kind
        self.snapshots = snapshots
        self.outcomes = outcomes
        self.checkpoints = checkpoints
        self.starts = starts
    }

    /// Throws ``CheckpointFenced`` if `stored` (the checkpoints inside the commit's transaction)
    /// is past any of ``starts``.
    public func checkFencing(against stored: [LogPosition]) throws(CheckpointFenced) {
        for start in starts {
            if let current = stored.first(where: { $0.topic == start.topic && $0.partition == start.partition }),
                current.offset > start.offset
            {
                throw CheckpointFenced(projection: kind.topicSuffix, stored: current, batchStart: start)
            }
        }
    }
}

/// A commit refused because another projector already moved the partition's checkpoint past
/// the batch's start: this process lost the partition (e.g. evicted from its group) and must
/// not overwrite newer state.
public struct CheckpointFenced: CommitRefusal, Hashable {
    public var projection: String
    public var stored: LogPosition
    public var batchStart: LogPosition

    public var description: String {
        "\(projection): checkpoint is already at \(stored) but this batch starts at offset \(batchStart.offset); another projector owns the partition"
    }
}

/// What happened to one command, stored by command id.
public struct CommandOutcome: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable {
        case applied
        case rejected
    }

    public var commandID: UUID
    public var kind: EntityKind
    public var entityID: UUID
    public var recordType: RecordType
    public var status: Status
    /// Why it was rejected; nil when applied.
    public var rejection: Rejection?
    /// The entity's version after this command (applied) or unchanged (rejected).
    public var version: Int
    /// Where the command is in the log.
    public var position: LogPosition
    public var timestamp: Date
    public var actor: String?
    /// The record's value as it is in the log (the JSON envelope).
    public var envelope: Data

    public init(
        commandID: UUID, kind: EntityKind, entityID: UUID, recordType: RecordType, status: Status,
        rejection: Rejection?, version: Int, position: LogPosition, timestamp: Date, actor: String?, envelope: Data
    ) {
        self.commandID = commandID
        self.kind = kind
        self.entityID = entityID
        self.recordType = recordType
        self.status = status
        self.rejection = rejection
        self.version = version
        self.position = position
        self.timestamp = timestamp
        self.actor = actor
        self.envelope = envelope
    }
}
