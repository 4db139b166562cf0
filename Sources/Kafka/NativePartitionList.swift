import CRdKafka

/// Converts between Swift partition values and librdkafka's `rd_kafka_topic_partition_list_t`.
enum NativePartitionList {
    /// A new list the caller must destroy with `rd_kafka_topic_partition_list_destroy`.
    static func make(_ entries: [TopicPartitionOffset]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(entries.count))!
        for entry in entries {
            let element = rd_kafka_topic_partition_list_add(list, entry.topicPartition.topic, entry.topicPartition.partition)!
            element.pointee.offset = entry.offset.rawValue
        }
        return list
    }

    static func make(_ partitions: [TopicPartition], offset: KafkaOffset = .invalid) -> UnsafeMutablePointer<
        rd_kafka_topic_partition_list_t
    > {
        make(partitions.map { TopicPartitionOffset($0, offset) })
    }

    /// Reads a list; throws the first per-partition error when `checkErrors` is set.
    static func read(
        _ list: UnsafePointer<rd_kafka_topic_partition_list_t>,
        checkErrors: Bool = false
    ) throws(KafkaError) -> [TopicPartitionOffset] {
        var result: [TopicPartitionOffset] = []
        result.reserveCapacity(Int(list.pointee.cnt))
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            let topic = String(cString: element.topic)
            if checkErrors {
                try element.err.check("partition \(topic)[\(element.partition)]")
            }
            result.append(TopicPartitionOffset(topic, element.partition, KafkaOffset(element.offset)))
        }
        return result
    }
}
