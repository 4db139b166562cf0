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
    let partitionOutcomes: String
    let checkpoints: String
    let upsertEntity: String
    let insertOutcome: String
    let upsertCheckpoint: String
    /// A plain insert, for a bulk load whose caller deduplicates (no command-id index to check).
    let appendOutcome: String
    /// The outcome indexes: command ids unique, each entity's history in log order, and each
    /// partition's outcomes in offset order (change feeds).
    let commandIndex: String
    let historyIndex: String
    let feedIndex: String
    let dropIndexes: String
    /// Tables made before the command-id index was its own have it as their primary key.
    let legacyKey: String
    let commandIDs: String
    let listAll: String
    let dropTables: String

    /// The namespace catalog and settings, shared by every namespace of the file.
    static let catalogSchema = """
        CREATE TABLE IF NOT EXISTS encore_catalog (
            namespace TEXT NOT NULL,
            projection TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('building', 'active', 'frozen', 'retired', 'snapshot')),
            as_of_us INTEGER,
            created_us INTEGER NOT NULL,
            changed_us INTEGER NOT NULL,
            progress TEXT,
            PRIMARY KEY (namespace, projection)
        );
        CREATE UNIQUE INDEX IF NOT EXISTS encore_catalog_one_active ON encore_catalog (projection) WHERE state IN ('active', 'frozen');
        CREATE TABLE IF NOT EXISTS encore_settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        """
    static let catalog =
        "SELECT namespace, projection, state, as_of_us, created_us, changed_us, progress FROM encore_catalog ORDER BY created_us, namespace, projection"
    static let catalogState = "SELECT state, changed_us FROM encore_catalog WHERE namespace = ?1 AND projection = ?2"
    static let activeNamespace = "SELECT namespace FROM encore_catalog WHERE projection = ?1 AND state IN ('active', 'frozen')"
    static let freeze =
        "UPDATE encore_catalog SET state = 'frozen', changed_us = ?2 WHERE projection = ?1 AND state = 'active' RETURNING namespace"
    static let thaw = "UPDATE encore_catalog SET state = 'active', changed_us = ?2 WHERE projection = ?1 AND state = 'frozen'"
    /// Registers a namespace as active for a projection that has no active namespace yet.
    static let claimActive = """
        INSERT INTO encore_catalog (namespace, projection, state, created_us, changed_us)
        SELECT ?1, ?2, 'active', ?3, ?3 WHERE NOT EXISTS (SELECT 1 FROM encore_catalog WHERE projection = ?2 AND state IN ('active', 'frozen'))
        ON CONFLICT (namespace, projection) DO NOTHING
        """
    static let register = """
        INSERT INTO encore_catalog (namespace, projection, state, as_of_us, created_us, changed_us, progress)
        VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)
        ON CONFLICT (namespace, projection) DO UPDATE SET
            state = CASE WHEN encore_catalog.state IN ('active', 'frozen') THEN encore_catalog.state ELSE excluded.state END,
            as_of_us = excluded.as_of_us, progress = excluded.progress,
            changed_us = CASE WHEN encore_catalog.state = excluded.state THEN encore_catalog.changed_us ELSE excluded.changed_us END
        """
    static let setState = "UPDATE encore_catalog SET state = ?3, changed_us = ?4, progress = NULL WHERE namespace = ?1 AND projection = ?2"
    static let deleteCatalogRows = "DELETE FROM encore_catalog WHERE namespace = ?1"
    static let activeRows = "SELECT projection FROM encore_catalog WHERE namespace = ?1 AND state IN ('active', 'frozen')"
    static let setting = "SELECT value FROM encore_settings WHERE key = ?1"
    static let upsertSetting =
        "INSERT INTO encore_settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"

    /// Another namespace's checkpoints for a projection (to compare before activating).
    static func checkpoints(of namespace: StoreNamespace) -> String {
        "SELECT topic, log_partition, next_offset FROM \"\(namespace.name)_checkpoints\" WHERE projection = ?1 ORDER BY topic, log_partition"
    }

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
                command_id TEXT NOT NULL,
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
            SELECT id, version, deleted, state FROM \(entities)
            WHERE kind = ?1 AND deleted = 0 AND id > ?2 ORDER BY id LIMIT ?3
            """
        listAll = """
            SELECT id, version, deleted, state FROM \(entities)
            WHERE kind = ?1 AND id > ?2 ORDER BY id LIMIT ?3
            """
        dropTables = "DROP TABLE IF EXISTS \(entities); DROP TABLE IF EXISTS \(outcomes); DROP TABLE IF EXISTS \(checkpointTable);"
        outcome = "SELECT \(columns) FROM \(outcomes) WHERE command_id = ?1"
        existingOutcomes = "SELECT command_id FROM \(outcomes) WHERE command_id IN (SELECT value FROM json_each(?1))"
        history = """
            SELECT \(columns) FROM \(outcomes)
            WHERE kind = ?1 AND entity_id = ?2 ORDER BY log_topic, log_partition, log_offset
            """
        partitionOutcomes = """
            SELECT \(columns) FROM \(outcomes)
            WHERE kind = ?1 AND log_partition = ?2 AND log_offset > ?3 AND log_offset < ?4 ORDER BY log_offset LIMIT ?5
            """
        checkpoints = """
            SELECT topic, log_partition, next_offset FROM \(checkpointTable)
            WHERE projection = ?1 ORDER BY topic, log_partition
            """
        upsertEntity = """
            INSERT INTO \(entities) (kind, id, version, deleted, state) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted, state = excluded.state
            """
        appendOutcome = "INSERT INTO \(outcomes) (\(columns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        insertOutcome = appendOutcome + " ON CONFLICT (command_id) DO NOTHING"
        commandIndex = "CREATE UNIQUE INDEX IF NOT EXISTS \"\(namespace.name)_outcomes_command\" ON \(outcomes) (command_id)"
        historyIndex = """
            CREATE INDEX IF NOT EXISTS "\(namespace.name)_outcomes_history"
                ON \(outcomes) (kind, entity_id, log_topic, log_partition, log_offset)
            """
        feedIndex = """
            CREATE INDEX IF NOT EXISTS "\(namespace.name)_outcomes_feed" ON \(outcomes) (kind, log_partition, log_offset)
            """
        dropIndexes = """
            DROP INDEX IF EXISTS "\(namespace.name)_outcomes_command"; DROP INDEX IF EXISTS "\(namespace.name)_outcomes_history";
            DROP INDEX IF EXISTS "\(namespace.name)_outcomes_feed"
            """
        legacyKey = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'sqlite_autoindex_\(namespace.name)_outcomes_1'"
        commandIDs = "SELECT command_id FROM \(outcomes) WHERE kind = ?1"
        upsertCheckpoint = """
            INSERT INTO \(checkpointTable) (projection, topic, log_partition, next_offset) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (projection, topic, log_partition) DO UPDATE SET next_offset = excluded.next_offset
            """
    }
}
