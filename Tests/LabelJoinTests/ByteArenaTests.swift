@testable import LabelJoin
import Testing

/// The join's byte arena against a plain `[UInt8]`: appends across many growths (each a `mremap` on Linux),
/// truncation, in-place writes, and copies that must not see each other's later writes (copy on write).
@Suite struct ByteArenaTests {
    @Test func itHoldsWhatAnArrayHolds() {
        var rng = LabelJoinPropertyTests.Rng(state: 17)
        var arena = ByteArena()
        var plain: [UInt8] = []
        #expect(arena.count == 0 && arena.withUnsafeBytes { $0.count } == 0)
        for step in 0 ..< 1_500 {
            switch rng.int(0 ... 9) {
            case 0:
                let n = Swift.min(plain.count, rng.int(0 ... 4_096))
                arena.removeLast(n)
                plain.removeLast(n)
            case 1 where !plain.isEmpty:
                let i = rng.int(0 ... plain.count - 1), v = UInt8(truncatingIfNeeded: rng.next())
                arena.withUnsafeMutableBytes { $0[i] = v }
                plain[i] = v
            default:
                // Up to 8 KiB at a time: the arena passes a few MiB, through many growths.
                let salt = rng.next()
                let chunk = (0 ..< rng.int(0 ... 8_192)).map { UInt8(truncatingIfNeeded: UInt64($0) &* 0x9E37_79B9 &+ salt >> 7) }
                chunk.withUnsafeBufferPointer { arena.append(contentsOf: $0) }
                plain += chunk
            }
            #expect(arena.count == plain.count, "step \(step)")
            #expect(arena.capacity >= arena.count, "step \(step)")
        }
        #expect(plain.count > 2 << 20, "the test should grow the arena past 2 MiB (it reached \(plain.count) bytes)")
        #expect(arena.withUnsafeBufferPointer { Array($0) } == plain)
    }

    @Test func copiesDoNotShareLaterWrites() {
        var original = ByteArena()
        let first: [UInt8] = Array(0 ..< 200)
        first.withUnsafeBytes { original.append(contentsOf: $0) }
        var copy = original
        let more: [UInt8] = [1, 2, 3]
        more.withUnsafeBytes { copy.append(contentsOf: $0) }
        copy.withUnsafeMutableBytes { $0[0] = 99 }
        var third = original
        third.removeLast(100)
        #expect(original.withUnsafeBufferPointer { Array($0) } == first)
        #expect(copy.withUnsafeBufferPointer { Array($0) } == [99] + first.dropFirst() + more)
        #expect(third.withUnsafeBufferPointer { Array($0) } == Array(first.prefix(100)))
    }
}
