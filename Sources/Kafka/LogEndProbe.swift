/// Log ends (high watermarks) fresh enough to count every record acknowledged before the call,
/// from one consumer that sits at the end of the partitions asked about and keeps fetching: an
/// answer costs a few Fetch round trips, not a new client. Fetch responses carry the true high
/// watermark on Tansu too, where ListOffsets(latest) does not.
///
/// One call at a time (an actor): calls for other partitions move the probe's assignment.
public actor LogEndProbe {
    /// The longest a broker holds the probe's Fetch when there is nothing new.
    private static let fetchWaitMilliseconds = 50
    private static let fetchWait = Duration.milliseconds(fetchWaitMilliseconds)

    private let consumer: KafkaConsumer

    /// A probe on the cluster (and security settings) of `admin`.
    public init(admin: KafkaAdmin) throws {
        consumer = try admin.probeConsumer([
            "fetch.wait.max.ms": "\(Self.fetchWaitMilliseconds)", "fetch.max.bytes": "1048576", "max.partition.fetch.bytes": "65536",
        ])
    }

    /// The log end of each partition; a partition with no Fetch answer within `timeout` is absent.
    ///
    /// A watermark is as old as the last Fetch response: the probe keeps fetching for at least
    /// two Fetch round trips first, so every record acknowledged before the call counts.
    public func ends(of partitions: [TopicPartition], timeout: Duration = .seconds(5)) async throws -> [TopicPartition: Int64] {
        if Set(try consumer.assignment()) != Set(partitions) {
            try consumer.assign(partitions.map { TopicPartitionOffset($0, .end) })
        }
        let fresh = ContinuousClock.now + Self.fetchWait * 3
        let deadline = ContinuousClock.now + timeout
        var found: [TopicPartition: Int64] = [:]
        repeat {
            // Draining keeps its fetches (and so the watermarks) current.
            while try await !consumer.poll(maxRecords: 10_000, timeout: .zero).isEmpty {}
            guard ContinuousClock.now >= fresh else {
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            for partition in partitions {
                if let marks = consumer.fetchedWatermarks(partition) { found[partition] = marks.high }
            }
            if found.count == partitions.count { break }
            try await Task.sleep(for: .milliseconds(20))
        } while ContinuousClock.now < deadline
        return found
    }

    /// Releases the consumer.
    public func close() async {
        await consumer.close()
    }
}
