/// The SQL of ``SQLiteStore`` for one namespace: tables `<namespace>_entities`, `_outcomes`, `_checkpoints`.
///
/// Ids are lowercase UUID text, so `ORDER BY id` is byte order like PostgreSQL's `uuid`;
/// timestamps are integer microseconds since 1970.
struct SQLiteStatements: Sendable {
    let schema: String
    let snapshot: String
    let snapshots: String
    let list: String
    let outcome: String
    let existingOutcomes: String
    let history: String
    let checkpoints: String
    let upsertEntity: String
    let insertOutcome: String
    let upsertCheckpoint: String

    static let outcomeColumns = """
        command_id, kind, entity_id, record_type, status, rejection, version, \
        log_topic, log_partition, log_offset, timestamp_us, actor, envelope
        """

    init(namespace: StoreNamespace) {
        let entities = "\"\(namespace.name)_entities\""
        let outcomes = "\"\(namespace.name)_outcomes\""
        let checkpointTable = "\"\(namespace.name)_checkpoints\""
        let columns = Self.outcomeColumns
        schema = """
            CREATE TABLE IF NOT EXISTS \(entities) (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                version INTEGER NOT NULL CHECK (version >= 0),
                deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
                state TEXT CHECK ((deleted = 1 AND state IS NULL) OR (deleted = 0 AND json_valid(state))),
                PRIMARY KEY (kind, id)
            );
            CREATE TABLE IF NOT EXISTS \(outcomes) (
                command_id TEXT PRIMARY KEY NOT NULL,
                kind TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                record_type TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),
                rejection TEXT,
                version INTEGER NOT NULL CHECK (version >= 0),
                log_topic TEXT NOT NULL,
                log_partition INTEGER NOT NULL CHECK (log_partition >= 0),
                log_offset INTEGER NOT NULL CHECK (log_offset >= 0),
                timestamp_us INTEGER NOT NULL,
                actor TEXT,
                envelope BLOB NOT NULL
            );
            CREATE INDEX IF NOT EXISTS "\(namespace.name)_outcomes_history"
                ON \(outcomes) (kind, entity_id, log_topic, log_partition, log_offset);
            CREATE TABLE IF NOT EXISTS \(checkpointTable) (
                projection TEXT NOT NULL,
                topic TEXT NOT NULL,
                log_partition INTEGER NOT NULL CHECK (log_partition >= 0),
                next_offset INTEGER NOT NULL CHECK (next_offset >= 0),
                PRIMARY KEY (projection, topic, log_partition)
            ) WITHOUT ROWID;
            """
        snapshot = "SELECT version, deleted, state FROM \(entities) WHERE kind = ?1 AND id = ?2"
        snapshots = """
            SELECT id, version, deleted, state FROM \(entities)
            WHERE kind = ?1 AND id IN (SELECT value FROM json_each(?2))
            """
        list = """
            SELECT id, version, state FROM \(entities)
            WHERE kind = ?1 AND deleted = 0 AND id > ?2 ORDER BY id LIMIT ?3
            """
        outcome = "SELECT \(columns) FROM \(outcomes) WHERE command_id = ?1"
        existingOutcomes = "SELECT command_id FROM \(outcomes) WHERE command_id IN (SELECT value FROM json_each(?1))"
        history = """
            SELECT \(columns) FROM \(outcomes)
            WHERE kind = ?1 AND entity_id = ?2 ORDER BY log_topic, log_partition, log_offset
            """
        checkpoints = """
            SELECT topic, log_partition, next_offset FROM \(checkpointTable)
            WHERE projection = ?1 ORDER BY topic, log_partition
            """
        upsertEntity = """
            INSERT INTO \(entities) (kind, id, version, deleted, state) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted, state = excluded.state
            """
        insertOutcome = """
            INSERT INTO \(outcomes) (\(columns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            ON CONFLICT (command_id) DO NOTHING
            """
        upsertCheckpoint = """
            INSERT INTO \(checkpointTable) (projection, topic, log_partition, next_offset) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (projection, topic, log_partition) DO UPDATE SET next_offset = excluded.next_offset
            """
    }
}
