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
}
