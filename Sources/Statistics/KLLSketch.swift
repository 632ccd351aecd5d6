/// KLL quantile sketch (Karnin, Lang & Liberty 2016): approximate ranks and quantiles of a stream in
/// O(k log(n/k)) space, mergeable across partitions and time buckets.
///
/// Level h holds items of weight 2ʰ; a full level is sorted and every other item (a seeded coin picks odd or
/// even) is promoted. With k = 200 the normalized rank error is at most `rankErrorBound` ≈ 1.33 % with 99 %
/// confidence (DataSketches' fit: 2.296 / k^0.9723). The sketch is deterministic for a given seed and input
/// order. Value type; not thread-safe.
public struct KLLSketch: Sendable, Hashable, Codable {
    /// Accuracy parameter: larger is more accurate and larger.
    public let k: Int
    /// Values added (or merged).
    public private(set) var count: Int = 0
    public private(set) var minimum: Double = .infinity
    public private(set) var maximum: Double = -.infinity
    private var levels: [[Double]] = [[]]
    private var rng: SplitMix64
    /// Items held, and the capacity at which to compact (Σ level capacities), kept current on every change.
    private var held = 0
    private var totalCapacity = 0

    public init(k: Int = 200, seed: UInt64 = 0x4B11) {
        precondition(k >= 8, "KLL needs k ≥ 8")
        self.k = k
        rng = SplitMix64(seed: seed)
        totalCapacity = capacity(0)
    }

    /// The normalized rank error bound at 99 % confidence for this k.
    public var rankErrorBound: Double { 2.296 / _pow(Double(k), 0.9723) }

    /// Items retained (the sketch's size).
    public var retained: Int { held }

    @inline(__always)
    public mutating func add(_ x: Double) {
        guard !x.isNaN else { return }
        levels[0].append(x)
        count += 1
        held += 1
        if x < minimum { minimum = x }
        if x > maximum { maximum = x }
        if held >= totalCapacity { compress() }
    }

    /// Adds another sketch's items (its seed is ignored; this sketch's coins continue).
    public mutating func merge(_ other: KLLSketch) {
        guard other.count > 0 else { return }
        while levels.count < other.levels.count { levels.append([]) }
        for h in other.levels.indices { levels[h].append(contentsOf: other.levels[h]) }
        held += other.held
        updateTotalCapacity()
        count += other.count
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
        compress()
    }

    /// The estimated share of values ≤ x, in [0, 1].
    public func rank(_ x: Double) -> Double {
        guard count > 0 else { return 0 }
        var weight = 0
        for h in levels.indices {
            var c = 0
            for v in levels[h] where v <= x { c += 1 }
            weight += c << h
        }
        return Double(weight) / Double(count)
    }

    /// The estimated q-quantile (q in [0, 1]): the smallest retained value whose estimated rank reaches q.
    public func quantile(_ q: Double) -> Double {
        quantiles([q])[0]
    }

    /// Several quantiles from one sorted pass.
    public func quantiles(_ qs: [Double]) -> [Double] {
        guard count > 0 else { return qs.map { _ in .nan } }
        var weighted: [(Double, Int)] = []
        weighted.reserveCapacity(retained)
        for h in levels.indices { for v in levels[h] { weighted.append((v, 1 << h)) } }
        weighted.sort { $0.0 < $1.0 }
        return qs.map { q in
            if q <= 0 { return minimum }
            if q >= 1 { return maximum }
            let target = q * Double(count)
            var cumulative = 0
            for (v, w) in weighted {
                cumulative += w
                if Double(cumulative) >= target { return v }
            }
            return maximum
        }
    }

    private func capacity(_ h: Int) -> Int {
        let depth = levels.count - 1 - h
        return max(8, Int((Double(k) * _pow(2.0 / 3.0, Double(depth))).rounded(.up)))
    }

    /// The sketch compacts only when it holds Σ level capacities (the lazy schedule of Karnin et al., which
    /// keeps more items and so more accuracy than compacting every full level).
    private mutating func updateTotalCapacity() { totalCapacity = levels.indices.reduce(0) { $0 + capacity($1) } }

    /// Compacts the lowest full level, repeatedly, until the sketch fits its total capacity.
    private mutating func compress() {
        while held >= totalCapacity {
            guard let h = levels.indices.first(where: { levels[$0].count >= capacity($0) }) else { return }
            do {
                if h + 1 == levels.count { levels.append([]); updateTotalCapacity() }
                levels[h].sort()
                let n = levels[h].count, pairs = n / 2
                let offset = Int(rng.next() & 1)
                // Promote every other item straight into the level above, then keep the odd one out (if any) in
                // this level's buffer: no temporary arrays, the buffers keep their capacity.
                for i in 0..<pairs {
                    let x = levels[h][2 * i + offset]
                    levels[h + 1].append(x)
                }
                let leftover = n % 2 == 1 ? levels[h][n - 1] : nil
                levels[h].removeAll(keepingCapacity: true)
                if let leftover { levels[h].append(leftover) }
                held -= pairs
            }
        }
    }
}
