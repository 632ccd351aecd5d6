/// The distribution of the one-sample two-sided Kolmogorov–Smirnov statistic Dₙ for finite n (scipy's `kstwo`),
/// used for the asymptotic two-sample p-value. The method chosen for each (n, x) region follows scipy 1.17's
/// `_kolmogn` (Simard & L'Ecuyer 2011): Ruben–Gambino closed forms at the ends, the Durbin matrix
/// (Marsaglia–Tsang–Wang) for small n·x², the Pelz–Good series for large n, and twice the one-sided Smirnov
/// tail where that is exact. Where scipy uses Pomeranz's recursion (n ≤ 140) the Durbin matrix computes the same
/// exact value. Pure functions; thread-safe.
public enum KolmogorovDistribution {
    /// P(Dₙ ≥ x).
    public static func survival(n: Int, x: Double) -> Double {
        precondition(n > 0, "n must be positive")
        if x.isNaN { return .nan }
        if x >= 1 { return 0 }
        if x <= 0 { return 1 }
        let nd = Double(n)
        let t = nd * x
        if t <= 1 {
            if t <= 0.5 { return 1 }
            let cdf: Double
            if n <= 140 {
                var product = 1.0
                let factor = 2 * t - 1
                for i in 1...n { product *= Double(i) * (1.0 / nd) * factor }
                cdf = product
            } else {
                cdf = _exp(logFactorialOverPower(n) + nd * _log(2 * t - 1))
            }
            return clip(1 - cdf)
        }
        if t >= nd - 1 { return clip(2 * _pow(1 - x, nd)) }
        if x >= 0.5 { return clip(2 * smirnovSurvival(n: n, x: x)) }
        let nxSquared = t * x
        if n <= 140 {
            if nxSquared <= 4 { return clip(1 - durbinMatrixCDF(n: n, d: x)) }
            return clip(2 * smirnovSurvival(n: n, x: x))
        }
        if nxSquared >= 370 { return 0 }
        if nxSquared >= 2.2 { return clip(2 * smirnovSurvival(n: n, x: x)) }
        let cdf: Double
        if nxSquared >= 18 {
            cdf = 1
        } else if n <= 100_000 && nd * _pow(x, 1.5) <= 1.4 {
            cdf = durbinMatrixCDF(n: n, d: x)
        } else {
            cdf = pelzGoodCDF(n: n, x: x)
        }
        return clip(1 - cdf)
    }

    /// P(Dₙ⁺ ≥ x), the one-sided Smirnov tail, by the Birnbaum–Tingey sum evaluated term by term in log space
    /// (every term is positive, so the sum keeps full relative precision).
    public static func smirnovSurvival(n: Int, x: Double) -> Double {
        if x.isNaN { return .nan }
        if n == 1 { return clip(1 - x) }
        if x <= 0 { return 1 }
        if x >= 1 { return 0 }
        let nd = Double(n)
        let nx = nd * x
        var nxFloor = nx.rounded(.down)
        var alpha = nx - nxFloor
        if alpha >= 1 { nxFloor += 1; alpha = 0 }
        let nxfl = Int(nxFloor)
        if nxfl == 0 || (nxfl == 1 && alpha == 0) {
            return clip(1 - x * _pow(1 + x, nd - 1))
        }
        if -2 * nd * x * x < -7.083_964_185_322_641e2 { return 0 }
        if nxfl >= n - 1 { return clip(_pow(1 - x, nd)) }
        if n > 1_000_000 {
            let logp = -_pow(6 * nd * x + 1, 2) / 18 / nd
            return logp < -0.693_147_180_559_945_3 ? _exp(logp) : 1 + _expm1(logp)
        }
        // Terms v = 0 … while 1 - x - v/n > 0.
        let lastTerm = n - nxfl - 1
        var logBinomial = 0.0  // log C(n, v)
        var sum = 0.0
        var previous = -Double.infinity
        for v in 0...lastTerm {
            let vd = Double(v)
            let below = (Double(n - v - nxfl) - alpha) / nd  // 1 - x - v/n
            let above = (vd + nxFloor + alpha) / nd  // x + v/n
            if below > 0 {
                let logTerm = logBinomial + Double(n - v) * _log(below) + (vd - 1) * _log(above)
                let term = _exp(logTerm)
                sum += term
                if logTerm < previous && term < sum * 1e-17 { break }
                previous = logTerm
            }
            logBinomial += _log(Double(n - v) / Double(v + 1))
        }
        return clip(x * sum)
    }

    // MARK: - Methods

    /// log(n! / nⁿ) by Stirling's series (scipy's `_log_nfactorial_div_n_pow_n`).
    static func logFactorialOverPower(_ n: Int) -> Double {
        let coefficients: [Double] = [
            -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3,
            8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4,
            -2.7777777777777777778e-3, 8.3333333333333333333e-2,
        ]
        let nd = Double(n)
        let rn = 1.0 / nd
        var poly = 0.0
        let z = rn / nd
        for c in coefficients { poly = poly * z + c }
        return _log(nd) / 2 - nd + _log(2 * Double.pi) / 2 + rn * poly
    }

    /// P(Dₙ < d) by the Durbin matrix: the (k, k) element of Hⁿ scaled by n!/nⁿ (Marsaglia, Tsang & Wang 2003),
    /// with exponent bookkeeping against overflow.
    static func durbinMatrixCDF(n: Int, d: Double) -> Double {
        if d >= 1 { return 1 }
        let nd = Double(n) * d
        if nd <= 0.5 { return 0 }
        let k = Int(nd.rounded(.up))
        let h = Double(k) - nd
        let m = 2 * k - 1
        var v = [Double](repeating: 0, count: m)
        var w = [Double](repeating: 0, count: m)
        var factorial = 1.0
        for j in 1...m {
            w[j - 1] = factorial
            factorial /= Double(j)
            v[j - 1] = (1.0 - _pow(h, Double(j))) * factorial
        }
        let tt = _pow(max(2 * h - 1.0, 0), Double(m)) - 2 * _pow(h, Double(m))
        v[m - 1] = (1.0 + tt) * factorial
        var H = [Double](repeating: 0, count: m * m)
        for i in 1..<max(m, 1) {
            // Column i holds w[0 ..< m - i + 1] from row i - 1 down.
            for r in (i - 1)..<m { H[r * m + i] = w[r - (i - 1)] }
        }
        for r in 0..<m { H[r * m] = v[r] }
        for c in 0..<m { H[(m - 1) * m + c] = v[m - 1 - c] }
        var power = [Double](repeating: 0, count: m * m)
        for i in 0..<m { power[i * m + i] = 1 }
        var remaining = n
        var exponent = 0
        var hExponent = 0
        let big = 0x1p128
        var scratch = [Double](repeating: 0, count: m * m)
        while remaining > 0 {
            if remaining % 2 == 1 {
                multiply(power, H, into: &scratch, m)
                swap(&power, &scratch)
                exponent += hExponent
            }
            multiply(H, H, into: &scratch, m)
            swap(&H, &scratch)
            hExponent *= 2
            if abs(H[(k - 1) * m + (k - 1)]) > big {
                for i in 0..<(m * m) { H[i] /= big }
                hExponent += 128
            }
            remaining /= 2
        }
        var p = power[(k - 1) * m + (k - 1)]
        let nD = Double(n)
        for i in 1...n {
            p = Double(i) * p / nD
            if abs(p) < 0x1p-128 {
                p *= big
                exponent -= 128
            }
        }
        if exponent != 0 { p = _ldexp(p, exponent) }
        return clip(p)
    }

    private static func multiply(_ a: [Double], _ b: [Double], into c: inout [Double], _ m: Int) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    for i in 0..<m {
                        for j in 0..<m { c[i * m + j] = 0 }
                        for l in 0..<m {
                            let ail = a[i * m + l]
                            if ail == 0 { continue }
                            for j in 0..<m { c[i * m + j] += ail * b[l * m + j] }
                        }
                    }
                }
            }
        }
    }

    /// P(Dₙ ≤ x) by the Pelz–Good asymptotic series (four terms in 1/√n), as scipy evaluates it.
    static func pelzGoodCDF(n: Int, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let pi2 = Double.pi * Double.pi
        let pi4 = pi2 * pi2
        let pi6 = pi4 * pi2
        let sqrt2pi = (2 * Double.pi).squareRoot()
        let z = Double(n).squareRoot() * x
        let z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2
        let qlog = -pi2 / 8 / z2
        if qlog < -708 { return 0 }
        var q = _exp(qlog)
        let k1a = -z2, k1b = pi2 / 4
        let k2a = 6 * z6 + 2 * z4
        let k2b = (2 * z4 - 5 * z2) * pi2 / 4
        let k2c = pi4 * (1 - 2 * z2) / 16
        let k3d = pi6 * (5 - 30 * z2) / 64
        let k3c = pi4 * (-60 * z2 + 212 * z4) / 16
        let k3b = pi2 * (135 * z4 - 96 * z6) / 4
        let k3a = -30 * z6 - 90 * _pow(z, 8)
        var K = [0.0, 0.0, 0.0, 0.0]
        let maxK = Int((16 * z / Double.pi).rounded(.up))
        if maxK >= 1 {
            for k in stride(from: maxK, through: 1, by: -1) {
                let m = Double(2 * k - 1)
                let m2 = m * m, m4 = m2 * m2, m6 = m4 * m2
                let qpower = _pow(q, Double(8 * k))
                let coefficients = [1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6]
                for i in 0..<4 { K[i] = K[i] * qpower + coefficients[i] }
            }
        }
        let divisors = [z, 6 * z4, 72 * _pow(z, 7), 6480 * _pow(z, 10)]
        for i in 0..<4 { K[i] = K[i] * q * sqrt2pi / divisors[i] }
        q = _exp(-pi2 / 2 / z2)
        let sqrt3z = 3.0.squareRoot() * z
        var k2extra = 0.0
        var k3extra = 0.0
        if maxK >= 1 {
            for k in stride(from: maxK, through: 1, by: -1) {
                let kd = Double(k)
                let k2 = kd * kd
                let qp = _pow(q, k2)
                k2extra += k2 * qp
                let kspi = Double.pi * kd
                k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * k2 * qp
            }
        }
        K[2] += k2extra * (pi2 * sqrt2pi / (-36 * z3))
        K[3] += k3extra * (pi2 * sqrt2pi / (216 * z6))
        let nd = Double(n)
        for i in 0..<4 { K[i] /= _pow(nd, Double(i) / 2.0) }
        return K[0] + K[1] + K[2] + K[3]
    }

    @inline(__always)
    static func clip(_ p: Double) -> Double { p.isNaN ? p : min(max(p, 0), 1) }
}
