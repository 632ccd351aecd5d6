@testable import LabelJoin
import Testing

/// The plain multimap the index is checked against: members with their hashes, by hash, and in a list for
/// picking a random member in O(1); removed numbers wait in `free` for reuse.
struct ReferenceMultimap {
    var hashes: [Int32: UInt32] = [:]  // member entry -> hash
    var byHash: [UInt32: Set<Int32>] = [:]
    var memberList: [Int32] = []
    var free: [Int32] = []

    mutating func add(_ e: Int32, hash h: UInt32) {
        hashes[e] = h
        byHash[h, default: []].insert(e)
        memberList.append(e)
    }

    /// Removes a random member; returns it and its hash.
    mutating func removeRandom(using rng: inout LabelJoinPropertyTests.Rng) -> (entry: Int32, hash: UInt32) {
        let k = rng.int(0 ... memberList.count - 1)
        let e = memberList[k], h = hashes[e]!
        memberList.swapAt(k, memberList.count - 1)
        memberList.removeLast()
        hashes[e] = nil
        byHash[h]!.remove(e)
        free.append(e)
        return (e, h)
    }
}

/// The join's hash index against a plain multimap: random inserts (both rebuild paths), removals (`forget`) and
/// lookups, with few distinct hashes (long probe runs, many equal tags) and entry numbers wide enough to widen the
/// slots.
@Suite struct HashSlotsTests {
    /// Inserts and lookups only: the way a snapshot's restore fills a fresh index (`insert(_:hash:hashOf:)`, which
    /// rebuilds from its own slots) and the operator's way (check, rebuild from the caller's walk, place).
    @Test(arguments: [1, 2, 3, 4])
    func matchesAPlainMultimap(seed: UInt64) {
        var rng = LabelJoinPropertyTests.Rng(state: seed)
        var slots = HashSlots(capacity: 4)
        var reference = ReferenceMultimap()
        var next: Int32 = 0
        let distinctHashes = [61, 5_000, 100_000][Int(seed) % 3]
        for step in 0 ..< 30_000 {
            if rng.int(0 ... 9) < 5 || reference.hashes.isEmpty {
                if step >= 10_000 && next < 1_100_000 { next = 1_100_000 }   // wider than the initial 20 entry bits
                if step >= 20_000 && next < 2_200_000 { next = 2_200_000 }
                let e = next
                next += 1
                let h = UInt32(truncatingIfNeeded: rng.int(0 ... distinctHashes - 1)) &* 0x0101_0101
                if rng.chance(0.5) {  // the operator's way: check, rebuild from the caller's own walk, place
                    if slots.needsRebuild(for: e) { slots.rebuild(widestEntry: e) { add in for (m, mh) in reference.hashes { add(m, mh) } } }
                    slots.place(e, hash: h)
                } else {
                    slots.insert(e, hash: h) { reference.hashes[$0]! }
                }
                reference.add(e, hash: h)
            } else {
                let h = rng.chance(1.0 / 3) ? UInt32(truncatingIfNeeded: rng.next())
                    : UInt32(truncatingIfNeeded: rng.int(0 ... distinctHashes - 1)) &* 0x0101_0101
                var found: [Int32] = []
                slots.forEach(hash: h) { e in
                    if reference.hashes[e] == h { found.append(e) }
                    return true
                }
                #expect(found.sorted() == (reference.byHash[h] ?? []).sorted(), "step \(step): hash \(h)")
                #expect(Set(found).count == found.count, "step \(step): an entry reported twice")
            }
            #expect(slots.count == reference.hashes.count)
        }
        // Every member is still found under its hash after all the rebuilds.
        for (e, h) in reference.hashes {
            var seen = false
            slots.forEach(hash: h) { m in
                if m == e { seen = true }
                return !seen
            }
            #expect(seen, "entry \(e) lost")
        }
    }

    /// The operator's removal: `forget` leaves the slot, so a walk may still hand out a forgotten number (or a
    /// reused one twice) until a rebuild from the live members drops it. Lookups filtered the operator's way (live,
    /// the right hash, counted once) match a plain multimap, and the table stays sized for the live members.
    @Test(arguments: [5, 6])
    func forgottenSlotsAreDroppedByTheNextRebuild(seed: UInt64) {
        var rng = LabelJoinPropertyTests.Rng(state: seed)
        var slots = HashSlots(capacity: 4)
        var reference = ReferenceMultimap()
        var next: Int32 = 0
        var staleHandedOut = 0, largestTable = 0, mostMembers = 0
        for step in 0 ..< 30_000 {
            let action = rng.int(0 ... 9)
            if action < 5 || reference.hashes.isEmpty {
                let e: Int32
                if !reference.free.isEmpty && rng.chance(0.7) { e = reference.free.removeFirst() } else {
                    if step >= 15_000 && next < 1_100_000 { next = 1_100_000 }  // wider than the initial 20 entry bits
                    e = next
                    next += 1
                }
                let h = UInt32(truncatingIfNeeded: rng.int(0 ... 300)) &* 0x0101_0101
                if slots.needsRebuild(for: e) { slots.rebuild(widestEntry: e) { add in for (m, mh) in reference.hashes { add(m, mh) } } }
                slots.place(e, hash: h)
                reference.add(e, hash: h)
            } else if action < 8 {
                _ = reference.removeRandom(using: &rng)
                slots.forget()
            } else {
                let h = UInt32(truncatingIfNeeded: rng.int(0 ... 300)) &* 0x0101_0101
                var found: Set<Int32> = []
                slots.forEach(hash: h) { e in
                    if reference.hashes[e] == h { found.insert(e) } else { staleHandedOut += 1 }
                    return true
                }
                #expect(found == reference.byHash[h] ?? [], "step \(step): hash \(h)")
            }
            #expect(slots.count == reference.hashes.count)
            largestTable = max(largestTable, slots.memoryBytes / 4)
            mostMembers = max(mostMembers, reference.hashes.count)
        }
        #expect(staleHandedOut > 0, "the test should reach walks that hand out forgotten numbers")
        #expect(next > 1_100_000, "the test should widen the slots' entry part")
        #expect(largestTable <= 4 * mostMembers + 16, "\(largestTable) slots for at most \(mostMembers) members")
    }

    @Test func aWalkStopsWhenTheCallerSaysSo() {
        var slots = HashSlots()
        for e in Int32(0) ..< 5 { slots.insert(e, hash: 42) { _ in 42 } }
        var visited = 0
        slots.forEach(hash: 42) { _ in
            visited += 1
            return visited < 2
        }
        #expect(visited == 2)
    }
}
