/// HyperLogLog distinct counter (Flajolet et al. 2007) with 64-bit hashes and linear counting for small
/// cardinalities (Heule et al. 2013, without the empirical bias tables). Standard error ≈ 1.04 / √(2ᵖ):
/// 0.81 % at the default p = 14 (16 KiB). Mergeable (register-wise maximum). Value type; not thread-safe.
public struct HyperLogLog: Sendable, Hashable, Codable {
    public let precision: Int
    private var registers: [UInt8]

    public init(precision: Int = 14) {
        precondition((4...18).contains(precision), "HyperLogLog precision must be in 4...18")
        self.precision = precision
        registers = [UInt8](repeating: 0, count: 1 << precision)
    }

    /// Adds an item by its 64-bit hash (use `add(_:)` for strings and numbers).
    @inline(__always)
    public mutating func add(hash: UInt64) {
        let index = Int(hash >> UInt64(64 - precision))
        let rest = (hash << UInt64(precision)) | (1 << UInt64(precision - 1))
        let rho = UInt8(rest.leadingZeroBitCount + 1)
        if rho > registers[index] { registers[index] = rho }
    }

    public mutating func add(_ item: String) { add(hash: Self.hash(item)) }
    public mutating func add(_ value: Double) { add(hash: Self.mix(value.bitPattern)) }

    public mutating func merge(_ other: HyperLogLog) {
        precondition(other.precision == precision, "HyperLogLog sketches must share a precision to merge")
        for i in registers.indices where other.registers[i] > registers[i] { registers[i] = other.registers[i] }
    }

    /// The estimated number of distinct items.
    public var estimate: Double {
        let m = Double(registers.count)
        var sum = 0.0
        var zeros = 0
        for r in registers {
            sum += _ldexp(1, -Int(r))
            if r == 0 { zeros += 1 }
        }
        let alpha = 0.7213 / (1 + 1.079 / m)
        let raw = alpha * m * m / sum
        if raw <= 2.5 * m && zeros > 0 { return m * _log(m / Double(zeros)) }
        return raw
    }

    /// FNV-1a over the UTF-8 bytes, finished with MurmurHash3's 64-bit mixer.
    public static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        var copy = s
        copy.withUTF8 { bytes in
            for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
        return mix(h)
    }

    @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return z ^ (z >> 33)
    }
}
