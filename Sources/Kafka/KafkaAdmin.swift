import CRdKafka
import Foundation
import Locking
import Logging

/// Cluster administration: topics, partitions, a group's committed offsets, watermarks.
public final class KafkaAdmin: Closable {
    private let client: NativeClient
    private let configuration: KafkaConfiguration
    private let logger: Logger

    /// Creates an admin client for the cluster in `configuration` (`bootstrap.servers`).
    public init(configuration: KafkaConfiguration, logger: Logger) throws {
        client = try NativeClient(kind: RD_KAFKA_PRODUCER, configuration: configuration, context: ClientContext(logger: logger))
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs `body` with a new admin client and closes it afterwards, whether `body` returns or throws.
    public static func with<T>(
        configuration: KafkaConfiguration, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ body: (KafkaAdmin) async throws -> T
    ) async throws -> T {
        try await KafkaAdmin(configuration: configuration, logger: logger).closing(body)
    }

    /// Destroys the handle; later calls do nothing, and later requests throw ``KafkaError/closed``.
    public func close() async {
        try? await blocking { [client] in client.destroy() }
    }

    /// Creates topics; with `ifNotExists`, one that already exists is not an error.
    public func createTopics(_ topics: [TopicSpecification], ifNotExists: Bool = true, timeout: Duration = .seconds(30)) async throws {
        try await client.run { [client] in
            var errstr = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
            for topic in topics {
                guard let newTopic = rd_kafka_NewTopic_new(topic.name, topic.partitions, topic.replicationFactor, &errstr, errstr.count)
                else {
                    throw KafkaError.configuration("topic \(topic.name): \(String(errorBuffer: errstr))")
                }
                newTopics.append(newTopic)
                for (key, value) in topic.config {
                    try rd_kafka_NewTopic_set_config(newTopic, key, value).check("topic \(topic.name) config \(key)")
                }
            }
            let event = try Self.request(client, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout: timeout) { options, queue in
                rd_kafka_CreateTopics(client.handle, &newTopics, newTopics.count, options, queue)
            }
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)!
            for index in 0..<count {
                let err = rd_kafka_topic_result_error(results[index])
                if err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && ifNotExists { continue }
                let name = String(cString: rd_kafka_topic_result_name(results[index]))
                let detail = rd_kafka_topic_result_error_string(results[index]).map { String(cString: $0) } ?? ""
                try err.check("create topic \(name) \(detail)")
            }
        }
    }

    /// Deletes topics and their records.
    public func deleteTopics(_ names: [String], timeout: Duration = .seconds(30)) async throws {
        try await client.run { [client] in
            var deletes: [OpaquePointer?] = names.map { rd_kafka_DeleteTopic_new($0) }
            defer { deletes.forEach { rd_kafka_DeleteTopic_destroy($0) } }
            let event = try Self.request(client, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout: timeout) { options, queue in
                rd_kafka_DeleteTopics(client.handle, &deletes, deletes.count, options, queue)
            }
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)!
            for index in 0..<count {
                let name = String(cString: rd_kafka_topic_result_name(results[index]))
                try rd_kafka_topic_result_error(results[index]).check("delete topic \(name)")
            }
        }
    }

    /// Every topic in the cluster with its partitions.
    public func listTopics(timeout: Duration = .seconds(10)) async throws -> [TopicDescription] {
        try await metadata(timeout: timeout)
    }

    /// One topic's partitions; throws `UNKNOWN_TOPIC_OR_PART` when it does not exist.
    public func describeTopic(_ name: String, timeout: Duration = .seconds(10)) async throws -> TopicDescription {
        // All-topics metadata: asking for one topic by name would auto-create it on brokers
        // that allow that (Tansu does), turning a typo into a new topic.
        let topics = try await metadata(timeout: timeout)
        guard let topic = topics.first(where: { $0.name == name }), !topic.partitions.isEmpty else {
            throw KafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, message: "topic \(name) does not exist")
        }
        return topic
    }

    /// The cluster id the brokers report (changes when a cluster is recreated).
    public func clusterID(timeout: Duration = .seconds(10)) async throws -> String {
        try await client.run { [client] in
            guard let id = rd_kafka_clusterid(client.handle, timeout.milliseconds) else {
                throw Self.explaining(client, KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, message: "no cluster id within \(timeout)"))
            }
            defer { rd_kafka_mem_free(client.handle, id) }
            return String(cString: id)
        }
    }

    /// A consumer group's committed offsets for every partition of these topics (`.invalid` where none).
    public func committedOffsets(group: String, topics: [String], timeout: Duration = .seconds(10)) async throws -> [TopicPartition:
        KafkaOffset]
    {
        var partitions: [TopicPartition] = []
        for topic in topics { partitions += try await describeTopic(topic, timeout: timeout).topicPartitions }
        return try await client.run { [client, partitions] in
            let list = NativePartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            var request: OpaquePointer? = rd_kafka_ListConsumerGroupOffsets_new(group, list)
            defer { rd_kafka_ListConsumerGroupOffsets_destroy(request) }
            let event = try Self.request(client, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout: timeout) { options, queue in
                rd_kafka_ListConsumerGroupOffsets(client.handle, &request, 1, options, queue)
            }
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            let groups = rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(event), &count)!
            var offsets: [TopicPartition: KafkaOffset] = [:]
            for index in 0..<count {
                if let error = rd_kafka_group_result_error(groups[index]) {
                    throw KafkaError(
                        code: rd_kafka_error_code(error).rawValue,
                        message: "group \(group): \(String(cString: rd_kafka_error_string(error)))")
                }
                for entry in try NativePartitionList.read(rd_kafka_group_result_partitions(groups[index]), checkErrors: true) {
                    offsets[entry.topicPartition] = entry.offset
                }
            }
            return offsets
        }
    }

    /// Low and high watermarks of every partition of `topic`, read from Fetch responses.
    ///
    /// ListOffsets(latest) is not used: Tansu answers it with the last batch's base offset,
    /// while a Fetch response carries the true high watermark on both Tansu and Apache Kafka.
    public func watermarks(topic: String, timeout: Duration = .seconds(10)) async throws -> [TopicPartition: Watermarks] {
        try await watermarks(partitions: describeTopic(topic, timeout: timeout).topicPartitions, timeout: timeout)
    }

    /// Low and high watermarks of these partitions, read from Fetch responses of one probe consumer.
    public func watermarks(partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws -> [TopicPartition: Watermarks] {
        guard !partitions.isEmpty else { return [:] }
        return try await probeConsumer().closing { probe in
            try probe.assign(partitions.map { TopicPartitionOffset($0, .end) })
            let deadline = ContinuousClock.now + timeout
            var found: [TopicPartition: Watermarks] = [:]
            while found.count < partitions.count {
                guard ContinuousClock.now < deadline else {
                    let missing = partitions.filter { found[$0] == nil }.map(\.description).joined(separator: ", ")
                    throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, message: "no Fetch response for \(missing) within \(timeout)")
                }
                _ = try await probe.poll(maxRecords: 100, timeout: .milliseconds(50))
                for partition in partitions where found[partition] == nil {
                    if let marks = probe.fetchedWatermarks(partition) {
                        found[partition] = Watermarks(low: marks.low, high: marks.high)
                    }
                }
            }
            return found
        }
    }

    /// A consumer group's state and live member count, from the group coordinator
    /// (DescribeGroups); a group nobody has joined is `Dead` or `Empty` with no members.
    public func describeGroup(_ group: String, timeout: Duration = .seconds(10)) async throws -> GroupDescription {
        try await client.run { [client] in
            var groups: [UnsafePointer<CChar>?] = []
            let name = strdup(group)
            defer { free(name) }
            groups.append(UnsafePointer(name))
            let event = try Self.request(client, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout: timeout) { options, queue in
                rd_kafka_DescribeConsumerGroups(client.handle, &groups, 1, options, queue)
            }
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            let results = rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(event), &count)!
            for index in 0..<count {
                let description = results[index]
                if let error = rd_kafka_ConsumerGroupDescription_error(description) {
                    throw KafkaError(
                        code: rd_kafka_error_code(error).rawValue,
                        message: "group \(group): \(String(cString: rd_kafka_error_string(error)))")
                }
                let state = String(cString: rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(description)))
                return GroupDescription(state: state, members: Int(rd_kafka_ConsumerGroupDescription_member_count(description)))
            }
            return GroupDescription(state: "Dead", members: 0)
        }
    }

    /// A consumer that never joins a group or commits, on the same cluster and security
    /// settings: for assigning partitions to read watermarks and timestamps.
    public func probeConsumer(_ extra: [String: String] = [:]) throws -> KafkaConsumer {
        var probeConfiguration = KafkaConfiguration.consumer(
            bootstrapServers: configuration["bootstrap.servers"] ?? "",
            groupID: "encore-probe-\(UUID().uuidString)",  // assign only: never joins or commits
            ["fetch.wait.max.ms": "20", "fetch.max.bytes": "1048576"].merging(extra) { _, new in new }
        )
        // The rest of this client's properties (TLS, SASL, the operator's settings) carry over.
        for (key, value) in configuration.properties where probeConfiguration[key] == nil {
            probeConfiguration[key] = value
        }
        return try KafkaConsumer(configuration: probeConfiguration, logger: logger)
    }

    /// `error` with the client's last error (see ``ClientContext/explaining(_:)``). Nothing
    /// polls an admin client, so its queued error callbacks are served here first.
    private static func explaining(_ client: NativeClient, _ error: KafkaError) -> KafkaError {
        rd_kafka_poll(client.handle, 0)
        return client.context.explaining(error)
    }

    /// Sends one admin request and waits for its result event (caller destroys it).
    private static func request(
        _ client: NativeClient,
        _ operation: rd_kafka_admin_op_t,
        timeout: Duration,
        send: (OpaquePointer?, OpaquePointer?) -> Void
    ) throws -> OpaquePointer {
        let options = rd_kafka_AdminOptions_new(client.handle, operation)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errstr = [CChar](repeating: 0, count: 512)
        try rd_kafka_AdminOptions_set_request_timeout(options, timeout.milliseconds, &errstr, errstr.count).check("admin timeout")
        let queue = rd_kafka_queue_new(client.handle)
        defer { rd_kafka_queue_destroy(queue) }
        send(options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeout.milliseconds + 1000) else {
            throw Self.explaining(
                client, KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, message: "admin request got no answer within \(timeout)"))
        }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = String(cString: rd_kafka_event_error_string(event))
            rd_kafka_event_destroy(event)
            throw Self.explaining(client, KafkaError(err, message: text))
        }
        return event
    }

    private func metadata(timeout: Duration) async throws -> [TopicDescription] {
        try await client.run { [client] in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            try rd_kafka_metadata(client.handle, 1, nil, &metadata, timeout.milliseconds).check("read metadata")
            guard let metadata else { return [] }
            defer { rd_kafka_metadata_destroy(metadata) }
            return (0..<Int(metadata.pointee.topic_cnt)).map { index in
                let topic = metadata.pointee.topics[index]
                let partitions = (0..<Int(topic.partition_cnt)).map { p in
                    let partition = topic.partitions[p]
                    return PartitionDescription(
                        id: partition.id,
                        leader: partition.leader,
                        replicas: (0..<Int(partition.replica_cnt)).map { partition.replicas[$0] }
                    )
                }
                return TopicDescription(name: String(cString: topic.topic), partitions: partitions.sorted { $0.id < $1.id })
            }.sorted { $0.name < $1.name }
        }
    }
}

/// A consumer group as its coordinator describes it.
public struct GroupDescription: Sendable, Hashable {
    /// `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty` or `Dead`.
    public var state: String
    /// Members currently in the group.
    public var members: Int
}

/// What to create: a topic's name, partition count, replication factor and configs.
public struct TopicSpecification: Sendable, Hashable {
    public var name: String
    public var partitions: Int32
    public var replicationFactor: Int32
    public var config: [String: String]

    public init(name: String, partitions: Int32, replicationFactor: Int32 = -1, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}

/// A topic as the cluster's metadata describes it.
public struct TopicDescription: Sendable, Hashable {
    public var name: String
    public var partitions: [PartitionDescription]

    /// Every partition of this topic.
    public var topicPartitions: [TopicPartition] { partitions.map { TopicPartition(name, $0.id) } }
}

/// One partition's leader and replicas (broker ids).
public struct PartitionDescription: Sendable, Hashable {
    public var id: Int32
    public var leader: Int32
    public var replicas: [Int32]
}

/// A partition's first offset still in the log and its log end (next offset to be written).
public struct Watermarks: Sendable, Hashable {
    public var low: Int64
    public var high: Int64

    public init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }
}
