import Domain
import Kafka
import Locking
import Log
import Logging
import Projection
import ServiceLifecycle
import Store

/// `encore projector`: folds the log into the read models, one consumer group per model.
///
/// Several projector processes may run with the same configuration: each group splits its
/// topic's partitions between them.
public final class Projector: Service, PartitionOwnership {
    private let configuration: ProjectorConfiguration
    private let namespaces: ActiveNamespaces
    private let keys: any PersonalDataKeys
    private let logger: Logger
    private let assignments = Assignments()

    /// - Parameter keys: the users' data keys, to open their records' personal fields.
    public init(configuration: ProjectorConfiguration, store: any ReadModelStore, keys: any PersonalDataKeys, logger: Logger) {
        self.configuration = configuration
        self.namespaces = ActiveNamespaces(base: store, logger: logger)
        self.keys = keys
        self.logger = logger
    }

    /// The partitions this process currently owns, over all its read models.
    public var assignedPartitions: Set<TopicPartition> { assignments.current }

    /// Returns once every read model's worker is polling: with ``ProjectorConfiguration/Membership/sole``
    /// membership, once this process owns every partition of its topics at the store's checkpoints.
    /// Throws `CancellationError` if the task is cancelled first.
    public func waitUntilStarted() async throws {
        try await assignments.waitUntilStarted(configuration.kinds.count)
    }

    /// Runs every read model's worker until graceful shutdown or the first failure.
    public func run() async throws {
        try await namespaces.closing { namespaces in
            try await namespaces.refreshAtStart()
            try await LogIntegrity(log: configuration.log, logger: logger)
                .verify(folded: namespaces, kinds: configuration.kinds)
            try await project()
        }
    }

    private func project() async throws {
        try await KafkaProducer(
            configuration: configuration.log.producer(),
            logger: logger
        ).closing { deadLetters in
            do {
                try await cancelWhenGracefulShutdown {
                    try await withThrowingDiscardingTaskGroup { group in
                        group.addTask {
                            try await LogIntegrity(log: self.configuration.log, logger: self.logger)
                                .watch(folded: self.namespaces, kinds: self.configuration.kinds, every: self.configuration.logCheckInterval)
                        }
                        for kind in self.configuration.kinds {
                            let worker = ProjectionWorker(
                                kind: kind, configuration: self.configuration, namespaces: self.namespaces, keys: self.keys,
                                deadLetters: deadLetters, assignments: self.assignments, logger: self.logger
                            )
                            group.addTask { try await worker.run() }
                        }
                    }
                }
            } catch is CancellationError {
                // Graceful shutdown.
            }
        }
    }
}
