/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast, seedable generator. Every random choice inside Tideline's
/// statistics (KLL compaction coins, permutation tests, random projections) draws from one of these, so results
/// are reproducible from the seed. Value type; not thread-safe (each owner keeps its own).
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable, Codable {
    /// The generator's whole state.
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An integer in `0..<n` by multiply-shift (Lemire, without rejection: bias below n / 2⁶⁴).
    @inline(__always)
    public mutating func below(_ n: UInt64) -> UInt64 { next().multipliedFullWidth(by: n).high }

    /// A double in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal variate (Box–Muller, one of the pair).
    public mutating func gaussian() -> Double {
        let u1 = 1.0 - unit()  // (0, 1]
        let u2 = unit()
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }
}
