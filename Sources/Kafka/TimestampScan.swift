import Logging

/// Finds the first offset of a partition whose record timestamp is at or after a time by reading records,
/// for brokers that cannot answer ListOffsets by timestamp (librdkafka's mock cluster).
enum TimestampScan {
    /// Returns nil when no record in `[low, high)` has a timestamp at or after `time`.
    static func firstOffset(
        in partition: TopicPartition, atOrAfter time: Int64, low: Int64, high: Int64, client: KafkaClientConfiguration, logger: Logger
    ) async throws(KafkaError) -> Int64? {
        var config = KafkaConsumerConfiguration(client: client)
        config.client.clientID = client.clientID + "-time-scan"
        config.isolationLevel = "read_uncommitted"
        let reader = try KafkaConsumer(configuration: config, logger: logger)
        defer { Task { await reader.close() } }
        // The last record first: if it is earlier than `time`, so is every record (the broker's answer stands).
        try reader.assign([TopicPartitionOffset(partition, offset: high - 1)])
        var iterator = reader.events.makeAsyncIterator()
        guard let last = await nextMessage(&iterator) else { return nil }
        if (last.timestampMilliseconds ?? Int64.min) < time { return nil }
        try reader.assign([TopicPartitionOffset(partition, offset: low)])
        while let event = await iterator.next() {
            guard case .messages(let batch) = event else { continue }
            for message in batch where message.topicPartition == partition {
                if message.offset >= high { return nil }
                if (message.timestampMilliseconds ?? Int64.min) >= time { return message.offset }
                if message.offset == high - 1 { return nil }
            }
        }
        return nil
    }

    private static func nextMessage(_ iterator: inout KafkaConsumer.Events.AsyncIterator) async -> KafkaMessage? {
        while let event = await iterator.next() {
            if case .messages(let batch) = event, let first = batch.first { return first }
        }
        return nil
    }
}
