/// One consumed record. Key and value are slices of the batch's shared byte buffer (no copy per message).
public struct KafkaMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The record timestamp in epoch milliseconds, if the record has one.
    public var timestampMilliseconds: Int64?
    public var key: ArraySlice<UInt8>?
    public var value: ArraySlice<UInt8>
    public var headers: [KafkaHeader]

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }

    public func header(_ key: String) -> KafkaHeader? { headers.first { $0.key == key } }
}

/// A batch of consumed records stored compactly: one byte buffer for every key and value, one array of
/// record descriptors. Iterating yields `KafkaMessage` views.
public struct KafkaMessageBatch: RandomAccessCollection, Sendable {
    struct Record: Sendable {
        var topicIndex: Int32
        var partition: Int32
        var offset: Int64
        var timestamp: Int64
        var keyStart: Int32
        var keyLength: Int32  // -1: null key
        var valueStart: Int32
        var valueLength: Int32
        var headersIndex: Int32  // -1: none
    }

    let topics: [String]
    let records: [Record]
    let bytes: [UInt8]
    let headers: [[KafkaHeader]]

    public var startIndex: Int { 0 }
    public var endIndex: Int { records.count }

    public subscript(position: Int) -> KafkaMessage {
        let r = records[position]
        let key: ArraySlice<UInt8>? = r.keyLength < 0 ? nil : bytes[Int(r.keyStart)..<Int(r.keyStart + r.keyLength)]
        return KafkaMessage(
            topic: topics[Int(r.topicIndex)], partition: r.partition, offset: r.offset,
            timestampMilliseconds: r.timestamp >= 0 ? r.timestamp : nil, key: key,
            value: bytes[Int(r.valueStart)..<Int(r.valueStart + r.valueLength)],
            headers: r.headersIndex < 0 ? [] : headers[Int(r.headersIndex)])
    }

    /// The partition of the record at `position`, without building its `KafkaMessage` (which retains its topic,
    /// key and value).
    public func partition(at position: Int) -> Int32 { records[position].partition }

    /// The offset of the record at `position`, without building its `KafkaMessage`.
    public func offset(at position: Int) -> Int64 { records[position].offset }

    /// The timestamp (epoch ms) of the record at `position`, if it has one, without building its `KafkaMessage`.
    public func timestampMilliseconds(at position: Int) -> Int64? {
        let t = records[position].timestamp
        return t >= 0 ? t : nil
    }

    /// Total key and value bytes in the batch.
    public var payloadBytes: Int { bytes.count }

    /// For each partition in the batch, the offset to commit after processing it (last offset + 1).
    public var nextOffsets: [TopicPartitionOffset] {
        var next: [TopicPartition: Int64] = [:]
        for r in records {
            let tp = TopicPartition(topic: topics[Int(r.topicIndex)], partition: r.partition)
            next[tp] = Swift.max(next[tp] ?? -1, r.offset + 1)
        }
        return next.map { TopicPartitionOffset($0.key, offset: $0.value) }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }
}

extension KafkaMessageBatch {
    /// A batch built from individual messages (copies their bytes), e.g. to regroup a mixed-topic batch.
    public init(messages: [KafkaMessage]) {
        var topics: [String] = []
        var records: [Record] = []
        var bytes: [UInt8] = []
        var headers: [[KafkaHeader]] = []
        for m in messages {
            let topicIndex = topics.firstIndex(of: m.topic) ?? { topics.append(m.topic); return topics.count - 1 }()
            let keyStart = bytes.count
            if let k = m.key { bytes += k }
            let valueStart = bytes.count
            bytes += m.value
            var hi: Int32 = -1
            if !m.headers.isEmpty { headers.append(m.headers); hi = Int32(headers.count - 1) }
            records.append(Record(topicIndex: Int32(topicIndex), partition: m.partition, offset: m.offset,
                                  timestamp: m.timestampMilliseconds ?? -1, keyStart: Int32(keyStart),
                                  keyLength: m.key.map { Int32($0.count) } ?? -1, valueStart: Int32(valueStart),
                                  valueLength: Int32(m.value.count), headersIndex: hi))
        }
        self.init(topics: topics, records: records, bytes: bytes, headers: headers)
    }
}
