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
    /// Moments of every numeric value (finite ones).
    public var moments: RunningMoments {
        guard !pendingNumbers.isEmpty else { return foldedMoments }
        var m = foldedMoments
        pendingNumbers.withUnsafeBufferPointer { m.add(contentsOf: $0) }
        return m
    }
    /// Moments of the values up to the last full batch; the values since wait in `pendingNumbers` (at most
    /// `momentsBatch`) and are folded in as one batch, off the per-value dependency chain of `RunningMoments.add`.
    private var foldedMoments = RunningMoments()
    private var pendingNumbers = PendingValues()
    static let momentsBatch = PendingValues.capacity
    public private(set) var sample: HashSample
    private var categoryNames: [String] = []
    private var categoryCounts: [Int] = []
    /// Category numbers by their UTF-8 bytes, so that counting a value needs no `String` (derived from
    /// `categoryNames`: not encoded).
    private var categoryTable = ByteStringTable()

    private enum CodingKeys: String, CodingKey {
        case present, nulls, numbers, strings, booleans, moments, pendingNumbers, sample, categoryNames, categoryCounts
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(present, forKey: .present)
        try c.encode(nulls, forKey: .nulls)
        try c.encode(numbers, forKey: .numbers)
        try c.encode(strings, forKey: .strings)
        try c.encode(booleans, forKey: .booleans)
        try c.encode(foldedMoments, forKey: .moments)
        if !pendingNumbers.isEmpty { try c.encode(pendingNumbers.values, forKey: .pendingNumbers) }
        try c.encode(sample, forKey: .sample)
        try c.encode(categoryNames, forKey: .categoryNames)
        try c.encode(categoryCounts, forKey: .categoryCounts)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        present = try c.decode(Int.self, forKey: .present)
        nulls = try c.decode(Int.self, forKey: .nulls)
        numbers = try c.decode(Int.self, forKey: .numbers)
        strings = try c.decode(Int.self, forKey: .strings)
        booleans = try c.decode(Int.self, forKey: .booleans)
        foldedMoments = try c.decode(RunningMoments.self, forKey: .moments)
        let pending = try c.decodeIfPresent([Double].self, forKey: .pendingNumbers) ?? []
        guard pending.count < Self.momentsBatch else {
            throw DecodingError.dataCorruptedError(forKey: .pendingNumbers, in: c, debugDescription: "more values pending than one batch")
        }
        for x in pending { pendingNumbers.append(x) }
        sample = try c.decode(HashSample.self, forKey: .sample)
        categoryNames = try c.decode([String].self, forKey: .categoryNames)
        categoryCounts = try c.decode([Int].self, forKey: .categoryCounts)
        guard categoryCounts.count == categoryNames.count else {
            throw DecodingError.dataCorruptedError(forKey: .categoryCounts, in: c, debugDescription: "one count per category expected")
        }
        for var name in categoryNames { _ = name.withUTF8 { categoryTable.append(UnsafeRawBufferPointer($0)) } }
    }

    /// Counts of string and boolean values ("true"/"false").
    public var categories: [String: Int] {
        var out: [String: Int] = [:]
        out.reserveCapacity(categoryNames.count)
        for (i, name) in categoryNames.enumerated() { out[name, default: 0] += categoryCounts[i] }
        return out
    }

    public init(sampleCapacity: Int = 10_000) { sample = HashSample(capacity: sampleCapacity) }

    /// Empty statistics that keep their values in `sample` (emptied), reusing its storage.
    init(reusing sample: HashSample) {
        self.sample = sample
        self.sample.removeAll()
    }

    /// Moves the sample out (its storage for reuse), leaving an empty one.
    mutating func takeSample() -> HashSample {
        var taken = HashSample(capacity: sample.capacity)
        swap(&taken, &sample)
        return taken
    }

    /// Sorts the sample once for the comparisons to come (see `HashSample.prepareSorted()`).
    public mutating func prepareSortedSample() { sample.prepareSorted() }

    public mutating func addNumber(_ x: Double, hash: UInt64) {
        present += 1
        guard x.isFinite else { nulls += 1; return }  // NaN/inf cannot come from JSON; treat as missing if they do
        numbers += 1
        pendingNumbers.append(x)
        if pendingNumbers.isFull {
            pendingNumbers.withUnsafeBufferPointer { foldedMoments.add(contentsOf: $0) }
            pendingNumbers.removeAll()
        }
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

    @inline(__always)
    private mutating func categorySlot(_ bytes: UnsafeRawBufferPointer) -> Int {
        if let k = categoryTable.find(bytes) { return k }
        if categoryNames.count >= Self.maxCategories, !bytes.elementsEqual(Self.otherBytes) {
            return Self.otherBytes.withUnsafeBytes { categorySlot($0) }
        }
        categoryNames.append(String(decoding: bytes, as: UTF8.self))
        categoryCounts.append(0)
        return categoryTable.append(bytes)
    }

    private static let otherBytes: [UInt8] = Array(otherCategory.utf8)

    public mutating func addNull() { present += 1; nulls += 1 }

    public mutating func merge(_ other: FeatureStatistics) {
        present += other.present; nulls += other.nulls
        numbers += other.numbers; strings += other.strings; booleans += other.booleans
        foldedMoments = moments
        pendingNumbers.removeAll()
        foldedMoments.merge(other.moments)
        sample.merge(other.sample)
        for (i, name) in other.categoryNames.enumerated() {
            let n = other.categoryCounts[i]
            var name = name
            name.withUTF8 { categoryCounts[categorySlot(UnsafeRawBufferPointer($0))] += n }
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

/// The values waiting to be folded into a column's moments, at most one batch, stored inline: appending one
/// touches no heap array (no uniqueness check, no capacity check). Value type.
struct PendingValues: Sendable {
    static let capacity = 64
    private var storage = InlineArray<64, Double>(repeating: 0)
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count == Self.capacity }
    /// The pending values in arrival order.
    var values: [Double] { withUnsafeBufferPointer { Array($0) } }

    /// Appends `x`; the caller folds and empties a full batch first.
    @inline(__always)
    mutating func append(_ x: Double) {
        storage[count] = x
        count += 1
    }

    mutating func removeAll() { count = 0 }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Double>) -> R) -> R {
        let count = count
        return storage.span.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[..<count])) }
    }
}
