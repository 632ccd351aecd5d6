/// Diversity of what was shown (`item_id`) in one window, for degenerate feedback loops: Shannon entropy
/// (bits), distinct items, and the Gini coefficient of item frequencies (0 = all equally shown, → 1 = a few
/// items take everything). Counts are capped at `capacity` distinct items (the rest share one bucket).
/// Value type; not thread-safe.
public struct ItemDiversity: Sendable, Hashable, Codable {
    public static let capacity = 100_000
    public private(set) var counts: [String: Int] = [:]
    public private(set) var total = 0

    public init() {}

    public mutating func add(_ item: String) {
        total += 1
        if let c = counts[item] { counts[item] = c + 1 }
        else if counts.count < Self.capacity { counts[item] = 1 }
        else { counts["__other__", default: 0] += 1 }
    }

    public mutating func merge(_ other: ItemDiversity) {
        total += other.total
        for (k, v) in other.counts { counts[k, default: 0] += v }
    }

    public var distinct: Int { counts.count }

    public var entropy: Double {
        guard total > 0 else { return 0 }
        var h = 0.0
        for c in counts.values.sorted() { let p = Double(c) / Double(total); h -= p * _log(p) }  // sorted: order-independent
        return h / _log(2)
    }

    public var gini: Double {
        let sorted = counts.values.sorted()
        let n = Double(sorted.count)
        guard n > 1, total > 0 else { return 0 }
        var weighted = 0.0
        for (i, c) in sorted.enumerated() { weighted += Double(i + 1) * Double(c) }
        return (2 * weighted) / (n * Double(total)) - (n + 1) / n
    }
}
