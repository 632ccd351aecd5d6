public import Kafka

/// Builds dead-letter records: the original key and value bytes unchanged, the error and the source in headers.
///
/// Header names (all values UTF-8 text):
/// - `tideline.error.reason`: the full error message
/// - `tideline.error.kind`: a short machine-readable kind (`malformed_json`, `missing_field`, …)
/// - `tideline.error.field`: the offending field's path, when known
/// - `tideline.source.topic`, `tideline.source.partition`, `tideline.source.offset`: where the record came from
/// - `tideline.stage`: which stage rejected it (`join`, `monitor`, `train`, `cli-produce`, …)
public enum DeadLetter {
    public static let reasonHeader = "tideline.error.reason"
    public static let kindHeader = "tideline.error.kind"
    public static let fieldHeader = "tideline.error.field"
    public static let sourceTopicHeader = "tideline.source.topic"
    public static let sourcePartitionHeader = "tideline.source.partition"
    public static let sourceOffsetHeader = "tideline.source.offset"
    public static let stageHeader = "tideline.stage"

    /// Where a rejected record came from.
    public struct Source: Sendable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public init(topic: String, partition: Int32, offset: Int64) {
            self.topic = topic; self.partition = partition; self.offset = offset
        }
    }

    /// A dead-letter record for a consumed message.
    public static func record(
        for message: KafkaMessage, reason: String, kind: String, field: String?, stage: String, deadLetterTopic: String
    ) -> KafkaOutgoingMessage {
        record(key: message.key.map(Array.init), value: Array(message.value), reason: reason, kind: kind, field: field,
               source: Source(topic: message.topic, partition: message.partition, offset: message.offset), stage: stage,
               deadLetterTopic: deadLetterTopic)
    }

    /// A dead-letter record for raw bytes from any source (a file line, a consumed record).
    public static func record(
        key: [UInt8]?, value: [UInt8], reason: String, kind: String, field: String?, source: Source, stage: String, deadLetterTopic: String
    ) -> KafkaOutgoingMessage {
        var headers = [
            KafkaHeader(key: reasonHeader, string: reason),
            KafkaHeader(key: kindHeader, string: kind),
            KafkaHeader(key: sourceTopicHeader, string: source.topic),
            KafkaHeader(key: sourcePartitionHeader, string: String(source.partition)),
            KafkaHeader(key: sourceOffsetHeader, string: String(source.offset)),
            KafkaHeader(key: stageHeader, string: stage),
        ]
        if let field { headers.append(KafkaHeader(key: fieldHeader, string: field)) }
        return KafkaOutgoingMessage(topic: deadLetterTopic, key: key, value: value, headers: headers)
    }
}
