public import Statistics

/// Everything a window knows about one feature (or the prediction, or the label): presence, nulls and types,
/// numeric moments, quantiles and a hash sample for exact tests, and category counts. Mergeable.
/// Value type; not thread-safe.
public struct FeatureStatistics: Sendable, Codable {
    /// Category counts stop growing here; further new categories count under `otherCategory`.
    public static let maxCategories = 1_000
    public static let otherCategory = "__other__"

    /// Events that carried the feature (any value, null included).
    public private(set) var present = 0
    public private(set) var nulls = 0
    public private(set) var numbers = 0
    public private(set) var strings = 0
    public private(set) var booleans = 0
    public private(set) var moments = RunningMoments()
    public private(set) var quantiles = KLLSketch()
    public private(set) var sample: HashSample
    /// Counts of string and boolean values ("true"/"false").
    public private(set) var categories: [String: Int] = [:]

    public init(sampleCapacity: Int = 10_000) { sample = HashSample(capacity: sampleCapacity) }

    public mutating func addNumber(_ x: Double, hash: UInt64) {
        present += 1
        guard x.isFinite else { nulls += 1; return }  // NaN/inf cannot come from JSON; treat as missing if they do
        numbers += 1
        moments.add(x)
        quantiles.add(x)
        sample.add(x, hash: hash)
    }

    public mutating func addCategory(_ s: String, isBoolean: Bool = false) {
        present += 1
        if isBoolean { booleans += 1 } else { strings += 1 }
        if let c = categories[s] { categories[s] = c + 1 }
        else if categories.count < Self.maxCategories { categories[s] = 1 }
        else { categories[Self.otherCategory, default: 0] += 1 }
    }

    public mutating func addNull() { present += 1; nulls += 1 }

    public mutating func merge(_ other: FeatureStatistics) {
        present += other.present; nulls += other.nulls
        numbers += other.numbers; strings += other.strings; booleans += other.booleans
        moments.merge(other.moments)
        quantiles.merge(other.quantiles)
        sample.merge(other.sample)
        for (k, v) in other.categories { categories[k, default: 0] += v }
    }

    /// Non-null values.
    public var valued: Int { numbers + strings + booleans }
    /// Whether most values are numbers (the feature is tested as numeric).
    public var isNumeric: Bool { numbers > 0 && numbers * 2 >= valued }
    /// The dominant value type, for schema checks.
    public var dominantType: String {
        if valued == 0 { return "null" }
        if numbers >= strings && numbers >= booleans { return "number" }
        return strings >= booleans ? "string" : "boolean"
    }
}
