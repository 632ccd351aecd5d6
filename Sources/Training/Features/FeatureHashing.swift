/// The hash that maps categorical features to sparse weight slots. It is part of the published scoring
/// function (see `LinearModel.parameters`), so it is a plain, documented one that any serving language can
/// reproduce: 64-bit FNV-1a over the UTF-8 bytes of `name`, a 0x3D ("=") byte and the value, masked to `bits`.
///
/// A missing numeric feature is hashed as `name` followed by the two bytes 0x00 0x3F ("\0?"), which cannot
/// collide with a category of the same name (JSON strings in events cannot contain a raw NUL).
public enum FeatureHashing {
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    @inlinable @inline(__always)
    public static func fnv1a(_ bytes: UnsafeRawBufferPointer, _ h: UInt64 = offsetBasis) -> UInt64 {
        var h = h
        for b in bytes { h = (h ^ UInt64(b)) &* prime }
        return h
    }

    @inlinable @inline(__always)
    public static func fnv1a(byte: UInt8, _ h: UInt64) -> UInt64 { (h ^ UInt64(byte)) &* prime }

    /// The slot of categorical feature `name` = `value` in a table of `1 << bits` weights.
    @inlinable
    public static func slot(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, bits: Int) -> UInt32 {
        let h = fnv1a(value, fnv1a(byte: 0x3D, fnv1a(name)))
        return UInt32(truncatingIfNeeded: h & ((1 << UInt64(bits)) - 1))
    }

    /// The slot of the missing-value indicator of numeric feature `name`.
    @inlinable
    public static func missingSlot(name: UnsafeRawBufferPointer, bits: Int) -> UInt32 {
        let h = fnv1a(byte: 0x3F, fnv1a(byte: 0x00, fnv1a(name)))
        return UInt32(truncatingIfNeeded: h & ((1 << UInt64(bits)) - 1))
    }

    /// `slot(name:value:bits:)` for Swift strings.
    public static func slot(name: String, value: String, bits: Int) -> UInt32 {
        var n = name, v = value
        return n.withUTF8 { nb in v.withUTF8 { vb in slot(name: UnsafeRawBufferPointer(nb), value: UnsafeRawBufferPointer(vb), bits: bits) } }
    }

    /// `missingSlot(name:bits:)` for a Swift string.
    public static func missingSlot(name: String, bits: Int) -> UInt32 {
        var n = name
        return n.withUTF8 { missingSlot(name: UnsafeRawBufferPointer($0), bits: bits) }
    }
}
