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
    /// The examples' bytes, one after another. Written in place by the operator (no intermediate buffer).
    var storage = ByteArena()

    public init() {}

    public var count: Int { records.count }
    public var isEmpty: Bool { records.isEmpty }
    /// Bytes of all the examples.
    public var byteCount: Int { storage.count }

    /// Calls `body` with the examples' bytes (valid only during the call); record `i` is at
    /// `records[i].start ..< records[i].start + records[i].length`.
    public func withBytes<R, E>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes(body)
    }

    /// The value bytes of record `i` (a copy).
    public func value(_ i: Int) -> [UInt8] {
        let r = records[i]
        return withBytes { [UInt8]($0[r.start ..< r.start + r.length]) }
    }

    /// Decodes every record (for tests and tools; the stage publishes the bytes as they are).
    public func examples() throws(EventDecodingError) -> [LabeledExample] {
        var result: [LabeledExample] = []
        result.reserveCapacity(records.count)
        for i in records.indices {
            let slice = value(i)
            let decoded: Result<LabeledExample, EventDecodingError> = slice.withUnsafeBytes { buffer in
                Result { () throws(EventDecodingError) in try LabeledExample.decode(buffer, limits: EventLimits()) }
            }
            result.append(try decoded.get())
        }
        return result
    }

    public mutating func removeAll() {
        records.removeAll(keepingCapacity: true)
        storage.removeLast(storage.count)
    }

    mutating func append(start: Int, model: String, kind: LabelKind, labelDelayMilliseconds: Int64 = -1) {
        records.append(Record(start: start, length: storage.count - start, model: model, kind: kind, labelDelayMilliseconds: labelDelayMilliseconds))
    }
}
