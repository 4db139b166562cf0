import Domain
import Foundation
import Kafka
import Logging
import MetadataKeys

/// Detects a log that lost data under the read models, before anything is folded on top of it.
///
/// Two signs: the broker's cluster id is not the one the read models were built from (a
/// recreated cluster; Tansu keeps nothing across restarts), or a partition's log end is behind
/// a stored checkpoint (records the read model has folded are gone). Folding the new log onto
/// the old state would serve a mix of both, so projectors and replays refuse.
public struct LogIntegrity: Sendable {
    let log: LogLocation
    let logger: Logger

    public init(log: LogLocation, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    /// Throws ``LogLost`` if the log lost data under the read models; records the cluster
    /// id on first use.
    public func verify(folded: any FoldedLog, kinds: [EntityKind]) async throws {
        let problems = try await KafkaAdmin.with(configuration: log.admin, logger: logger) { admin in
            try await self.problems(admin: admin, folded: folded, kinds: kinds)
        }
        if !problems.isEmpty { throw LogLost(problems: problems) }
    }

    /// Re-checks every `interval` while the projector runs, so a broker restarted empty under a
    /// live projector stops it instead of letting it fold a different log onto the old state.
    ///
    /// Throws ``LogLost`` (after logging it as an error) when the log lost data; a check that
    /// fails for another reason (broker or store unreachable for a while) is only a warning.
    public func watch(folded: any FoldedLog, kinds: [EntityKind], every interval: Duration) async throws {
        let admin = try KafkaAdmin(configuration: log.admin, logger: logger)
        do {
            while true {
                try await Task.sleep(for: interval)
                let found: [String]
                do {
                    found = try await problems(admin: admin, folded: folded, kinds: kinds)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    logger.warning("log integrity check failed; will retry", metadata: [MetadataKey.error: "\(error)"])
                    continue
                }
                if !found.isEmpty {
                    let lost = LogLost(problems: found)
                    logger.error("the log lost what the read models were built from", metadata: [MetadataKey.problems: "\(lost)"])
                    throw lost
                }
            }
        } catch {
            await admin.close()
            throw error
        }
    }

    /// What is wrong, one sentence each; empty when the log holds everything the read models folded.
    ///
    /// - Parameter bind: record the broker's cluster id when none is recorded yet (projectors and
    ///   replays do; an observer such as the lag monitor does not).
    public func problems(admin: KafkaAdmin, folded: any FoldedLog, kinds: [EntityKind], bind: Bool = true) async throws -> [String] {
        let cluster = try await admin.clusterID()
        guard let recorded = try await folded.boundClusterID() else {
            guard bind else { return [] }
            try await folded.bind(toCluster: cluster)
            logger.info("read models are now bound to the Kafka cluster", metadata: [MetadataKey.cluster: "\(cluster)"])
            return []
        }
        guard recorded == cluster else {
            return ["the broker's cluster id is \(cluster), but the read models were built from cluster \(recorded): that log is gone"]
        }
        let topics = Dictionary(uniqueKeysWithValues: try await admin.listTopics().map { ($0.name, $0) })
        let checkpoints = try await folded.checkpoints(of: kinds).filter { $0.offset > 0 }
        let partitions = checkpoints.map { TopicPartition($0.topic, $0.partition) }
        var problems = Set(partitions.filter { topics[$0.topic] == nil }.map(\.topic)).sorted()
            .map { "topic \($0) is gone, but the read models have folded records of it" }
        // A topic re-created with fewer partitions (auto-created by a write to an empty broker)
        // lacks some: those are lost too, and asking for their watermarks would only time out.
        let existing = Set(topics.values.flatMap(\.topicPartitions))
        problems += partitions.filter { topics[$0.topic] != nil && !existing.contains($0) }
            .map { "\($0) no longer exists, but the read models have folded records of it" }
        let present = partitions.filter { existing.contains($0) }
        let ends = try await admin.watermarks(partitions: present)
        for checkpoint in checkpoints {
            let partition = TopicPartition(checkpoint.topic, checkpoint.partition)
            if let end = ends[partition]?.high, end < checkpoint.offset {
                problems.append("\(partition) ends at offset \(end), but the read model has folded it up to offset \(checkpoint.offset)")
            }
        }
        return problems
    }
}

/// The log lost records the read models were built from; says how to rebuild.
public struct LogLost: Error, Sendable, CustomStringConvertible {
    public var problems: [String]

    public init(problems: [String]) { self.problems = problems }

    /// The command that rebuilds every read model from the log as it is now.
    public static let fix = "encore replay --adopt-log"

    public var description: String {
        "the Kafka log lost data the read models were built from: "
            + problems.joined(separator: "; ")
            + ". Refusing to fold a different log onto them. To rebuild every read model from the log as it is now "
            + "(discarding what only the lost log had), run: \(Self.fix)"
    }
}
