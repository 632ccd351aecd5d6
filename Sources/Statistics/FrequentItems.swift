/// Frequent items by the Misra–Gries summary with `capacity` counters: every item whose true frequency
/// exceeds n / (capacity + 1) is kept, and each kept count underestimates the truth by at most `maximumError`.
/// Mergeable (Agarwal et al. 2012). Value type; not thread-safe.
public struct FrequentItems: Sendable, Hashable, Codable {
    public let capacity: Int
    /// Items added (or merged).
    public private(set) var count: Int = 0
    private var counters: [String: Int] = [:]
    /// Total weight removed by decrements: the bound on any count's underestimate.
    public private(set) var maximumError: Int = 0

    public init(capacity: Int = 64) {
        precondition(capacity >= 1, "capacity must be at least 1")
        self.capacity = capacity
    }

    public mutating func add(_ item: String, weight: Int = 1) {
        count += weight
        if let c = counters[item] { counters[item] = c + weight; return }
        if counters.count < capacity { counters[item] = weight; return }
        // Full: decrement everything (the new item included) by the smallest count involved.
        let smallest = min(weight, counters.values.min() ?? weight)
        maximumError += smallest
        var next: [String: Int] = [:]
        for (k, v) in counters where v > smallest { next[k] = v - smallest }
        if weight > smallest { next[item] = weight - smallest }
        counters = next
    }

    public mutating func merge(_ other: FrequentItems) {
        count += other.count
        maximumError += other.maximumError
        for (k, v) in other.counters { counters[k, default: 0] += v }
        if counters.count > capacity {
            let cut = counters.values.sorted(by: >)[capacity]
            maximumError += cut
            counters = counters.filter { $0.value > cut }.mapValues { $0 - cut }
        }
    }

    /// A lower bound on the item's frequency (the true count is at most this plus `maximumError`).
    public func estimate(_ item: String) -> Int { counters[item] ?? 0 }

    /// Kept items by decreasing estimated count (ties by name, for determinism).
    public var top: [(item: String, count: Int)] {
        counters.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
