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
                let rows = batch.count
                // Columns four at a time. First a plain sum: when every lane is finite the group has no missing (or
                // infinite) value, and the masked passes below would compute exactly the same numbers, so the
                // unmasked ones do (most batches). Otherwise a missing value is masked out of the count and the sums.
                var j = 0
                let allRows = SIMD4<Double>(repeating: Double(rows))
                while j + 4 <= w {
                    var plain = SIMD4<Double>()
                    for i in 0 ..< rows { plain += UnsafeRawPointer(x.baseAddress! + i * w + j).loadUnaligned(as: SIMD4<Double>.self) }
                    let count: SIMD4<Double>, mu: SIMD4<Double>
                    var squares = SIMD4<Double>()
                    if all((plain - plain) .== SIMD4<Double>()) {
                        count = allRows
                        mu = plain / allRows
                        for i in 0 ..< rows {
                            let d = UnsafeRawPointer(x.baseAddress! + i * w + j).loadUnaligned(as: SIMD4<Double>.self) - mu
                            squares += d * d
                        }
                    } else {
                        var present = SIMD4<Double>(), sum = SIMD4<Double>()
                        for i in 0 ..< rows {
                            let v = UnsafeRawPointer(x.baseAddress! + i * w + j).loadUnaligned(as: SIMD4<Double>.self)
                            let isPresent = v .== v
                            present += SIMD4<Double>(repeating: 0).replacing(with: 1, where: isPresent)
                            sum += SIMD4<Double>(repeating: 0).replacing(with: v, where: isPresent)
                        }
                        count = present
                        mu = SIMD4<Double>(repeating: 0).replacing(with: sum / count, where: count .> 0)
                        for i in 0 ..< rows {
                            let d = UnsafeRawPointer(x.baseAddress! + i * w + j).loadUnaligned(as: SIMD4<Double>.self) - mu
                            squares += SIMD4<Double>(repeating: 0).replacing(with: d * d, where: d .== d)
                        }
                    }
                    for k in 0 ..< 4 { n[j + k] = count[k]; mean[j + k] = mu[k]; m2[j + k] = squares[k] }
                    j += 4
                }
                while j < w {
                    var count = 0.0, sum = 0.0
                    for i in 0 ..< rows { let v = x[i * w + j]; if !v.isNaN { count += 1; sum += v } }
                    let mu = count > 0 ? sum / count : 0
                    var squares = 0.0
                    for i in 0 ..< rows { let d = x[i * w + j] - mu; if !d.isNaN { squares += d * d } }
                    n[j] = count; mean[j] = mu; m2[j] = squares
                    j += 1
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
                            var j = 0
                            while j + 4 <= w {
                                let v = UnsafeRawPointer(x.baseAddress! + base + j).loadUnaligned(as: SIMD4<Double>.self)
                                let m = UnsafeRawPointer(mu.baseAddress! + j).loadUnaligned(as: SIMD4<Double>.self)
                                let f = UnsafeRawPointer(s.baseAddress! + j).loadUnaligned(as: SIMD4<Double>.self)
                                let z = (v - m) * f
                                UnsafeMutableRawPointer(o.baseAddress! + base + j).storeBytes(
                                    of: SIMD4<Double>(repeating: 0).replacing(with: z, where: z .== z), as: SIMD4<Double>.self)
                                j += 4
                            }
                            while j < w {
                                let z = (x[base + j] - mu[j]) * s[j]
                                o[base + j] = z.isNaN ? 0 : z
                                j += 1
                            }
                        }
                    }
                }
            }
        }
    }
}
