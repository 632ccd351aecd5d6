/// Distances between two numeric samples beyond KS. Pure; thread-safe.
public enum ContinuousTests {
    /// The first Wasserstein distance ∫|F₁ - F₂| between the empirical distributions (scipy's
    /// `wasserstein_distance`), for samples sorted ascending. Same units as the data.
    public static func wasserstein(sortedReference a: [Double], sortedCurrent b: [Double]) -> Double {
        let n1 = a.count, n2 = b.count
        precondition(n1 > 0 && n2 > 0, "Wasserstein needs two non-empty samples")
        return KolmogorovSmirnov.walk(a, b).wasserstein
    }

    /// The population stability index Σ (c - r)·ln(c / r) over bins cut at the reference's quantiles.
    ///
    /// Edges are the distinct reference values at ranks ⌈q·n⌉ for q = 1/bins … (bins-1)/bins (so discrete data
    /// gets fewer, wider bins); a value v falls in the first bin whose edge is ≥ v. Shares are floored at
    /// `epsilon` so an empty bin gives a large, finite index. Common reading: < 0.1 stable, 0.1–0.25 moderate
    /// shift, > 0.25 major shift.
    public static func populationStabilityIndex(sortedReference a: [Double], sortedCurrent b: [Double], bins: Int = 10, epsilon: Double = 1e-4) -> Double {
        precondition(!a.isEmpty && !b.isEmpty && bins >= 2, "PSI needs two non-empty samples and at least two bins")
        var edges: [Double] = []
        for q in 1..<bins {
            let rank = Int((Double(q) * Double(a.count) / Double(bins)).rounded(.up))
            let edge = a[min(max(rank - 1, 0), a.count - 1)]
            if edges.last != edge { edges.append(edge) }
        }
        func shares(_ xs: [Double]) -> [Double] {
            // Sorted: the values up to an edge are found by binary search, not by walking every value.
            var counts = [Double](repeating: 0, count: edges.count + 1)
            var below = 0
            for (k, edge) in edges.enumerated() {
                let upTo = upperBound(xs, edge)
                counts[k] = Double(upTo - below)
                below = upTo
            }
            counts[edges.count] = Double(xs.count - below)
            return counts.map { max($0 / Double(xs.count), epsilon) }
        }
        let r = shares(a), c = shares(b)
        var psi = 0.0
        for k in r.indices { psi += (c[k] - r[k]) * _log(c[k] / r[k]) }
        return psi
    }
}

extension ContinuousTests {
    /// The number of values ≤ `x` in the ascending `xs`.
    static func upperBound(_ xs: [Double], _ x: Double) -> Int {
        var lo = 0, hi = xs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if xs[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// 1 when `condition` holds, else 0, as a flag byte rather than a select (the compiler turns a select in a
    /// merge loop into a branch the predictor cannot learn).
    @inline(__always)
    static func one(_ condition: Bool) -> Int { Int(unsafeBitCast(condition, to: UInt8.self)) }

    /// |x| without a branch or an overflow trap (x is far from Int.min here).
    @inline(__always)
    static func magnitude(_ x: Int) -> Int {
        let sign = x >> (Int.bitWidth - 1)
        return (x ^ sign) &- sign
    }
}
