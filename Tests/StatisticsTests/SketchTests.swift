import Foundation
import Testing
@testable import Statistics

@Suite struct SketchTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func kllRankErrorStaysWithinItsBound(seed: UInt64) {
        var sketch = KLLSketch(k: 200, seed: seed)
        var rng = SplitMix64(seed: seed &* 77)
        let n = 200_000
        var values = (0..<n).map { _ in rng.gaussian() }
        for v in values { sketch.add(v) }
        SampleSort.sort(&values)
        var worst = 0.0
        for q in stride(from: 0.01, to: 1.0, by: 0.01) {
            let estimate = sketch.quantile(q)
            // True rank of the estimate, as a share.
            var lo = 0, hi = n
            while lo < hi { let mid = (lo + hi) / 2; if values[mid] <= estimate { lo = mid + 1 } else { hi = mid } }
            worst = max(worst, abs(Double(lo) / Double(n) - q))
        }
        #expect(worst <= sketch.rankErrorBound, "worst rank error \(worst) > bound \(sketch.rankErrorBound)")
        #expect(sketch.retained < 2_000)
        #expect(sketch.count == n)
    }

    @Test func kllMergeAndSnapshotRoundTrip() throws {
        var a = KLLSketch(seed: 1), b = KLLSketch(seed: 2), whole = KLLSketch(seed: 3)
        for i in 0..<50_000 { let x = Double((i &* 7919) % 50_000); if i % 2 == 0 { a.add(x) } else { b.add(x) }; whole.add(x) }
        a.merge(b)
        #expect(a.count == 50_000)
        #expect(abs(a.rank(25_000) - 0.5) <= a.rankErrorBound)
        #expect(a.minimum == 0 && a.maximum == 49_999)
        let decoded = try JSONDecoder().decode(KLLSketch.self, from: JSONEncoder().encode(a))
        #expect(decoded == a)
    }

    @Test func hyperLogLogCountsWithinThreeStandardErrors() {
        for n in [100, 10_000, 1_000_000] {
            var hll = HyperLogLog()
            for i in 0..<n { hll.add("user-\(i)") }
            let relative = abs(hll.estimate - Double(n)) / Double(n)
            #expect(relative < 3 * 1.04 / 128, "n=\(n): estimate \(hll.estimate)")
        }
        var a = HyperLogLog(), b = HyperLogLog()
        for i in 0..<20_000 { a.add(Double(i)) }
        for i in 10_000..<30_000 { b.add(Double(i)) }
        a.merge(b)
        #expect(abs(a.estimate - 30_000) / 30_000 < 0.03)
    }

    @Test func frequentItemsKeepsHeavyHittersWithBoundedError() {
        var sketch = FrequentItems(capacity: 20)
        var truth: [String: Int] = [:]
        var rng = SplitMix64(seed: 5)
        for i in 0..<100_000 {
            let item = i % 4 == 0 ? "hot-\(i % 3)" : "cold-\(rng.below(10_000))"
            sketch.add(item)
            truth[item, default: 0] += 1
        }
        #expect(sketch.maximumError <= 100_000 / 21)
        for h in 0..<3 {
            let item = "hot-\(h)"
            let estimate = sketch.estimate(item)
            #expect(estimate <= truth[item]! && truth[item]! <= estimate + sketch.maximumError)
        }
        #expect(Set(sketch.top.prefix(3).map(\.item)) == ["hot-0", "hot-1", "hot-2"])
        var other = FrequentItems(capacity: 20)
        for _ in 0..<30_000 { other.add("hot-9") }
        sketch.merge(other)
        #expect(sketch.top.first?.item == "hot-9")
    }
}
