import Statistics

/// A bounded sample of a window's values chosen by hash, not by arrival: a value is kept when the hash of its
/// event (e.g. of the request id) is below a threshold that halves whenever more than `capacity` values are
/// held. The kept set depends only on which events the window holds, never on their order, so windows fed by
/// several partitions in any interleaving — or by a replay — sample identically. Value type; not thread-safe.
public struct HashSample: Sendable, Hashable, Codable {
    public let capacity: Int
    public private(set) var threshold: UInt64 = .max
    /// The kept values with their events' hashes, in arrival order (one array: one append per value).
    private var entries: [Entry] = []
    /// The kept values sorted, once `prepareSorted()` ran and until the sample changes (a reference window is
    /// compared with many windows: it is sorted once). Derived: not encoded, not compared.
    private var sortedCache: [Double]?

    struct Entry: Sendable, Hashable {
        var hash: UInt64
        var value: Double
    }

    /// Encoded as two arrays, hashes and values.
    private enum CodingKeys: String, CodingKey { case capacity, threshold, hashes, kept }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        capacity = try c.decode(Int.self, forKey: .capacity)
        threshold = try c.decode(UInt64.self, forKey: .threshold)
        let hashes = try c.decode([UInt64].self, forKey: .hashes), kept = try c.decode([Double].self, forKey: .kept)
        guard hashes.count == kept.count, capacity >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .kept, in: c, debugDescription: "one hash per value and a positive capacity expected")
        }
        entries = zip(hashes, kept).map { Entry(hash: $0, value: $1) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(entries.map(\.hash), forKey: .hashes)
        try c.encode(entries.map(\.value), forKey: .kept)
    }

    public static func == (a: HashSample, b: HashSample) -> Bool {
        a.capacity == b.capacity && a.threshold == b.threshold && a.entries == b.entries
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(capacity)
        hasher.combine(threshold)
        hasher.combine(entries)
    }

    public init(capacity: Int = 10_000) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    @inline(__always)
    public mutating func add(_ value: Double, hash: UInt64) {
        guard hash <= threshold, threshold > 0 || entries.count < capacity else { return }
        entries.append(Entry(hash: hash, value: value))
        if sortedCache != nil { sortedCache = nil }
        if entries.count > capacity { shrink() }
    }

    private mutating func shrink() {
        sortedCache = nil
        // Halving stops at 0: values whose hashes are all 0 cannot be thinned by hash (a degenerate input); the
        // sample then keeps the first `capacity` of them.
        while entries.count > capacity && threshold > 0 {
            threshold /= 2
            let limit = threshold
            entries.removeAll { $0.hash > limit }
        }
        if entries.count > capacity { entries.removeLast(entries.count - capacity) }
    }

    /// Empties the sample (threshold back to the maximum) and keeps its storage for the values to come.
    public mutating func removeAll() {
        threshold = .max
        entries.removeAll(keepingCapacity: true)
        sortedCache = nil
    }

    /// Combines another sample of the same population slice (e.g. another partition's share of the window).
    public mutating func merge(_ other: HashSample) {
        sortedCache = nil
        threshold = min(threshold, other.threshold)
        let limit = threshold
        entries.removeAll { $0.hash > limit }
        entries.append(contentsOf: other.entries.lazy.filter { $0.hash <= limit })
        if entries.count > capacity { shrink() }
    }

    /// The kept values (in arrival order).
    public var values: [Double] { entries.map(\.value) }

    /// The kept values in ascending order (`SampleSort`): from the cache when `prepareSorted()` ran since the
    /// last change, else sorted now.
    public var sortedValues: [Double] {
        if let sortedCache { return sortedCache }
        return entries.withUnsafeBytes { entries in
            guard let base = entries.baseAddress else { return [] }
            return SampleSort.sorted(base + MemoryLayout<Entry>.offset(of: \Entry.value)!, count: count, stride: MemoryLayout<Entry>.stride)
        }
    }

    /// Sorts the kept values once for every later `sortedValues` (until the sample changes).
    public mutating func prepareSorted() {
        if sortedCache == nil { sortedCache = sortedValues }
    }
    public var count: Int { entries.count }
}
