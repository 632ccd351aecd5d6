public import Events

/// Turns a prediction's features into a model row, incrementally:
/// - numbers and booleans (as 0/1) get a dense column, assigned in order of first appearance (or fixed by
///   `numeric`), up to `maxDense` columns; later numeric features beyond that are counted in `overflow`;
/// - strings become a hashed one-hot slot (`FeatureHashing.slot`) in a table of `1 << hashBits` weights;
/// - a dense feature that is null or absent is NaN in its column and sets its missing-value indicator slot
///   (`FeatureHashing.missingSlot`).
///
/// The column map is state: it is checkpointed with the model and published with its parameters, so a
/// serving process builds the same row. Deterministic for a given input order. Not thread-safe (a value type).
public struct FeatureEncoder: Sendable, Hashable, Codable {
    public struct Configuration: Sendable, Hashable, Codable {
        /// Bits of the hashed slot table (`1 << hashBits` sparse weights).
        public var hashBits: Int = 18
        /// Dense columns available.
        public var maxDense: Int = 32
        /// Numeric features given fixed columns, in this order, before any discovered ones.
        public var numeric: [String] = []
        /// Features never used.
        public var ignore: [String] = []
        /// Add missing-value indicator slots for absent or null dense features.
        public var missingIndicators: Bool = true
        public init() {}
    }

    public let configuration: Configuration
    /// Dense column names in column order.
    public private(set) var columns: [String] = []
    /// Numeric features dropped because every dense column was taken.
    public private(set) var overflow: Int64 = 0
    private var columnByHash: [UInt64: Int] = [:]
    private var ignored: Set<UInt64> = []
    private var missingSlots: [UInt32] = []

    public init(configuration: Configuration = Configuration()) {
        precondition((1...30).contains(configuration.hashBits), "hash_bits must be 1...30")
        self.configuration = configuration
        for name in configuration.ignore { ignored.insert(Self.nameHash(name)) }
        for name in configuration.numeric { _ = addColumn(name) }
    }

    public var width: Int { configuration.maxDense }

    static func nameHash(_ name: String) -> UInt64 {
        var n = name
        return n.withUTF8 { FeatureHashing.fnv1a(UnsafeRawBufferPointer($0)) }
    }

    private mutating func addColumn(_ name: String) -> Int? {
        let h = Self.nameHash(name)
        if let c = columnByHash[h] { return c }
        guard columns.count < configuration.maxDense else { return nil }
        columnByHash[h] = columns.count
        columns.append(name)
        missingSlots.append(FeatureHashing.missingSlot(name: name, bits: configuration.hashBits))
        return columns.count - 1
    }

    /// Encodes `features` as one row of `batch` (whose width must be `width`), learning new columns.
    public mutating func append(_ features: FeatureVector, target: Double, to batch: inout ExampleBatch) {
        var row = [Double](repeating: .nan, count: width)
        var slots: [UInt32] = []
        slots.reserveCapacity(8)
        let bits = configuration.hashBits
        features.forEachRaw { name, value in
            let h = FeatureHashing.fnv1a(name)
            if !ignored.isEmpty, ignored.contains(h) { return }
            switch value {
            case .number(let x):
                if let c = column(h, name) { row[c] = x } else { overflow += 1 }
            case .bool(let b):
                if let c = column(h, name) { row[c] = b ? 1 : 0 } else { overflow += 1 }
            case .string(let s):
                slots.append(FeatureHashing.slot(name: name, value: s, bits: bits))
            case .null:
                break
            }
        }
        if configuration.missingIndicators {
            for c in 0 ..< columns.count where row[c].isNaN { slots.append(missingSlots[c]) }
        }
        batch.append(dense: row, sparse: slots, target: target)
    }

    private mutating func column(_ h: UInt64, _ name: UnsafeRawBufferPointer) -> Int? {
        if let c = columnByHash[h] { return c }
        return addColumn(String(decoding: name, as: UTF8.self))
    }

    enum CodingKeys: String, CodingKey { case configuration, columns, overflow }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(configuration: try c.decode(Configuration.self, forKey: .configuration))
        for name in try c.decode([String].self, forKey: .columns) { _ = addColumn(name) }
        overflow = try c.decode(Int64.self, forKey: .overflow)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(columns, forKey: .columns)
        try c.encode(overflow, forKey: .overflow)
    }

    public static func == (a: FeatureEncoder, b: FeatureEncoder) -> Bool {
        a.configuration == b.configuration && a.columns == b.columns && a.overflow == b.overflow
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(columns) }
}
