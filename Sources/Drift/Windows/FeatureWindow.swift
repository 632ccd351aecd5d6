public import Events
import Foundation

/// A window of events summarized per feature, plus the prediction as pseudo-feature `prediction`: what the
/// drift comparison tests against a reference window. Mergeable (partitions, time buckets). Value type; not
/// thread-safe.
public struct FeatureWindow: Sendable, Codable {
    /// Events in the window.
    public private(set) var count = 0
    /// Event-time range covered, epoch milliseconds (min and max seen).
    public private(set) var firstEventTime = Int64.max
    public private(set) var lastEventTime = Int64.min
    /// One column per feature name.
    private var columns: [FeatureStatistics] = []
    private var names: [String] = []
    /// Column numbers by the names' bytes, so that adding an event builds no `String` (derived from `names`: not
    /// encoded).
    private var nameTable = ByteStringTable()
    public private(set) var predictions: FeatureStatistics
    /// The column of each feature position in the previous event (a lookup cache, not state: not encoded).
    private var positionGuess: [Int] = []
    /// Samples of an earlier window, emptied, whose storage new columns take (not state: not encoded).
    private var spareSamples: [HashSample] = []

    private enum CodingKeys: String, CodingKey {
        case count, firstEventTime, lastEventTime, columns, names, predictions, sampleCapacity
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        firstEventTime = try c.decode(Int64.self, forKey: .firstEventTime)
        lastEventTime = try c.decode(Int64.self, forKey: .lastEventTime)
        columns = try c.decode([FeatureStatistics].self, forKey: .columns)
        names = try c.decode([String].self, forKey: .names)
        predictions = try c.decode(FeatureStatistics.self, forKey: .predictions)
        sampleCapacity = try c.decode(Int.self, forKey: .sampleCapacity)
        guard columns.count == names.count else {
            throw DecodingError.dataCorruptedError(forKey: .columns, in: c, debugDescription: "one column per feature name expected")
        }
        for var name in names { _ = name.withUTF8 { nameTable.append(UnsafeRawBufferPointer($0)) } }
    }

    /// Sorts every sample once, for a window that will be the reference of many comparisons. Changes nothing
    /// observable; a later `add` or `merge` drops the sorted copy of the samples it changes.
    public mutating func prepareSortedSamples() {
        for i in columns.indices { columns[i].prepareSortedSample() }
        predictions.prepareSortedSample()
    }

    /// The statistics of every feature seen, by name.
    public var features: [String: FeatureStatistics] {
        var out: [String: FeatureStatistics] = [:]
        for (i, name) in names.enumerated() { out[name] = columns[i] }
        return out
    }
    public let sampleCapacity: Int

    public init(sampleCapacity: Int = 10_000) {
        self.sampleCapacity = sampleCapacity
        predictions = FeatureStatistics(sampleCapacity: sampleCapacity)
    }

    /// An empty window that reuses the sample storage of `earlier` (a closed window of the same stream, given up):
    /// its columns fill arrays already grown, and likely still cached, instead of growing new ones.
    public init(sampleCapacity: Int, reusing earlier: consuming FeatureWindow) {
        self.init(sampleCapacity: sampleCapacity)
        guard earlier.sampleCapacity == sampleCapacity else { return }
        var earlier = earlier
        spareSamples.reserveCapacity(earlier.columns.count)
        for i in earlier.columns.indices.reversed() { spareSamples.append(earlier.columns[i].takeSample()) }
        predictions = FeatureStatistics(reusing: earlier.predictions.takeSample())
    }

    /// Adds one event's features. `hash` identifies the event (a hash of its request id) for sampling.
    public mutating func add(_ vector: FeatureVector, prediction: PredictionValue?, eventTime: Int64, hash: UInt64) {
        count += 1
        firstEventTime = min(firstEventTime, eventTime)
        lastEventTime = max(lastEventTime, eventTime)
        // Events of one model carry their features in the same order, so the column of each position in the
        // previous event is tried first (verified by its bytes). Those features are added through one buffer
        // over the columns: one uniqueness check per event instead of one per feature. Any other feature (a new
        // one, or one at a new position) is copied aside and added after, through the name lookup.
        var others: [(position: Int, name: [UInt8], value: FeatureValue)] = []
        let guesses = positionGuess, table = nameTable
        columns.withUnsafeMutableBufferPointer { columns in
            var position = 0
            vector.forEachRaw { name, value in
                defer { position += 1 }
                guard position < guesses.count, case let i = guesses[position], table.matches(i, name) else {
                    others.append((position, Array(name), FeatureValue(value)))
                    return
                }
                Self.add(value, to: &columns[i], hash: hash)
            }
        }
        for other in others {
            let i = other.name.withUnsafeBytes { column($0, position: other.position) }
            columns[i].add(other.value, hash: hash)
        }
        switch prediction {
        case .score(let x)?: predictions.addNumber(x, hash: hash)
        case .label(let s)?: predictions.addCategory(s)
        case nil: break
        }
    }

    @inline(__always)
    private static func add(_ value: RawFeatureValue, to column: inout FeatureStatistics, hash: UInt64) {
        switch value {
        case .number(let x): column.addNumber(x, hash: hash)
        case .string(let bytes): column.addCategory(bytes: bytes)
        case .bool(let b): (b ? trueStorage : falseStorage).withUnsafeBytes { column.addCategory(bytes: $0, isBoolean: true) }
        case .null: column.addNull()
        }
    }

    /// The column of the feature at `position` in the event, found by name (created when new), remembered as
    /// the guess for that position.
    private mutating func column(_ name: UnsafeRawBufferPointer, position: Int) -> Int {
        let i = column(name)
        if position < positionGuess.count { positionGuess[position] = i } else if position == positionGuess.count { positionGuess.append(i) }
        return i
    }

    private mutating func column(_ name: UnsafeRawBufferPointer) -> Int {
        let i = nameTable.number(of: name)
        if i == names.count {
            names.append(String(decoding: name, as: UTF8.self))
            columns.append(spareSamples.isEmpty ? FeatureStatistics(sampleCapacity: sampleCapacity) : FeatureStatistics(reusing: spareSamples.removeLast()))
        }
        return i
    }

    private static let trueStorage: [UInt8] = Array("true".utf8), falseStorage: [UInt8] = Array("false".utf8)

    public mutating func merge(_ other: FeatureWindow) {
        count += other.count
        firstEventTime = min(firstEventTime, other.firstEventTime)
        lastEventTime = max(lastEventTime, other.lastEventTime)
        for (k, name) in other.names.enumerated() {
            var name = name
            name.withUTF8 { columns[column(UnsafeRawBufferPointer($0))].merge(other.columns[k]) }
        }
        predictions.merge(other.predictions)
    }
}

extension FeatureStatistics {
    public mutating func add(_ value: FeatureValue, hash: UInt64) {
        switch value {
        case .number(let x): addNumber(x, hash: hash)
        case .string(let s): addCategory(s)
        case .bool(let b): addCategory(b ? "true" : "false", isBoolean: true)
        case .null: addNull()
        }
    }
}
