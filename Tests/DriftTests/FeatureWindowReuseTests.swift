import Events
import Foundation
import Statistics
import Testing
@testable import Drift

/// A window that reuses a closed window's sample storage holds exactly what a fresh window holds, and a copy of
/// the closed window kept elsewhere (a reference) is not touched.
@Suite struct FeatureWindowReuseTests {
    static func fill(_ window: inout FeatureWindow, from: Int, count: Int, shift: Double) {
        for i in from ..< from + count {
            let features = FeatureVector([Feature("x", .number(Double(i % 101) + shift)), Feature("c", .string(["a", "b"][i % 2])),
                                          Feature(i % 7 == 0 ? "late" : "y", .number(Double(i) * 0.5))])
            window.add(features, prediction: .score(Double(i % 10) / 10), eventTime: Int64(i), hash: UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
        }
    }

    @Test func reusedWindowEqualsAFreshOneAndLeavesCopiesAlone() throws {
        var closed = FeatureWindow(sampleCapacity: 300)
        Self.fill(&closed, from: 0, count: 2_000, shift: 0)  // beyond capacity: samples thinned
        let reference = closed  // e.g. kept as the reference window
        let referenceEncoded = try Self.encode(reference)
        var reused = FeatureWindow(sampleCapacity: 300, reusing: closed)
        var fresh = FeatureWindow(sampleCapacity: 300)
        Self.fill(&reused, from: 5_000, count: 700, shift: 3)
        Self.fill(&fresh, from: 5_000, count: 700, shift: 3)
        #expect(try Self.encode(reused) == Self.encode(fresh))
        #expect(reused.features.keys.sorted() == ["c", "late", "x", "y"])
        #expect(try Self.encode(reference) == referenceEncoded)
    }

    static func encode(_ window: FeatureWindow) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(window)
    }
}
