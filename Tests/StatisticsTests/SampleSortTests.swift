import Testing
@testable import Statistics

@Suite struct SampleSortTests {
    @Test(arguments: [10, 383, 384, 1_000, 65_537])
    func sortsLikeTheStandardLibrary(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        var values = (0..<count).map { _ in (rng.unit() - 0.5) * 1e6 }
        values += [0.0, -0.0, .infinity, -.infinity, 1e-310, -1e-310, .greatestFiniteMagnitude, 42, 42, 42]
        var radix = values
        SampleSort.sort(&radix)
        #expect(radix == values.sorted())
        // The radix path sorts -0.0 before +0.0 (the standard library, used below 384 values, need not).
        if count >= 384, let i = radix.firstIndex(of: 0) { #expect(radix[i].sign == .minus) }
    }

    @Test func skipsConstantDigits() {
        var values = [Double](repeating: 7, count: 1_000) + [6]
        SampleSort.sort(&values)
        #expect(values.first == 6 && values.last == 7)
    }

    /// Finite data takes the bucket sort. Clusters make crowded buckets (sorted on their own) at the low end, in
    /// the middle and at the high end of the range; the rest is spread thinly.
    @Test func crowdedBucketsAtBothEndsAndInBetween() {
        var rng = SplitMix64(seed: 11)
        var values: [Double] = []
        for i in 0..<600 { values.append(Double(i % 97) * 1e-9) }                // low end: bucket 0
        for i in 0..<600 { values.append(5e5 + Double(i % 89) * 1e-9) }          // middle
        for i in 0..<600 { values.append(1e6 - Double(i % 83) * 1e-9) }          // high end: the last bucket
        for _ in 0..<2_000 { values.append(rng.unit() * 1e6) }
        var rng2 = SplitMix64(seed: 12)
        for i in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(i, Int(rng2.below(UInt64(i + 1)))) }
        let sorted = values.withUnsafeBytes { SampleSort.bucketSorted($0.baseAddress!, count: values.count, stride: 8) }
        #expect(sorted == values.sorted())
    }

    /// One field of an array of structs, sorted without gathering it first: the bucket path, the small path and
    /// the radix fallback (a non-finite range) give what sorting the field's values gives.
    @Test(arguments: [100, 3_000])
    func sortsOneFieldOfStructs(count: Int) {
        struct Entry { var hash: UInt64; var value: Double }
        var rng = SplitMix64(seed: UInt64(count))
        var entries: [Entry] = (0..<count).map { _ in Entry(hash: rng.next(), value: rng.gaussian() * 1e3) }
        for infinite in [false, true] {
            if infinite { entries[7].value = .infinity; entries[9].value = -.infinity }
            let sorted = entries.withUnsafeBytes {
                SampleSort.sorted($0.baseAddress! + MemoryLayout<Entry>.offset(of: \Entry.value)!, count: count,
                                  stride: MemoryLayout<Entry>.stride)
            }
            #expect(sorted == entries.map(\.value).sorted())
        }
    }
}
