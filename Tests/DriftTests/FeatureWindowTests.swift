import Events
import Foundation
import Statistics
import Testing
@testable import Drift

/// `FeatureWindow.add` takes a fast path for features at the position they had in the previous event and a
/// lookup for the rest; either way every value must land in its own column, in arrival order.
@Suite struct FeatureWindowTests {
    /// Events whose features change order, go missing, appear for the first time mid-stream and change type:
    /// each column equals the statistics built by adding that feature's values one by one by name.
    @Test func columnsMatchAddingEachValueByName() throws {
        var rng = SplitMix64(seed: 7)
        var window = FeatureWindow(sampleCapacity: 64)  // small: samples thin, so arrival order matters
        var expected: [String: FeatureStatistics] = [:]
        var expectedPredictions = FeatureStatistics(sampleCapacity: 64)
        let names = ["age", "country", "a_rather_long_feature_name", "clicks", "flag", "late"]
        for i in 0..<3_000 {
            var features: [Feature] = []
            for (k, name) in names.enumerated() {
                if name == "late" && i < 1_500 { continue }          // a new feature mid-stream
                if rng.below(10) == 0 { continue }                  // sometimes missing
                let value: FeatureValue
                switch k % 4 {
                case 0: value = rng.below(20) == 0 ? .null : .number(rng.gaussian())
                case 1: value = .string(["NL", "DE", "a long category value", "FR"][Int(rng.below(4))])
                case 2: value = rng.below(3) == 0 ? .bool(rng.below(2) == 0) : .number(Double(rng.below(100)))
                default: value = rng.below(50) == 0 ? .string("n/a") : .number(rng.unit())
                }
                features.append(Feature(name, value))
            }
            if i % 5 == 0 { features.shuffle(using: &rng) }          // order changes now and then
            let hash = UInt64(i) &* 0x9E37_79B9_7F4A_7C15
            let score = rng.unit()
            window.add(FeatureVector(features), prediction: .score(score), eventTime: Int64(i), hash: hash)
            for feature in features {
                expected[feature.name, default: FeatureStatistics(sampleCapacity: 64)].add(feature.value, hash: hash)
            }
            expectedPredictions.addNumber(score, hash: hash)
        }
        let columns = window.features
        #expect(columns.keys.sorted() == expected.keys.sorted())
        for (name, statistics) in expected {
            #expect(try Self.encode(columns[name]) == Self.encode(statistics), "column \(name)")
        }
        #expect(try Self.encode(window.predictions) == Self.encode(expectedPredictions))
        #expect(window.count == 3_000)
    }

    static func encode(_ statistics: FeatureStatistics?) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(statistics)
    }
}
