import Foundation
import Statistics
import Testing
@testable import Drift

/// The sorted copy a reference window keeps: always equal to sorting the sample now, dropped by every change,
/// invisible to equality and encoding.
@Suite struct HashSampleSortedCacheTests {
    static func sample(_ n: Int, seed: UInt64) -> HashSample {
        var s = HashSample(capacity: 500)
        var x = seed
        for _ in 0 ..< n {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            s.add(Double(x >> 11) / Double(1 << 53) * 100 - 50, hash: x)
        }
        return s
    }

    @Test func cachedSortEqualsSortingNowThroughEveryChange() throws {
        var s = Self.sample(2_000, seed: 1)  // more than capacity: the sample has shrunk
        let unprepared = s
        s.prepareSorted()
        #expect(s.sortedValues == SampleSort.sorted(s.values))
        #expect(s == unprepared && s.hashValue == unprepared.hashValue)
        // Encoding leaves the cache out; the decoded sample sorts on demand to the same values.
        let decoded = try JSONDecoder().decode(HashSample.self, from: JSONEncoder().encode(s))
        #expect(decoded == s && decoded.sortedValues == s.sortedValues)
        let sorted = JSONEncoder()
        sorted.outputFormatting = .sortedKeys
        #expect(try sorted.encode(s) == sorted.encode(unprepared))
        // Each change drops the cache: add (kept or not), merge.
        s.add(1e9, hash: 0)
        #expect(s.sortedValues.last == 1e9 && s.sortedValues == SampleSort.sorted(s.values))
        s.prepareSorted()
        s.merge(Self.sample(800, seed: 2))
        #expect(s.sortedValues == SampleSort.sorted(s.values))
    }

    /// Values whose hashes cannot be thinned (all 0) fill the sample and stop there; adding and merging terminate.
    @Test func identicalZeroHashesStayBounded() {
        var s = HashSample(capacity: 100)
        for i in 0 ..< 1_000 { s.add(Double(i), hash: 0) }
        #expect(s.count == 100 && s.values == (0 ..< 100).map(Double.init))
        var other = HashSample(capacity: 100)
        for i in 0 ..< 150 { other.add(Double(-i), hash: 0) }
        s.merge(other)
        #expect(s.count == 100 && s.threshold == 0)
    }
}

/// Window quantiles come from the hash sample: exact (numpy's default, type 7) while every value fits in it.
@Suite struct FeatureStatisticsQuantileTests {
    @Test func quantilesAreExactWhileTheWindowFitsTheSample() {
        var f = FeatureStatistics(sampleCapacity: 100)
        #expect(f.quantile(0.5) == nil)
        for (i, x) in [7.0, 1, 10, 4, 2, 9, 3, 6, 8, 5].enumerated() { f.addNumber(x, hash: UInt64(i) &* 0x9E37_79B9_7F4A_7C15) }
        // numpy.quantile([1..10], [0, .25, .5, .9, 1]) = [1, 3.25, 5.5, 9.1, 10]
        #expect(f.quantile(0) == 1 && f.quantile(0.25) == 3.25 && f.quantile(0.5) == 5.5 && f.quantile(1) == 10)
        #expect(abs(f.quantile(0.9)! - 9.1) < 1e-12)
        #expect(f.quantile(1.5) == nil)
    }

    @Test func beyondTheSampleTheQuantileIsASamplesEstimate() {
        var f = FeatureStatistics(sampleCapacity: 1_000)
        var x: UInt64 = 11
        for i in 0 ..< 100_000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            f.addNumber(Double(i % 1_000), hash: x)
        }
        // Uniform on 0 … 999: the median of a ~1,000-value uniform sample is within a few percent of 499.5.
        #expect(abs(f.quantile(0.5)! - 499.5) < 50)
        #expect(f.sample.count <= 1_000)
    }
}
