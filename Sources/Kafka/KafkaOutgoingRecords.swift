/// Records bound for one topic, their keys and values packed in one buffer: how a stage hands an operator's output
/// to `KafkaProducer.send(_:)` without two arrays per record (`KafkaOutgoingMessage`). The partitioner picks each
/// record's partition from its key; records carry no headers and take the producer's clock as their timestamp.
///
/// A value type; not shared between threads while it is being appended to.
public struct KafkaOutgoingRecords: Sendable {
    public let topic: String
    /// Every record's key bytes, then its value bytes, record after record.
    public private(set) var bytes: [UInt8] = []
    private(set) var spans: [Span] = []

    struct Span {
        var keyStart: Int
        /// -1: no key.
        var keyLength: Int
        var valueStart: Int
        var valueLength: Int
    }

    /// - Parameters:
    ///   - reservingBytes: room for the keys and values to come, to grow the buffer once.
    ///   - records: room for this many records.
    public init(topic: String, reservingBytes: Int = 0, records: Int = 0) {
        self.topic = topic
        bytes.reserveCapacity(reservingBytes)
        spans.reserveCapacity(records)
    }

    public var count: Int { spans.count }
    public var isEmpty: Bool { spans.isEmpty }

    /// Appends a record; its key is the UTF-8 bytes of `key` (nil: no key), its value a copy of `value`.
    public mutating func append(key: String?, value: UnsafeRawBufferPointer) {
        let keyStart = bytes.count
        var keyLength = -1
        if let key {
            var key = key
            key.withUTF8 { bytes.append(contentsOf: $0) }
            keyLength = bytes.count - keyStart
        }
        let valueStart = bytes.count
        bytes.append(contentsOf: value)
        spans.append(Span(keyStart: keyStart, keyLength: keyLength, valueStart: valueStart, valueLength: value.count))
    }

    /// The key of record `index`, nil when it has none.
    public func key(at index: Int) -> ArraySlice<UInt8>? {
        let span = spans[index]
        return span.keyLength < 0 ? nil : bytes[span.keyStart ..< span.keyStart + span.keyLength]
    }

    /// The value of record `index`.
    public func value(at index: Int) -> ArraySlice<UInt8> {
        let span = spans[index]
        return bytes[span.valueStart ..< span.valueStart + span.valueLength]
    }
}
