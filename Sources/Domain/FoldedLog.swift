/// What the read models were built from, as far as the log-integrity check needs to see it: the
/// Kafka cluster they are bound to and how far each read model has folded its topic.
///
/// Declared here, beside ``LogPosition``, so the log's integrity check need not know the store.
public protocol FoldedLog: Sendable {
    /// The cluster id the read models are bound to; nil before the first projector or replay ran.
    func boundClusterID() async throws -> String?
    /// Records the cluster id the read models are built from.
    func bind(toCluster id: String) async throws
    /// Per partition, the next offset to fold, of each kind's read model.
    func checkpoints(of kinds: [EntityKind]) async throws -> [LogPosition]
}
