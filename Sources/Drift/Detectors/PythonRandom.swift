/// CPython's `random.Random` for the two calls KSWIN makes: seeding from an integer and `sample(range(n), k)`.
/// MT19937 seeded by `init_by_array` with the seed's 32-bit words, `_randbelow` by rejection on
/// `getrandbits`, and `sample`'s choice between its pool and set algorithms, so a seeded KSWIN picks the same
/// reference values as River's. Value type; not thread-safe.
public struct PythonRandom: Sendable, Hashable, Codable {
    private var mt: [UInt32]
    private var index: Int

    /// `random.Random(seed)` for a non-negative integer seed.
    public init(seed: UInt64) {
        var key: [UInt32] = []
        var s = seed
        repeat { key.append(UInt32(truncatingIfNeeded: s)); s >>= 32 } while s != 0
        mt = [UInt32](repeating: 0, count: 624)
        index = 624
        initGenrand(19_650_218)
        var i = 1, j = 0
        for _ in 0..<max(624, key.count) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1; j += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
        }
        mt[0] = 0x8000_0000
    }

    private mutating func initGenrand(_ s: UInt32) {
        mt[0] = s
        for i in 1..<624 { mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i) }
        index = 624
    }

    /// genrand_uint32.
    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 {
            for k in 0..<624 {
                let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % 624] & 0x7FFF_FFFF)
                mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
            }
            index = 0
        }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `_randbelow(n)` for 0 < n < 2³²: `getrandbits(n.bit_length())` until below n.
    public mutating func randomBelow(_ n: Int) -> Int {
        precondition(n > 0 && n <= Int(UInt32.max))
        let bits = Int.bitWidth - n.leadingZeroBitCount
        while true {
            let r = Int(nextUInt32() >> UInt32(32 - bits))
            if r < n { return r }
        }
    }

    /// `sample(range(n), k)`.
    public mutating func sample(rangeCount n: Int, _ k: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "sample larger than population")
        var setSize = 21
        if k > 5 {
            let power = (_log(Double(k * 3)) / _log(4)).rounded(.up)
            setSize += Int(_pow(4, power))
        }
        var result = [Int](repeating: 0, count: k)
        if n <= setSize {
            var pool = Array(0..<n)
            for i in 0..<k {
                let j = randomBelow(n - i)
                result[i] = pool[j]
                pool[j] = pool[n - i - 1]
            }
        } else {
            var selected = Set<Int>()
            for i in 0..<k {
                var j = randomBelow(n)
                while selected.contains(j) { j = randomBelow(n) }
                selected.insert(j)
                result[i] = j
            }
        }
        return result
    }
}
