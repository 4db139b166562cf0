import Domain
import Foundation
import Logging
import MetadataKeys
import PostgresNIO
import Synchronization

/// The shared read-model store: PostgreSQL, one schema `encore_<namespace>` per namespace.
///
/// Several gateways and projectors on several machines may use one database. Batches are
/// written with one `INSERT … SELECT FROM UNNEST(arrays)` per table, so a commit costs three
/// statements however many rows it carries. Every operation is bounded by a deadline: a
/// server that stops answering makes calls fail, not hang.
public final class PostgresStore: ReadModelStore {
    /// The namespace; its tables live in schema ``schema``.
    public let namespace: String
    /// `encore_<namespace>`.
    public let schema: String
    /// The pool it shares with the stores of the database's other namespaces.
    let database: PostgresDatabase
    let closed = Atomic<Bool>(false)
    /// The quoted schema name, spliced into SQL (safe: the namespace is `[a-z0-9_]+`).
    let quotedSchema: String

    /// The store of `namespace` in `database`; call ``migrate()`` before use
    /// (``StoreDatabase/open(namespace:)`` does).
    init(database: PostgresDatabase, namespace: String) throws {
        let validated = try StoreNamespace(namespace, backend: .postgres)
        self.namespace = validated.name
        self.schema = "encore_\(validated.name)"
        self.quotedSchema = "\"encore_\(validated.name)\""
        self.database = database
        database.logger.debug(
            "PostgreSQL store opened", metadata: [MetadataKey.endpoint: "\(database.endpoint)", MetadataKey.schema: "\(schema)"])
    }

    public func migrate() async throws {
        let statements = Self.catalogStatements + Self.schemaStatements(quotedSchema)
        let namespace = namespace
        try await PostgresDatabase.migrating { [self] in try await migrateOnce(statements, namespace: namespace) }
    }

    private func migrateOnce(_ statements: [String], namespace: String) async throws {
        try await perform("migrate") { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                // Serializes concurrent migrations: CREATE … IF NOT EXISTS races on the catalog otherwise.
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext('encore.migrate'))", logger: logger)
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                // The first namespace serves every read model until a replay activates another.
                if namespace == "main" {
                    for kind in EntityKind.allCases {
                        try await connection.query(
                            """
                            INSERT INTO encore.catalog (namespace, projection, state)
                            SELECT \(namespace), \(kind.topicSuffix), 'active'
                            WHERE NOT EXISTS (SELECT 1 FROM encore.catalog WHERE projection = \(kind.topicSuffix) AND state IN ('active', 'frozen'))
                            ON CONFLICT (namespace, projection) DO NOTHING
                            """,
                            logger: logger
                        )
                    }
                }
            }
        }
    }

    public func snapshot(_ kind: EntityKind, id: UUID) async throws -> EntitySnapshot? {
        try await perform("snapshot", timeout: database.readTimeout) { [quotedSchema] client, logger in
            let rows = try await client.query(
                "SELECT version, deleted, state::text FROM \(unescaped: quotedSchema).entities WHERE kind = \(kind.rawValue) AND id = \(id)",
                logger: logger
            )
            for try await (version, deleted, state) in rows.decode((Int64, Bool, String?).self) {
                return try StoredEntity.snapshot(
                    kind: kind, id: id, version: version, deleted: deleted, stateJSON: state.map { Data($0.utf8) })
            }
            return nil
        }
    }

    public func snapshots(_ kind: EntityKind, ids: [UUID]) async throws -> [UUID: EntitySnapshot] {
        guard !ids.isEmpty else { return [:] }
        return try await perform("snapshots") { [quotedSchema] client, logger in
            let rows = try await client.query(
                """
                SELECT id, version, deleted, state::text FROM \(unescaped: quotedSchema).entities
                WHERE kind = \(kind.rawValue) AND id = ANY(\(ids)::uuid[])
                """,
                logger: logger
            )
            var found: [UUID: EntitySnapshot] = [:]
            for try await (id, version, deleted, state) in rows.decode((UUID, Int64, Bool, String?).self) {
                found[id] = try StoredEntity.snapshot(
                    kind: kind, id: id, version: version, deleted: deleted, stateJSON: state.map { Data($0.utf8) })
            }
            return found
        }
    }

    public func list(_ kind: EntityKind, after: UUID?, limit: Int, includingDeleted: Bool) async throws -> [EntitySnapshot] {
        guard limit > 0 else { return [] }
        return try await perform("list", timeout: database.readTimeout) { [quotedSchema] client, logger in
            // The nil UUID sorts before every other id, so no cursor means from the start.
            let cursor = after ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            let query: PostgresQuery = """
                SELECT id, version, deleted, state::text FROM \(unescaped: quotedSchema).entities
                WHERE kind = \(kind.rawValue) AND (\(includingDeleted) OR NOT deleted) AND id > \(cursor) ORDER BY id LIMIT \(limit)
                """
            var page: [EntitySnapshot] = []
            for try await (id, version, deleted, state) in try await client.query(query, logger: logger).decode(
                (UUID, Int64, Bool, String?).self)
            {
                page.append(
                    try StoredEntity.snapshot(
                        kind: kind, id: id, version: version, deleted: deleted, stateJSON: state.map { Data($0.utf8) }))
            }
            return page
        }
    }

    public func outcome(commandID: UUID) async throws -> CommandOutcome? {
        try await perform("outcome", timeout: database.readTimeout) { [quotedSchema] client, logger in
            try await Self.outcomes(
                client.query(
                    "SELECT \(unescaped: Self.outcomeSelection) FROM \(unescaped: quotedSchema).outcomes WHERE command_id = \(commandID)",
                    logger: logger)
            ).first
        }
    }

    public func existingOutcomes(commandIDs: [UUID]) async throws -> Set<UUID> {
        guard !commandIDs.isEmpty else { return [] }
        return try await perform("existingOutcomes") { [quotedSchema] client, logger in
            let rows = try await client.query(
                "SELECT command_id FROM \(unescaped: quotedSchema).outcomes WHERE command_id = ANY(\(commandIDs)::uuid[])", logger: logger
            )
            var found = Set<UUID>()
            for try await id in rows.decode(UUID.self) { found.insert(id) }
            return found
        }
    }

    /// PostgreSQL keeps its indexes during a bulk load (dropping them is not measured yet), so a
    /// replay into it loads as before.
    public func suspendIndexes() async throws -> Bool { false }

    public func restoreIndexes() async throws {}

    public func commandIDs(_ kind: EntityKind) async throws -> Set<UUID> {
        try await perform("commandIDs", timeout: database.readTimeout) { [quotedSchema] client, logger in
            let rows = try await client.query(
                "SELECT command_id FROM \(unescaped: quotedSchema).outcomes WHERE kind = \(kind.rawValue)", logger: logger)
            var found = Set<UUID>()
            for try await id in rows.decode(UUID.self) { found.insert(id) }
            return found
        }
    }

    public func history(_ kind: EntityKind, id: UUID) async throws -> [CommandOutcome] {
        try await perform("history", timeout: database.readTimeout) { [quotedSchema] client, logger in
            try await Self.outcomes(
                client.query(
                    """
                    SELECT \(unescaped: Self.outcomeSelection) FROM \(unescaped: quotedSchema).outcomes
                    WHERE kind = \(kind.rawValue) AND entity_id = \(id) ORDER BY log_topic, log_partition, log_offset
                    """,
                    logger: logger
                ))
        }
    }

    public func outcomes(_ kind: EntityKind, partition: Int32, after: Int64, before: Int64, limit: Int) async throws -> [CommandOutcome] {
        guard limit > 0, before > after + 1 else { return [] }
        return try await perform("outcomes", timeout: database.readTimeout) { [quotedSchema] client, logger in
            try await Self.outcomes(
                client.query(
                    """
                    SELECT \(unescaped: Self.outcomeSelection) FROM \(unescaped: quotedSchema).outcomes
                    WHERE kind = \(kind.rawValue) AND log_partition = \(partition) AND log_offset > \(after) AND log_offset < \(before)
                    ORDER BY log_offset LIMIT \(limit)
                    """,
                    logger: logger
                ))
        }
    }

    public func checkpoints(of kind: EntityKind) async throws -> [LogPosition] {
        let projection = kind.topicSuffix
        return try await perform("checkpoints") { [quotedSchema] client, logger in
            let rows = try await client.query(
                """
                SELECT topic, log_partition, next_offset FROM \(unescaped: quotedSchema).checkpoints
                WHERE projection = \(projection) ORDER BY topic, log_partition
                """,
                logger: logger
            )
            return try await Self.positions(rows)
        }
    }

    public func commit(_ batch: ProjectionBatch) async throws {
        let entities = EntityColumns(batch.finalSnapshots.map(StoredEntity.init))
        let outcomes = OutcomeColumns(batch.outcomes.map(StoredOutcome.init))
        let checkpoints = batch.finalCheckpoints
        let projection = batch.kind.topicSuffix
        let namespace = namespace
        try await perform("commit") { [quotedSchema] client, logger in
            try await client.withTransaction(logger: logger) { connection in
                // FOR SHARE: an activation (FOR UPDATE on this row) waits for this commit, and a
                // commit after it sees the new state.
                let states = try await connection.query(
                    """
                    SELECT state, (EXTRACT(EPOCH FROM changed_at) * 1000000)::int8 FROM encore.catalog
                    WHERE namespace = \(namespace) AND projection = \(projection) FOR SHARE
                    """,
                    logger: logger
                )
                for try await (text, changed) in states.decode((String, Int64).self) {
                    if let state = NamespaceEntry.State(rawValue: text),
                        NamespaceEntry.refusesCommits(state, changedAt: Date(microsecondsSince1970: changed))
                    {
                        throw NamespaceRetired(namespace: namespace, projection: projection, state: state)
                    }
                }
                if !batch.starts.isEmpty {
                    let rows = try await connection.query(
                        """
                        SELECT topic, log_partition, next_offset FROM \(unescaped: quotedSchema).checkpoints
                        WHERE projection = \(projection) FOR UPDATE
                        """,
                        logger: logger
                    )
                    try batch.checkFencing(against: try await Self.positions(rows))
                }
                if !entities.ids.isEmpty {
                    try await connection.query(
                        """
                        INSERT INTO \(unescaped: quotedSchema).entities (kind, id, version, deleted, state)
                        SELECT k, i, v, d, CASE WHEN d THEN NULL ELSE j::jsonb END
                        FROM UNNEST(\(entities.kinds)::text[], \(entities.ids)::uuid[], \(entities.versions)::int8[],
                                    \(entities.deleted)::bool[], \(entities.states)::text[]) AS u(k, i, v, d, j)
                        ON CONFLICT (kind, id) DO UPDATE
                        SET version = EXCLUDED.version, deleted = EXCLUDED.deleted, state = EXCLUDED.state
                        """,
                        logger: logger
                    )
                }
                if !outcomes.commandIDs.isEmpty {
                    // ORDER BY the array position: with duplicate command ids the first one is kept.
                    try await connection.query(
                        """
                        INSERT INTO \(unescaped: quotedSchema).outcomes (\(unescaped: Self.outcomeColumns))
                        SELECT c, k, e, r, st, NULLIF(rj, ''), v, t, p, o,
                               TIMESTAMPTZ 'epoch' + us * INTERVAL '1 microsecond', CASE WHEN ha THEN a END, env
                        FROM UNNEST(\(outcomes.commandIDs)::uuid[], \(outcomes.kinds)::text[], \(outcomes.entityIDs)::uuid[],
                                    \(outcomes.recordTypes)::text[], \(outcomes.statuses)::text[], \(outcomes.rejections)::text[],
                                    \(outcomes.versions)::int8[], \(outcomes.topics)::text[], \(outcomes.partitions)::int4[],
                                    \(outcomes.offsets)::int8[], \(outcomes.timestamps)::int8[], \(outcomes.hasActor)::bool[],
                                    \(outcomes.actors)::text[], \(outcomes.envelopes)::bytea[])
                             WITH ORDINALITY AS u(c, k, e, r, st, rj, v, t, p, o, us, ha, a, env, n)
                        ORDER BY n
                        ON CONFLICT (command_id) DO NOTHING
                        """,
                        logger: logger
                    )
                }
                if !checkpoints.isEmpty {
                    try await connection.query(
                        """
                        INSERT INTO \(unescaped: quotedSchema).checkpoints (projection, topic, log_partition, next_offset)
                        SELECT \(projection), t, p, o
                        FROM UNNEST(\(checkpoints.map(\.topic))::text[], \(checkpoints.map(\.partition))::int4[],
                                    \(checkpoints.map(\.offset))::int8[]) AS u(t, p, o)
                        ON CONFLICT (projection, topic, log_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
                        """,
                        logger: logger
                    )
                }
            }
        }
    }

    /// A namespace schema's checkpoints for one projection, inside a transaction.
    static func positions(_ connection: PostgresConnection, schema: String, projection: String, logger: Logger) async throws
        -> [LogPosition]
    {
        try await positions(
            connection.query(
                "SELECT topic, log_partition, next_offset FROM \(unescaped: schema).checkpoints WHERE projection = \(projection)",
                logger: logger
            ))
    }

    /// Checkpoint rows: topic, partition, next offset.
    static func positions(_ rows: PostgresRowSequence) async throws -> [LogPosition] {
        var positions: [LogPosition] = []
        for try await (topic, partition, offset) in rows.decode((String, Int32, Int64).self) {
            positions.append(LogPosition(topic: topic, partition: partition, offset: offset))
        }
        return positions
    }

    public func ping() async throws {
        try await perform("ping", timeout: database.connectTimeout) { client, logger in
            for try await _ in try await client.query("SELECT 1", logger: logger) {}
        }
    }

    /// Refuses later calls; the pool is the database's and stops with it.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        database.logger.debug(
            "PostgreSQL store closed", metadata: [MetadataKey.endpoint: "\(database.endpoint)", MetadataKey.schema: "\(schema)"])
    }

    // MARK: - Helpers

    /// Runs one store operation under the deadline, turning every failure into a ``StoreError``.
    /// Statements run for their effect return their row sequence, which callers may ignore.
    @discardableResult
    func perform<T: Sendable>(
        _ operation: String, timeout: Duration? = nil,
        _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T
    ) async throws -> T {
        guard !closed.load(ordering: .acquiring) else {
            throw StoreError(.misuse, backend: .postgres, operation: operation, message: "the store is closed")
        }
        let timeout = timeout ?? database.operationTimeout
        do {
            return try await withDeadline(timeout) { [client = database.client, logger = database.logger] in try await body(client, logger)
            }
        } catch is DeadlineExceeded {
            throw StoreError(
                .unavailable, backend: .postgres, operation: operation, message: "no answer from \(database.endpoint) within \(timeout)")
        } catch let error as CancellationError {
            throw error
        } catch let error as PostgresTransactionError where error.closureError is any CommitRefusal {
            throw error.closureError!  // Not a store failure: the caller lost its partition or namespace.
        } catch {
            throw StoreError(
                Self.code(of: error), backend: .postgres, operation: operation, message: Self.describe(error), underlying: error)
        }
    }

    /// Columns to insert into.
    static let outcomeColumns = """
        command_id, kind, entity_id, record_type, status, rejection, version, \
        log_topic, log_partition, log_offset, command_time, actor, envelope
        """

    /// Columns to read, in the same order; the time as exact integer microseconds since 1970.
    static let outcomeSelection = """
        command_id, kind, entity_id, record_type, status, rejection, version, \
        log_topic, log_partition, log_offset, (EXTRACT(EPOCH FROM command_time) * 1000000)::int8, actor, envelope
        """

    /// Reads rows of ``outcomeSelection``.
    static func outcomes(_ rows: PostgresRowSequence) async throws -> [CommandOutcome] {
        var outcomes: [CommandOutcome] = []
        for try await row in rows {
            let (commandID, kind, entityID, recordType, status, rejection, version, topic, partition, offset, timestamp, actor, envelope) =
                try row.decode((UUID, String, UUID, String, String, String?, Int64, String, Int32, Int64, Int64, String?, Data).self)
            outcomes.append(
                try StoredOutcome(
                    commandID: commandID, kind: kind, entityID: entityID, recordType: recordType, status: status, rejection: rejection,
                    version: version, topic: topic, partition: partition, offset: offset, timestampMicroseconds: timestamp, actor: actor,
                    envelope: envelope
                ).outcome())
        }
        return outcomes
    }
}
