/// Sorting for samples of doubles: a distribution (bucket) sort over the sample's range, falling back to an LSD
/// radix sort on order-preserving bit patterns when the range is not finite. Several
/// times faster than `sort()` on 10³–10⁶ values, which is what makes a two-sample KS test on 2 × 10,000 values
/// cost a fraction of a millisecond.
public enum SampleSort {
    /// Sorts `values` ascending in place. NaN must not be present (callers treat NaN as missing and drop it);
    /// -0.0 sorts before +0.0, which compares equal and so changes no statistic.
    public static func sort(_ values: inout [Double]) {
        let n = values.count
        if n < 256 { values.sort(); return }
        if bucketSort(&values) { return }
        radixSort(&values)
    }

    /// Distribution sort for finite data: one bucket per two values over [min, max] (the bucket index
    /// ⌊(x - min)·scale⌋ is monotonic in x, so buckets are ordered), then insertion sort inside each bucket
    /// (or `sort()` for a crowded one). Two reads and one scatter for smooth data; returns false without
    /// touching the data when the range is not finite.
    static func bucketSort(_ values: inout [Double]) -> Bool {
        let n = values.count
        var lo = Double.infinity, hi = -Double.infinity
        values.withUnsafeBufferPointer { v in
            for x in v { lo = Swift.min(lo, x); hi = Swift.max(hi, x) }
        }
        let range = hi - lo
        guard range.isFinite else { return false }
        if range == 0 { return true }
        let buckets = n / 2
        let scale = Double(buckets) / range
        var output = [Double](repeating: 0, count: n)
        var starts = [Int](repeating: 0, count: buckets + 1)
        values.withUnsafeBufferPointer { v in
            starts.withUnsafeMutableBufferPointer { starts in
                output.withUnsafeMutableBufferPointer { out in
                    let last = buckets - 1
                    for x in v { starts[Swift.min(Int((x - lo) * scale), last) + 1] += 1 }
                    for b in 0..<buckets { starts[b + 1] += starts[b] }
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: buckets) { next in
                        for b in 0..<buckets { next[b] = starts[b] }
                        for x in v {
                            let b = Swift.min(Int((x - lo) * scale), last)
                            out[next[b]] = x
                            next[b] += 1
                        }
                    }
                    for b in 0..<buckets {
                        let start = starts[b], end = starts[b + 1]
                        let count = end - start
                        if count < 2 { continue }
                        if count > 48 {
                            var crowded = UnsafeMutableBufferPointer(rebasing: out[start..<end])
                            crowded.sort()
                            continue
                        }
                        for i in (start + 1)..<end {
                            let x = out[i]
                            var j = i - 1
                            while j >= start && out[j] > x { out[j + 1] = out[j]; j -= 1 }
                            out[j + 1] = x
                        }
                    }
                }
            }
        }
        values = output
        return true
    }

    /// LSD radix sort on order-preserving bit patterns, 8 bits per pass (any data without NaN).
    static func radixSort(_ values: inout [Double]) {
        let n = values.count
        let passes = 8
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256 * passes) { histograms in
            histograms.initialize(repeating: 0)
            var scratch = [UInt64](repeating: 0, count: n)
            values.withUnsafeMutableBufferPointer { valuesBuffer in
                // The keys live in the values' own storage (same size), so one extra array suffices.
                let keys = UnsafeMutableRawBufferPointer(valuesBuffer).bindMemory(to: UInt64.self)
                let h = histograms.baseAddress!
                for i in 0..<n {
                    let key = orderedKey(valuesBuffer[i])
                    keys[i] = key
                    h[Int(key & 0xFF)] &+= 1
                    h[256 + Int((key >> 8) & 0xFF)] &+= 1
                    h[512 + Int((key >> 16) & 0xFF)] &+= 1
                    h[768 + Int((key >> 24) & 0xFF)] &+= 1
                    h[1024 + Int((key >> 32) & 0xFF)] &+= 1
                    h[1280 + Int((key >> 40) & 0xFF)] &+= 1
                    h[1536 + Int((key >> 48) & 0xFF)] &+= 1
                    h[1792 + Int(key >> 56)] &+= 1
                }
                scratch.withUnsafeMutableBufferPointer { other in
                    var source = keys, destination = other
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: 256) { offsets in
                        for p in 0..<passes {
                            let base = p * 256
                            let shift = UInt64(p * 8)
                            if h[base + Int((source[0] >> shift) & 0xFF)] == UInt32(n) { continue }
                            var running = 0
                            for b in 0..<256 { offsets[b] = running; running += Int(h[base + b]) }
                            for i in 0..<n {
                                let key = source[i]
                                let d = Int((key >> shift) & 0xFF)
                                destination[offsets[d]] = key
                                offsets[d] += 1
                            }
                            swap(&source, &destination)
                        }
                    }
                    if source.baseAddress != keys.baseAddress {
                        keys.baseAddress!.update(from: source.baseAddress!, count: n)
                    }
                }
                for i in 0..<n { valuesBuffer[i] = value(ofKey: keys[i]) }
            }
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
