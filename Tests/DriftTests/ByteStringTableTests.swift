import Events
import Foundation
import Statistics
import Testing
@testable import Drift

/// The byte-string table that columns and categories are found by: numbers in order of first sight, found again
/// through growth, never confused (strings that share prefixes, lengths or are empty).
@Suite struct ByteStringTableTests {
    @Test func numbersStringsInOrderOfFirstSightThroughGrowth() {
        var table = ByteStringTable()
        var rng = SplitMix64(seed: 17)
        var expected: [String: Int] = [:]
        var order: [String] = []
        for _ in 0 ..< 20_000 {
            let length = Int(rng.below(24))
            let s = String((0 ..< length).map { _ in Character(UnicodeScalar(UInt8(97 + rng.below(3)))) })
            var copy = s
            let k = copy.withUTF8 { table.number(of: UnsafeRawBufferPointer($0)) }
            if let e = expected[s] { #expect(k == e, "\(s) renumbered") } else {
                #expect(k == order.count, "\(s) got \(k), expected the next number \(order.count)")
                expected[s] = k
                order.append(s)
            }
        }
        #expect(table.count == order.count && order.count > 1_000)
        for (k, s) in order.enumerated() {
            var copy = s
            copy.withUTF8 { bytes in
                #expect(table.find(UnsafeRawBufferPointer(bytes)) == k)
                #expect(table.matches(k, UnsafeRawBufferPointer(bytes)))
                #expect(!table.matches((k + 1) % order.count, UnsafeRawBufferPointer(bytes)))
            }
        }
        var absent = "not there"
        absent.withUTF8 { #expect(table.find(UnsafeRawBufferPointer($0)) == nil) }
    }

    /// Windows and feature statistics encode names, not the table (and the values waiting for the next moments batch): decoding rebuilds it, and snapshots written
    /// before the table (with the old lookup keys) still decode. A restored window continues exactly like the
    /// original.
    @Test func windowsRestoreTheirLookupsAndReadTheOldEncoding() throws {
        func event(_ i: Int) -> FeatureVector {
            FeatureVector([Feature("x", .number(Double(i % 17))), Feature("c", .string(["a", "b", "ü"][i % 3])),
                           Feature(i % 5 == 0 ? "rare" : "y", .bool(i % 2 == 0))])
        }
        var original = FeatureWindow(sampleCapacity: 100)
        for i in 0 ..< 300 { original.add(event(i), prediction: .score(0.5), eventTime: Int64(i), hash: UInt64(i) &* 0x9E37_79B9_7F4A_7C15) }
        let encoder = JSONEncoder(), decoder = JSONDecoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        let encoded = try encoder.encode(original)
        // The old encoding carried the lookups as well; decoding ignores them.
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        object["nameBytes"] = [[120], [99], [121], [114, 97, 114, 101]]
        object["slots"] = [1, 0]
        let legacy = try JSONSerialization.data(withJSONObject: object)
        for data in [encoded, legacy] {
            var restored = try decoder.decode(FeatureWindow.self, from: data)
            var continued = original
            for i in 301 ..< 600 {  // from an event whose names come in another order than first seen
                let h = UInt64(i) &* 0x9E37_79B9_7F4A_7C15
                restored.add(event(i), prediction: .score(0.5), eventTime: Int64(i), hash: h)
                continued.add(event(i), prediction: .score(0.5), eventTime: Int64(i), hash: h)
            }
            #expect(restored.features.keys.sorted() == ["c", "rare", "x", "y"])
            for (name, stats) in continued.features {
                #expect(restored.features[name]?.categories == stats.categories, "\(name)")
                #expect(restored.features[name]?.sample == stats.sample && restored.features[name]?.present == stats.present, "\(name)")
                // Moments wait in batches; the values pending at the snapshot are part of it, so the restored
                // window's moments are bit for bit those of the uninterrupted one.
                #expect(restored.features[name]?.moments == stats.moments, "\(name)")
            }
        }
    }
}
