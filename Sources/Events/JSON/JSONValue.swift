/// A parsed JSON document with object members kept in order (so encoding is deterministic).
/// Used for low-volume events (model updates, alerts), inline model parameters and the CLI.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .number(let n): hasher.combine(n)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let o): for (k, v) in o { hasher.combine(k); hasher.combine(v) }
        }
    }

    /// The member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// Parses one JSON value that must fill the input.
    public static func parse(_ bytes: [UInt8], limits: EventLimits = .default) throws(EventDecodingError) -> JSONValue {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(EventDecodingError) in
                var scanner = JSONScanner(buffer, event: "JSON", limits: limits)
                if buffer.count > limits.maxEventBytes {
                    throw scanner.error(.limitExceeded, nil, "document is \(buffer.count) bytes; the limit is \(limits.maxEventBytes)")
                }
                let value = try scanner.readValue(depth: 0)
                try scanner.expectEnd()
                return value
            }
        }.get()
    }

    public static func parse(_ text: String, limits: EventLimits = .default) throws(EventDecodingError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }

    public func encode(into w: inout JSONWriter) {
        switch self {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .number(let n): w.number(n)
        case .string(let s): w.string(s)
        case .array(let items):
            w.beginArray()
            for item in items { w.element(); item.encode(into: &w) }
            w.endArray()
        case .object(let members):
            w.beginObject()
            for (k, v) in members { w.key(k); v.encode(into: &w) }
            w.endObject()
        }
    }

    public var json: String {
        var w = JSONWriter()
        encode(into: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

extension JSONScanner {
    mutating func readValue(depth: Int) throws(EventDecodingError) -> JSONValue {
        guard depth < limits.maxDepth else { throw error(.limitExceeded, nil, "nesting deeper than \(limits.maxDepth)") }
        guard let c = peek() else { throw malformed("value expected, found end of input") }
        switch c {
        case UInt8(ascii: "\""): return .string(try readString(field: ""))
        case UInt8(ascii: "-"), 0x30...0x39: return .number(try readNumber(field: ""))
        case UInt8(ascii: "{"):
            position += 1
            var members: [(String, JSONValue)] = []
            var first = true
            while let key = try nextKey(first: &first) {
                let name = try keyString(key, field: "")
                members.append((name, try readValue(depth: depth + 1)))
            }
            return .object(members)
        case UInt8(ascii: "["):
            position += 1
            var items: [JSONValue] = []
            if peek() == UInt8(ascii: "]") { position += 1; return .array(items) }
            while true {
                items.append(try readValue(depth: depth + 1))
                guard let n = peek() else { throw malformed("unterminated array") }
                position += 1
                if n == UInt8(ascii: "]") { return .array(items) }
                if n != UInt8(ascii: ",") { position -= 1; throw malformed("expected ',' or ']' in array") }
            }
        default:
            switch readLiteral() {
            case .true: return .bool(true)
            case .false: return .bool(false)
            case .null: return .null
            case nil: throw malformed("unexpected character '\(Self.describe(c))'")
            }
        }
    }
}

/// Typed access to the members of a parsed object, with errors that name the field's path.
struct FieldReader {
    let members: [(String, JSONValue)]
    let path: String
    let event: String

    init(_ value: JSONValue, path: String, event: String) throws(EventDecodingError) {
        guard case .object(let members) = value else {
            throw EventDecodingError(kind: .invalidField, event: event, field: path.isEmpty ? nil : path,
                                     message: "expected an object", byteOffset: 0)
        }
        var seen = Set<String>()
        for (k, _) in members where !seen.insert(k).inserted {
            throw EventDecodingError(kind: .duplicateField, event: event, field: Self.join(path, k), message: "field appears more than once", byteOffset: 0)
        }
        self.members = members
        self.path = path
        self.event = event
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ message: String, kind: EventDecodingError.Kind = .invalidField) -> EventDecodingError {
        EventDecodingError(kind: kind, event: event, field: Self.join(path, key), message: message, byteOffset: 0)
    }

    func optional(_ key: String) -> JSONValue? {
        guard let v = members.first(where: { $0.0 == key })?.1, v != .null else { return nil }
        return v
    }

    func required(_ key: String) throws(EventDecodingError) -> JSONValue {
        guard let v = optional(key) else { throw fail(key, "required field is missing", kind: .missingField) }
        return v
    }

    func string(_ key: String) throws(EventDecodingError) -> String {
        guard case .string(let s) = try required(key) else { throw fail(key, "expected a string") }
        if s.isEmpty { throw fail(key, "must not be empty") }
        return s
    }

    func optionalString(_ key: String) throws(EventDecodingError) -> String? {
        guard let v = optional(key) else { return nil }
        guard case .string(let s) = v else { throw fail(key, "expected a string") }
        return s
    }

    func number(_ key: String) throws(EventDecodingError) -> Double {
        guard case .number(let n) = try required(key) else { throw fail(key, "expected a number") }
        return n
    }

    func optionalNumber(_ key: String) throws(EventDecodingError) -> Double? {
        guard let v = optional(key) else { return nil }
        guard case .number(let n) = v else { throw fail(key, "expected a number") }
        return n
    }

    func integer(_ key: String) throws(EventDecodingError) -> Int64 {
        let n = try number(key)
        guard n == n.rounded(), Swift.abs(n) < 9e15 else { throw fail(key, "expected an integer") }
        return Int64(n)
    }

    func version(_ key: String) throws(EventDecodingError) -> String {
        let v = try required(key)
        if case .number(let n) = v, n == n.rounded(), Swift.abs(n) < 9e15 { return String(Int64(n)) }
        return try string(key)
    }

    func optionalVersion(_ key: String) throws(EventDecodingError) -> String? {
        optional(key) == nil ? nil : try version(key)
    }

    func time(_ key: String) throws(EventDecodingError) -> EventTime {
        switch try required(key) {
        case .string(let s):
            guard let t = EventTime(rfc3339: s) else { throw fail(key, "expected an RFC 3339 timestamp, found \"\(s.prefix(40))\"") }
            return t
        case .number(let n):
            guard n == n.rounded(), n >= Double(EventTime.minimum.milliseconds), n <= Double(EventTime.maximum.milliseconds) else {
                throw fail(key, "epoch milliseconds must be an integer between years 1 and 9999")
            }
            return EventTime(milliseconds: Int64(n))
        default:
            throw fail(key, "expected an RFC 3339 string or epoch milliseconds")
        }
    }

    func optionalTime(_ key: String) throws(EventDecodingError) -> EventTime? {
        optional(key) == nil ? nil : try time(key)
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws(EventDecodingError) -> E where E.RawValue == String {
        let s = try string(key)
        guard let e = E(rawValue: s) else {
            throw fail(key, "expected one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(s.prefix(40))\"")
        }
        return e
    }

    func object(_ key: String) throws(EventDecodingError) -> FieldReader {
        try FieldReader(try required(key), path: Self.join(path, key), event: event)
    }

    func optionalObject(_ key: String) throws(EventDecodingError) -> FieldReader? {
        guard let v = optional(key) else { return nil }
        return try FieldReader(v, path: Self.join(path, key), event: event)
    }

    func array(_ key: String) throws(EventDecodingError) -> [JSONValue] {
        guard let v = optional(key) else { return [] }
        guard case .array(let items) = v else { throw fail(key, "expected an array") }
        return items
    }

    /// An object of name → number.
    func numbers(_ key: String) throws(EventDecodingError) -> [String: Double] {
        guard let r = try optionalObject(key) else { return [:] }
        var out: [String: Double] = [:]
        for (k, _) in r.members { out[k] = try r.number(k) }
        return out
    }
}

/// Decodes a DOM-based event from bytes: parse, then read fields.
func decodeDocument<T>(_ buffer: UnsafeRawBufferPointer, event: String, limits: EventLimits,
                       _ body: (FieldReader) throws(EventDecodingError) -> T) throws(EventDecodingError) -> T {
    var scanner = JSONScanner(buffer, event: event, limits: limits)
    if buffer.count > limits.maxEventBytes {
        throw scanner.error(.limitExceeded, nil, "event is \(buffer.count) bytes; the limit is \(limits.maxEventBytes)")
    }
    guard scanner.peek() == UInt8(ascii: "{") else {
        throw scanner.malformed(buffer.isEmpty ? "empty message" : "expected a JSON object, found \(scanner.describeValueAtPosition())")
    }
    let value = try scanner.readValue(depth: 0)
    try scanner.expectEnd()
    return try body(try FieldReader(value, path: "", event: event))
}
