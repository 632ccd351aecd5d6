#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numbers the distinct byte strings it is given (0, 1, 2, … in order of first sight) and finds them again
/// without building a `String`: open addressing over a power-of-two table keyed by the strings' hashes, the bytes
/// kept in one flat arena, and strings of up to 7 bytes also as one word, compared as one integer. What feature columns and category counts are looked up by, once per value.
///
/// Derived state: its owners encode the strings themselves and rebuild the table when decoded. Value type; not
/// thread-safe.
struct ByteStringTable: Sendable {
    /// Every string's bytes, back to back; string k is `arena[offsets[k] ..< offsets[k + 1]]`.
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Strings of up to 7 bytes as one word (`packed`), 0 for longer ones: short names and categories (the
    /// common case) are hashed and compared as one integer, without touching the arena.
    private var keys: [UInt64] = []
    /// Slot → string number + 1 (0: empty). Kept at most half full.
    private var slots: [Int32] = Array(repeating: 0, count: 16)

    var count: Int { hashes.count }

    /// A string of at most 7 bytes as one word: the bytes, and its length + 1 in the top byte (so never 0); nil
    /// for a longer string.
    @inline(__always)
    static func packed(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count <= 7 else { return nil }
        var key = UInt64(bytes.count + 1) << 56
        for i in 0..<bytes.count { key |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        return key
    }

    /// The table hash: of the packed word for a short string, FNV-1a (64 bits) of the bytes for a longer one.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        if let key = packed(bytes) { return key &* 0x9E37_79B9_7F4A_7C15 }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// Whether string `k` is `bytes`.
    @inline(__always)
    func matches(_ k: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        if let key = Self.packed(bytes) { return keys[k] == key }
        let start = offsets[k], length = offsets[k + 1] - start
        guard length == bytes.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            guard length > 0 else { return true }
            if length <= 16 {  // short names and categories: a byte loop beats a call
                for i in 0..<length where a[start + i] != bytes[i] { return false }
                return true
            }
            return memcmp(a.baseAddress! + start, bytes.baseAddress!, length) == 0
        }
    }

    /// The number of `bytes`, or nil when it has not been added.
    @inline(__always)
    func find(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let key = Self.packed(bytes) else { return find(bytes, hash: Self.hash(bytes)) }
        return slots.withUnsafeBufferPointer { slots in
            keys.withUnsafeBufferPointer { keys in
                let h = key &* 0x9E37_79B9_7F4A_7C15, mask = slots.count - 1
                var s = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
                while true {
                    let entry = Int(slots[s])
                    if entry == 0 { return nil }
                    if keys[entry - 1] == key { return entry - 1 }
                    s = (s + 1) & mask
                }
            }
        }
    }

    private func find(_ bytes: UnsafeRawBufferPointer, hash h: UInt64) -> Int? {
        slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var s = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            while true {
                let entry = Int(slots[s])
                if entry == 0 { return nil }
                if hashes[entry - 1] == h && matches(entry - 1, bytes) { return entry - 1 }
                s = (s + 1) & mask
            }
        }
    }

    /// The number of `bytes`, adding it when new.
    @inline(__always)
    mutating func number(of bytes: UnsafeRawBufferPointer) -> Int {
        let h = Self.hash(bytes)
        if let k = find(bytes, hash: h) { return k }
        return append(bytes, hash: h)
    }

    /// Adds a string that is not in the table yet; returns its number.
    @discardableResult
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int { append(bytes, hash: Self.hash(bytes)) }

    private mutating func append(_ bytes: UnsafeRawBufferPointer, hash h: UInt64) -> Int {
        arena.append(contentsOf: bytes)
        offsets.append(arena.count)
        hashes.append(h)
        keys.append(Self.packed(bytes) ?? 0)
        if hashes.count * 2 > slots.count {
            slots = Array(repeating: 0, count: slots.count * 2)
            for k in hashes.indices { place(k) }
        } else {
            place(hashes.count - 1)
        }
        return hashes.count - 1
    }

    private mutating func place(_ k: Int) {
        let h = hashes[k], mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        while slots[s] != 0 { s = (s + 1) & mask }
        slots[s] = Int32(k + 1)
    }
}
