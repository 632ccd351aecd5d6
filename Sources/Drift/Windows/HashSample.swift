import Statistics

/// A bounded sample of a window's values chosen by hash, not by arrival: a value is kept when the hash of its
/// event (e.g. of the request id) is below a threshold that halves whenever more than `capacity` values are
/// held. The kept set depends only on which events the window holds, never on their order, so windows fed by
/// several partitions in any interleaving — or by a replay — sample identically. Value type; not thread-safe.
public struct HashSample: Sendable, Hashable, Codable {
    public let capacity: Int
    public private(set) var threshold: UInt64 = .max
    private var hashes: [UInt64] = []
    private var kept: [Double] = []
    /// `kept` sorted, once `prepareSorted()` ran and until the sample changes (a reference window is compared
    /// with many windows: it is sorted once). Derived: not encoded, not compared.
    private var sortedCache: [Double]?

    private enum CodingKeys: String, CodingKey { case capacity, threshold, hashes, kept }

    public static func == (a: HashSample, b: HashSample) -> Bool {
        a.capacity == b.capacity && a.threshold == b.threshold && a.hashes == b.hashes && a.kept == b.kept
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(capacity)
        hasher.combine(threshold)
        hasher.combine(hashes)
        hasher.combine(kept)
    }

    public init(capacity: Int = 10_000) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    @inline(__always)
    public mutating func add(_ value: Double, hash: UInt64) {
        guard hash <= threshold, threshold > 0 || kept.count < capacity else { return }
        hashes.append(hash)
        kept.append(value)
        if sortedCache != nil { sortedCache = nil }
        if kept.count > capacity { shrink() }
    }

    private mutating func shrink() {
        sortedCache = nil
        // Halving stops at 0: values whose hashes are all 0 cannot be thinned by hash (a degenerate input); the
        // sample then keeps the first `capacity` of them.
        while kept.count > capacity && threshold > 0 {
            threshold /= 2
            var h: [UInt64] = [], v: [Double] = []
            h.reserveCapacity(kept.count / 2 + 1)
            v.reserveCapacity(kept.count / 2 + 1)
            for i in kept.indices where hashes[i] <= threshold { h.append(hashes[i]); v.append(kept[i]) }
            hashes = h
            kept = v
        }
        if kept.count > capacity { hashes.removeLast(kept.count - capacity); kept.removeLast(kept.count - capacity) }
    }

    /// Combines another sample of the same population slice (e.g. another partition's share of the window).
    public mutating func merge(_ other: HashSample) {
        sortedCache = nil
        threshold = min(threshold, other.threshold)
        var h: [UInt64] = [], v: [Double] = []
        for i in kept.indices where hashes[i] <= threshold { h.append(hashes[i]); v.append(kept[i]) }
        for i in other.kept.indices where other.hashes[i] <= threshold { h.append(other.hashes[i]); v.append(other.kept[i]) }
        hashes = h
        kept = v
        if kept.count > capacity { shrink() }
    }

    /// The kept values (in arrival order).
    public var values: [Double] { kept }

    /// The kept values in ascending order (`SampleSort`): from the cache when `prepareSorted()` ran since the
    /// last change, else sorted now.
    public var sortedValues: [Double] { sortedCache ?? SampleSort.sorted(kept) }

    /// Sorts the kept values once for every later `sortedValues` (until the sample changes).
    public mutating func prepareSorted() {
        if sortedCache == nil { sortedCache = SampleSort.sorted(kept) }
    }
    public var count: Int { kept.count }
}
