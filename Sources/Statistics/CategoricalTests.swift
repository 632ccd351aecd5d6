/// Tests between two categorical distributions given as counts over the same categories (reference first).
/// Categories seen on only one side are counted, not dropped: an unseen category is drift. Pure; thread-safe.
public enum CategoricalTests {
    /// Pearson's chi-square test of homogeneity on the 2 × k table (scipy's `chi2_contingency` without Yates'
    /// correction). Categories empty on both sides are left out; with fewer than two categories left the
    /// distributions cannot differ (statistic 0, p = 1).
    public static func chiSquare(reference: [Double], current: [Double]) -> (statistic: Double, pValue: Double, degreesOfFreedom: Int) {
        precondition(reference.count == current.count, "both sides need the same categories")
        var columns: [(Double, Double)] = []
        for i in reference.indices where reference[i] + current[i] > 0 { columns.append((reference[i], current[i])) }
        let r = columns.reduce(0) { $0 + $1.0 }, c = columns.reduce(0) { $0 + $1.1 }
        guard columns.count > 1, r > 0, c > 0 else { return (0, 1, max(columns.count - 1, 0)) }
        let total = r + c
        var chi2 = 0.0
        for (x, y) in columns {
            let col = x + y
            let ex = r * col / total, ey = c * col / total
            chi2 += (x - ex) * (x - ex) / ex + (y - ey) * (y - ey) / ey
        }
        let dof = columns.count - 1
        return (chi2, SpecialFunctions.chiSquareSurvival(chi2, degreesOfFreedom: Double(dof)), dof)
    }

    /// The Jensen–Shannon distance (square root of the divergence) in bits, in [0, 1]; scipy's
    /// `jensenshannon(p, q, base=2)` on the normalized counts.
    public static func jensenShannonDistance(reference: [Double], current: [Double]) -> Double {
        precondition(reference.count == current.count, "both sides need the same categories")
        let sp = reference.reduce(0, +), sq = current.reduce(0, +)
        guard sp > 0, sq > 0 else { return 0 }
        var js = 0.0
        for i in reference.indices {
            let p = reference[i] / sp, q = current[i] / sq
            let m = (p + q) / 2
            if p > 0 { js += p * _log(p / m) }
            if q > 0 { js += q * _log(q / m) }
        }
        js /= _log(2)
        return max(js / 2, 0).squareRoot()
    }
}
