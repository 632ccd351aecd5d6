public import Events

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

    /// The 24 bytes of an RFC 3339 time, without quotes (`EventTime.writeRFC3339`).
    @inline(__always)
    mutating func putRFC3339(_ time: EventTime) {
        time.writeRFC3339(to: position)
        position += EventTime.rfc3339Length
    }

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

    /// Upper bound of what `putInt` writes.
    static let intRoom = 20
}
