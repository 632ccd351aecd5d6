/// The value of one feature: a number, a string, a boolean, or null (missing).
public enum FeatureValue: Hashable, Sendable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case null
}

/// A named feature value. A prediction keeps its features in the order they were sent.
public struct Feature: Hashable, Sendable {
    public var name: String
    public var value: FeatureValue

    public init(_ name: String, _ value: FeatureValue) {
        self.name = name
        self.value = value
    }
}

/// What a model predicted: a score (the probability of the positive class, or a regression value) or a class.
public enum PredictionValue: Hashable, Sendable {
    case score(Double)
    case label(String)
}

/// An observed outcome: a number, a boolean or a class.
public enum LabelValue: Hashable, Sendable {
    case number(Double)
    case bool(Bool)
    case string(String)
}

/// How a labeled example's label was obtained.
public enum LabelKind: String, Hashable, Sendable, CaseIterable {
    /// A label event arrived inside the attribution window.
    case observed
    /// No label arrived before the window closed; the model's default label was used.
    case implicit
    /// A label arrived after the window closed and supersedes an earlier implicit example.
    case correction
}

extension JSONScanner {
    @inline(__always)
    mutating func readFeatureValue(field: @autoclosure () -> String) throws(EventDecodingError) -> FeatureValue {
        guard let c = peek() else { throw malformed("value expected, found end of input") }
        switch c {
        case UInt8(ascii: "\""): return .string(try readString(field: field()))
        case UInt8(ascii: "-"), 0x30...0x39: return .number(try readNumber(field: field()))
        default:
            switch readLiteral() {
            case .true: return .bool(true)
            case .false: return .bool(false)
            case .null: return .null
            case nil: throw error(.invalidField, field(), "expected a number, string, boolean or null, found \(describeValueAtPosition())")
            }
        }
    }

    /// A key as a String, unescaping and validating UTF-8 as needed.
    mutating func keyString(_ range: Range<Int>, field: @autoclosure () -> String) throws(EventDecodingError) -> String {
        var needsSlowPath = false
        for i in range where base[i] == UInt8(ascii: "\\") || base[i] >= 0x80 { needsSlowPath = true; break }
        if !needsSlowPath { return string(range) }
        let saved = position
        position = range.lowerBound - 1
        let s = try readString(field: field())
        position = saved
        return s
    }

    @inline(__always)
    mutating func readPrediction(field: StaticString) throws(EventDecodingError) -> PredictionValue {
        guard let c = peek() else { throw malformed("value expected, found end of input") }
        if c == UInt8(ascii: "\"") { return .label(try readString(field: "\(field)")) }
        if c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) { return .score(try readNumber(field: "\(field)")) }
        throw error(.invalidField, "\(field)", "expected a number (score) or a string (class), found \(describeValueAtPosition())")
    }

    @inline(__always)
    mutating func readLabel(field: StaticString) throws(EventDecodingError) -> LabelValue {
        guard let c = peek() else { throw malformed("value expected, found end of input") }
        if c == UInt8(ascii: "\"") { return .string(try readString(field: "\(field)")) }
        if c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) { return .number(try readNumber(field: "\(field)")) }
        switch readLiteral() {
        case .true: return .bool(true)
        case .false: return .bool(false)
        default: throw error(.invalidField, "\(field)", "expected a number, boolean or string, found \(describeValueAtPosition())")
        }
    }

    /// A required non-empty string.
    @inline(__always)
    mutating func readID(field: StaticString) throws(EventDecodingError) -> String {
        let s = try readString(field: "\(field)")
        if s.isEmpty { throw error(.invalidField, "\(field)", "must not be empty") }
        return s
    }

    /// An optional string: null or absent means nil.
    @inline(__always)
    mutating func readOptionalString(field: StaticString) throws(EventDecodingError) -> String? {
        if peek() == UInt8(ascii: "n"), readLiteral() == .null { return nil }
        return try readString(field: "\(field)")
    }

    /// A version: a string, or an integer written as a number.
    @inline(__always)
    mutating func readVersion(field: StaticString) throws(EventDecodingError) -> String {
        if let c = peek(), c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) {
            let start = position
            let v = try readNumber(field: "\(field)")
            guard v == v.rounded(), Swift.abs(v) < 9e15 else { position = start; throw error(.invalidField, "\(field)", "a numeric version must be an integer") }
            return String(Int64(v))
        }
        return try readID(field: field)
    }
}

extension JSONWriter {
    /// Writes a validated feature vector's bytes verbatim.
    public mutating func features(_ vector: FeatureVector) { vector.withJSONBytes { raw($0) } }

    public mutating func features(_ features: [Feature]) { self.features(features) { _, _ in } }

    /// Writes features as a JSON object; `written` gets each number written as a number token (not `null`), and
    /// the length of its text. The text reads back as the same `Double` (-0 included).
    mutating func features(_ features: [Feature], written: (Double, Int) -> Void) {
        beginObject()
        for f in features {
            key(f.name)
            switch f.value {
            case .number(let v):
                let start = bytes.count
                number(v)
                if v.isFinite { written(v, bytes.count - start) }
            case .string(let s): string(s)
            case .bool(let b): bool(b)
            case .null: null()
            }
        }
        endObject()
    }

    public mutating func prediction(_ p: PredictionValue) {
        switch p {
        case .score(let v): number(v)
        case .label(let s): string(s)
        }
    }

    public mutating func label(_ l: LabelValue) {
        switch l {
        case .number(let v): number(v)
        case .bool(let b): bool(b)
        case .string(let s): string(s)
        }
    }

    public mutating func optionalString(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        string(value)
    }
}
