/// Multiple-testing control across the many features tested in one window. Pure; thread-safe.
public enum MultipleTesting {
    /// Bonferroni-adjusted p-values: min(1, p·m). Controls the family-wise error rate.
    public static func bonferroni(_ pValues: [Double]) -> [Double] {
        let m = Double(pValues.count)
        return pValues.map { min(1, $0 * m) }
    }

    /// Benjamini–Hochberg adjusted p-values (scipy's `false_discovery_control(method="bh")`): reject those
    /// below q to control the false discovery rate at q.
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        guard m > 0 else { return [] }
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 0, count: m)
        var running = Double.infinity
        for rank in stride(from: m - 1, through: 0, by: -1) {
            let i = order[rank]
            running = min(running, pValues[i] * Double(m) / Double(rank + 1))
            adjusted[i] = min(running, 1)
        }
        return adjusted
    }
}
