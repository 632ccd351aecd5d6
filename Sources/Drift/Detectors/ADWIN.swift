/// ADWIN, adaptive windowing (Bifet & Gavaldà 2007), with River 0.26's semantics and arithmetic: an
/// exponential histogram of at most `maxBuckets` + 1 buckets per size, a check every `clock` updates over all
/// cut points once more than `gracePeriod` values are in, cuts with sub-windows of at least `minWindowLength`,
/// and the oldest bucket dropped while a cut is significant at `delta`. Detects at the same indices as River on
/// the same stream (the fixtures prove it). Value type; not thread-safe.
public struct ADWIN: DriftDetector {
    public let delta: Double
    public let clock: Int
    public let maxBuckets: Int
    public let minWindowLength: Int
    public let gracePeriod: Int

    public private(set) var driftDetected = false
    /// Detections since creation (a reset after a detection keeps the count).
    public private(set) var detections = 0

    // The window.
    private var total = 0.0
    private var variance = 0.0
    private var width = 0.0
    private var tick = 0
    /// Level l holds buckets of 2ˡ values: `totals[l * stride + i]`, `variances[...]`, oldest first;
    /// `counts[l]` buckets in use.
    private var totals: [Double] = []
    private var variances: [Double] = []
    private var counts: [Int] = []
    /// Cut-point workspace for `detectChange` (not state: left out of snapshots).
    private var scratch: [Double] = []

    private enum CodingKeys: String, CodingKey {
        case delta, clock, maxBuckets, minWindowLength, gracePeriod, driftDetected, detections
        case total, variance, width, tick, totals, variances, counts
    }

    public init(delta: Double = 0.002, clock: Int = 32, maxBuckets: Int = 5, minWindowLength: Int = 5, gracePeriod: Int = 10) throws {
        guard delta > 0 && delta < 1 else { throw DetectorConfigurationError("delta", "must be in (0, 1), got \(delta)") }
        guard clock >= 1 else { throw DetectorConfigurationError("clock", "must be at least 1, got \(clock)") }
        guard maxBuckets >= 2 else { throw DetectorConfigurationError("max_buckets", "must be at least 2, got \(maxBuckets)") }
        guard minWindowLength >= 1 else { throw DetectorConfigurationError("min_window_length", "must be at least 1") }
        guard gracePeriod >= 0 else { throw DetectorConfigurationError("grace_period", "must be at least 0") }
        self.delta = delta
        self.clock = clock
        self.maxBuckets = maxBuckets
        self.minWindowLength = minWindowLength
        self.gracePeriod = gracePeriod
        reset()
    }

    /// Values in the window.
    public var windowWidth: Int { Int(width) }
    /// The window's mean (0 when empty).
    public var estimation: Double { width > 0 ? total / width : 0 }
    /// The sample variance of the window's values (sum of squared deviations / width).
    public var windowVariance: Double { width > 0 ? variance / width : 0 }

    private var stride: Int { maxBuckets + 1 }

    private mutating func reset() {
        total = 0; variance = 0; width = 0; tick = 0
        totals = [Double](repeating: 0, count: stride)
        variances = [Double](repeating: 0, count: stride)
        counts = [0]
    }

    public mutating func update(_ x: Double) {
        if driftDetected { reset() }
        insert(x)
        driftDetected = detectChange()
        if driftDetected { detections += 1 }
    }

    @inline(__always)
    private mutating func insert(_ value: Double) {
        let c = counts.withUnsafeMutableBufferPointer { counts -> Int in
            let c = counts[0]
            counts[0] = c + 1
            return c
        }
        totals.withUnsafeMutableBufferPointer { $0[c] = value }
        variances.withUnsafeMutableBufferPointer { $0[c] = 0 }
        width += 1
        var increment = 0.0
        if width > 1 {
            let d = value - total / (width - 1)
            increment = (width - 1) * d * d / width
        }
        variance += increment
        total += value
        if c + 1 == maxBuckets + 1 { compress() }
    }

    private mutating func compress() {
        let s = stride
        var level = 0
        while counts[level] == maxBuckets + 1 {
            let n1 = Double(1 << level)
            let base = level * s
            let t0 = totals[base], t1 = totals[base + 1]
            let v0 = variances[base], v1 = variances[base + 1]
            let mu1 = t0 / n1, mu2 = t1 / n1
            let merged = t0 + t1
            let v12 = v0 + v1 + n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2)
            if level + 1 == counts.count {
                counts.append(0)
                totals.append(contentsOf: repeatElement(0, count: s))
                variances.append(contentsOf: repeatElement(0, count: s))
            }
            let next = (level + 1) * s
            totals[next + counts[level + 1]] = merged
            variances[next + counts[level + 1]] = v12
            counts[level + 1] += 1
            removeOldest(level, 2)
            if counts[level + 1] <= maxBuckets { break }
            level += 1
        }
    }

    @inline(__always)
    private mutating func removeOldest(_ level: Int, _ n: Int) {
        let base = level * stride
        let c = counts[level]
        for i in 0..<(c - n) {
            totals[base + i] = totals[base + i + n]
            variances[base + i] = variances[base + i + n]
        }
        for i in (c - n)..<c { totals[base + i] = 0; variances[base + i] = 0 }
        counts[level] = c - n
    }

    private mutating func deleteOldestBucket() {
        let last = counts.count - 1
        let n = Double(1 << last)
        let u = totals[last * stride], v = variances[last * stride]
        let mu = u / n
        width -= n
        total -= u
        let muWindow = total / width
        variance -= v + n * width * (mu - muWindow) * (mu - muWindow) / (n + width)
        removeOldest(last, 1)
        if counts[last] == 0 {
            counts.removeLast()
            totals.removeLast(stride)
            variances.removeLast(stride)
        }
    }

    private mutating func detectChange() -> Bool {
        var changed = false
        tick += 1
        guard tick % clock == 0 && width > Double(gracePeriod) else { return false }
        let minLength = Double(minWindowLength)
        let capacity = counts.count * stride
        if scratch.count < 4 * capacity { scratch = [Double](repeating: 0, count: 8 * capacity) }
        var workspace = scratch
        scratch = []  // held uniquely while in use
        defer { scratch = workspace }
        return workspace.withUnsafeMutableBufferPointer { scratch -> Bool in
            let n0s = scratch.baseAddress!, n1s = n0s + capacity, u0s = n1s + capacity, u1s = u0s + capacity
            var reduce = true
            while reduce {
                reduce = false
                // The cut points, oldest bucket first, with River's running sums (same additions, same order).
                var n0 = 0.0, n1 = width, u0 = 0.0, u1 = total
                var cuts = 0
                outer: for level in Swift.stride(from: counts.count - 1, through: 0, by: -1) {
                    let size = Double(1 << level)
                    let c = counts[level]
                    let base = level * stride
                    for k in 0..<c {
                        n0 += size
                        n1 -= size
                        let t = totals[base + k]
                        u0 += t
                        u1 -= t
                        if level == 0 && k == c - 1 { break outer }
                        n0s[cuts] = n0; n1s[cuts] = n1; u0s[cuts] = u0; u1s[cuts] = u1
                        cuts += 1
                    }
                }
                // River's test at every cut, without early exit (so the loop vectorizes); the first cut that
                // passes is the one River's loop would stop at.
                let deltaPrime = _log(2.0 * _log(width) / delta)
                let varianceOverWidth = variance / width
                var first = cuts
                for i in Swift.stride(from: cuts - 1, through: 0, by: -1) {
                    let a = n0s[i], b = n1s[i]
                    let deltaMean = (u0s[i] / a) - (u1s[i] / b)
                    let mRecip = 1.0 / (a - minLength + 1.0) + 1.0 / (b - minLength + 1.0)
                    let epsilon = (2.0 * mRecip * varianceOverWidth * deltaPrime).squareRoot() + 2.0 / 3.0 * deltaPrime * mRecip
                    let cut = b >= minLength && a >= minLength && abs(deltaMean) > epsilon
                    first = cut ? i : first
                }
                if first < cuts {
                    reduce = true
                    changed = true
                    if width > 0 { deleteOldestBucket() }
                }
            }
            return changed
        }
    }
}



extension ADWIN: Hashable {
    /// Equal state (the cut-point workspace is not state).
    public static func == (a: ADWIN, b: ADWIN) -> Bool {
        a.delta == b.delta && a.clock == b.clock && a.maxBuckets == b.maxBuckets && a.minWindowLength == b.minWindowLength
            && a.gracePeriod == b.gracePeriod && a.driftDetected == b.driftDetected && a.detections == b.detections
            && a.total.bitPattern == b.total.bitPattern && a.variance.bitPattern == b.variance.bitPattern && a.width == b.width
            && a.tick == b.tick && a.totals == b.totals && a.variances == b.variances && a.counts == b.counts
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(width); hasher.combine(total); hasher.combine(detections)
    }
}
