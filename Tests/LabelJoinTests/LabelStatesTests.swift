@testable import LabelJoin
import Testing

/// Label states by entry number against a plain dictionary: random adds, updates and removals over entry
/// numbers spread across many pages, with pages freed and reused.
@Suite struct LabelStatesTests {
    @Test(arguments: [1, 2, 3])
    func matchesAPlainDictionary(seed: UInt64) {
        var rng = LabelJoinPropertyTests.Rng(state: seed)
        var states = LabelStates()
        var reference: [Int32: LabelAggregate] = [:]
        var members: [Int32] = []
        let span = [100, 5_000, 70_000][Int(seed) % 3]
        for step in 0 ..< 40_000 {
            let e = Int32(rng.int(0 ... span - 1))
            let state = LabelAggregate(value: Double(step), fingerprint: rng.next() | 1, delay: Int32(step % 1000),
                                       corrections: UInt16(step % 7), onTimeLabels: UInt8(step % 5), kindRaw: 1)
            switch rng.int(0 ... 2) {
            case 0 where reference[e] == nil:
                states.add(e, state)
                reference[e] = state
                members.append(e)
            case 1 where !members.isEmpty:
                let k = rng.int(0 ... members.count - 1)
                let m = members[k]
                states.remove(m)
                reference[m] = nil
                members.swapAt(k, members.count - 1)
                members.removeLast()
            default:
                if let m = members.randomElement(using: &rng) {
                    states[m] = state
                    reference[m] = state
                }
            }
            #expect(states.count == reference.count)
        }
        for (e, state) in reference {
            #expect(states[e].fingerprint == state.fingerprint && states[e].value == state.value, "entry \(e)")
        }
        // Pages: no more in use than the distinct pages the members touch, and all of them free at the end.
        let pages = Set(reference.keys.map { Int($0) >> LabelStates.pageShift })
        #expect(states.pagesInUse == pages.count)
        for e in reference.keys { states.remove(e) }
        #expect(states.count == 0 && states.pagesInUse == 0)
    }

    @Test func aReusedPageStartsEmpty() {
        var states = LabelStates()
        states.add(3, LabelAggregate(value: 1, fingerprint: 9, delay: 0, corrections: 0, onTimeLabels: 1, kindRaw: 1))
        states.remove(3)
        states.add(200, LabelAggregate(value: 2, fingerprint: 8, delay: 0, corrections: 0, onTimeLabels: 1, kindRaw: 1))
        #expect(states.pagesInUse == 1)
        // The page of entries 192–255 reuses the page entry 3 had: entry 195 sits where entry 3's state was, and
        // must read as empty, not as entry 3's.
        #expect(states[195].isEmpty && states[200].fingerprint == 8)
    }
}
