import Foundation
import Statistics
import Testing
@testable import Monitoring

/// `SmallSortedMap` must behave as the `Dictionary` it replaced, on both sides of its scan/halving switch, and
/// encode the same bytes (snapshots written before it decode).
@Suite struct SmallSortedMapTests {
    @Test(arguments: [5, 40])  // keys drawn from 0..<5 stay under the scan limit; from 0..<40 they cross it
    func behavesAsADictionary(keySpace: UInt64) throws {
        var rng = SplitMix64(seed: keySpace)
        var map = SmallSortedMap<Int64, Int>()
        var reference: [Int64: Int] = [:]
        for step in 0..<5_000 {
            let key = Int64(rng.below(keySpace)) - 3  // negative keys too
            switch rng.below(5) {
            case 0:
                map[key] = step; reference[key] = step
            case 1:
                #expect(map.removeValue(forKey: key) == reference.removeValue(forKey: key))
            case 2:
                map[key] = nil; reference[key] = nil
            case 3:
                let i = map.position(of: key) { -step }
                map.update(at: i) { $0 += 1 }
                reference[key, default: -step] += 1
            default:
                #expect(map[key] == reference[key])
                #expect((map.position(of: key) != nil) == (reference[key] != nil))
            }
            #expect(map.count == reference.count)
        }
        #expect(map.keys == reference.keys.sorted())
        #expect(map.values == map.keys.map { reference[$0]! })

        // The format is the Dictionary's (for Int64 keys an array of alternating keys and values, in hash order).
        let asDictionary = try JSONDecoder().decode([Int64: Int].self, from: JSONEncoder().encode(map))
        #expect(asDictionary == reference)
        let decoded = try JSONDecoder().decode(SmallSortedMap<Int64, Int>.self, from: JSONEncoder().encode(reference))
        #expect(decoded.keys == map.keys && decoded.values == map.values)
        // Written in key order (a Dictionary writes its hash order, which changes from run to run): the same
        // contents give the same bytes.
        let written = try JSONDecoder().decode([Int64].self, from: JSONEncoder().encode(map))
        #expect(written == zip(map.keys, map.values).flatMap { [$0, Int64($1)] })
    }

    /// Keys a `Dictionary` writes as a keyed container (`Int`, `String`) keep that format.
    @Test func keyedFormatForIntAndStringKeys() throws {
        var map = SmallSortedMap<Int, String>()
        map[3] = "c"; map[1] = "a"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(map) == encoder.encode([1: "a", 3: "c"]))
    }
}
