/// Incremental standardization of the dense columns: per column, the count, mean and sum of squared deviations
/// of the values seen (missing values skipped), merged one micro-batch at a time (Chan et al.'s parallel update),
/// and `(x − mean) / std` with the population standard deviation (a column with no spread is only centered).
///
/// Statistics are updated once per batch, before the batch's rows are learned, so a row is scaled with
/// statistics that include its own batch. Exact and order-independent within a batch.
public struct RunningScaler: Sendable, Hashable, Codable {
    public private(set) var counts: [Double]
    public private(set) var means: [Double]
    public private(set) var squares: [Double]

    public init(width: Int) {
        counts = Array(repeating: 0, count: width)
        means = Array(repeating: 0, count: width)
        squares = Array(repeating: 0, count: width)
    }

    public var width: Int { means.count }

    /// The factor applied after centering: 1 / std, or 1 while a column has no spread.
    public func inverseScale(_ j: Int) -> Double {
        guard counts[j] > 0 else { return 1 }
        let variance = squares[j] / counts[j]
        return variance > 1e-24 ? 1 / variance.squareRoot() : 1
    }

    /// Adds a batch's dense values.
    public mutating func update(_ batch: ExampleBatch) {
        let w = width
        guard batch.count > 0, w > 0 else { return }
        var n = [Double](repeating: 0, count: w), mean = [Double](repeating: 0, count: w), m2 = [Double](repeating: 0, count: w)
        batch.dense.withUnsafeBufferPointer { x in
            n.withUnsafeMutableBufferPointer { n in
            mean.withUnsafeMutableBufferPointer { mean in
            m2.withUnsafeMutableBufferPointer { m2 in
                for i in 0 ..< batch.count {
                    let row = x.baseAddress! + i * w
                    for j in 0 ..< w {
                        let v = row[j]
                        if !v.isNaN { n[j] += 1; mean[j] += v }
                    }
                }
                for j in 0 ..< w where n[j] > 0 { mean[j] /= n[j] }
                for i in 0 ..< batch.count {
                    let row = x.baseAddress! + i * w
                    for j in 0 ..< w {
                        let d = row[j] - mean[j]
                        if !d.isNaN { m2[j] += d * d }
                    }
                }
            }}}
        }
        for j in 0 ..< w where n[j] > 0 {
            let na = counts[j], nb = n[j], total = na + nb
            let delta = mean[j] - means[j]
            means[j] += delta * nb / total
            squares[j] += m2[j] + delta * delta * na * nb / total
            counts[j] = total
        }
    }

    /// Writes the scaled dense matrix of `batch` to `out` (`count × width`); missing values become 0 (the mean).
    public func transform(_ batch: ExampleBatch, into out: inout [Double]) {
        let w = width
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement(0, count: batch.count * w))
        var inv = [Double](repeating: 1, count: w)
        for j in 0 ..< w { inv[j] = inverseScale(j) }
        means.withUnsafeBufferPointer { mu in
            inv.withUnsafeBufferPointer { s in
                batch.dense.withUnsafeBufferPointer { x in
                    out.withUnsafeMutableBufferPointer { o in
                        for i in 0 ..< batch.count {
                            let base = i * w
                            for j in 0 ..< w {
                                let z = (x[base + j] - mu[j]) * s[j]
                                o[base + j] = z.isNaN ? 0 : z
                            }
                        }
                    }
                }
            }
        }
    }
}
