/// Count, mean, variance, skewness, kurtosis, minimum and maximum of a stream of doubles in O(1) space, by
/// Welford/Pébay updates; two summaries merge exactly (Chan et al., Pébay 2008), so partitions and time buckets
/// combine. Skewness and kurtosis are the population (biased) moments scipy reports by default
/// (`skew`, `kurtosis` with Fisher's definition, 0 for a normal). Value type; not thread-safe.
public struct RunningMoments: Sendable, Hashable, Codable {
    public private(set) var count: Int = 0
    public private(set) var mean: Double = 0
    public private(set) var minimum: Double = .infinity
    public private(set) var maximum: Double = -.infinity
    private var m2: Double = 0
    private var m3: Double = 0
    private var m4: Double = 0

    public init() {}

    @inline(__always)
    public mutating func add(_ x: Double) {
        let n1 = Double(count)
        count += 1
        let n = Double(count)
        // 1/n does not depend on earlier values, so it is computed off the chain mean → delta → mean that bounds
        // how fast a column can take values (a division on that chain costs several times a multiplication).
        let reciprocal = 1 / n
        let delta = x - mean
        let deltaN = delta * reciprocal
        let deltaN2 = deltaN * deltaN
        let term1 = delta * deltaN * n1
        mean += deltaN
        m4 += term1 * deltaN2 * (n * n - 3 * n + 3) + 6 * deltaN2 * m2 - 4 * deltaN * m3
        m3 += term1 * deltaN * (n - 2) - 3 * deltaN * m2
        m2 += term1
        if x < minimum { minimum = x }
        if x > maximum { maximum = x }
    }

    /// Adds a batch of values: their own moments in two passes (no division per value, and each pass's sums are
    /// independent of one another, unlike `add`'s chain), then merged in. Equal to adding them one by one up to
    /// rounding.
    public mutating func add(contentsOf values: UnsafeBufferPointer<Double>) {
        guard !values.isEmpty else { return }
        if values.count == 1 { add(values[0]); return }
        var batch = RunningMoments()
        var s0 = 0.0, s1 = 0.0
        var lo = Double.infinity, hi = -Double.infinity
        var i = 0
        while i + 2 <= values.count { s0 += values[i]; s1 += values[i + 1]; i += 2 }
        if i < values.count { s0 += values[i] }
        let n = Double(values.count)
        let mean = (s0 + s1) / n
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for x in values {
            let d = x - mean, d2 = d * d
            m2 += d2; m3 += d2 * d; m4 += d2 * d2
            lo = Swift.min(lo, x); hi = Swift.max(hi, x)
        }
        batch.count = values.count
        batch.mean = mean
        batch.m2 = m2; batch.m3 = m3; batch.m4 = m4
        batch.minimum = lo; batch.maximum = hi
        merge(batch)
    }

    /// Combines another summary into this one, as if its values had been added here.
    public mutating func merge(_ other: RunningMoments) {
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let na = Double(count), nb = Double(other.count), n = na + nb
        let delta = other.mean - mean
        let d2 = delta * delta, d3 = d2 * delta, d4 = d2 * d2
        let newM2 = m2 + other.m2 + d2 * na * nb / n
        let newM3 = m3 + other.m3 + d3 * na * nb * (na - nb) / (n * n) + 3 * delta * (na * other.m2 - nb * m2) / n
        let newM4 = m4 + other.m4 + d4 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
            + 6 * d2 * (na * na * other.m2 + nb * nb * m2) / (n * n) + 4 * delta * (na * other.m3 - nb * m3) / n
        mean = (na * mean + nb * other.mean) / n
        m2 = newM2; m3 = newM3; m4 = newM4
        count += other.count
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
    }

    /// The sample variance (n - 1 in the denominator); 0 below two values.
    public var variance: Double { count > 1 ? m2 / Double(count - 1) : 0 }
    /// The population variance (n in the denominator).
    public var populationVariance: Double { count > 0 ? m2 / Double(count) : 0 }
    public var standardDeviation: Double { variance.squareRoot() }
    /// g₁ = m₃ / m₂^1.5 (scipy `skew`, bias=True); 0 for constant data.
    public var skewness: Double { m2 > 0 ? Double(count).squareRoot() * m3 / _pow(m2, 1.5) : 0 }
    /// g₂ = m₄ / m₂² - 3 (scipy `kurtosis`, fisher=True, bias=True); NaN for constant data, as scipy gives.
    public var kurtosis: Double { m2 > 0 ? Double(count) * m4 / (m2 * m2) - 3 : .nan }
}
