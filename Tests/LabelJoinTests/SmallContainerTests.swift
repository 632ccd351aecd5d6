@testable import LabelJoin
import Testing

/// The operator's small containers against plain arrays: `Int32Queue` (the free list of entry numbers, a ring
/// that wraps and grows while wrapped) and `MatchList` (reset between events without freeing).
@Suite struct SmallContainerTests {
    @Test(arguments: [1, 2, 3])
    func theQueueIsFirstInFirstOut(seed: UInt64) {
        var rng = LabelJoinPropertyTests.Rng(state: seed)
        var queue = Int32Queue()
        var plain: [Int32] = []
        var next: Int32 = 0
        for step in 0 ..< 20_000 {
            // Bursts of pushes and pops of varying length, so the ring wraps at every fill level and grows while
            // its head is in the middle.
            if rng.int(0 ... 2) < 2 - (step / 5_000) % 2 {
                for _ in 0 ..< rng.int(1 ... 40) {
                    queue.append(next)
                    plain.append(next)
                    next += 1
                }
            } else {
                for _ in 0 ..< rng.int(1 ... 40) {
                    let expected = plain.isEmpty ? nil : plain.removeFirst()
                    #expect(queue.first == expected, "step \(step)")
                    #expect(queue.popFirst() == expected, "step \(step)")
                }
            }
            #expect(queue.count == plain.count, "step \(step)")
        }
        while let expected = plain.first {
            plain.removeFirst()
            #expect(queue.popFirst() == expected)
        }
        #expect(queue.isEmpty && queue.popFirst() == nil)
    }

    /// `ModelNumbers` against a dictionary: numbers in order of first sight, through the table's growth (16 slots
    /// to 1,024); names never added are not found, whether short (a small string), long or not ASCII.
    @Test func modelNumbersAreGivenInOrderOfFirstSight() {
        var numbers = ModelNumbers()
        var plain: [String: UInt16] = [:]
        let names = (0 ..< 300).map { i in
            i % 3 == 0 ? "model-\(i)" : i % 3 == 1 ? "a-model-name-longer-than-fifteen-bytes-\(i)" : "modèle-\(i)"
        }
        for name in names {
            #expect(numbers.number(of: name) == nil, "\(name) before it was added")
            let n = numbers.add(name)
            plain[name] = n
            #expect(Int(n) == plain.count - 1, "\(name)")
        }
        for name in names { #expect(numbers.number(of: name) == plain[name], "\(name)") }
        // Built again, not copied: equal bytes are found whatever the string's history.
        for name in names { #expect(numbers.number(of: String(decoding: Array(name.utf8), as: UTF8.self)) == plain[name], "\(name) rebuilt") }
        for name in names { #expect(numbers.number(of: name + "x") == nil, "\(name)x") }
        #expect(numbers.names == names)
    }

    @Test func theMatchListKeepsWhatWasAddedSinceTheLastReset() {
        var rng = LabelJoinPropertyTests.Rng(state: 9)
        var list = MatchList()
        for round in 0 ..< 500 {
            list.removeAll()
            let added = (0 ..< rng.int(0 ... 20)).map { _ in Int32(rng.int(0 ... 1_000)) }
            for n in added { list.append(n) }
            #expect(list.count == added.count, "round \(round)")
            #expect((0 ..< list.count).map { list[$0] } == added, "round \(round)")
            list.sort(by: <)
            #expect((0 ..< list.count).map { list[$0] } == added.sorted(), "round \(round)")
        }
    }

    /// `TimerQueue.upcoming(k)` (what the operator prefetches) is the FIFO entry that `peek` shows after `k` more
    /// in-order removals, through the FIFO's compaction; out-of-order pushes (the heap) are not counted.
    @Test func aTimerQueueShowsWhatItsFIFOWillHandOutNext() {
        var timers = TimerQueue()
        for e in Int32(0) ..< 10_000 { timers.push(Int64(e) * 10, e) }
        timers.push(5, -1)  // out of order: in the heap
        var taken: [Int32] = []
        var predicted: [Int32: Int32] = [:]  // position in the order taken → the entry `upcoming(4)` named
        var position: Int32 = 0
        while let next = timers.peek(keyOf: { Int64($0) * 10 }) {
            if next.inFIFO, let ahead = timers.upcoming(4) { predicted[position + 4] = ahead }
            timers.removePeeked(inFIFO: next.inFIFO)
            if next.inFIFO { taken.append(next.entry); position += 1 }
        }
        #expect(taken == Array(0 ..< 10_000))
        #expect(predicted.count == 9_996)
        #expect(predicted.allSatisfy { taken[Int($0.key)] == $0.value })
        #expect(timers.upcoming(0) == nil)
    }
}
