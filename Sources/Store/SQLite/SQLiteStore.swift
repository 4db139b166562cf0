import Domain
import Foundation
import Logging
import MetadataKeys
import Synchronization

/// The embedded read-model store: one SQLite file, tables prefixed by the namespace.
///
/// WAL journal with `synchronous=NORMAL`, so a gateway process can read while a projector
/// process writes the same file; a busy timeout makes a second writer wait instead of failing.
/// One writer connection (commits, migrations) and one reader connection (queries), each on its
/// own serial queue, so reads do not queue behind a large commit.
public final class SQLiteStore: ReadModelStore {
    /// The database file.
    public let path: String
    /// The namespace: prefix of this store's table names.
    public let namespace: String
    private let sql: SQLiteStatements
    private let writer: SQLiteConnection
    private let reader: SQLiteConnection
    private let logger: Logger
    /// Set while a bulk load has the outcome indexes dropped (``suspendIndexes()``).
    private let loadingInBulk = Atomic(false)

    /// Opens (creating if needed) the file at `path`; call ``migrate()`` before use
    /// (``StoreDatabase/open(namespace:)`` does).
    ///
    /// - Parameter busyTimeout: how long a statement waits for another connection's lock.
    public init(path: String, namespace: String = "main", busyTimeout: Duration = .seconds(5), logger: Logger) async throws {
        let validated = try StoreNamespace(namespace, backend: .sqlite)
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else {
            // Each connection would get its own private database.
            throw StoreError(.misuse, backend: .sqlite, operation: "open", message: "\"\(path)\" is not a file path")
        }
        self.path = path
        self.namespace = validated.name
        self.sql = SQLiteStatements(namespace: validated)
        self.logger = logger
        do {
            writer = try await SQLiteConnection(path: path, label: "writer", busyTimeout: busyTimeout) { database in
                // WAL is a property of the file: set once, every later connection uses it.
                let mode = try SQLiteDatabase.retryingBusy(for: busyTimeout) { () throws(SQLiteFailure) in
                    try database.pragma("journal_mode = WAL")
                }
                guard mode?.lowercased() == "wal" else {
                    throw SQLiteFailure(code: 1, message: "cannot switch \(path) to WAL (journal mode is \(mode ?? "unknown"))")
                }
                // secure_delete: a deleted user's row is overwritten, not only unlinked (see `commit`).
                try database.execute(
                    "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON")
            }
        } catch {
            throw StoreError(SQLiteConnection.code(of: error), backend: .sqlite, operation: "open", message: "\(error)", underlying: error)
        }
        do {
            reader = try await SQLiteConnection(path: path, label: "reader", busyTimeout: busyTimeout) { database in
                try database.execute("PRAGMA query_only = 1")
            }
        } catch {
            await writer.close()
            throw StoreError(SQLiteConnection.code(of: error), backend: .sqlite, operation: "open", message: "\(error)", underlying: error)
        }
        logger.debug("SQLite store opened", metadata: [MetadataKey.path: "\(path)", MetadataKey.namespace: "\(namespace)"])
    }

    public func migrate() async throws {
        let namespace = namespace
        try await writer.run("migrate") { [sql] database in
            try database.writeTransaction {
                try database.execute(SQLiteStatements.catalogSchema)
                try database.execute(sql.schema)
                try Self.createIndexes(sql, in: database)
                // The first namespace serves every read model until a replay activates another.
                if namespace == "main" {
                    let now = Date().microsecondsSince1970
                    for kind in EntityKind.allCases {
                        try database.statement(SQLiteStatements.claimActive).execute([
                            .text(namespace), .text(kind.topicSuffix), .integer(now),
                        ])
                    }
                }
            }
        }
        // The indexes are back, so commits check command ids again.
        loadingInBulk.store(false, ordering: .relaxed)
    }

    public func snapshot(_ kind: EntityKind, id: UUID) async throws -> EntitySnapshot? {
        try await reader.run("snapshot") { [sql] database in
            try database.statement(sql.snapshot).query([.text(kind.rawValue), .text(id.storeText)]) { row throws(CorruptRow) in
                try StoredEntity.snapshot(
                    kind: kind, id: id, version: row.integer(0), deleted: row.integer(1) != 0, stateJSON: row.blob(2)
                )
            }.first
        }
    }

    public func snapshots(_ kind: EntityKind, ids: [UUID]) async throws -> [UUID: EntitySnapshot] {
        guard !ids.isEmpty else { return [:] }
        let found = try await reader.run("snapshots") { [sql] database in
            try database.statement(sql.snapshots).query([.text(kind.rawValue), .text(Self.jsonArray(ids))]) { row throws(CorruptRow) in
                try StoredEntity.snapshot(
                    kind: kind, id: row.uuid(0), version: row.integer(1), deleted: row.integer(2) != 0, stateJSON: row.blob(3)
                )
            }
        }
        return Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func list(_ kind: EntityKind, after: UUID?, limit: Int, includingDeleted: Bool) async throws -> [EntitySnapshot] {
        guard limit > 0 else { return [] }
        // "" sorts before every id, so no cursor means from the start.
        let cursor = after?.storeText ?? ""
        return try await reader.run("list") { [sql] database in
            try database.statement(includingDeleted ? sql.listAll : sql.list).query([
                .text(kind.rawValue), .text(cursor), .integer(Int64(limit)),
            ]) { row throws(CorruptRow) in
                try StoredEntity.snapshot(
                    kind: kind, id: row.uuid(0), version: row.integer(1), deleted: row.integer(2) != 0, stateJSON: row.blob(3))
            }
        }
    }

    public func outcome(commandID: UUID) async throws -> CommandOutcome? {
        try await reader.run("outcome") { [sql] database in
            try database.statement(sql.outcome).query([.text(commandID.storeText)], Self.outcome).first
        }
    }

    public func existingOutcomes(commandIDs: [UUID]) async throws -> Set<UUID> {
        guard !commandIDs.isEmpty else { return [] }
        return Set(
            try await reader.run("existingOutcomes") { [sql] database in
                try database.statement(sql.existingOutcomes).query([.text(Self.jsonArray(commandIDs))]) { row throws(CorruptRow) in
                    try row.uuid(0)
                }
            })
    }

    public func history(_ kind: EntityKind, id: UUID) async throws -> [CommandOutcome] {
        try await reader.run("history") { [sql] database in
            try database.statement(sql.history).query([.text(kind.rawValue), .text(id.storeText)], Self.outcome)
        }
    }

    public func outcomes(_ kind: EntityKind, partition: Int32, after: Int64, before: Int64, limit: Int) async throws -> [CommandOutcome] {
        guard limit > 0, before > after + 1 else { return [] }
        return try await reader.run("outcomes") { [sql] database in
            try database.statement(sql.partitionOutcomes).query(
                [.text(kind.rawValue), .integer(Int64(partition)), .integer(after), .integer(before), .integer(Int64(limit))], Self.outcome
            )
        }
    }

    public func checkpoints(of kind: EntityKind) async throws -> [LogPosition] {
        let projection = kind.topicSuffix
        return try await reader.run("checkpoints") { [sql] database in
            try database.statement(sql.checkpoints).query([.text(projection)], Self.position)
        }
    }

    public func commit(_ batch: ProjectionBatch) async throws {
        // Encoded before taking the write lock, to keep the transaction short.
        let entities = batch.finalSnapshots.map(StoredEntity.init)
        let outcomes = batch.outcomes.map(StoredOutcome.init)
        let checkpoints = batch.finalCheckpoints
        let projection = batch.kind.topicSuffix
        let namespace = namespace
        let bulk = loadingInBulk.load(ordering: .relaxed)
        try await writer.run("commit") { [sql] database in
            try database.writeTransaction {
                let row = try database.statement(SQLiteStatements.catalogState).query([.text(namespace), .text(projection)]) { row in
                    (row.text(0).flatMap(NamespaceEntry.State.init(rawValue:)), Date(microsecondsSince1970: row.integer(1)))
                }.first
                if let (state, changedAt) = row, let state, NamespaceEntry.refusesCommits(state, changedAt: changedAt) {
                    throw NamespaceRetired(namespace: namespace, projection: projection, state: state)
                }
                if !batch.starts.isEmpty {
                    let stored = try database.statement(sql.checkpoints).query([.text(projection)], Self.position)
                    try batch.checkFencing(against: stored)
                }
                let upsertEntity = try database.statement(sql.upsertEntity)
                for entity in entities {
                    try upsertEntity.execute([
                        .text(entity.kind.rawValue), .text(entity.id.storeText), .integer(Int64(entity.version)),
                        .integer(entity.isDeleted ? 1 : 0), entity.stateJSON.map(SQLiteValue.text) ?? .null,
                    ])
                }
                let insertOutcome = try database.statement(bulk ? sql.appendOutcome : sql.insertOutcome)
                for outcome in outcomes {
                    try insertOutcome.execute([
                        .text(outcome.commandID.storeText), .text(outcome.kind), .text(outcome.entityID.storeText),
                        .text(outcome.recordType), .text(outcome.status), outcome.rejection.map(SQLiteValue.text) ?? .null,
                        .integer(outcome.version), .text(outcome.topic), .integer(Int64(outcome.partition)), .integer(outcome.offset),
                        .integer(outcome.timestampMicroseconds), outcome.actor.map(SQLiteValue.text) ?? .null, .blob(outcome.envelope),
                    ])
                }
                let upsertCheckpoint = try database.statement(sql.upsertCheckpoint)
                for checkpoint in checkpoints {
                    try upsertCheckpoint.execute([
                        .text(projection), .text(checkpoint.topic), .integer(Int64(checkpoint.partition)), .integer(checkpoint.offset),
                    ])
                }
            }
            // A deleted user is an erased one: the WAL still holds their row's earlier page
            // images, so it is checkpointed into the file (where secure_delete zeroed the row)
            // and truncated.
            if batch.kind == .user, entities.contains(where: \.isDeleted), !bulk {
                Self.checkpointTruncating(database, logger: self.logger)
            }
        }
    }

    /// `wal_checkpoint(TRUNCATE)`, tried again while a reader holds an older snapshot (up to ~1 s).
    private static func checkpointTruncating(_ database: SQLiteDatabase, logger: Logger) {
        for _ in 0..<50 {
            if (try? database.pragma("wal_checkpoint(TRUNCATE)")) == "0" { return }
            usleep(20_000)
        }
        logger.warning("could not truncate the WAL after erasing a user: their old row stays in it until the next checkpoint")
    }

    public func suspendIndexes() async throws -> Bool {
        let suspended = try await writer.run("suspendIndexes") { [sql] database in
            try database.writeTransaction { () throws -> Bool in
                // A legacy table's primary key cannot be dropped: it loads as usual.
                guard try !Self.hasLegacyKey(sql, in: database) else { return false }
                try database.execute(sql.dropIndexes)
                return true
            }
        }
        loadingInBulk.store(suspended, ordering: .relaxed)
        return suspended
    }

    public func restoreIndexes() async throws {
        try await writer.run("restoreIndexes") { [sql] database in
            try database.writeTransaction { try Self.createIndexes(sql, in: database) }
        }
        loadingInBulk.store(false, ordering: .relaxed)
    }

    public func commandIDs(_ kind: EntityKind) async throws -> Set<UUID> {
        Set(
            try await reader.run("commandIDs") { [sql] database in
                try database.statement(sql.commandIDs).query([.text(kind.rawValue)]) { row throws(CorruptRow) in try row.uuid(0) }
            })
    }

    /// The outcome indexes, unless the table is a legacy one whose primary key is the command-id index.
    private static func createIndexes(_ sql: SQLiteStatements, in database: SQLiteDatabase) throws {
        if try !hasLegacyKey(sql, in: database) { try database.execute(sql.commandIndex) }
        try database.execute(sql.historyIndex)
        try database.execute(sql.feedIndex)
    }

    private static func hasLegacyKey(_ sql: SQLiteStatements, in database: SQLiteDatabase) throws -> Bool {
        try !database.statement(sql.legacyKey).query([]) { row in row.integer(0) }.isEmpty
    }

    public func sibling(namespace: String) async throws -> any ReadModelStore {
        try await SQLiteStore(path: path, namespace: namespace, logger: logger).migrated()
    }

    public func catalog() async throws -> [NamespaceEntry] {
        try await reader.run("catalog") { database in
            try database.statement(SQLiteStatements.catalog).query([]) { row throws(CorruptRow) in
                let stateText = try row.requiredText(2)
                guard let state = NamespaceEntry.State(rawValue: stateText) else {
                    throw CorruptRow("unknown namespace state \(stateText)")
                }
                return NamespaceEntry(
                    namespace: try row.requiredText(0), projection: try row.requiredText(1), state: state,
                    asOf: row.isNull(3) ? nil : Date(microsecondsSince1970: row.integer(3)),
                    createdAt: Date(microsecondsSince1970: row.integer(4)), changedAt: Date(microsecondsSince1970: row.integer(5)),
                    progress: row.text(6).map { Data($0.utf8) }
                )
            }
        }
    }

    public func register(_ kind: EntityKind, state: NamespaceEntry.State, asOf: Date?, progress: Data?) async throws {
        let projection = kind.topicSuffix
        precondition(state != .active, "activate(projection:force:) makes a namespace active")
        let namespace = namespace
        try await writer.run("register") { database in
            try database.statement(SQLiteStatements.register).execute([
                .text(namespace), .text(projection), .text(state.rawValue), asOf.map { .integer($0.microsecondsSince1970) } ?? .null,
                .integer(Date().microsecondsSince1970), progress.map { .text(String(decoding: $0, as: UTF8.self)) } ?? .null,
            ])
        }
    }

    public func activate(_ kind: EntityKind, force: Bool) async throws -> Activation {
        let projection = kind.topicSuffix
        let namespace = namespace
        return try await writer.run("activate") { [sql] database in
            try database.writeTransaction { () throws -> Activation in
                let active =
                    try database.statement(SQLiteStatements.activeNamespace).query([.text(projection)]) { row in row.text(0) }.first ?? nil
                if active == namespace { return .alreadyActive }
                let now = Date().microsecondsSince1970
                if let active {
                    if !force {
                        let theirs = try database.statement(SQLiteStatements.checkpoints(of: try StoreNamespace(active, backend: .sqlite)))
                            .query([.text(projection)], Self.position)
                        let ours = try database.statement(sql.checkpoints).query([.text(projection)], Self.position)
                        let ahead = Activation.positionsAhead(theirs, of: ours)
                        if !ahead.isEmpty { return .behind(active: active, positions: ahead) }
                    }
                    try database.statement(SQLiteStatements.setState).execute([
                        .text(active), .text(projection), .text("retired"), .integer(now),
                    ])
                }
                try database.statement(SQLiteStatements.register).execute([
                    .text(namespace), .text(projection), .text("building"), .null, .integer(now), .null,
                ])
                try database.statement(SQLiteStatements.setState).execute([
                    .text(namespace), .text(projection), .text("active"), .integer(now),
                ])
                return .switched(previous: active)
            }
        }
    }

    public func freeze(_ kind: EntityKind) async throws -> (namespace: String, checkpoints: [LogPosition])? {
        let projection = kind.topicSuffix
        return try await writer.run("freeze") { database in
            try database.writeTransaction { () throws -> (namespace: String, checkpoints: [LogPosition])? in
                let frozen =
                    try database.statement(SQLiteStatements.freeze).query([.text(projection), .integer(Date().microsecondsSince1970)]) {
                        row in
                        row.text(0)
                    }.first ?? nil
                guard let frozen else { return nil }
                let checkpoints = try database.statement(SQLiteStatements.checkpoints(of: try StoreNamespace(frozen, backend: .sqlite)))
                    .query([.text(projection)], Self.position)
                return (frozen, checkpoints)
            }
        }
    }

    public func thaw(_ kind: EntityKind) async throws {
        let projection = kind.topicSuffix
        return try await writer.run("thaw") { database in
            try database.statement(SQLiteStatements.thaw).execute([.text(projection), .integer(Date().microsecondsSince1970)])
        }
    }

    public func drop() async throws {
        let namespace = namespace
        try await writer.run("drop") { [sql] database in
            try database.writeTransaction {
                let active = try database.statement(SQLiteStatements.activeRows).query([.text(namespace)]) { row in row.text(0) }.compactMap
                { $0 }
                guard active.isEmpty else {
                    throw StoreError(
                        .conflict, backend: .sqlite, operation: "drop",
                        message: "namespace \(namespace) serves \(active.joined(separator: ", ")); activate another namespace first")
                }
                try database.statement(SQLiteStatements.deleteCatalogRows).execute([.text(namespace)])
                try database.execute(sql.dropTables)
            }
        }
    }

    public func clusterID() async throws -> String? {
        try await reader.run("clusterID") { database in
            try database.statement(SQLiteStatements.setting).query([.text("kafka.cluster_id")]) { row in row.text(0) }.first ?? nil
        }
    }

    public func setClusterID(_ id: String) async throws {
        try await writer.run("setClusterID") { database in
            try database.statement(SQLiteStatements.upsertSetting).execute([.text("kafka.cluster_id"), .text(id)])
        }
    }

    public func ping() async throws {
        _ = try await reader.run("ping") { database in
            try database.statement("SELECT 1").query([]) { row in row.integer(0) }
        }
    }

    public func close() async {
        await reader.close()
        await writer.close()
        logger.debug("SQLite store closed", metadata: [MetadataKey.path: "\(path)"])
    }

    /// A checkpoint row: topic, partition, next offset.
    private static func position(_ row: SQLiteRow) throws(CorruptRow) -> LogPosition {
        LogPosition(topic: try row.requiredText(0), partition: Int32(truncatingIfNeeded: row.integer(1)), offset: row.integer(2))
    }

    /// The outcome columns in ``SQLiteStatements/outcomeColumns`` order.
    private static func outcome(_ row: SQLiteRow) throws(CorruptRow) -> CommandOutcome {
        try StoredOutcome(
            commandID: row.uuid(0), kind: row.requiredText(1), entityID: row.uuid(2), recordType: row.requiredText(3),
            status: row.requiredText(4), rejection: row.text(5), version: row.integer(6), topic: row.requiredText(7),
            partition: Int32(truncatingIfNeeded: row.integer(8)), offset: row.integer(9),
            timestampMicroseconds: row.integer(10), actor: row.text(11), envelope: row.blob(12) ?? Data()
        ).outcome()
    }

    /// Ids as a JSON array for `json_each(?)`: one parameter however many ids.
    private static func jsonArray(_ ids: [UUID]) -> String {
        "[" + ids.map { "\"\($0.storeText)\"" }.joined(separator: ",") + "]"
    }
}
