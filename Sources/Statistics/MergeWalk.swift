/// The merge walk behind the KS gaps and the Wasserstein area of two sorted samples, one step at a time, so that
/// two walks can run interleaved. A step waits on the one before it (load, compare, advance an index): a single
/// walk is bound by that latency, and a second, independent walk fills the waits.
///
/// Each step has no data-dependent branch (the merge order of two random samples defeats the branch predictor).
/// The gap is tracked exactly as the integer i·n2 − j·n1 (no division per step); only a step that reaches the
/// extreme so far (rare, hence predictable) computes the gap in floating point, as scipy does, which decides among
/// equal gaps. A gap counts only after the last copy of a value (ties): it is checked at the start of the next
/// step, once that step has moved to a new value. Copies of a value add |gap| · 0 to the area.
///
/// The buffers must stay valid while the walk runs; both non-empty and sorted ascending, without NaN.
struct MergeWalk {
    private let a: UnsafeBufferPointer<Double>, b: UnsafeBufferPointer<Double>
    private let n1: Int, n2: Int
    private let d1: Double, d2: Double
    private var i = 0, j = 0
    private var last = Double.nan
    private var previous: Double
    private var maxNum = Int.min, minNum = Int.max
    private var maxDiff = -Double.infinity, minDiff = Double.infinity
    private var maxAt: Double, minAt: Double
    private var area = 0.0  // ∫|F₁ − F₂| · n1·n2

    init(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) {
        self.a = a; self.b = b
        n1 = a.count; n2 = b.count
        d1 = Double(n1); d2 = Double(n2)
        previous = Swift.min(a[0], b[0])
        maxAt = a[0]; minAt = a[0]
    }

    /// Whether both samples have values left (the part `step` walks).
    @inline(__always)
    var inBoth: Bool { i < n1 && j < n2 }

    @inline(__always)
    mutating func step() {
        let x = a[i], y = b[j]
        let v = Swift.min(x, y)
        let num = i &* n2 &- j &* n1
        area += Double(ContinuousTests.magnitude(num)) * (v - previous)
        if v != last && i | j != 0 && (num >= maxNum || num <= minNum) {
            let diff = Double(i) / d1 - Double(j) / d2
            if diff > maxDiff { maxDiff = diff; maxAt = last }
            if diff < minDiff { minDiff = diff; minAt = last }
            maxNum = Swift.max(maxNum, num)
            minNum = Swift.min(minNum, num)
        }
        i &+= ContinuousTests.one(x <= y)
        j &+= ContinuousTests.one(y <= x)
        last = v
        previous = v
    }

    /// Walks the rest once one sample is exhausted: the gaps and the area.
    mutating func finish() -> (gaps: KolmogorovSmirnov.Gaps, wasserstein: Double) {
        // The other sample's copies of the last value belong to the same step.
        while i < n1 && a[i] == last { i += 1 }
        while j < n2 && b[j] == last { j += 1 }
        let diff = Double(i) / d1 - Double(j) / d2
        if diff > maxDiff { maxDiff = diff; maxAt = last }
        if diff < minDiff { minDiff = diff; minAt = last }
        // The rest of the CDF differences move monotonically to 0: with one sample exhausted the gap only
        // shrinks, but 0 itself is one of the differences (at the largest value).
        if 0 > maxDiff { maxDiff = 0; maxAt = Swift.max(a[n1 - 1], b[n2 - 1]) }
        if 0 < minDiff { minDiff = 0; minAt = Swift.max(a[n1 - 1], b[n2 - 1]) }
        // The area under the rest.
        while i < n1 {
            area += Double(ContinuousTests.magnitude(i &* n2 &- j &* n1)) * (a[i] - previous)
            previous = a[i]
            i += 1
        }
        while j < n2 {
            area += Double(ContinuousTests.magnitude(i &* n2 &- j &* n1)) * (b[j] - previous)
            previous = b[j]
            j += 1
        }
        return (KolmogorovSmirnov.Gaps(maxDiff: maxDiff, maxAt: maxAt, minDiff: minDiff, minAt: minAt), area / (d1 * d2))
    }
}
