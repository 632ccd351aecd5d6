public import Statistics

/// Everything a window knows about one feature (or the prediction, or the label): presence, nulls and types,
/// numeric moments, a hash sample for exact tests and quantiles, and category counts. Mergeable.
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
    public private(set) var sample: HashSample
    /// Categories by the hash of their UTF-8 bytes (collisions resolved by comparing the bytes), so that
    /// counting a value needs no `String`.
    private var categoryIndex: [UInt64: Int] = [:]
    private var categoryNames: [String] = []
    private var categoryBytes: [[UInt8]] = []
    private var categoryCounts: [Int] = []

    /// Counts of string and boolean values ("true"/"false").
    public var categories: [String: Int] {
        var out: [String: Int] = [:]
        out.reserveCapacity(categoryNames.count)
        for (i, name) in categoryNames.enumerated() { out[name, default: 0] += categoryCounts[i] }
        return out
    }

    public init(sampleCapacity: Int = 10_000) { sample = HashSample(capacity: sampleCapacity) }

    /// Sorts the sample once for the comparisons to come (see `HashSample.prepareSorted()`).
    public mutating func prepareSortedSample() { sample.prepareSorted() }

    public mutating func addNumber(_ x: Double, hash: UInt64) {
        present += 1
        guard x.isFinite else { nulls += 1; return }  // NaN/inf cannot come from JSON; treat as missing if they do
        numbers += 1
        moments.add(x)
        sample.add(x, hash: hash)
    }

    public mutating func addCategory(_ s: String, isBoolean: Bool = false) {
        var copy = s
        copy.withUTF8 { addCategory(bytes: UnsafeRawBufferPointer($0), isBoolean: isBoolean) }
    }

    /// Counts a categorical value given as UTF-8 bytes.
    public mutating func addCategory(bytes: UnsafeRawBufferPointer, isBoolean: Bool = false, weight: Int = 1) {
        present += weight
        if isBoolean { booleans += weight } else { strings += weight }
        categoryCounts[categorySlot(bytes)] += weight
    }

    private mutating func categorySlot(_ bytes: UnsafeRawBufferPointer) -> Int {
        let h = Self.hash(bytes)
        if let i = categoryIndex[h], categoryBytes[i].elementsEqual(bytes) { return i }
        for (i, b) in categoryBytes.enumerated() where b.elementsEqual(bytes) { return i }  // a hash collision
        if categoryNames.count >= Self.maxCategories, !bytes.elementsEqual(Self.otherBytes) {
            return Self.otherBytes.withUnsafeBytes { categorySlot($0) }
        }
        categoryNames.append(String(decoding: bytes, as: UTF8.self))
        categoryBytes.append(Array(bytes))
        categoryCounts.append(0)
        if categoryIndex[h] == nil { categoryIndex[h] = categoryNames.count - 1 }
        return categoryNames.count - 1
    }

    private static let otherBytes: [UInt8] = Array(otherCategory.utf8)

    /// FNV-1a, 64 bits.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    public mutating func addNull() { present += 1; nulls += 1 }

    public mutating func merge(_ other: FeatureStatistics) {
        present += other.present; nulls += other.nulls
        numbers += other.numbers; strings += other.strings; booleans += other.booleans
        moments.merge(other.moments)
        sample.merge(other.sample)
        for (i, bytes) in other.categoryBytes.enumerated() {
            let n = other.categoryCounts[i]
            bytes.withUnsafeBytes { categoryCounts[categorySlot($0)] += n }
        }
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) of the numeric values, from the hash sample: exact while the window has held
    /// no more numbers than the sample's capacity (every value is in the sample), a uniform sample's estimate
    /// beyond. Type-7 interpolation (numpy's default). Nil without numeric values.
    ///
    /// Windows used to feed a KLL sketch as well; nothing read it, and it cost about an eighth of the monitor's time
    /// per event. The sample answers the same question, exactly for windows that fit it.
    public func quantile(_ q: Double) -> Double? {
        let sorted = sample.sortedValues
        guard !sorted.isEmpty, q >= 0, q <= 1 else { return nil }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
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
