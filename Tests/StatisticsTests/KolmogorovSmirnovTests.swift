import Testing
@testable import Statistics

@Suite struct KolmogorovSmirnovTests {
    @Test func matchesScipyTwoSample() {
        for c in ScipyReference.shared.ks_2samp {
            let method: KolmogorovSmirnov.Method = c.method == "exact" ? .exact : c.method == "asymp" ? .asymptotic : .auto
            let r = KolmogorovSmirnov.test(c.a.values, c.b.values, method: method)
            let label = "n=\(c.a.n),\(c.b.n) seeds \(c.a.seed),\(c.b.seed) \(c.method)"
            #expect(abs(r.statistic - c.statistic) < 1e-12, "\(label): D \(r.statistic) vs scipy \(c.statistic)")
            #expect(abs(r.pValue - c.p_value) < 1e-6, "\(label): p \(r.pValue) vs scipy \(c.p_value)")
            // Small p-values must also agree relatively: they are what alerts are made of.
            if c.p_value > 1e-300 {
                #expect(abs(r.pValue - c.p_value) <= 1e-6 * c.p_value + 1e-15, "\(label): relative p \(r.pValue) vs \(c.p_value)")
            }
        }
    }

    /// The monitor calls `testSorted` on pre-sorted samples: it must match scipy too, not only the pooled walk.
    @Test func sortedWalkMatchesScipyTwoSample() {
        for c in ScipyReference.shared.ks_2samp {
            let method: KolmogorovSmirnov.Method = c.method == "exact" ? .exact : c.method == "asymp" ? .asymptotic : .auto
            let r = KolmogorovSmirnov.testSorted(SampleSort.sorted(c.a.values), SampleSort.sorted(c.b.values), method: method)
            #expect(abs(r.statistic - c.statistic) < 1e-12, "n=\(c.a.n),\(c.b.n): D \(r.statistic) vs scipy \(c.statistic)")
            #expect(abs(r.pValue - c.p_value) < 1e-6, "n=\(c.a.n),\(c.b.n): p \(r.pValue) vs scipy \(c.p_value)")
        }
    }

    /// The sorted walk and the pooled walk agree exactly (statistic, where, which side) on samples full of ties,
    /// including ties across the samples at their largest values.
    @Test func sortedWalkAgreesWithPooledWalkUnderTies() {
        var rng = SplitMix64(seed: 7)
        for round in 0..<200 {
            let n1 = 300 + Int(rng.below(700)), n2 = 300 + Int(rng.below(700))
            let levels = [3, 10, 50, 1_000_000][round % 4]
            let shift = Double(rng.below(3)) - 1
            let a = (0..<n1).map { _ in Double(rng.below(UInt64(levels))) }
            let b = (0..<n2).map { _ in Swift.max(0, Double(rng.below(UInt64(levels))) + shift) }
            guard let pooled = KolmogorovSmirnov.pooledGaps(a, b) else { continue }
            let expected = KolmogorovSmirnov.finish(n1: n1, n2: n2, gaps: pooled, method: .auto)
            let r = KolmogorovSmirnov.testSorted(SampleSort.sorted(a), SampleSort.sorted(b))
            #expect(r.statistic == expected.statistic && r.location == expected.location && r.sign == expected.sign
                    && r.pValue == expected.pValue, "round \(round): \(r) vs \(expected)")
        }
    }

    /// Two walks run interleaved give exactly what two separate calls give, whichever finishes first.
    @Test func pairedWalksEqualSeparateCalls() {
        var rng = SplitMix64(seed: 9)
        for round in 0..<100 {
            func sample(_ n: Int, _ shift: Double) -> [Double] {
                SampleSort.sorted((0..<n).map { _ in round % 3 == 0 ? Double(rng.below(20)) + shift : rng.gaussian() + shift })
            }
            let first = (sample(1 + Int(rng.below(3_000)), 0), sample(1 + Int(rng.below(3_000)), rng.unit()))
            let second = (sample(1 + Int(rng.below(3_000)), 0), sample(1 + Int(rng.below(3_000)), -rng.unit()))
            let (x, y) = KolmogorovSmirnov.testSortedWithWasserstein(first, second)
            let x1 = KolmogorovSmirnov.testSortedWithWasserstein(first.0, first.1)
            let y1 = KolmogorovSmirnov.testSortedWithWasserstein(second.0, second.1)
            #expect(x.test == x1.test && x.wasserstein == x1.wasserstein, "round \(round), first")
            #expect(y.test == y1.test && y.wasserstein == y1.wasserstein, "round \(round), second")
        }
    }

    @Test func kolmogorovDistributionMatchesScipyKstwo() {
        for c in ScipyReference.shared.kstwo_sf {
            let sf = KolmogorovDistribution.survival(n: c.n, x: c.x)
            #expect(abs(sf - c.sf) < 1e-9, "kstwo.sf(\(c.x), \(c.n)) = \(c.sf), got \(sf)")
        }
    }

    @Test func autoChoosesExactUpToTenThousand() {
        let a = (0..<10_000).map { Double($0) }, b = (0..<10_000).map { Double($0) + 500.5 }
        #expect(KolmogorovSmirnov.test(a, b).method == .exact)
        #expect(KolmogorovSmirnov.test(a + [1e9], b).method == .asymptotic)
        // Where the exact recursion leaves [0, 1] (D = 1/n), scipy falls back to the asymptotic value; so do we.
        let fallback = KolmogorovSmirnov.test(a, a.map { $0 + 0.5 })
        #expect(fallback.method == .asymptotic && fallback.pValue == 1)
    }

    @Test func identicalSamplesGiveZeroAndOne() {
        let a = [3.0, 1, 2, 2, 5]
        let r = KolmogorovSmirnov.test(a, a)
        #expect(r.statistic == 0)
        #expect(r.pValue == 1)
    }

    @Test func disjointSamplesGiveStatisticOne() {
        let r = KolmogorovSmirnov.test([1, 2, 3, 4, 5, 6, 7, 8], [10, 11, 12, 13, 14, 15, 16, 17])
        #expect(r.statistic == 1)
        #expect(r.sign == 1)
        #expect(r.location == 8)
        // scipy: 2 / C(16, 8) = 1.554e-4
        #expect(abs(r.pValue - 2.0 / 12870.0) < 1e-15)
    }
}
