/// Special functions the tests need. Pure; thread-safe.
public enum SpecialFunctions {
    /// Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function (a > 0, x ≥ 0): a series for
    /// x < a + 1, Lentz's continued fraction otherwise (relative error near 1e-15 in both).
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "a must be positive")
        if x.isNaN { return .nan }
        if x <= 0 { return 1 }
        if x.isInfinite { return 0 }
        let logPrefix = a * _log(x) - x - _lgamma(a)
        if x < a + 1 {
            var term = 1.0 / a
            var sum = term
            var ap = a
            for _ in 0..<10_000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            return max(0, 1 - sum * _exp(logPrefix))
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return min(1, _exp(logPrefix) * h)
    }

    /// The chi-square survival function P(χ²ₖ ≥ x).
    public static func chiSquareSurvival(_ x: Double, degreesOfFreedom k: Double) -> Double {
        regularizedGammaQ(k / 2, x / 2)
    }

    /// The standard normal survival function P(Z ≥ z).
    public static func normalSurvival(_ z: Double) -> Double { 0.5 * _erfc(z / 2.0.squareRoot()) }
}
