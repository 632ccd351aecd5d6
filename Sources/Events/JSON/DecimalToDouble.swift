/// Decimal to binary64 conversion by the Eisel–Lemire algorithm (Lemire, "Number Parsing at a Gigabyte per
/// Second", 2021; the fast_float library's `compute_float`): w × 10^q correctly rounded (to nearest, ties to
/// even) from one or two 64×64-bit multiplications by a 128-bit approximation of 5^q. It answers nil for the
/// few inputs it cannot decide (subnormal results, and products too close to a rounding boundary), and the
/// caller then asks the C library; when it answers, it answers what `strtod` would (the tests compare them on
/// millions of inputs).
///
/// Pure; thread-safe.
enum DecimalToDouble {
    /// w × 10^q for a decimal mantissa `w` that holds every significant digit (at most 19), or nil.
    @inline(__always)
    static func convert(mantissa w: UInt64, exponent q: Int) -> Double? {
        if w == 0 { return 0 }
        guard q >= PowersOfFive.smallestExponent, q <= PowersOfFive.largestExponent else { return nil }
        let lz = w.leadingZeroBitCount
        let shifted = w << UInt64(lz)
        let index = 2 * (q - PowersOfFive.smallestExponent)
        return PowersOfFive.table.withUnsafeBufferPointer { table -> Double? in
            var (high, low) = shifted.multipliedFullWidth(by: table[index])
            // 55 bits of precision are needed: when the bits below them are all ones, the truncated product may be
            // one short of the true one, so the next 64 bits of 5^q are multiplied in.
            if high & 0x1FF == 0x1FF {
                let second = shifted.multipliedFullWidth(by: table[index + 1]).high
                let (sum, overflow) = low.addingReportingOverflow(second)
                low = sum
                if overflow { high &+= 1 }
            }
            if low == UInt64.max && (q < -27 || q > 55) { return nil }  // possibly undecided: let the C library decide
            let upperBit = Int(high >> 63)
            let shift = UInt64(upperBit + 9)
            var mantissa = high >> shift
            // power2 is the biased binary exponent: ((217706 · q) >> 16) + 63 is ⌊log2(10^q)⌋ + 63.
            var power2 = ((217_706 &* q) >> 16) + 63 + upperBit - lz + 1023
            if power2 <= 0 { return nil }  // subnormal: rare in features; the C library handles it
            // Exactly halfway between two doubles (only possible for small |q|): round to even.
            if low <= 1 && q >= -4 && q <= 23 && mantissa & 3 == 1 && (mantissa << shift) == high {
                mantissa &= ~1
            }
            mantissa += mantissa & 1
            mantissa >>= 1
            if mantissa >= (1 << 53) {
                mantissa = 1 << 52
                power2 += 1
            }
            mantissa &= ~(1 << 52)
            if power2 >= 0x7FF { return nil }  // overflow: the caller reports the number as out of range
            return Double(bitPattern: UInt64(power2) << 52 | mantissa)
        }
    }
}
