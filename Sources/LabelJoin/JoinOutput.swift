public import Events

/// The labeled examples an operator step produced, encoded as `labeled-examples` JSON values in one buffer.
/// Reused across steps (`removeAll()`) so emitting allocates nothing per example.
public struct JoinOutput: Sendable {
    /// One example: its bytes are `bytes[start ..< start + length]`; `model` is the message key.
    public struct Record: Sendable, Equatable {
        public var start: Int
        public var length: Int
        public var model: String
        public var kind: LabelKind
        /// Milliseconds from the prediction to its (latest) label; -1 for an implicit example.
        public var labelDelayMilliseconds: Int64 = -1
    }

    public private(set) var records: [Record] = []
    var writer = JSONWriter(capacity: 1 << 16)

    public init() {}

    public var bytes: [UInt8] { writer.bytes }
    public var count: Int { records.count }
    public var isEmpty: Bool { records.isEmpty }

    /// The value bytes of record `i`.
    public func value(_ i: Int) -> ArraySlice<UInt8> {
        let r = records[i]
        return writer.bytes[r.start ..< r.start + r.length]
    }

    /// Decodes every record (for tests and tools; the stage publishes the bytes as they are).
    public func examples() throws(EventDecodingError) -> [LabeledExample] {
        var result: [LabeledExample] = []
        result.reserveCapacity(records.count)
        for i in records.indices {
            let slice = Array(value(i))
            let decoded: Result<LabeledExample, EventDecodingError> = slice.withUnsafeBytes { buffer in
                Result { () throws(EventDecodingError) in try LabeledExample.decode(buffer, limits: EventLimits()) }
            }
            result.append(try decoded.get())
        }
        return result
    }

    public mutating func removeAll() {
        records.removeAll(keepingCapacity: true)
        writer.removeAll()
    }

    mutating func append(start: Int, model: String, kind: LabelKind, labelDelayMilliseconds: Int64 = -1) {
        records.append(Record(start: start, length: writer.bytes.count - start, model: model, kind: kind, labelDelayMilliseconds: labelDelayMilliseconds))
    }
}
