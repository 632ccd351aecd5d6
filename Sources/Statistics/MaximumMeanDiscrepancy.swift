/// Multivariate two-sample test: maximum mean discrepancy with a Gaussian (RBF) kernel whose bandwidth is the
/// median pairwise distance, after standardizing by the reference and a seeded Gaussian random projection to a
/// few dimensions, with a seeded permutation test for the p-value. Deterministic for a given seed.
/// Cost O(N² · permutations) for N = the (capped) pooled sample; pure, thread-safe.
public enum MaximumMeanDiscrepancy {
    public struct Result: Sendable, Hashable, Codable {
        /// The biased (V-statistic) estimate of MMD² between the samples.
        public var statistic: Double
        /// (1 + #{permuted MMD² ≥ observed}) / (1 + permutations).
        public var pValue: Double
        /// The kernel bandwidth σ, in standardized projected units.
        public var bandwidth: Double
        /// Dimensions after projection.
        public var dimensions: Int
    }

    public struct Options: Sendable, Hashable, Codable {
        /// Project to this many dimensions when there are more (Gaussian random projection).
        public var dimensions: Int = 5
        /// Permutations in the test.
        public var permutations: Int = 200
        /// Each sample is subsampled (seeded) to at most this many rows.
        public var maxSamplesPerSide: Int = 300
        public var seed: UInt64 = 0x7D1DE
        public init() {}
    }

    /// Tests rows of `reference` against rows of `current` (all rows the same length, no NaN).
    public static func test(reference: [[Double]], current: [[Double]], options: Options = Options()) -> Result {
        precondition(!reference.isEmpty && !current.isEmpty, "MMD needs two non-empty samples")
        let d = reference[0].count
        var rng = SplitMix64(seed: options.seed)
        let x0 = subsample(reference, options.maxSamplesPerSide, &rng)
        let y0 = subsample(current, options.maxSamplesPerSide, &rng)
        // Standardize by the reference.
        var mean = [Double](repeating: 0, count: d), std = [Double](repeating: 0, count: d)
        for row in x0 { for k in 0..<d { mean[k] += row[k] } }
        for k in 0..<d { mean[k] /= Double(x0.count) }
        for row in x0 { for k in 0..<d { std[k] += (row[k] - mean[k]) * (row[k] - mean[k]) } }
        for k in 0..<d { std[k] = (std[k] / Double(max(x0.count - 1, 1))).squareRoot(); if std[k] == 0 { std[k] = 1 } }
        let dims = min(d, options.dimensions)
        var projection: [[Double]]? = nil
        if d > dims {
            let scale = 1 / Double(dims).squareRoot()
            projection = (0..<d).map { _ in (0..<dims).map { _ in rng.gaussian() * scale } }
        }
        func transform(_ row: [Double]) -> [Double] {
            let z = (0..<d).map { (row[$0] - mean[$0]) / std[$0] }
            guard let projection else { return z }
            var out = [Double](repeating: 0, count: dims)
            for k in 0..<d { for j in 0..<dims { out[j] += z[k] * projection[k][j] } }
            return out
        }
        let points = x0.map(transform) + y0.map(transform)
        let n = x0.count, N = points.count
        var sq = [Double](repeating: 0, count: N * N)
        var distances: [Double] = []
        distances.reserveCapacity(N * (N - 1) / 2)
        for i in 0..<N {
            for j in (i + 1)..<max(N, i + 1) {
                var s = 0.0
                for k in 0..<dims { let t = points[i][k] - points[j][k]; s += t * t }
                sq[i * N + j] = s; sq[j * N + i] = s
                distances.append(s.squareRoot())
            }
        }
        SampleSort.sort(&distances)
        var sigma = distances.isEmpty ? 1 : distances[distances.count / 2]
        if distances.count > 1 && distances.count % 2 == 0 { sigma = (distances[distances.count / 2 - 1] + distances[distances.count / 2]) / 2 }
        if !(sigma > 0) { sigma = 1 }
        let gamma = 1 / (2 * sigma * sigma)
        var K = sq
        for i in 0..<(N * N) { K[i] = _exp(-gamma * sq[i]) }
        func mmd(_ inX: [Bool]) -> Double {
            var sxx = 0.0, syy = 0.0, sxy = 0.0
            var nx = 0.0
            for i in 0..<N where inX[i] { nx += 1 }
            let ny = Double(N) - nx
            K.withUnsafeBufferPointer { K in
                for i in 0..<N {
                    let xi = inX[i]
                    let row = i * N
                    for j in 0..<N {
                        let v = K[row + j]
                        if xi == inX[j] { if xi { sxx += v } else { syy += v } } else { sxy += v }
                    }
                }
            }
            return sxx / (nx * nx) + syy / (ny * ny) - sxy / (nx * ny)  // sxy counts both (i,j) and (j,i)
        }
        var labels = (0..<N).map { $0 < n }
        let observed = mmd(labels)
        var atLeast = 0
        for _ in 0..<options.permutations {
            for i in stride(from: N - 1, to: 0, by: -1) { labels.swapAt(i, Int(rng.below(UInt64(i + 1)))) }
            if mmd(labels) >= observed { atLeast += 1 }
        }
        return Result(statistic: observed, pValue: Double(1 + atLeast) / Double(1 + options.permutations), bandwidth: sigma, dimensions: dims)
    }

    private static func subsample(_ rows: [[Double]], _ cap: Int, _ rng: inout SplitMix64) -> [[Double]] {
        guard rows.count > cap else { return rows }
        var idx = Array(rows.indices)
        for i in 0..<cap { idx.swapAt(i, i + Int(rng.below(UInt64(rows.count - i)))) }
        return idx[0..<cap].map { rows[$0] }
    }
}
