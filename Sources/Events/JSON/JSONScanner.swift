#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only JSON tokenizer over raw bytes, used by the event decoders.
///
/// It never allocates except for strings that contain escapes, and reports errors as
/// `EventDecodingError` with the byte offset. Object keys are returned as byte ranges so that decoders can
/// match field names without creating strings.
struct JSONScanner {
    let base: UnsafePointer<UInt8>
    let count: Int
    var position: Int = 0
    let event: String
    let limits: EventLimits

    init(_ buffer: UnsafeRawBufferPointer, event: String, limits: EventLimits) {
        // An empty buffer may have a nil base address; point at a static byte instead.
        self.base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? JSONScanner.emptyBase
        self.count = buffer.count
        self.event = event
        self.limits = limits
    }

    nonisolated(unsafe) private static let emptyBase: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    // MARK: Errors

    func error(_ kind: EventDecodingError.Kind, _ field: String?, _ message: String) -> EventDecodingError {
        EventDecodingError(kind: kind, event: event, field: field, message: message, byteOffset: position)
    }

    func malformed(_ message: String) -> EventDecodingError { error(.malformedJSON, nil, message) }

    // MARK: Structure

    @inline(__always)
    mutating func skipWhitespace() {
        var p = position
        while p < count {
            let c = base[p]
            if c > 0x20 { break }  // the common case in compact JSON: no whitespace at all
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { p += 1 } else { break }
        }
        position = p
    }

    @inline(__always)
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < count ? base[position] : nil
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: StaticString) throws(EventDecodingError) {
        skipWhitespace()
        guard position < count, base[position] == byte else {
            throw malformed("expected \(what)\(position < count ? ", found '\(Self.describe(base[position]))'" : ", found end of input")")
        }
        position += 1
    }

    /// After the opening brace: returns the next key's byte range, or nil at the closing brace.
    /// `first` tells whether a comma is expected before the key.
    @inline(__always)
    mutating func nextKey(first: inout Bool) throws(EventDecodingError) -> Range<Int>? {
        skipWhitespace()
        guard position < count else { throw malformed("unterminated object") }
        if base[position] == UInt8(ascii: "}") {
            position += 1
            return nil
        }
        if !first {
            guard base[position] == UInt8(ascii: ",") else { throw malformed("expected ',' or '}' in object, found '\(Self.describe(base[position]))'") }
            position += 1
            skipWhitespace()
        }
        first = false
        guard position < count, base[position] == UInt8(ascii: "\"") else { throw malformed("expected a string key in object") }
        let range = try scanStringBytes()
        try expect(UInt8(ascii: ":"), "':' after object key")
        skipWhitespace()
        return range
    }

    /// Requires the input to end here (only whitespace after the value).
    mutating func expectEnd() throws(EventDecodingError) {
        skipWhitespace()
        if position != count { throw malformed("unexpected data after the JSON value") }
    }

    // MARK: Strings

    /// The index of the first byte at or after `from` that is a quote, a backslash or a control character,
    /// or `count`. Examines 8 bytes per step (SWAR): strings are most of an event's bytes.
    @inline(__always)
    func scanToStringSpecial(from: Int) -> Int {
        var p = from
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while p + 8 <= count {
            let v = UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self)
            let quote = v ^ (ones &* 0x22)
            let slash = v ^ (ones &* 0x5C)
            let special = ((quote &- ones) & ~quote) | ((slash &- ones) & ~slash) | ((v &- ones &* 0x20) & ~v)
            let hit = special & highs
            if hit != 0 { return p + hit.trailingZeroBitCount >> 3 }
            p += 8
        }
        while p < count {
            let c = base[p]
            if c == 0x22 || c == 0x5C || c < 0x20 { return p }
            p += 1
        }
        return p
    }

    /// Whether every byte in `range` is ASCII (8 bytes per step).
    @inline(__always)
    func isASCII(_ start: Int, _ end: Int) -> Bool {
        var p = start
        var acc: UInt64 = 0
        while p + 8 <= end { acc |= UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self); p += 8 }
        var tail: UInt8 = 0
        while p < end { tail |= base[p]; p += 1 }
        return acc & 0x8080_8080_8080_8080 == 0 && tail < 0x80
    }

    /// Whether the bytes in `range` equal `literal`. The length and first byte are compared before memcmp,
    /// so trying a list of field names against a key is cheap.
    @inline(__always)
    func bytes(_ range: Range<Int>, equal literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard range.count == n else { return false }
        if n == 0 { return true }
        guard base[range.lowerBound] == literal.utf8Start.pointee else { return false }
        var i = 1
        while i < n {
            if base[range.lowerBound + i] != literal.utf8Start[i] { return false }
            i += 1
        }
        return true
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }

    /// Scans a string token (a key, or a value being skipped) and returns the raw byte range between the
    /// quotes, escapes included: callers compare exact bytes, so an escaped key never matches a known field
    /// name and is unescaped only when its text is needed (`keyString`).
    @inline(__always)
    private mutating func scanStringBytes() throws(EventDecodingError) -> Range<Int> {
        let start = position + 1
        let (end, _) = try scanStringToken()
        if end - start > limits.maxStringBytes { throw error(.limitExceeded, nil, "string longer than \(limits.maxStringBytes) bytes") }
        return start..<end
    }

    /// Finds the end of the string token whose opening quote is at `position`: returns the index of the
    /// closing quote and whether escapes occur, and moves past the token. Rejects control characters and a
    /// missing closing quote; does not check escapes or UTF-8.
    @inline(__always)
    mutating func scanStringToken() throws(EventDecodingError) -> (end: Int, hasEscape: Bool) {
        let quote = position
        var p = position + 1
        var hasEscape = false
        while p < count {
            p = scanToStringSpecial(from: p)
            if p >= count { break }
            let c = base[p]
            if c == UInt8(ascii: "\"") { break }
            if c == UInt8(ascii: "\\") { hasEscape = true; p += 2; continue }
            position = p
            throw malformed("control character in string")
        }
        guard p < count else { position = quote; throw malformed("unterminated string") }
        position = p + 1
        return (p, hasEscape)
    }

    /// Reads a JSON string value.
    @inline(__always)
    mutating func readString(field: @autoclosure () -> String) throws(EventDecodingError) -> String {
        skipWhitespace()
        guard position < count, base[position] == UInt8(ascii: "\"") else {
            throw error(.invalidField, field(), "expected a string, found \(describeValueAtPosition())")
        }
        let start = position + 1
        let (end, hasEscape) = try scanStringToken()
        if end - start > limits.maxStringBytes {
            throw error(.limitExceeded, field(), "string longer than \(limits.maxStringBytes) bytes")
        }
        if !hasEscape {
            let buffer = UnsafeBufferPointer(start: base + start, count: end - start)
            // ASCII fast path: no validation needed.
            if isASCII(start, end) { return String(decoding: buffer, as: UTF8.self) }
            guard let s = String(validating: buffer, as: UTF8.self) else {
                throw error(.malformedJSON, field(), "string is not valid UTF-8")
            }
            return s
        }
        return try unescape(start..<end, field: field())
    }

    private func unescape(_ range: Range<Int>, field: String) throws(EventDecodingError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let c = base[i]
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            guard i + 1 < range.upperBound else { throw malformed("bad escape in string") }
            let e = base[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard let unit = hex4(at: i, end: range.upperBound) else { throw malformed("bad \\u escape in string") }
                i += 4
                var scalar: UInt32 = UInt32(unit)
                if (0xD800...0xDBFF).contains(unit) {
                    guard i + 6 <= range.upperBound, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u"),
                          let low = hex4(at: i + 2, end: range.upperBound), (0xDC00...0xDFFF).contains(low)
                    else { throw malformed("unpaired surrogate in string") }
                    i += 6
                    scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw malformed("unpaired surrogate in string")
                }
                guard let s = Unicode.Scalar(scalar) else { throw malformed("bad \\u escape in string") }
                out.append(contentsOf: String(Character(s)).utf8)
            default:
                throw malformed("bad escape '\\\(Self.describe(e))' in string")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw error(.malformedJSON, field, "string is not valid UTF-8") }
        return s
    }

    private func hex4(at i: Int, end: Int) -> UInt16? {
        guard i + 4 <= end else { return nil }
        var v: UInt16 = 0
        for k in 0..<4 {
            let c = base[i + k]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt16(d)
        }
        return v
    }

    // MARK: Numbers

    /// The value of the eight ASCII digits at `p` (`p + 8 <= count`), or nil when one of the bytes is not a digit:
    /// eight digits in three multiplications instead of eight dependent steps (the SWAR method of simdjson).
    @inline(__always)
    func eightDigits(at p: Int) -> UInt64? {
        let chunk = UInt64(littleEndian: UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self))
        let allDigits = (chunk & 0xF0F0_F0F0_F0F0_F0F0) | (((chunk &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4)
        guard allDigits == 0x3333_3333_3333_3333 else { return nil }
        var v = chunk & 0x0F0F_0F0F_0F0F_0F0F
        v = (v &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
    }

    /// Reads a JSON number. Exact for every input (correctly rounded, as `strtod`): a fast path for up to 15
    /// significant digits and small exponents, Eisel–Lemire for up to 19 digits (`DecimalToDouble`), `strtod`
    /// for the rest (longer mantissas, subnormals, the rare undecided product). Rejects values that overflow.
    @inline(__always)
    mutating func readNumber(field: @autoclosure () -> String) throws(EventDecodingError) -> Double {
        skipWhitespace()
        let start = position
        var p = position
        var negative = false
        if p < count && base[p] == UInt8(ascii: "-") { negative = true; p += 1 }
        guard p < count, base[p] >= 0x30, base[p] <= 0x39 else {
            throw error(.invalidField, field(), "expected a number, found \(describeValueAtPosition())")
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var truncated = false  // digits beyond the 19 the mantissa holds were dropped
        if base[p] == 0x30 {
            p += 1
        } else {
            while digits <= 11, p + 8 <= count, let eight = eightDigits(at: p) {
                mantissa = mantissa &* 100_000_000 &+ eight; digits += 8; p += 8
            }
            while p < count, base[p] >= 0x30, base[p] <= 0x39 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(base[p] - 0x30); digits += 1 } else { exponent += 1; truncated = true }
                p += 1
            }
        }
        if p < count && base[p] == UInt8(ascii: ".") {
            p += 1
            guard p < count, base[p] >= 0x30, base[p] <= 0x39 else { position = p; throw malformed("digit expected after decimal point") }
            while digits <= 11, p + 8 <= count, let eight = eightDigits(at: p) {
                mantissa = mantissa &* 100_000_000 &+ eight; digits += 8; exponent -= 8; p += 8
            }
            while p < count, base[p] >= 0x30, base[p] <= 0x39 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(base[p] - 0x30); digits += 1; exponent -= 1 } else { truncated = true }
                p += 1
            }
        }
        if p < count && (base[p] == UInt8(ascii: "e") || base[p] == UInt8(ascii: "E")) {
            p += 1
            var expNegative = false
            if p < count && (base[p] == UInt8(ascii: "+") || base[p] == UInt8(ascii: "-")) { expNegative = base[p] == UInt8(ascii: "-"); p += 1 }
            guard p < count, base[p] >= 0x30, base[p] <= 0x39 else { position = p; throw malformed("digit expected in exponent") }
            var e = 0
            while p < count, base[p] >= 0x30, base[p] <= 0x39 {
                if e < 100_000 { e = e * 10 + Int(base[p] - 0x30) }
                p += 1
            }
            exponent += expNegative ? -e : e
        }
        position = p
        if mantissa < (1 << 53) && digits <= 15 && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 { value /= Self.powersOfTen[-exponent] } else if exponent > 0 { value *= Self.powersOfTen[exponent] }
            return negative ? -value : value
        }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        // Every significant digit in the mantissa: Eisel–Lemire, correctly rounded, no library call.
        if !truncated, let value = DecimalToDouble.convert(mantissa: mantissa, exponent: exponent) { return negative ? -value : value }
        // Slow path: exact conversion by the C library on a NUL-terminated copy.
        let length = p - start
        let value: Double = withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { tmp in
            for k in 0..<length { tmp[k] = CChar(bitPattern: base[start + k]) }
            tmp[length] = 0
            return strtod(tmp.baseAddress!, nil)
        }
        guard value.isFinite else { position = start; throw error(.invalidField, field(), "number out of range") }
        return value
    }

    /// Exact powers of ten for the fast path (a literal table: statically initialized, no lazy-init check).
    static let powersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    // MARK: Literals and skipping

    /// Reads `true`, `false` or `null` if present; returns nil (without consuming) otherwise.
    @inline(__always)
    mutating func readLiteral() -> JSONLiteral? {
        skipWhitespace()
        guard position < count else { return nil }
        switch base[position] {
        case UInt8(ascii: "t") where matches("true"): position += 4; return .true
        case UInt8(ascii: "f") where matches("false"): position += 5; return .false
        case UInt8(ascii: "n") where matches("null"): position += 4; return .null
        default: return nil
        }
    }

    private func matches(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        return position + n <= count && memcmp(base + position, literal.utf8Start, n) == 0
    }

    @inline(__always)
    mutating func readBool(field: @autoclosure () -> String) throws(EventDecodingError) -> Bool {
        switch readLiteral() {
        case .true: return true
        case .false: return false
        default: throw error(.invalidField, field(), "expected true or false, found \(describeValueAtPosition())")
        }
    }

    /// Skips any JSON value (used for unknown fields), enforcing the depth limit.
    mutating func skipValue(depth: Int = 0) throws(EventDecodingError) {
        guard depth < limits.maxDepth else { throw error(.limitExceeded, nil, "nesting deeper than \(limits.maxDepth)") }
        guard let c = peek() else { throw malformed("value expected, found end of input") }
        switch c {
        case UInt8(ascii: "\""):
            _ = try scanStringBytes()
        case UInt8(ascii: "{"):
            position += 1
            var first = true
            while try nextKey(first: &first) != nil { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            position += 1
            if peek() == UInt8(ascii: "]") { position += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                guard let n = peek() else { throw malformed("unterminated array") }
                position += 1
                if n == UInt8(ascii: "]") { return }
                if n != UInt8(ascii: ",") { position -= 1; throw malformed("expected ',' or ']' in array") }
            }
        case UInt8(ascii: "-"), 0x30...0x39:
            _ = try readNumber(field: "")
        default:
            guard readLiteral() != nil else { throw malformed("unexpected character '\(Self.describe(c))'") }
        }
    }

    /// A short description of the JSON value type at the current position, for error messages.
    mutating func describeValueAtPosition() -> String {
        guard let c = peek() else { return "end of input" }
        switch c {
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "t") where matches("true"): return "a boolean"
        case UInt8(ascii: "f") where matches("false"): return "a boolean"
        case UInt8(ascii: "n") where matches("null"): return "null"
        case UInt8(ascii: "-"), 0x30...0x39: return "a number"
        default: return "'\(Self.describe(c))'"
        }
    }

    static func describe(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}

enum JSONLiteral { case `true`, `false`, null }
