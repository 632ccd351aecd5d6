import Pipeline
import Statistics
import Testing

/// The merge's order depends only on the partitions' contents: any interleaving of arrivals gives the same output.
@Suite struct EventTimeMergeTests {
    typealias Record = (time: Int64, partition: Int32, offset: Int64)

    static func contents(seed: UInt64) -> [[Record]] {
        var rng = SplitMix64(seed: seed)
        return (0..<3).map { p in
            var t: Int64 = 0
            return (0..<200).map { o in
                t += Int64(rng.next() % 50) - 10  // mostly rising, sometimes out of order
                return (t, Int32(p), Int64(o))
            }
        }
    }

    /// Feeds the partitions in a random interleaving with random end-of-partition markers only at true ends.
    static func run(_ partitions: [[Record]], arrivalSeed: UInt64) -> [String] {
        var merge = EventTimeMerge<String>()
        merge.assign([0, 1, 2])
        var rng = SplitMix64(seed: arrivalSeed)
        var cursors = [0, 0, 0]
        var out: [EventTimeMerge<String>.Entry] = []
        while cursors.enumerated().contains(where: { $0.element < partitions[$0.offset].count }) {
            let p = Int(rng.next() % 3)
            guard cursors[p] < partitions[p].count else { continue }
            let n = min(Int(rng.next() % 7) + 1, partitions[p].count - cursors[p])
            for r in partitions[p][cursors[p] ..< cursors[p] + n] { merge.push("\(r.partition)/\(r.offset)", time: r.time, partition: r.partition, offset: r.offset) }
            cursors[p] += n
            if cursors[p] == partitions[p].count { merge.markExhausted(Int32(p)) }
            merge.popReady(into: &out)
        }
        merge.popReady(into: &out)
        #expect(merge.buffered == 0)
        return out.map(\.element)
    }

    @Test func orderIsTheSameForEveryArrivalInterleaving() {
        let partitions = Self.contents(seed: 5)
        let first = Self.run(partitions, arrivalSeed: 1)
        #expect(first.count == 600)
        for seed in 2...20 { #expect(Self.run(partitions, arrivalSeed: UInt64(seed)) == first) }
    }

    @Test func waitsForASilentPartitionUntilItEnds() {
        var merge = EventTimeMerge<Int>()
        merge.assign([0, 1])
        var out: [EventTimeMerge<Int>.Entry] = []
        merge.push(1, time: 10, partition: 0, offset: 0)
        merge.popReady(into: &out)
        #expect(out.isEmpty, "partition 1 may still hold an earlier record")
        #expect(merge.firstBufferedOffset(0) == 0, "a restart resumes at the held record")
        merge.markExhausted(1)
        merge.popReady(into: &out)
        #expect(out.map(\.element) == [1])
        // A record arriving after the end marker makes the partition count again.
        merge.push(2, time: 5, partition: 1, offset: 0)
        merge.push(3, time: 7, partition: 0, offset: 1)
        merge.popReady(into: &out)
        #expect(out.map(\.element) == [1, 2], "record 3 waits: partition 1 is no longer at its end")
        merge.unassign([1])
        merge.popReady(into: &out)
        #expect(out.map(\.element) == [1, 2, 3])
    }

    @Test func tiesBreakByPartitionThenOffset() {
        var merge = EventTimeMerge<String>()
        merge.assign([0, 1])
        merge.push("b0", time: 1, partition: 1, offset: 0)
        merge.push("a0", time: 1, partition: 0, offset: 0)
        merge.push("a1", time: 1, partition: 0, offset: 1)
        merge.markExhausted(0); merge.markExhausted(1)
        var out: [EventTimeMerge<String>.Entry] = []
        merge.popReady(into: &out)
        #expect(out.map(\.element) == ["a0", "a1", "b0"])
    }
}
