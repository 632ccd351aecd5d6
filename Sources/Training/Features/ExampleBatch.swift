/// Encoded examples, struct-of-arrays: a row-major dense matrix (`count × width`, raw values, NaN = missing),
/// each row's hashed sparse slots (categorical one-hots and missing-value indicators, all of value 1), and targets.
///
/// The unit that models learn from and are scored on: a micro-batch, a held-out set, a retained window.
public struct ExampleBatch: Sendable, Hashable, Codable {
    /// Dense columns per row.
    public let width: Int
    public private(set) var count = 0
    /// `count × width` raw feature values; NaN marks a missing value.
    public var dense: [Double] = []
    /// Row `i`'s sparse slots are `sparse[sparseStart[i] ..< sparseStart[i + 1]]`.
    public private(set) var sparseStart: [Int] = [0]
    public private(set) var sparse: [UInt32] = []
    /// Targets: 0 or 1 for binary classification, the value for regression.
    public var targets: [Double] = []

    public init(width: Int, capacity: Int = 0) {
        self.width = width
        dense.reserveCapacity(capacity * width)
        targets.reserveCapacity(capacity)
        sparseStart.reserveCapacity(capacity + 1)
    }

    public var isEmpty: Bool { count == 0 }

    /// Appends a row. `dense` must have `width` values (shorter rows are padded with NaN).
    public mutating func append<D: Collection, S: Sequence>(dense row: D, sparse slots: S, target: Double) where D.Element == Double, S.Element == UInt32 {
        precondition(row.count <= width, "row wider than the batch")
        dense.append(contentsOf: row)
        if row.count < width { dense.append(contentsOf: repeatElement(.nan, count: width - row.count)) }
        sparse.append(contentsOf: slots)
        sparseStart.append(sparse.count)
        targets.append(target)
        count += 1
    }

    /// Appends row `i` of another batch of the same width.
    public mutating func append(_ other: ExampleBatch, row i: Int) {
        append(dense: other.dense[i * other.width ..< (i + 1) * other.width], sparse: other.sparse[other.sparseStart[i] ..< other.sparseStart[i + 1]],
               target: other.targets[i])
    }

    /// Row `i` as a stand-alone example.
    public func row(_ i: Int) -> TrainingRow {
        TrainingRow(dense: Array(dense[i * width ..< (i + 1) * width]), sparse: Array(sparse[sparseStart[i] ..< sparseStart[i + 1]]), target: targets[i])
    }

    public mutating func append(_ row: TrainingRow) { append(dense: row.dense, sparse: row.sparse, target: row.target) }

    public mutating func removeAll() {
        count = 0
        dense.removeAll(keepingCapacity: true)
        sparse.removeAll(keepingCapacity: true)
        sparseStart.removeAll(keepingCapacity: true)
        sparseStart.append(0)
        targets.removeAll(keepingCapacity: true)
    }

    /// A batch of the given rows.
    public init<C: Collection>(width: Int, rows: C) where C.Element == TrainingRow {
        self.init(width: width, capacity: rows.count)
        for r in rows { append(r) }
    }
}

/// One encoded example kept on its own (held-out sets, the retained window).
public struct TrainingRow: Sendable, Hashable, Codable {
    public var dense: [Double]
    public var sparse: [UInt32]
    public var target: Double

    public init(dense: [Double], sparse: [UInt32], target: Double) {
        self.dense = dense; self.sparse = sparse; self.target = target
    }

    enum CodingKeys: String, CodingKey { case dense, sparse, target }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dense = try c.decode(PackedDoubles.self, forKey: .dense).values
        sparse = try c.decode(PackedSlots.self, forKey: .sparse).values
        target = try c.decode(Double.self, forKey: .target)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(PackedDoubles(dense), forKey: .dense)
        try c.encode(PackedSlots(sparse), forKey: .sparse)
        try c.encode(target, forKey: .target)
    }
}
