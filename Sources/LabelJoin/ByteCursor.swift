import Events

/// Writes bytes at a pointer and moves past them: building a labeled example in one temporary buffer and
/// appending it to the output once costs one capacity check, where appending each piece checked the output
/// array's capacity and uniqueness a dozen times. The caller guarantees the room (it sizes the buffer first).
struct ByteCursor {
    private(set) var position: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>) { position = start }

    @inline(__always)
    mutating func put(_ byte: UInt8) {
        position.initialize(to: byte)
        position += 1
    }

    @inline(__always)
    mutating func put(_ s: StaticString) {
        position.update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        position += s.utf8CodeUnitCount
    }

    @inline(__always)
    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        position.update(from: base, count: bytes.count)
        position += bytes.count
    }

    /// A JSON string, quoted and escaped as `JSONWriter` does it. Needs `s.utf8.count * 6 + 2` bytes of room.
    @inline(__always)
    mutating func putQuoted(_ s: String) {
        // Native strings expose their UTF-8 in place (no copy, no retain); others are made contiguous first.
        if s.utf8.withContiguousStorageIfAvailable({ putQuoted(utf8: $0) }) != nil { return }
        var copy = s
        copy.withUTF8 { putQuoted(utf8: $0) }
    }

    /// UTF-8 bytes as a JSON string: copied between quotes when nothing needs escaping, otherwise escaped by
    /// `JSONWriter` (rare). Needs `utf8.count * 6 + 2` bytes of room.
    @inline(__always)
    mutating func putQuoted(utf8: UnsafeBufferPointer<UInt8>) {
        if utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            var w = JSONWriter(capacity: utf8.count * 6 + 2)
            w.string(utf8: utf8)
            w.bytes.withUnsafeBufferPointer { put($0) }
        } else {
            put(UInt8(ascii: "\""))
            put(utf8)
            put(UInt8(ascii: "\""))
        }
    }

    /// A prediction's score text as decoded (`PredictionEvent.writeDecodedScoreText(to:)`). Needs
    /// `PredictionEvent.maxDecodedScoreTextBytes` of room.
    @inline(__always)
    mutating func putDecodedScoreText(of p: PredictionEvent) {
        position += p.writeDecodedScoreText(to: position)
    }

    /// The 24 bytes of an RFC 3339 time, without quotes (`EventTime.writeRFC3339`).
    @inline(__always)
    mutating func putRFC3339(_ time: EventTime, cache: inout RFC3339DayCache) {
        time.writeRFC3339(to: position, cache: &cache)
        position += EventTime.rfc3339Length
    }

    /// The 16 lowercase hexadecimal digits of `value`, most significant first. Needs 16 bytes of room.
    @inline(__always)
    mutating func putHex(_ value: UInt64) {
        // Two digits per step, from a 512-byte table of every byte's two digits.
        Self.hexPairs.withUTF8Buffer { table in
            for i in 0 ..< 8 {
                let byte = Int((value >> UInt64(56 - 8 * i)) & 0xFF)
                position[2 * i] = table[2 * byte]
                position[2 * i + 1] = table[2 * byte + 1]
            }
        }
        position += 16
    }

    /// Computed, not stored: a literal needs no lazy initialization on each use.
    private static var hexPairs: StaticString { """
        000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
        202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\
        404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\
        606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f\
        808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f\
        a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\
        c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf\
        e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
        """ }

    /// A decimal integer, as `JSONWriter.int` writes it. Needs 20 bytes of room.
    @inline(__always)
    mutating func putInt(_ value: Int64) {
        if value == 0 { put(0x30); return }
        if value < 0 { put(UInt8(ascii: "-")) }
        var v = value.magnitude, digits = 0
        var probe = v
        while probe > 0 { digits += 1; probe /= 10 }
        var i = digits
        while v > 0 {
            i -= 1
            position[i] = UInt8(0x30 + v % 10)
            v /= 10
        }
        position += digits
    }
}
