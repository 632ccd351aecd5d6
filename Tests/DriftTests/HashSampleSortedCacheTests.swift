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
}
