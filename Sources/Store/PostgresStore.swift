import Domain
import Foundation
import Logging
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
    private let endpoint: PostgresEndpoint
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let closed = Atomic<Bool>(false)
    private let logger: Logger
    private let connectTimeout: Duration
    private let operationTimeout: Duration
    /// The quoted schema name, spliced into SQL (safe: the namespace is `[a-z0-9_]+`).
    private let quotedSchema: String

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`,
    /// optional `?sslmode=`); call ``migrate()`` before use
    /// (``StoreFactory/open(url:namespace:logger:)`` does).
    ///
    /// Fails within about `connectTimeout` if the server cannot be reached or refuses the login.
    /// - Parameter operationTimeout: the longest any later operation may take.
    public init(
        url: String, namespace: String = "main", logger: Logger,
        connectTimeout: Duration = .seconds(5), operationTimeout: Duration = .seconds(30)
    ) async throws {
        let validated = try StoreNamespace(namespace, backend: .postgres)
        let endpoint = try PostgresEndpoint(url: url)
        self.namespace = validated.name
        self.schema = "encore_\(validated.name)"
        self.quotedSchema = "\"encore_\(validated.name)\""
        self.endpoint = endpoint
        self.logger = logger
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout

        // The pool retries failing connections for a long time without telling why; one direct
        // connection first turns "refused", "no such database" or "bad password" into an error now.
        do {
            let configuration = try endpoint.connectionConfiguration(connectTimeout: connectTimeout)
            try await withDeadline(connectTimeout + .seconds(1)) {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try await connection.close()
            }
        } catch is DeadlineExceeded {
            throw StoreError(backend: .postgres, operation: "open", message: "no answer from \(endpoint) within \(connectTimeout)")
        } catch {
            throw StoreError(backend: .postgres, operation: "open", message: "cannot connect to \(endpoint): \(Self.describe(error))")
        }
        let client = PostgresClient(configuration: try endpoint.clientConfiguration(connectTimeout: connectTimeout), backgroundLogger: logger)
        self.client = client
        // The pool only hands out connections while run() runs; close() cancels it.
        self.runTask = Task { await client.run() }
        logger.debug("PostgreSQL store opened", metadata: ["endpoint": "\(endpoint)", "schema": "\(schema)"])
    }

    public func migrate() async throws {
        let statements = Self.schemaStatements(quotedSchema)
        let lockKey = "encore.migrate.\(schema)"
        try await perform("migrate") { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                // Serializes concurrent migrations: CREATE … IF NOT EXISTS races on the catalog otherwise.
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))", logger: logger)
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
        }
    }

    public func snapshot(_ kind: EntityKind, id: UUID) async throws -> EntitySnapshot? {
        try await perform("snapshot") { [quotedSchema] client, logger in
            let rows = try await client.query(
                "SELECT version, deleted, state::text FROM \(unescaped: quotedSchema).entities WHERE kind = \(kind.rawValue) AND id = \(id)",
                logger: logger
            )
            for try await (version, deleted, state) in rows.decode((Int64, Bool, String?).self) {
                return try StoredEntity.snapshot(kind: kind, id: id, version: version, deleted: deleted, stateJSON: state.map { Data($0.utf8) })
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
                found[id] = try StoredEntity.snapshot(kind: kind, id: id, version: version, deleted: deleted, stateJSON: state.map { Data($0.utf8) })
            }
            return found
        }
    }

    public func list(_ kind: EntityKind, after: UUID?, limit: Int) async throws -> [EntitySnapshot] {
        guard limit > 0 else { return [] }
        return try await perform("list") { [quotedSchema] client, logger in
            let query: PostgresQuery = if let after {
                """
                SELECT id, version, state::text FROM \(unescaped: quotedSchema).entities
                WHERE kind = \(kind.rawValue) AND NOT deleted AND id > \(after) ORDER BY id LIMIT \(limit)
                """
            } else {
                """
                SELECT id, version, state::text FROM \(unescaped: quotedSchema).entities
                WHERE kind = \(kind.rawValue) AND NOT deleted ORDER BY id LIMIT \(limit)
                """
            }
            var page: [EntitySnapshot] = []
            for try await (id, version, state) in try await client.query(query, logger: logger).decode((UUID, Int64, String?).self) {
                page.append(try StoredEntity.snapshot(kind: kind, id: id, version: version, deleted: false, stateJSON: state.map { Data($0.utf8) }))
            }
            return page
        }
    }

    public func outcome(commandID: UUID) async throws -> CommandOutcome? {
        try await perform("outcome") { [quotedSchema] client, logger in
            try await Self.outcomes(
                client.query("SELECT \(unescaped: Self.outcomeSelection) FROM \(unescaped: quotedSchema).outcomes WHERE command_id = \(commandID)", logger: logger)
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

    public func history(_ kind: EntityKind, id: UUID) async throws -> [CommandOutcome] {
        try await perform("history") { [quotedSchema] client, logger in
            try await Self.outcomes(client.query(
                """
                SELECT \(unescaped: Self.outcomeSelection) FROM \(unescaped: quotedSchema).outcomes
                WHERE kind = \(kind.rawValue) AND entity_id = \(id) ORDER BY log_topic, log_partition, log_offset
                """,
                logger: logger
            ))
        }
    }

    public func checkpoints(projection: String) async throws -> [LogPosition] {
        try await perform("checkpoints") { [quotedSchema] client, logger in
            let rows = try await client.query(
                """
                SELECT topic, log_partition, next_offset FROM \(unescaped: quotedSchema).checkpoints
                WHERE projection = \(projection) ORDER BY topic, log_partition
                """,
                logger: logger
            )
            var positions: [LogPosition] = []
            for try await (topic, partition, offset) in rows.decode((String, Int32, Int64).self) {
                positions.append(LogPosition(topic: topic, partition: partition, offset: offset))
            }
            return positions
        }
    }

    public func commit(_ batch: ProjectionBatch) async throws {
        let entities = EntityColumns(batch.finalSnapshots.map(StoredEntity.init))
        let outcomes = OutcomeColumns(batch.outcomes.map(StoredOutcome.init))
        let checkpoints = batch.finalCheckpoints
        let projection = batch.projection
        try await perform("commit") { [quotedSchema] client, logger in
            try await client.withTransaction(logger: logger) { connection in
                if !batch.starts.isEmpty {
                    let rows = try await connection.query(
                        """
                        SELECT topic, log_partition, next_offset FROM \(unescaped: quotedSchema).checkpoints
                        WHERE projection = \(projection) FOR UPDATE
                        """,
                        logger: logger
                    )
                    var stored: [LogPosition] = []
                    for try await (topic, partition, offset) in rows.decode((String, Int32, Int64).self) {
                        stored.append(LogPosition(topic: topic, partition: partition, offset: offset))
                    }
                    try batch.checkFencing(against: stored)
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

    public func ping() async throws {
        try await perform("ping", timeout: connectTimeout) { client, logger in
            for try await _ in try await client.query("SELECT 1", logger: logger) {}
        }
    }

    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        runTask.cancel()
        await runTask.value
        logger.debug("PostgreSQL store closed", metadata: ["endpoint": "\(endpoint)"])
    }

    // MARK: - Helpers

    /// Runs one store operation under the deadline, turning every failure into a ``StoreError``.
    private func perform<T: Sendable>(
        _ operation: String, timeout: Duration? = nil,
        _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T
    ) async throws -> T {
        guard !closed.load(ordering: .acquiring) else {
            throw StoreError(backend: .postgres, operation: operation, message: "the store is closed")
        }
        let timeout = timeout ?? operationTimeout
        do {
            return try await withDeadline(timeout) { [client, logger] in try await body(client, logger) }
        } catch is DeadlineExceeded {
            throw StoreError(backend: .postgres, operation: operation, message: "no answer from \(endpoint) within \(timeout)")
        } catch let error as CancellationError {
            throw error
        } catch let error as PostgresTransactionError where error.closureError is CheckpointFenced {
            throw error.closureError!  // Not a store failure: the caller lost its partition.
        } catch {
            throw StoreError(backend: .postgres, operation: operation, message: Self.describe(error))
        }
    }

    /// The server's message and SQLSTATE where there is one (PostgresNIO's own description hides
    /// them), else the underlying network error.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PostgresTransactionError:
            if let inner = error.closureError ?? error.commitError ?? error.beginError { return describe(inner) }
            return "\(error)"
        case let error as PSQLError:
            if let info = error.serverInfo {
                var text = "\(info[.message] ?? "server error") (SQLSTATE \(info[.sqlState] ?? "?"))"
                if let detail = info[.detail] { text += ": \(detail)" }
                return text
            }
            return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
        case let error as CorruptRow:
            return "stored data cannot be read: \(error)"
        default:
            return "\(error)"
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
    private static func outcomes(_ rows: PostgresRowSequence) async throws -> [CommandOutcome] {
        var outcomes: [CommandOutcome] = []
        for try await row in rows {
            let (commandID, kind, entityID, recordType, status, rejection, version, topic, partition, offset, timestamp, actor, envelope) =
                try row.decode((UUID, String, UUID, String, String, String?, Int64, String, Int32, Int64, Int64, String?, Data).self)
            outcomes.append(try StoredOutcome(
                commandID: commandID, kind: kind, entityID: entityID, recordType: recordType, status: status, rejection: rejection,
                version: version, topic: topic, partition: partition, offset: offset, timestampMicroseconds: timestamp, actor: actor, envelope: envelope
            ).outcome())
        }
        return outcomes
    }

    /// The namespace's DDL, one statement each (the extended protocol takes one at a time).
    /// Text that is sorted or compared uses the "C" collation, as SQLite's binary order does.
    static func schemaStatements(_ s: String) -> [String] {
        [
            "CREATE SCHEMA IF NOT EXISTS \(s)",
            """
            CREATE TABLE IF NOT EXISTS \(s).entities (
                kind text COLLATE "C" NOT NULL,
                id uuid NOT NULL,
                version bigint NOT NULL CHECK (version >= 0),
                deleted boolean NOT NULL,
                state jsonb,
                CHECK ((deleted AND state IS NULL) OR (NOT deleted AND state IS NOT NULL)),
                PRIMARY KEY (kind, id)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(s).outcomes (
                command_id uuid PRIMARY KEY,
                kind text COLLATE "C" NOT NULL,
                entity_id uuid NOT NULL,
                record_type text NOT NULL,
                status text NOT NULL CHECK (status IN ('applied', 'rejected')),
                rejection text,
                version bigint NOT NULL CHECK (version >= 0),
                log_topic text COLLATE "C" NOT NULL,
                log_partition integer NOT NULL CHECK (log_partition >= 0),
                log_offset bigint NOT NULL CHECK (log_offset >= 0),
                command_time timestamptz NOT NULL,
                actor text,
                envelope bytea NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS outcomes_history ON \(s).outcomes (kind, entity_id, log_topic, log_partition, log_offset)",
            """
            CREATE TABLE IF NOT EXISTS \(s).checkpoints (
                projection text COLLATE "C" NOT NULL,
                topic text COLLATE "C" NOT NULL,
                log_partition integer NOT NULL CHECK (log_partition >= 0),
                next_offset bigint NOT NULL CHECK (next_offset >= 0),
                PRIMARY KEY (projection, topic, log_partition)
            )
            """,
        ]
    }
}
