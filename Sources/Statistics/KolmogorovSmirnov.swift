/// The two-sample Kolmogorov–Smirnov test, two-sided, with scipy's `ks_2samp` semantics: the statistic is the
/// largest gap between the two empirical CDFs (ties handled by evaluating after every copy of a value), and
/// the p-value is exact (Hodges' lattice-path counts) or asymptotic (the finite-n Kolmogorov distribution at
/// n = round(n₁n₂/(n₁+n₂))), with `.auto` choosing exact when both samples have at most 10,000 values.
/// Pure functions; thread-safe.
public enum KolmogorovSmirnov {
    /// How the p-value is computed.
    public enum Method: String, Sendable, Codable, CaseIterable {
        /// Exact when max(n₁, n₂) ≤ 10,000, else asymptotic (scipy's default).
        case auto
        /// Exact unless the lattice is too large or the computation fails numerically, then asymptotic.
        case exact
        /// The finite-n Kolmogorov distribution at the effective sample size.
        case asymptotic
    }

    /// A test result.
    public struct Result: Sendable, Hashable, Codable {
        /// D, the largest absolute difference between the empirical CDFs (for the exact method, scipy's
        /// rounding of D to the lattice, h / lcm(n₁, n₂)).
        public var statistic: Double
        /// The two-sided p-value.
        public var pValue: Double
        /// The method actually used (`.exact` or `.asymptotic`).
        public var method: Method
        /// The value at which the gap is largest.
        public var location: Double
        /// +1 when the first sample's CDF is above the second's there, -1 when below.
        public var sign: Int
    }

    /// Samples up to this size get an exact p-value under `.auto`.
    public static let maxExactAutoSize = 10_000

    /// Tests two samples (NaN values must be removed first). Sorts copies; O(n log n) by radix sort.
    public static func test(_ a: [Double], _ b: [Double], method: Method = .auto) -> Result {
        precondition(!a.isEmpty && !b.isEmpty, "Kolmogorov–Smirnov needs two non-empty samples")
        if let gaps = pooledGaps(a, b) {
            return finish(n1: a.count, n2: b.count, gaps: gaps, method: method)
        }
        return testSorted(SampleSort.sorted(a), SampleSort.sorted(b), method: method)
    }

    /// The largest positive and negative CDF gaps (and where), found by distributing both samples together
    /// over one bucket grid (one bucket per value over the pooled range), ordering each small bucket, and
    /// walking the pooled order once without data-dependent branches. Nil when the pooled range is not finite
    /// or the samples are small (the caller sorts instead).
    static func pooledGaps(_ a: [Double], _ b: [Double]) -> Gaps? {
        let n1 = a.count, n2 = b.count, n = n1 + n2
        guard n >= 512 else { return nil }
        var lo = Double.infinity, hi = -Double.infinity
        for x in a { lo = min(lo, x); hi = max(hi, x) }
        for x in b { lo = min(lo, x); hi = max(hi, x) }
        let range = hi - lo
        guard range.isFinite && range > 0 else { return nil }
        let buckets = n
        let scale = Double(buckets) / range
        let last = buckets - 1
        var starts = [Int32](repeating: 0, count: buckets + 1)
        var values = [Double](repeating: 0, count: n)
        var fromB = [UInt8](repeating: 0, count: n)
        return starts.withUnsafeMutableBufferPointer { starts -> Gaps in
            values.withUnsafeMutableBufferPointer { values -> Gaps in
                fromB.withUnsafeMutableBufferPointer { fromB -> Gaps in
                    for x in a { starts[min(Int((x - lo) * scale), last) + 1] &+= 1 }
                    for x in b { starts[min(Int((x - lo) * scale), last) + 1] &+= 1 }
                    for k in 0..<buckets { starts[k + 1] &+= starts[k] }
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: buckets) { next in
                        for k in 0..<buckets { next[k] = starts[k] }
                        for x in a {
                            let k = min(Int((x - lo) * scale), last)
                            values[Int(next[k])] = x
                            next[k] &+= 1
                        }
                        for x in b {
                            let k = min(Int((x - lo) * scale), last)
                            values[Int(next[k])] = x
                            fromB[Int(next[k])] = 1
                            next[k] &+= 1
                        }
                    }
                    // Order within buckets. A crowded bucket (rare for smooth data) is sorted on its own; then one
                    // insertion pass over the whole array fixes the few inversions left inside small buckets
                    // (cheaper than a loop per bucket, whose varying trip counts the branch predictor cannot learn).
                    for k in 0..<buckets where starts[k + 1] - starts[k] > 32 {
                        let start = Int(starts[k]), end = Int(starts[k + 1])
                        var pairs = (start..<end).map { (values[$0], fromB[$0]) }
                        pairs.sort { $0.0 < $1.0 }
                        for (o, p) in pairs.enumerated() { values[start + o] = p.0; fromB[start + o] = p.1 }
                    }
                    for i in 1..<n {
                        let x = values[i]
                        if values[i - 1] <= x { continue }
                        let t = fromB[i]
                        var j = i - 1
                        while j >= 0 && values[j] > x { values[j + 1] = values[j]; fromB[j + 1] = fromB[j]; j -= 1 }
                        values[j + 1] = x
                        fromB[j + 1] = t
                    }
                    // One walk: the gap counts only after the last copy of a value (ties).
                    let d1 = Double(n1), d2 = Double(n2)
                    var i = 0, j = 0
                    var maxDiff = -Double.infinity, minDiff = Double.infinity
                    var maxAt = 0, minAt = 0
                    for k in 0..<n {
                        let t = Int(fromB[k])
                        i += 1 - t
                        j += t
                        let endOfRun = k == n - 1 || values[k + 1] != values[k]
                        let diff = Double(i) / d1 - Double(j) / d2
                        let isMax = endOfRun && diff > maxDiff
                        let isMin = endOfRun && diff < minDiff
                        maxDiff = isMax ? diff : maxDiff
                        maxAt = isMax ? k : maxAt
                        minDiff = isMin ? diff : minDiff
                        minAt = isMin ? k : minAt
                    }
                    return Gaps(maxDiff: maxDiff, maxAt: values[maxAt], minDiff: minDiff, minAt: values[minAt])
                }
            }
        }
    }

    struct Gaps {
        var maxDiff: Double, maxAt: Double, minDiff: Double, minAt: Double
    }

    /// Tests two samples that are already sorted ascending (the monitor keeps its reference window sorted).
    public static func testSorted(_ a: [Double], _ b: [Double], method: Method = .auto) -> Result {
        precondition(!a.isEmpty && !b.isEmpty, "Kolmogorov–Smirnov needs two non-empty samples")
        return finish(n1: a.count, n2: b.count, gaps: walk(a, b).gaps, method: method)
    }

    /// `testSorted` and the first Wasserstein distance of the same samples (`ContinuousTests.wasserstein`), from
    /// one walk.
    public static func testSortedWithWasserstein(_ a: [Double], _ b: [Double], method: Method = .auto) -> (test: Result, wasserstein: Double) {
        precondition(!a.isEmpty && !b.isEmpty, "Kolmogorov–Smirnov needs two non-empty samples")
        let (gaps, wasserstein) = walk(a, b)
        return (finish(n1: a.count, n2: b.count, gaps: gaps, method: method), wasserstein)
    }

    /// One merge walk over two non-empty sorted samples (`MergeWalk`): the largest CDF gaps (and where) and the
    /// first Wasserstein distance ∫|F₁ − F₂|, which rides along at no cost.
    static func walk(_ a: [Double], _ b: [Double]) -> (gaps: Gaps, wasserstein: Double) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var w = MergeWalk(a, b)
                while w.inBoth { w.step() }
                return w.finish()
            }
        }
    }

    /// `testSortedWithWasserstein` for two pairs of samples at once: the two walks run interleaved, each filling
    /// the other's waits (about 1.7 times the speed of one after the other). The results are those of two calls.
    public static func testSortedWithWasserstein(_ first: (reference: [Double], current: [Double]), _ second: (reference: [Double], current: [Double]),
                                                 method: Method = .auto) -> (first: (test: Result, wasserstein: Double), second: (test: Result, wasserstein: Double)) {
        precondition(!first.reference.isEmpty && !first.current.isEmpty && !second.reference.isEmpty && !second.current.isEmpty,
                     "Kolmogorov–Smirnov needs two non-empty samples")
        let (w1, w2) = first.reference.withUnsafeBufferPointer { a1 in
            first.current.withUnsafeBufferPointer { b1 in
                second.reference.withUnsafeBufferPointer { a2 in
                    second.current.withUnsafeBufferPointer { b2 in
                        var w1 = MergeWalk(a1, b1), w2 = MergeWalk(a2, b2)
                        while w1.inBoth && w2.inBoth { w1.step(); w2.step() }
                        while w1.inBoth { w1.step() }
                        while w2.inBoth { w2.step() }
                        return (w1.finish(), w2.finish())
                    }
                }
            }
        }
        return ((finish(n1: first.reference.count, n2: first.current.count, gaps: w1.gaps, method: method), w1.wasserstein),
                (finish(n1: second.reference.count, n2: second.current.count, gaps: w2.gaps, method: method), w2.wasserstein))
    }

    /// The statistic and p-value from the CDF gaps, as scipy's `ks_2samp` derives them.
    static func finish(n1: Int, n2: Int, gaps: Gaps, method: Method) -> Result {
        let maxDiff = gaps.maxDiff, minDiff = gaps.minDiff, maxAt = gaps.maxAt, minAt = gaps.minAt
        let minS = min(max(-minDiff, 0), 1)
        var d: Double
        let location: Double
        let sign: Int
        if minS > maxDiff { d = minS; location = minAt; sign = -1 } else { d = maxDiff; location = maxAt; sign = 1 }

        var mode = method
        let g = gcd(n1, n2)
        if mode == .auto { mode = max(n1, n2) <= maxExactAutoSize ? .exact : .asymptotic }
        else if mode == .exact, Double(n1 / g) >= Double(Int32.max) / Double(n2 / g) { mode = .asymptotic }
        var p = Double.nan
        if mode == .exact {
            let lcm = (n1 / g) * n2
            let h = Int((d * Double(lcm)).rounded(.toNearestOrEven))
            d = Double(h) / Double(lcm)
            if h == 0 {
                p = 1
            } else {
                p = n1 == n2 ? probabilityOutsideSquare(n: n1, h: h) : probabilityOutsideBand(m: n1, n: n2, g: g, h: h)
            }
            if !(p.isFinite && p >= 0 && p <= 1) { mode = .asymptotic }
        }
        if mode == .asymptotic {
            let m = Double(max(n1, n2)), n = Double(min(n1, n2))
            let en = (m * n / (m + n)).rounded(.toNearestOrEven)
            p = KolmogorovDistribution.survival(n: Int(en), x: d)
        }
        return Result(statistic: d, pValue: min(max(p, 0), 1), method: mode, location: location, sign: sign)
    }

    /// The share of lattice paths leaving the band |x - y| < h for equal sample sizes n (Hodges 1958, eq. 2.3).
    static func probabilityOutsideSquare(n: Int, h: Int) -> Double {
        var P = 0.0
        var k = n / h
        let nd = Double(n)
        while k >= 0 {
            var p1 = 1.0
            let kh = Double(k * h)
            for j in 0..<h {
                // The ratio does not depend on p1: its division runs off the chain of products (scipy multiplies
                // first and divides after; the two differ by rounding only, far below the tests' 1e-6).
                let jd = Double(j)
                p1 *= (nd - kh - jd) / (nd + kh + jd + 1)
            }
            P = p1 * (1.0 - P)
            k -= 1
        }
        return 2 * P
    }

    /// The share of lattice paths from (0,0) to (m,n) that do not stay strictly inside |x/m - y/n| < h/lcm,
    /// computed directly as 1 - p by Viehmann's recursion (arXiv:2102.08037) over a sliding column window.
    static func probabilityOutsideBand(m m0: Int, n n0: Int, g: Int, h: Int) -> Double {
        let m = max(m0, n0), n = min(m0, n0)
        let mg = m / g, ng = n / g
        var minj = 0
        var maxj = min(Int((Double(h) / Double(mg)).rounded(.up)), n + 1)
        var curlen = maxj - minj
        let lenA = min(2 * maxj + 2, n + 1)
        var A = [Double](repeating: 1, count: max(lenA, 1))
        for j in minj..<maxj { A[j] = 0 }
        return A.withUnsafeMutableBufferPointer { A -> Double in
            for i in 1...m {
                let lastminj = minj, lastlen = curlen
                minj = max(Int((Double(ng * i - h) / Double(mg)).rounded(.down)) + 1, 0)
                minj = min(minj, n)
                maxj = min(Int((Double(ng * i + h) / Double(mg)).rounded(.up)), n + 1)
                if maxj <= minj { return 1.0 }
                var val = minj == 0 ? 0.0 : 1.0
                let id = Double(i)
                for jj in 0..<(maxj - minj) {
                    let j = jj + minj
                    val = (A[jj + minj - lastminj] * id + val * Double(j)) / (id + Double(j))
                    A[jj] = val
                }
                curlen = maxj - minj
                if lastlen > curlen {
                    for t in (maxj - minj)..<(maxj - minj + (lastlen - curlen)) where t < A.count { A[t] = 1 }
                }
            }
            return A[maxj - minj - 1]
        }
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
