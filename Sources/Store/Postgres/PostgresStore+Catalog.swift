import Domain
import Foundation
import Logging
import PostgresNIO

/// The namespace catalog: namespaces, their states per projection, activation, freezes, and
/// the Kafka cluster id the read models are bound to.
extension PostgresStore {
    public func sibling(namespace: String) async throws -> any ReadModelStore {
        try await PostgresStore(database: database, namespace: namespace).migrated()
    }

    public func catalog() async throws -> [NamespaceEntry] {
        try await perform("catalog", timeout: database.readTimeout) { client, logger in
            let rows = try await client.query(
                """
                SELECT namespace, projection, state, (EXTRACT(EPOCH FROM as_of) * 1000000)::int8,
                       (EXTRACT(EPOCH FROM created_at) * 1000000)::int8, (EXTRACT(EPOCH FROM changed_at) * 1000000)::int8, progress
                FROM encore.catalog ORDER BY created_at, namespace, projection
                """,
                logger: logger
            )
            var entries: [NamespaceEntry] = []
            for try await (namespace, projection, stateText, asOf, created, changed, progress) in rows.decode(
                (String, String, String, Int64?, Int64, Int64, String?).self)
            {
                guard let state = NamespaceEntry.State(rawValue: stateText) else {
                    throw CorruptRow("unknown namespace state \(stateText)")
                }
                entries.append(
                    NamespaceEntry(
                        namespace: namespace, projection: projection, state: state, asOf: asOf.map(Date.init(microsecondsSince1970:)),
                        createdAt: Date(microsecondsSince1970: created), changedAt: Date(microsecondsSince1970: changed),
                        progress: progress.map { Data($0.utf8) }
                    ))
            }
            return entries
        }
    }

    public func register(_ kind: EntityKind, state: NamespaceEntry.State, asOf: Date?, progress: Data?) async throws {
        let projection = kind.topicSuffix
        precondition(state != .active, "activate(projection:force:) makes a namespace active")
        let namespace = namespace
        let asOfMicroseconds = asOf?.microsecondsSince1970
        let progressText = progress.map { String(decoding: $0, as: UTF8.self) }
        try await perform("register") { client, logger in
            try await client.query(
                """
                INSERT INTO encore.catalog (namespace, projection, state, as_of, progress)
                VALUES (\(namespace), \(projection), \(state.rawValue),
                        TIMESTAMPTZ 'epoch' + \(asOfMicroseconds) * INTERVAL '1 microsecond', \(progressText))
                ON CONFLICT (namespace, projection) DO UPDATE SET
                    state = CASE WHEN catalog.state IN ('active', 'frozen') THEN catalog.state ELSE EXCLUDED.state END,
                    as_of = EXCLUDED.as_of, progress = EXCLUDED.progress,
                    changed_at = CASE WHEN catalog.state = EXCLUDED.state THEN catalog.changed_at ELSE now() END
                """,
                logger: logger
            )
        }
    }

    public func activate(_ kind: EntityKind, force: Bool) async throws -> Activation {
        let projection = kind.topicSuffix
        let namespace = namespace
        return try await perform("activate") { [quotedSchema] client, logger in
            try await client.withTransaction(logger: logger) { connection -> Activation in
                // Serializes activations of one projection, and waits for commits holding FOR SHARE.
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext('encore.activate.' || \(projection)))", logger: logger)
                var active: String?
                let rows = try await connection.query(
                    "SELECT namespace FROM encore.catalog WHERE projection = \(projection) AND state IN ('active', 'frozen') FOR UPDATE",
                    logger: logger
                )
                for try await name in rows.decode(String.self) { active = name }
                if active == namespace { return .alreadyActive }
                if let active {
                    if !force {
                        let activeSchema = "\"encore_\(try StoreNamespace(active, backend: .postgres).name)\""
                        let theirs = try await Self.positions(connection, schema: activeSchema, projection: projection, logger: logger)
                        let ours = try await Self.positions(connection, schema: quotedSchema, projection: projection, logger: logger)
                        let ahead = Activation.positionsAhead(theirs, of: ours)
                        if !ahead.isEmpty { return .behind(active: active, positions: ahead) }
                    }
                    try await connection.query(
                        "UPDATE encore.catalog SET state = 'retired', changed_at = now(), progress = NULL WHERE namespace = \(active) AND projection = \(projection)",
                        logger: logger
                    )
                }
                try await connection.query(
                    """
                    INSERT INTO encore.catalog (namespace, projection, state) VALUES (\(namespace), \(projection), 'active')
                    ON CONFLICT (namespace, projection) DO UPDATE SET state = 'active', changed_at = now(), progress = NULL
                    """,
                    logger: logger
                )
                return .switched(previous: active)
            }
        }
    }

    public func freeze(_ kind: EntityKind) async throws -> (namespace: String, checkpoints: [LogPosition])? {
        let projection = kind.topicSuffix
        return try await perform("freeze") { client, logger in
            try await client.withTransaction(logger: logger) { connection -> (namespace: String, checkpoints: [LogPosition])? in
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext('encore.activate.' || \(projection)))", logger: logger)
                // Row lock: waits for commits in flight (FOR SHARE); later ones see the freeze.
                let rows = try await connection.query(
                    "UPDATE encore.catalog SET state = 'frozen', changed_at = now() WHERE projection = \(projection) AND state = 'active' RETURNING namespace",
                    logger: logger
                )
                var frozen: String?
                for try await name in rows.decode(String.self) { frozen = name }
                guard let frozen else { return nil }
                let schema = "\"encore_\(try StoreNamespace(frozen, backend: .postgres).name)\""
                return (frozen, try await Self.positions(connection, schema: schema, projection: projection, logger: logger))
            }
        }
    }

    public func thaw(_ kind: EntityKind) async throws {
        let projection = kind.topicSuffix
        return try await perform("thaw") { client, logger in
            try await client.query(
                "UPDATE encore.catalog SET state = 'active', changed_at = now() WHERE projection = \(projection) AND state = 'frozen'",
                logger: logger
            )
        }
    }

    public func drop() async throws {
        let namespace = namespace
        try await perform("drop") { [quotedSchema] client, logger in
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    "SELECT projection FROM encore.catalog WHERE namespace = \(namespace) AND state IN ('active', 'frozen') FOR UPDATE",
                    logger: logger
                )
                var active: [String] = []
                for try await projection in rows.decode(String.self) { active.append(projection) }
                guard active.isEmpty else {
                    throw StoreError(
                        .conflict, backend: .postgres, operation: "drop",
                        message: "namespace \(namespace) serves \(active.joined(separator: ", ")); activate another namespace first")
                }
                try await connection.query("DELETE FROM encore.catalog WHERE namespace = \(namespace)", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(quotedSchema) CASCADE"), logger: logger)
            }
        }
    }

    public func clusterID() async throws -> String? {
        try await perform("clusterID", timeout: database.readTimeout) { client, logger in
            for try await value in try await client.query(
                "SELECT value FROM encore.settings WHERE key = 'kafka.cluster_id'", logger: logger
            ).decode(String.self) {
                return value
            }
            return nil
        }
    }

    public func setClusterID(_ id: String) async throws {
        try await perform("setClusterID") { client, logger in
            try await client.query(
                "INSERT INTO encore.settings (key, value) VALUES ('kafka.cluster_id', \(id)) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                logger: logger
            )
        }
    }
}
