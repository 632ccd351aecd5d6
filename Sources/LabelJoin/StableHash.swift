/// A fast 64-bit hash that is the same in every process and on every run (unlike `Hasher`, which is seeded
/// per process). Used for the join's request-id index, label fingerprints and deterministic event ids, all of
/// which must agree between a run, its crash recovery and a replay. Assumes a little-endian machine.
public enum StableHash {
    public static let defaultSeed: UInt64 = 0x9E37_79B9_7F4A_7C15

    @inlinable @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 31)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 29)
    }

    /// The bytes from `start` to the end (1–7 of them) as a little-endian number, read in at most three loads
    /// (4, 2, 1 bytes).
    @inlinable @inline(__always)
    static func tail(_ bytes: UnsafeRawBufferPointer, from start: Int) -> UInt64 {
        var i = start
        let n = bytes.count
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        if n - i >= 4 {
            tail = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
            shift = 32
            i += 4
        }
        if n - i >= 2 {
            tail |= UInt64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt16.self))) << shift
            shift += 16
            i += 2
        }
        if i < n { tail |= UInt64(bytes[i]) << shift }
        return tail
    }

    /// Hashes raw bytes.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = defaultSeed) -> UInt64 {
        var h = seed ^ (UInt64(truncatingIfNeeded: bytes.count) &* 0xFF51_AFD7_ED55_8CCD)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            h = mix(h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &+ 0x632B_E59B_D9B4_E019
            i += 8
        }
        if i < n { h = mix(h ^ tail(bytes, from: i) ^ 0x8000_0000_0000_0000) }
        return mix(h)
    }

    /// The hashes of the same bytes under two seeds, in one pass: equal to `(hash(bytes, seed: seeds.0),
    /// hash(bytes, seed: seeds.1))`, each word read once and the two mixes independent (they overlap in the CPU).
    @inlinable
    public static func hashPair(_ bytes: UnsafeRawBufferPointer, seeds: (UInt64, UInt64)) -> (UInt64, UInt64) {
        let lengthTerm = UInt64(truncatingIfNeeded: bytes.count) &* 0xFF51_AFD7_ED55_8CCD
        var (h0, h1) = (seeds.0 ^ lengthTerm, seeds.1 ^ lengthTerm)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h0 = mix(h0 ^ word) &+ 0x632B_E59B_D9B4_E019
            h1 = mix(h1 ^ word) &+ 0x632B_E59B_D9B4_E019
            i += 8
        }
        if i < n {
            let last = tail(bytes, from: i)
            h0 = mix(h0 ^ last ^ 0x8000_0000_0000_0000)
            h1 = mix(h1 ^ last ^ 0x8000_0000_0000_0000)
        }
        return (mix(h0), mix(h1))
    }

    /// Hashes a string's UTF-8 bytes. A small string's (15 bytes or fewer, held inside the `String` value) are
    /// read from the value's two words, with no call to `withUTF8` (which copies them out first).
    @inlinable
    public static func hash(_ string: String, seed: UInt64 = defaultSeed) -> UInt64 {
        guard let words = smallStringWords(string) else {
            var s = string
            return s.withUTF8 { hash(UnsafeRawBufferPointer($0), seed: seed) }
        }
        // The same steps as `hash(_:seed:)` over the bytes: the first word holds bytes 0–7, the second's low seven
        // bytes bytes 8–14 (masked to the count: the hash does not rely on the padding being zero).
        let n = (words.1 >> 56) & 0xF
        var h = seed ^ (n &* 0xFF51_AFD7_ED55_8CCD)
        if n >= 8 {
            h = mix(h ^ words.0) &+ 0x632B_E59B_D9B4_E019
            if n > 8 { h = mix(h ^ (words.1 & ~(~0 << (8 &* (n &- 8)))) ^ 0x8000_0000_0000_0000) }
        } else if n > 0 {
            h = mix(h ^ (words.0 & ~(~0 << (8 &* n))) ^ 0x8000_0000_0000_0000)
        }
        return mix(h)
    }

    /// The two words of a small string, one whose UTF-8 (15 bytes at most) is stored inside the `String` value
    /// itself: the bytes in order from the first word's lowest byte, and the count in bits 56–59 of the second word.
    /// Nil for any other string. 64-bit little-endian platforms only (elsewhere always nil). `StableHashTests` checks
    /// this reading against the bytes for every small length.
    @inlinable @inline(__always)
    static func smallStringWords(_ s: String) -> (UInt64, UInt64)? {
        #if _pointerBitWidth(_64) && _endian(little)
        // The standard library's `_StringObject`: bit 61 of the second word marks the small form.
        let words = unsafeBitCast(s, to: (UInt64, UInt64).self)
        return words.1 & (1 << 61) != 0 ? words : nil
        #else
        return nil
        #endif
    }

    /// Combines a hash with a 64-bit value.
    @inlinable @inline(__always)
    public static func combine(_ h: UInt64, _ value: UInt64) -> UInt64 {
        mix(h ^ (value &+ 0x9E37_79B9_7F4A_7C15 &+ (h << 6) &+ (h >> 2)))
    }
}
