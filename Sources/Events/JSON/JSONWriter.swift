/// Writes compact JSON into a byte buffer. Used by every event encoder; no intermediate strings for
/// numbers, times or ASCII text.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]
    private var first = true

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        first = true
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    public mutating func beginArray() {
        bytes.append(UInt8(ascii: "["))
        first = true
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        first = false
    }

    /// Writes the separator (if needed) and a key; the value must follow.
    public mutating func key(_ name: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    @_disfavoredOverload
    public mutating func key(_ name: String) {
        separator()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Writes the separator before an array element.
    public mutating func element() { separator() }

    @inline(__always)
    private mutating func separator() {
        if first { first = false } else { bytes.append(UInt8(ascii: ",")) }
    }

    public mutating func string(_ value: String) { appendQuoted(value) }

    public mutating func null() { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }

    public mutating func bool(_ value: Bool) {
        if value { bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
    }

    public mutating func int(_ value: Int64) {
        if value == 0 { bytes.append(0x30); return }
        var v = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { buf in
            while v > 0 { buf[n] = UInt8(0x30 + v % 10); v /= 10; n += 1 }
            for i in stride(from: n - 1, through: 0, by: -1) { bytes.append(buf[i]) }
        }
    }

    /// Writes a finite number: integral values below 2^53 as integers, others in Swift's shortest
    /// round-trip form. Non-finite values (which JSON cannot express) are written as null.
    public mutating func number(_ value: Double) {
        if value == value.rounded(.towardZero) && Swift.abs(value) < 9_007_199_254_740_992 {
            if value == 0 && value.sign == .minus { bytes.append(contentsOf: [0x2D, 0x30]); return }
            int(Int64(value))
            return
        }
        guard value.isFinite else { null(); return }
        // The shortest digits that read back as `value` (the same text as `description`), handed over as ASCII
        // bytes: no `String` is made (one of more than 15 bytes is a heap allocation; 80 → 50 ns per 17-digit
        // number).
        var sink = ASCIISink()
        swap(&sink.bytes, &bytes)
        value.write(to: &sink)
        swap(&sink.bytes, &bytes)
    }

    /// Receives a number's text from the standard library as ASCII bytes (`_writeASCII`, which `Double.write(to:)`
    /// calls) instead of as a `String`.
    private struct ASCIISink: TextOutputStream {
        var bytes: [UInt8] = []
        mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }
        mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }
    }

    public mutating func time(_ value: EventTime) {
        bytes.append(UInt8(ascii: "\""))
        value.appendRFC3339(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends already-encoded JSON verbatim (the caller guarantees it is valid).
    public mutating func raw(_ json: some Sequence<UInt8>) { bytes.append(contentsOf: json) }

    private mutating func appendQuoted(_ s: String) {
        var copy = s
        copy.withUTF8 { appendQuoted(utf8: $0) }
    }

    /// Writes UTF-8 bytes as a JSON string (quoted and escaped).
    public mutating func string(utf8: UnsafeBufferPointer<UInt8>) { appendQuoted(utf8: utf8) }

    /// Direct access to the buffer, for callers that splice pre-encoded bytes (the caller keeps it valid JSON
    /// and handles separators itself).
    public mutating func withBytes<R>(_ body: (inout [UInt8]) throws -> R) rethrows -> R { try body(&bytes) }

    /// Empties the buffer (keeping its capacity) so the writer can be reused.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        first = true
    }

    private mutating func appendQuoted(utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        do {
            var runStart = 0
            for i in 0..<utf8.count {
                let c = utf8[i]
                if c >= 0x20 && c != 0x22 && c != 0x5C { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                switch c {
                case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
                case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
                case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]])
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
