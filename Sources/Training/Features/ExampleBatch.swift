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

/// A list of rows of one width, encoded column-packed: the dense values of each row up to the last column that
/// differs from the fill of the unused columns (the encoder's spare columns are all alike), the slots, the targets.
/// Exact (bit patterns kept) and several times smaller than row-by-row encoding for retained windows.
struct RowList: Codable {
    var rows: [TrainingRow]
    init(_ rows: [TrainingRow]) { self.rows = rows }

    enum CodingKeys: String, CodingKey { case width, stored, fill, dense, counts, sparse, targets }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let width = try c.decode(Int.self, forKey: .width)
        let stored = try c.decode(Int.self, forKey: .stored)
        let fill = Double(bitPattern: try c.decode(UInt64.self, forKey: .fill))
        let dense = try c.decode(PackedDoubles.self, forKey: .dense).values
        let counts = try c.decode(PackedSlots.self, forKey: .counts).values
        let sparse = try c.decode(PackedSlots.self, forKey: .sparse).values
        let targets = try c.decode(PackedDoubles.self, forKey: .targets).values
        guard stored <= width, counts.count == targets.count, dense.count == stored * targets.count,
              counts.reduce(0, { $0 + Int($1) }) == sparse.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "row list: sizes do not agree"))
        }
        var rows: [TrainingRow] = []
        rows.reserveCapacity(targets.count)
        var s = 0
        for i in targets.indices {
            var d = Array(dense[i * stored ..< (i + 1) * stored])
            d.append(contentsOf: repeatElement(fill, count: width - stored))
            rows.append(TrainingRow(dense: d, sparse: Array(sparse[s ..< s + Int(counts[i])]), target: targets[i]))
            s += Int(counts[i])
        }
        self.rows = rows
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let width = rows.first?.dense.count ?? 0
        let fill = rows.first?.dense.last?.bitPattern ?? 0
        var stored = 0
        for r in rows {
            precondition(r.dense.count == width, "rows of one list share a width")
            if let last = r.dense.lastIndex(where: { $0.bitPattern != fill }) { stored = max(stored, last + 1) }
        }
        try c.encode(width, forKey: .width)
        try c.encode(stored, forKey: .stored)
        try c.encode(fill, forKey: .fill)
        try c.encode(PackedDoubles(rows.flatMap { $0.dense[..<stored] }), forKey: .dense)
        try c.encode(PackedSlots(rows.map { UInt32($0.sparse.count) }), forKey: .counts)
        try c.encode(PackedSlots(rows.flatMap(\.sparse)), forKey: .sparse)
        try c.encode(PackedDoubles(rows.map(\.target)), forKey: .targets)
    }
}
