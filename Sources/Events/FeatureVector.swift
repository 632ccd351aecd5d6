#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A prediction's features, stored as the validated bytes of their JSON object and parsed on demand.
///
/// Decoding checks every feature (names non-empty, unique and valid UTF-8; values numbers, strings, booleans
/// or null; limits) but keeps the object's bytes instead of building a `String` and an enum per feature.
/// That makes decoding several times cheaper, keeps a vector compact (the size of its JSON plus 9 bytes per
/// number), and lets a stage copy features into its output verbatim. Iterating yields `Feature` values.
///
/// Numbers are parsed once, when the bytes are validated (validation has to read them anyway), and kept beside
/// the bytes with the length of their text: `forEachRaw` hands them over without reading their text again. For a
/// 17-digit number that is nearly all of the cost of reading it.
///
/// Equality is semantic (same names and values in the same order), not byte equality.
public struct FeatureVector: Sendable, Hashable, Sequence, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The features' JSON object, validated (compact when built from values); then the value of each number
    /// token in it, in order, 8 bytes each in native byte order; then the length of each number token, one byte
    /// each (0 for a token longer than 255 bytes). One allocation for all three.
    private let storage: [UInt8]
    /// Bytes of JSON at the start of `storage`.
    private let jsonCount: UInt32
    private let featureCount: UInt32

    /// The features' JSON object, validated (compact when built from values).
    public var json: ArraySlice<UInt8> { storage[..<Int(jsonCount)] }
    /// The number of features.
    public var count: Int { Int(featureCount) }

    /// Builds the vector from values (encoded as compact JSON).
    public init(_ features: [Feature]) {
        var writer = JSONWriter(capacity: 16 + features.count * 16)
        var numbers = ParsedNumbers()
        writer.features(features) { x, length in numbers.append(x, length: length) }
        self = writer.bytes.withUnsafeBytes { FeatureVector(json: $0, count: features.count, numbers: numbers) }
    }

    public init(arrayLiteral elements: Feature...) { self.init(elements) }

    /// `{}`, made once.
    public static let empty = FeatureVector([])

    /// A vector of validated bytes and the values and lengths of their number tokens, in order.
    init(json: UnsafeRawBufferPointer, count: Int, numbers: ParsedNumbers) {
        precondition(json.count <= UInt32.max && count <= UInt32.max, "a feature vector of 4 GiB or more")
        jsonCount = UInt32(json.count)
        featureCount = UInt32(count)
        // Copied from `json` and then extended in place: unlike `Array(unsafeUninitializedCapacity:)`, this path
        // is specialized for bytes (that one looked up generic metadata on every call).
        var bytes = [UInt8]()
        bytes.reserveCapacity(json.count + numbers.count * 9)
        bytes.append(contentsOf: json)
        numbers.append(to: &bytes)
        storage = bytes
    }

    /// Calls `body` with the JSON object's bytes (valid only during the call).
    public func withJSONBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<Int(jsonCount)])) }
    }

    public var isEmpty: Bool { count == 0 }

    /// All features, parsed.
    public var features: [Feature] { Array(self) }

    /// The value of the feature named `name`, or nil when there is none.
    public subscript(name: String) -> FeatureValue? {
        first { $0.name == name }?.value
    }

    public var description: String { withJSONBytes { String(decoding: $0, as: UTF8.self) } }

    public static func == (a: FeatureVector, b: FeatureVector) -> Bool {
        a.count == b.count && (a.json == b.json || a.features == b.features)
    }

    public func hash(into hasher: inout Hasher) {
        for f in self { hasher.combine(f) }
    }

    public func makeIterator() -> Iterator { Iterator(json: json) }

    /// Parses one feature per step from the stored bytes.
    public struct Iterator: IteratorProtocol {
        let json: ArraySlice<UInt8>
        var position = 1  // after '{'
        var first = true

        public mutating func next() -> Feature? {
            json.withUnsafeBytes { buffer in
                var scanner = JSONScanner(buffer, event: "features", limits: .unlimited)
                scanner.position = position
                // The bytes were validated when the vector was made, so these steps cannot fail.
                guard let key = try? scanner.nextKey(first: &first),
                      let name = try? scanner.keyString(key, field: ""),
                      let value = try? scanner.readFeatureValue(field: "")
                else { return nil }
                position = scanner.position
                return Feature(name, value)
            }
        }
    }
}

extension EventLimits {
    /// No limits, for re-reading bytes that were validated under real limits.
    static let unlimited: EventLimits = {
        var l = EventLimits()
        l.maxEventBytes = .max
        l.maxFeatures = .max
        l.maxStringBytes = .max
        l.maxDepth = .max
        return l
    }()
}

extension JSONScanner {
    /// Validates a features object without materializing it and returns its bytes and feature count.
    mutating func readFeatureVector(field: StaticString) throws(EventDecodingError) -> FeatureVector {
        guard peek() == UInt8(ascii: "{") else {
            throw error(.invalidField, "\(field)", "expected an object of feature name to value, found \(describeValueAtPosition())")
        }
        let start = position
        position += 1
        var n = 0
        // Duplicate names: full 64-bit hashes of the names so far (inline up to 16, then on the heap);
        // names are compared only when hashes match.
        var hashes = NameHashes()
        var numbers = ParsedNumbers()
        var first = true
        while let keyRange = try nextKey(first: &first) {
            if n >= limits.maxFeatures { throw error(.limitExceeded, "\(field)", "more than \(limits.maxFeatures) features") }
            if keyRange.isEmpty { throw error(.invalidField, "\(field)", "feature names must not be empty") }
            // One pass: the name's hash, and whether it is plain (ASCII without escapes).
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            var high: UInt8 = 0
            var escaped = false
            for i in keyRange {
                let b = base[i]
                high |= b
                escaped = escaped || b == UInt8(ascii: "\\")
                hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3
            }
            if high >= 0x80 || escaped {
                hash = 0xcbf2_9ce4_8422_2325
                let name = try keyString(keyRange, field: "\(field)")
                if name.isEmpty { throw error(.invalidField, "\(field)", "feature names must not be empty") }
                for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            }
            if hashes.contains(hash) {
                let name = try keyString(keyRange, field: "\(field)")
                if try featureNames(from: start, before: keyRange.lowerBound).contains(name) {
                    throw error(.duplicateField, "\(field).\(name)", "feature appears more than once")
                }
            }
            hashes.append(hash)
            let keyBase = base
            if let (x, length) = try validateFeatureValue(field: "\(field).\(String(decoding: UnsafeBufferPointer(start: keyBase + keyRange.lowerBound, count: keyRange.count), as: UTF8.self))") {
                numbers.append(x, length: length)
            }
            n += 1
        }
        return FeatureVector(json: UnsafeRawBufferPointer(start: base + start, count: position - start), count: n, numbers: numbers)
    }

    /// The names of the features in the object starting at `start`, up to the key starting before `end`.
    private func featureNames(from start: Int, before end: Int) throws(EventDecodingError) -> [String] {
        var scanner = self
        scanner.position = start + 1
        var names: [String] = []
        var first = true
        while let key = try scanner.nextKey(first: &first), key.lowerBound < end {
            names.append(try scanner.keyString(key, field: ""))
            try scanner.skipValue()
        }
        return names
    }

    /// Checks a feature value (number, string, boolean or null) without building it; returns a number's value and
    /// the length of its text.
    @inline(__always)
    mutating func validateFeatureValue(field: @autoclosure () -> String) throws(EventDecodingError) -> (Double, Int)? {
        guard let c = peek() else { throw malformed("value expected, found end of input") }
        switch c {
        case UInt8(ascii: "\""): try validateString(field: field())
        case UInt8(ascii: "-"), 0x30...0x39:
            let start = position
            let x = try readNumber(field: field())
            return (x, position - start)
        default:
            guard readLiteral() != nil else {
                throw error(.invalidField, field(), "expected a number, string, boolean or null, found \(describeValueAtPosition())")
            }
        }
        return nil
    }

    /// Checks a string token (escapes, control characters, UTF-8, length) without building it.
    @inline(__always)
    mutating func validateString(field: @autoclosure () -> String) throws(EventDecodingError) {
        let quote = position
        let (end, hasEscape) = try scanStringToken()
        if hasEscape || !isASCII(quote + 1, end) || end - quote - 1 > limits.maxStringBytes {
            position = quote
            _ = try readString(field: field())  // the slow path validates escapes and UTF-8 and reports errors
        }
    }
}

/// The values of a vector's number tokens and the lengths of their text while it is built: up to 16 inline (no
/// allocation), more on the heap.
struct ParsedNumbers {
    private var inline: (Double, Double, Double, Double, Double, Double, Double, Double,
                         Double, Double, Double, Double, Double, Double, Double, Double) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var inlineLengths: (UInt64, UInt64) = (0, 0)
    private(set) var count = 0
    private var overflow: [Double] = []
    private var overflowLengths: [UInt8] = []

    /// Adds a number and the length of its text in bytes (kept as 0, "unknown", beyond 255).
    @inline(__always)
    mutating func append(_ x: Double, length: Int) {
        let length = UInt8(truncatingIfNeeded: length <= 255 ? length : 0)
        if count < 16 {
            let i = count
            withUnsafeMutableBytes(of: &inline) { $0.storeBytes(of: x, toByteOffset: i * 8, as: Double.self) }
            withUnsafeMutableBytes(of: &inlineLengths) { $0[i] = length }
        } else {
            overflow.append(x)
            overflowLengths.append(length)
        }
        count += 1
    }

    /// Appends the values to `bytes`, 8 bytes each, then the lengths, one byte each.
    func append(to bytes: inout [UInt8]) {
        let inlineCount = Swift.min(count, 16)
        withUnsafeBytes(of: inline) { bytes.append(contentsOf: $0[..<(inlineCount * 8)]) }
        if count > 16 { overflow.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        withUnsafeBytes(of: inlineLengths) { bytes.append(contentsOf: $0[..<inlineCount]) }
        if count > 16 { bytes.append(contentsOf: overflowLengths) }
    }
}

/// Up to 16 hashes inline (no allocation), more on the heap.
struct NameHashes {
    private var inline: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                         UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var count = 0
    private var overflow: [UInt64] = []
    /// One bit per hash seen, of 256 (chosen by the hash's mixed top byte): a clear bit means "not seen" without
    /// scanning the hashes, which for every name of a 20-feature vector was 40 % of this function's time.
    private var filter: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    @inline(__always)
    private static func filterBit(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> 56) }

    @inline(__always)
    func contains(_ hash: UInt64) -> Bool {
        let bit = Self.filterBit(hash)
        let word = withUnsafeBytes(of: filter) { $0.load(fromByteOffset: (bit >> 6) * 8, as: UInt64.self) }
        guard word & (1 << UInt64(bit & 63)) != 0 else { return false }
        let n = Swift.min(count, 16)
        let found = withUnsafeBytes(of: inline) { raw in
            let p = raw.bindMemory(to: UInt64.self)
            for i in 0..<n where p[i] == hash { return true }
            return false
        }
        return found || (count > 16 && overflow.contains(hash))
    }

    @inline(__always)
    mutating func append(_ hash: UInt64) {
        let bit = Self.filterBit(hash)
        withUnsafeMutableBytes(of: &filter) { raw in
            let word = raw.load(fromByteOffset: (bit >> 6) * 8, as: UInt64.self)
            raw.storeBytes(of: word | 1 << UInt64(bit & 63), toByteOffset: (bit >> 6) * 8, as: UInt64.self)
        }
        if count < 16 {
            let i = count
            withUnsafeMutableBytes(of: &inline) { $0.storeBytes(of: hash, toByteOffset: i * 8, as: UInt64.self) }
        } else {
            overflow.append(hash)
        }
        count += 1
    }
}

extension FeatureVector {
    /// Decodes a bare features object (`{"age": 31, "country": "NL"}`), with the same validation and limits as
    /// a prediction's `features`; errors name the field under `event` (e.g. "features.age").
    public static func decode(object bytes: [UInt8], limits: EventLimits = .default) throws(EventDecodingError) -> FeatureVector {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(EventDecodingError) -> FeatureVector in
                var scanner = JSONScanner(buffer, event: "features", limits: limits)
                scanner.skipWhitespace()
                let vector = try scanner.readFeatureVector(field: "features")
                try scanner.expectEnd()
                return vector
            }
        }.get()
    }
}

/// A feature value as `FeatureVector.forEachRaw` hands it over: strings as their UTF-8 bytes (valid only
/// during the callback), so that a hot loop need not build a `String` per feature.
public enum RawFeatureValue {
    case number(Double)
    case string(UnsafeRawBufferPointer)
    case bool(Bool)
    case null
}

extension FeatureValue {
    /// The value `raw` hands over, with its bytes copied into a `String`.
    public init(_ raw: RawFeatureValue) {
        switch raw {
        case .number(let x): self = .number(x)
        case .string(let bytes): self = .string(String(decoding: bytes, as: UTF8.self))
        case .bool(let b): self = .bool(b)
        case .null: self = .null
        }
    }
}

extension FeatureVector {
    /// Calls `body` with each feature's name (UTF-8 bytes, unescaped) and value, in order, without creating
    /// `String`s for plain names and values (escaped ones are unescaped into a temporary), and without parsing
    /// numbers again (their values were kept when the bytes were validated). The buffers are valid only during
    /// the call.
    public func forEachRaw(_ body: (UnsafeRawBufferPointer, RawFeatureValue) -> Void) {
        storage.withUnsafeBytes { whole in
            let buffer = UnsafeRawBufferPointer(rebasing: whole[..<Int(jsonCount)])
            guard let start = buffer.baseAddress, memchr(start, Int32(UInt8(ascii: "\\")), buffer.count) == nil else {
                return Self.forEachRawEscaped(buffer, body)
            }
            // No escapes anywhere, and the bytes were validated when the vector was made: every token can be found
            // by its first byte, every string ends at the next quote, and every number at the first byte that
            // cannot be part of one (whitespace, ',' or '}').
            let base = start.assumingMemoryBound(to: UInt8.self), count = buffer.count
            let numbers = start + count
            let lengths = (numbers + (whole.count - count) / 9 * 8).assumingMemoryBound(to: UInt8.self)
            var number = 0
            var p = 1
            @inline(__always) func skipWhitespace() { while p < count && base[p] <= 0x20 { p += 1 } }
            @inline(__always) func stringEnd(from q: Int) -> Int {
                var q = q
                while base[q] != UInt8(ascii: "\"") { q += 1 }
                return q
            }
            while true {
                skipWhitespace()
                guard p < count, base[p] != UInt8(ascii: "}") else { return }
                if base[p] == UInt8(ascii: ",") { p += 1; skipWhitespace() }
                let keyEnd = stringEnd(from: p + 1)
                let key = UnsafeRawBufferPointer(start: base + p + 1, count: keyEnd - p - 1)
                p = keyEnd + 1
                skipWhitespace()
                p += 1  // ':'
                skipWhitespace()
                switch base[p] {
                case UInt8(ascii: "\""):
                    let end = stringEnd(from: p + 1)
                    body(key, .string(UnsafeRawBufferPointer(start: base + p + 1, count: end - p - 1)))
                    p = end + 1
                case UInt8(ascii: "t"): body(key, .bool(true)); p += 4
                case UInt8(ascii: "f"): body(key, .bool(false)); p += 5
                case UInt8(ascii: "n"): body(key, .null); p += 4
                default:
                    let x = numbers.loadUnaligned(fromByteOffset: number * 8, as: Double.self)
                    let length = Int(lengths[number])
                    number += 1
                    if length > 0 {
                        p += length
                    } else {
                        while p < count && base[p] > 0x20 && base[p] != UInt8(ascii: ",") && base[p] != UInt8(ascii: "}") { p += 1 }
                    }
                    body(key, .number(x))
                }
            }
        }
    }

    /// `forEachRaw` for vectors with escapes in some name or value: the general scanner, unescaping into temporaries.
    private static func forEachRawEscaped(_ buffer: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, RawFeatureValue) -> Void) {
            var scanner = JSONScanner(buffer, event: "features", limits: .unlimited)
            scanner.position = 1
            var first = true
            // The bytes were validated when the vector was made, so these steps cannot fail.
            while let key = try? scanner.nextKey(first: &first) {
                let plainKey = !buffer[key].contains(UInt8(ascii: "\\"))
                var escapedName: [UInt8] = []
                if !plainKey, let name = try? scanner.keyString(key, field: "") { escapedName = Array(name.utf8) }
                func deliver(_ value: RawFeatureValue) {
                    if plainKey { body(UnsafeRawBufferPointer(rebasing: buffer[key]), value) } else {
                        escapedName.withUnsafeBytes { body($0, value) }
                    }
                }
                guard let c = scanner.peek() else { return }
                switch c {
                case UInt8(ascii: "\""):
                    let start = scanner.position + 1
                    guard let (end, hasEscape) = try? scanner.scanStringToken() else { return }
                    if !hasEscape {
                        deliver(.string(UnsafeRawBufferPointer(rebasing: buffer[start..<end])))
                    } else {
                        let saved = scanner.position
                        scanner.position = start - 1
                        let s = (try? scanner.readString(field: "")) ?? ""
                        scanner.position = saved
                        var bytes = Array(s.utf8)
                        bytes.withUnsafeMutableBytes { deliver(.string(UnsafeRawBufferPointer($0))) }
                    }
                case UInt8(ascii: "-"), 0x30...0x39:
                    guard let x = try? scanner.readNumber(field: "") else { return }
                    deliver(.number(x))
                default:
                    switch scanner.readLiteral() {
                    case .true: deliver(.bool(true))
                    case .false: deliver(.bool(false))
                    case .null: deliver(.null)
                    case nil: return
                    }
                }
            }
    }
}
