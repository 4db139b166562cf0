/// The DDL: the shared catalog schema and one namespace's tables.
extension PostgresStore {
    /// The catalog shared by every namespace of the database, in schema `encore` (never a
    /// namespace's: those are `encore_<name>`).
    static let catalogStatements = [
        "CREATE SCHEMA IF NOT EXISTS encore",
        """
        CREATE TABLE IF NOT EXISTS encore.catalog (
            namespace text COLLATE "C" NOT NULL,
            projection text COLLATE "C" NOT NULL,
            state text NOT NULL CHECK (state IN ('building', 'active', 'frozen', 'retired', 'snapshot')),
            as_of timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            changed_at timestamptz NOT NULL DEFAULT now(),
            progress text,
            PRIMARY KEY (namespace, projection)
        )
        """,
        "CREATE UNIQUE INDEX IF NOT EXISTS catalog_one_active ON encore.catalog (projection) WHERE state IN ('active', 'frozen')",
        "CREATE TABLE IF NOT EXISTS encore.settings (key text PRIMARY KEY, value text NOT NULL)",
    ]

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
            // Each partition's outcomes in offset order, for change feeds.
            "CREATE INDEX IF NOT EXISTS outcomes_feed ON \(s).outcomes (kind, log_partition, log_offset)",
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
