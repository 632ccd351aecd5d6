/// An event type of the Tideline contract (ARCHITECTURE §2): how it is decoded from a Kafka value, encoded
/// into one, and which key it is published under.
///
/// Decoders are strict about the fields they know (type, presence, duplicates, limits) and tolerate fields
/// they do not know, so producers can add fields without breaking Tideline.
public protocol EventContract: Sendable, Equatable {
    /// The event's name in error messages, e.g. `prediction`.
    static var eventName: String { get }
    /// Decodes one event from a Kafka message value (UTF-8 JSON object).
    static func decode(_ bytes: UnsafeRawBufferPointer, limits: EventLimits) throws(EventDecodingError) -> Self
    /// Appends the event as one JSON object.
    func encode(into writer: inout JSONWriter)
    /// The Kafka record key the contract prescribes (request id or model).
    var partitionKey: String { get }
}

extension EventContract {
    @inlinable
    public static func decode(_ bytes: [UInt8], limits: EventLimits = .default) throws(EventDecodingError) -> Self {
        try bytes.withUnsafeBytes { buffer in Result { () throws(EventDecodingError) in try decode(buffer, limits: limits) } }.get()
    }

    @inlinable
    public static func decode(_ bytes: ArraySlice<UInt8>, limits: EventLimits = .default) throws(EventDecodingError) -> Self {
        try bytes.withUnsafeBytes { buffer in Result { () throws(EventDecodingError) in try decode(buffer, limits: limits) } }.get()
    }

    @inlinable
    public static func decode(json: String, limits: EventLimits = .default) throws(EventDecodingError) -> Self {
        try decode(Array(json.utf8), limits: limits)
    }

    /// The event as compact JSON bytes.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter()
        encode(into: &writer)
        return writer.bytes
    }

    public var json: String { String(decoding: encoded(), as: UTF8.self) }
}

/// Shared scaffolding for decoders: size check, object start, field loop with duplicate detection,
/// end-of-input check, and required-field check.
struct ObjectDecoding {
    var scanner: JSONScanner
    private var seen: UInt64 = 0

    init(_ buffer: UnsafeRawBufferPointer, event: String, limits: EventLimits) throws(EventDecodingError) {
        scanner = JSONScanner(buffer, event: event, limits: limits)
        if buffer.count > limits.maxEventBytes {
            throw scanner.error(.limitExceeded, nil, "event is \(buffer.count) bytes; the limit is \(limits.maxEventBytes)")
        }
        guard scanner.peek() == UInt8(ascii: "{") else {
            throw scanner.malformed(buffer.isEmpty ? "empty message" : "expected a JSON object, found \(scanner.describeValueAtPosition())")
        }
        scanner.position += 1
    }

    /// Records that field number `bit` was seen; a second time is an error.
    mutating func mark(_ bit: Int, _ name: StaticString) throws(EventDecodingError) {
        let mask: UInt64 = 1 << UInt64(bit)
        if seen & mask != 0 { throw scanner.error(.duplicateField, "\(name)", "field appears more than once") }
        seen |= mask
    }

    func has(_ bit: Int) -> Bool { seen & (1 << UInt64(bit)) != 0 }

    /// Throws for the first required field that was not seen. `mask` has the bits of the required fields;
    /// `names` lists them by bit (checked only on failure, so no allocation on the success path).
    func require(_ mask: UInt64, _ names: @autoclosure () -> [(Int, StaticString)]) throws(EventDecodingError) {
        if seen & mask == mask { return }
        for (bit, name) in names() where !has(bit) {
            throw scanner.error(.missingField, "\(name)", "required field is missing")
        }
    }

    mutating func finish() throws(EventDecodingError) {
        try scanner.expectEnd()
    }
}

