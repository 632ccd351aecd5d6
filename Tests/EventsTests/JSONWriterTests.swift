import Statistics
import Testing
@testable import Events

@Suite struct JSONWriterTests {
    static func written(_ x: Double) -> String {
        var w = JSONWriter()
        w.number(x)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Numbers are written as `description` writes them (the shortest text that reads back as the same double),
    /// over the whole range: random bit patterns, subnormals, values near the integer fast path's bound.
    @Test func numbersAreWrittenAsTheirDescription() {
        var rng = SplitMix64(seed: 7)
        var checked = 0
        for _ in 0..<200_000 {
            let x = Double(bitPattern: rng.next())
            guard x.isFinite, x != x.rounded(.towardZero) || Swift.abs(x) >= 9_007_199_254_740_992 else { continue }
            #expect(Self.written(x) == x.description, "\(x.bitPattern)")
            checked += 1
        }
        #expect(checked > 100_000)
        for x in [0.1, -0.1, 1e-5, Double.leastNonzeroMagnitude, -2.2250738585072014e-308, 1.7976931348623157e308, 9_007_199_254_740_992.0,
                  0.12345678901234566, 123456.789, 1e22, 1e23] {
            #expect(Self.written(x) == x.description, "\(x)")
            #expect(Double(Self.written(x)) == x)
        }
    }

    @Test func numbersAppendAfterWhatIsAlreadyWritten() {
        var w = JSONWriter()
        w.beginArray()
        w.element(); w.number(0.25)
        w.element(); w.number(-1.5e-7)
        w.element(); w.number(3)
        w.endArray()
        #expect(String(decoding: w.bytes, as: UTF8.self) == "[0.25,-1.5e-07,3]")
    }
}
