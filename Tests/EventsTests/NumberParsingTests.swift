import Foundation
import Statistics
import Testing
@testable import Events

/// The JSON scanner's numbers against the C library's `strtod`, bit for bit: the fast path, Eisel–Lemire and the
/// fallback must together be exactly `strtod` on every input.
@Suite struct NumberParsingTests {
    static func scan(_ text: String) throws -> Double {
        var bytes = Array(text.utf8)
        bytes.append(UInt8(ascii: " "))
        return try bytes.withUnsafeBytes { buffer in
            var scanner = JSONScanner(buffer, event: "test", limits: .default)
            return try scanner.readNumber(field: "x")
        }
    }

    static func reference(_ text: String) -> Double { text.withCString { strtod($0, nil) } }

    static func check(_ texts: [String]) throws -> [String] {
        var mismatches: [String] = []
        for text in texts {
            let expected = reference(text)
            guard expected.isFinite else { continue }
            let actual = try scan(text)
            if actual.bitPattern != expected.bitPattern { mismatches.append("\(text): \(actual) vs strtod \(expected)") }
        }
        return mismatches
    }

    /// Shortest round-trip forms of random doubles over the whole exponent range (what producers write):
    /// 17-digit mantissas, the case that used to go to `strtod`.
    @Test func randomDoublesRoundTrip() throws {
        var rng = SplitMix64(seed: 1)
        var texts: [String] = []
        for _ in 0 ..< 200_000 {
            let bits = rng.next() & ~(UInt64(0x7FF) << 52) | (UInt64(1 + rng.next() % 2045) << 52)  // normal, finite
            texts.append(String(Double(bitPattern: bits)))
        }
        for _ in 0 ..< 100_000 { texts.append(String(rng.unit() * 1_000)) }
        let mismatches = try Self.check(texts)
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, e.g. \(mismatches.prefix(5))")
    }

    /// Random decimal strings: 1–19 digits, exponents from -350 to 330 (subnormal, overflow and underflow included),
    /// with and without a decimal point.
    @Test func randomDecimalStrings() throws {
        var rng = SplitMix64(seed: 2)
        var texts: [String] = []
        for _ in 0 ..< 300_000 {
            let digits = 1 + Int(rng.next() % 19)
            var mantissa = String(1 + rng.next() % 9)
            for _ in 1 ..< digits { mantissa.append(Character(String(rng.next() % 10))) }
            let exponent = Int(rng.next() % 681) - 350
            switch rng.next() % 3 {
            case 0: texts.append("\(mantissa)e\(exponent)")
            case 1 where digits == 1: texts.append("\(mantissa).0e\(exponent)")
            case 1:
                let point = Int(rng.next() % UInt64(digits - 1))
                let i = mantissa.index(mantissa.startIndex, offsetBy: point + 1)
                texts.append("\(mantissa[..<i]).\(mantissa[i...])E\(exponent > 0 ? "+" : "")\(exponent)")
            default: texts.append("0.\(mantissa)e\(exponent)")
            }
        }
        let mismatches = try Self.check(texts)
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, e.g. \(mismatches.prefix(5))")
    }

    /// Values exactly halfway between two doubles (ties to even) and their neighbours, around powers of two and
    /// at the limits of the range.
    @Test func halfwayCasesAndBoundaries() throws {
        var texts = ["9007199254740993", "9007199254740995", "9007199254740992.5", "18014398509481986", "18014398509481990",
                     "1.7976931348623157e308", "1.7976931348623158e308", "2.2250738585072014e-308", "2.2250738585072011e-308",
                     "4.9406564584124654e-324", "1e23", "8.98846567431158e307", "0.1", "0.3", "123456789012345678e-5",
                     "9999999999999999999", "1e-22", "1e22", "5e-324", "7.2057594037927933e16", "-0", "-0.0", "0e10"]
        var rng = SplitMix64(seed: 3)
        for _ in 0 ..< 50_000 {
            // m·2^e + half an ulp, written exactly in decimal when short enough.
            let m = (UInt64(1) << 52) | (rng.next() >> 12)
            let e = Int(rng.next() % 20) - 10
            let half = Decimal(m) * Decimal(2) + 1  // (2m + 1) · 2^(e-1)
            var value = half
            if e - 1 >= 0 { for _ in 0 ..< (e - 1) { value *= 2 } } else { for _ in 0 ..< (1 - e) { value /= 2 } }
            texts.append("\(value)")
        }
        let mismatches = try Self.check(texts)
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, e.g. \(mismatches.prefix(5))")
        #expect(try Self.scan("-0").sign == .minus)
    }
}
