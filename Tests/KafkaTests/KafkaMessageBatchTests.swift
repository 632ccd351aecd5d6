@testable import Kafka
import Testing

@Suite struct KafkaMessageBatchTests {
    static func message(_ topic: String, _ partition: Int32, _ offset: Int64, timestamp: Int64?, key: String?, value: String) -> KafkaMessage {
        KafkaMessage(topic: topic, partition: partition, offset: offset, timestampMilliseconds: timestamp,
                     key: key.map { ArraySlice($0.utf8) }, value: ArraySlice(value.utf8), headers: [])
    }

    /// The per-record accessors the join stage reads without building a `KafkaMessage` agree with the message the
    /// subscript builds, for every record, with and without a timestamp or a key.
    @Test func recordAccessorsAgreeWithTheMessages() {
        let messages = [
            Self.message("predictions", 3, 17, timestamp: 1_700_000_000_000, key: "r1", value: "{}"),
            Self.message("labels", 3, 4, timestamp: nil, key: nil, value: "{\"a\":1}"),
            Self.message("predictions", 0, 0, timestamp: 0, key: "", value: ""),
            Self.message("labels", 7, 9_000_000_000, timestamp: 5, key: "r2", value: "x"),
        ]
        let batch = KafkaMessageBatch(messages: messages)
        #expect(batch.count == messages.count)
        for (i, expected) in messages.enumerated() {
            let built = batch[i]
            #expect(batch.partition(at: i) == expected.partition && batch.partition(at: i) == built.partition)
            #expect(batch.offset(at: i) == expected.offset && batch.offset(at: i) == built.offset)
            #expect(batch.timestampMilliseconds(at: i) == expected.timestampMilliseconds)
            #expect(batch.timestampMilliseconds(at: i) == built.timestampMilliseconds)
            #expect(built.topic == expected.topic && built.key == expected.key && built.value == expected.value)
        }
    }
}
