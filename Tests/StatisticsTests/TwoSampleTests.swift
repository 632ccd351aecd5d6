import Foundation
import Testing
@testable import Statistics

@Suite struct TwoSampleTests {
    @Test func chiSquareAndJensenShannonMatchScipy() {
        for c in ScipyReference.shared.categorical {
            let r = CategoricalTests.chiSquare(reference: c.reference, current: c.current)
            #expect(abs(r.statistic - c.chi2) < 1e-9 * max(1, c.chi2), "chi2 \(r.statistic) vs \(c.chi2)")
            #expect(abs(r.pValue - c.p_value) < 1e-9, "p \(r.pValue) vs \(c.p_value)")
            #expect(r.degreesOfFreedom == c.dof)
            let js = CategoricalTests.jensenShannonDistance(reference: c.reference, current: c.current)
            #expect(abs(js - c.js_distance_base2) < 1e-12, "JS \(js) vs \(c.js_distance_base2)")
        }
    }

    @Test func chiSquareSurvivalMatchesScipy() {
        for c in ScipyReference.shared.chi2_sf {
            let sf = SpecialFunctions.chiSquareSurvival(c.x, degreesOfFreedom: c.k)
            #expect(abs(sf - c.sf) <= 1e-12 + 1e-10 * c.sf, "chi2.sf(\(c.x), \(c.k)) = \(c.sf), got \(sf)")
        }
    }

    @Test func wassersteinAndMomentsMatchScipy() {
        for c in ScipyReference.shared.continuous {
            let a = SampleSort.sorted(c.a.values), b = SampleSort.sorted(c.b.values)
            let w = ContinuousTests.wasserstein(sortedReference: a, sortedCurrent: b)
            #expect(abs(w - c.wasserstein) < 1e-12, "W1 \(w) vs \(c.wasserstein)")
            var m = RunningMoments()
            for x in c.a.values { m.add(x) }
            #expect(abs(m.mean - c.mean) < 1e-12)
            #expect(abs(m.variance - c.variance) < 1e-9 * c.variance)
            #expect(abs(m.skewness - c.skewness) < 1e-9)
            #expect(abs(m.kurtosis - c.kurtosis) < 1e-9)
            #expect(m.minimum == c.min && m.maximum == c.max)
            // Adding in batches (what feature windows do) gives the same moments.
            var batched = RunningMoments()
            var start = 0
            while start < c.a.values.count {
                let end = Swift.min(start + 1 + start % 97, c.a.values.count)
                c.a.values[start..<end].withUnsafeBufferPointer { batched.add(contentsOf: $0) }
                start = end
            }
            #expect(batched.count == m.count && batched.minimum == c.min && batched.maximum == c.max)
            #expect(abs(batched.mean - c.mean) < 1e-12)
            #expect(abs(batched.variance - c.variance) < 1e-9 * c.variance)
            #expect(abs(batched.skewness - c.skewness) < 1e-9)
            #expect(abs(batched.kurtosis - c.kurtosis) < 1e-9)
            // Merging halves gives the same moments.
            var left = RunningMoments(), right = RunningMoments()
            for (i, x) in c.a.values.enumerated() { if i % 3 == 0 { left.add(x) } else { right.add(x) } }
            left.merge(right)
            #expect(left.count == m.count)
            #expect(abs(left.variance - c.variance) < 1e-9 * c.variance)
            #expect(abs(left.skewness - c.skewness) < 1e-9)
            #expect(abs(left.kurtosis - c.kurtosis) < 1e-9)
        }
    }

    /// W1 written plainly (∑ |Fa − Fb| over the gaps between distinct pooled values) equals the merge walk under
    /// heavy ties, bit for bit.
    @Test func wassersteinEqualsThePlainIntegralUnderTies() {
        var rng = SplitMix64(seed: 11)
        for round in 0..<100 {
            let levels = UInt64([2, 7, 40, 1 << 40][round % 4])
            let a = SampleSort.sorted((0..<(1 + Int(rng.below(400)))).map { _ in Double(rng.below(levels)) })
            let b = SampleSort.sorted((0..<(1 + Int(rng.below(400)))).map { _ in Double(rng.below(levels)) * 0.5 })
            let pooled = Array(Set(a + b)).sorted()
            var expected = 0.0, previous = pooled[0]
            for v in pooled {
                let fa = Double(a.filter { $0 < v }.count) / Double(a.count), fb = Double(b.filter { $0 < v }.count) / Double(b.count)
                expected += abs(fa - fb) * (v - previous)
                previous = v
            }
            let w = ContinuousTests.wasserstein(sortedReference: a, sortedCurrent: b)
            #expect(abs(w - expected) <= 1e-12 * Swift.max(1, expected), "round \(round): \(w) vs \(expected)")
        }
    }

    /// PSI written plainly (each value into the first bin whose edge is ≥ it) equals the binary-search counts, ties
    /// on the edges included.
    @Test func populationStabilityIndexEqualsThePlainBinning() {
        var rng = SplitMix64(seed: 13)
        for round in 0..<100 {
            let levels = UInt64([3, 12, 100, 1 << 30][round % 4])
            let a = SampleSort.sorted((0..<(20 + Int(rng.below(500)))).map { _ in Double(rng.below(levels)) })
            let b = SampleSort.sorted((0..<(20 + Int(rng.below(500)))).map { _ in Double(rng.below(levels)) + Double(rng.below(2)) })
            var edges: [Double] = []
            for q in 1..<10 {
                let edge = a[min(max(Int((Double(q) * Double(a.count) / 10).rounded(.up)) - 1, 0), a.count - 1)]
                if edges.last != edge { edges.append(edge) }
            }
            func shares(_ xs: [Double]) -> [Double] {
                var counts = [Double](repeating: 0, count: edges.count + 1)
                for x in xs { counts[edges.firstIndex { x <= $0 } ?? edges.count] += 1 }
                return counts.map { max($0 / Double(xs.count), 1e-4) }
            }
            let r = shares(a), c = shares(b)
            var expected = 0.0
            for k in r.indices { expected += (c[k] - r[k]) * log(c[k] / r[k]) }
            let psi = ContinuousTests.populationStabilityIndex(sortedReference: a, sortedCurrent: b, bins: 10)
            #expect(abs(psi - expected) <= 1e-12 * Swift.max(1, abs(expected)), "round \(round): \(psi) vs \(expected)")
        }
    }

    @Test func benjaminiHochbergMatchesScipy() {
        let c = ScipyReference.shared.fdr
        let adjusted = MultipleTesting.benjaminiHochberg(c.p_values)
        for (x, y) in zip(adjusted, c.bh_adjusted) { #expect(abs(x - y) < 1e-15) }
        #expect(MultipleTesting.bonferroni([0.01, 0.5]) == [0.02, 1])
    }

    @Test func populationStabilityIndexWorkedExample() {
        // Reference 1…10 with 2 bins: edge at rank ⌈0.5·10⌉ = 5 → bins (-∞, 5], (5, ∞) hold 50 % / 50 %.
        // Current has 8 of 10 values ≤ 5: PSI = (0.8-0.5)·ln(0.8/0.5) + (0.2-0.5)·ln(0.2/0.5).
        let reference = (1...10).map(Double.init)
        let current: [Double] = [1, 1, 2, 2, 3, 3, 4, 5, 9, 10]
        let psi = ContinuousTests.populationStabilityIndex(sortedReference: reference, sortedCurrent: current, bins: 2)
        let expected = 0.3 * _log(0.8 / 0.5) + (-0.3) * _log(0.2 / 0.5)
        #expect(abs(psi - expected) < 1e-12)
        #expect(ContinuousTests.populationStabilityIndex(sortedReference: reference, sortedCurrent: reference) == 0)
    }

    @Test func mmdSeparatesShiftedFromSameDistributionAndIsSeeded() {
        var rng = SplitMix64(seed: 9)
        func rows(_ n: Int, shift: Double) -> [[Double]] {
            (0..<n).map { _ in (0..<8).map { k in rng.gaussian() + (k < 2 ? shift : 0) } }
        }
        let reference = rows(300, shift: 0), same = rows(300, shift: 0), shifted = rows(300, shift: 0.6)
        var options = MaximumMeanDiscrepancy.Options()
        options.permutations = 100
        let quiet = MaximumMeanDiscrepancy.test(reference: reference, current: same, options: options)
        let loud = MaximumMeanDiscrepancy.test(reference: reference, current: shifted, options: options)
        #expect(quiet.pValue > 0.05, "same distribution: p \(quiet.pValue)")
        #expect(loud.pValue < 0.02, "shifted: p \(loud.pValue)")
        #expect(loud.dimensions == 5)
        #expect(MaximumMeanDiscrepancy.test(reference: reference, current: shifted, options: options) == loud)
    }
}
