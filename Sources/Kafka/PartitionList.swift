import CRdKafka

/// Conversions between Swift partition lists and librdkafka's `rd_kafka_topic_partition_list_t`.
enum PartitionList {
    /// Creates a native list; the caller destroys it with `rd_kafka_topic_partition_list_destroy`.
    static func make(_ entries: [TopicPartitionOffset]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(max(1, entries.count)))!
        for entry in entries {
            let element = rd_kafka_topic_partition_list_add(list, entry.topic, entry.partition)!
            element.pointee.offset = entry.offset
        }
        return list
    }

    static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartitionOffset] {
        (0..<Int(list.pointee.cnt)).map { i in
            let element = list.pointee.elems[i]
            return TopicPartitionOffset(topic: String(cString: element.topic), partition: element.partition, offset: element.offset)
        }
    }

    /// The first per-partition error in a list, if any.
    static func firstError(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>, _ context: String) -> KafkaError? {
        for i in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[i]
            if element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                return KafkaError.from(element.err, "\(context) \(String(cString: element.topic))[\(element.partition)]")
            }
        }
        return nil
    }
}
