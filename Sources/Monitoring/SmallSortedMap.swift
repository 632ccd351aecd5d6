/// A map for the few keys the monitor touches on every event: the open windows of a model by start time, the
/// event-time clock of each partition. Keys are kept sorted in an array and found by comparison, so a lookup
/// hashes nothing. A `Dictionary` runs SipHash over the key on every lookup, and with two or three lookups per
/// event that cost several percent of the monitor's time.
///
/// Encoded in the format of a `Dictionary` of the same keys and values, so snapshots written before it still
/// decode; unlike a `Dictionary`'s, its encoding is in key order, the same for the same contents.
/// Value type; not thread-safe.
struct SmallSortedMap<Key: Comparable & Hashable & Codable & Sendable, Value: Codable & Sendable>: Sendable, Codable {
    /// Ascending.
    private(set) var keys: [Key] = []
    /// `values[i]` belongs to `keys[i]`.
    private(set) var values: [Value] = []

    init() {}

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    /// Where `key` is, or nil. A short map is scanned from its greatest key down (the newest window is the one
    /// most events fall in); a longer one is searched by halving.
    func position(of key: Key) -> Int? {
        keys.withUnsafeBufferPointer { keys in
            if keys.count <= 16 {
                var i = keys.count - 1
                while i >= 0 {
                    if keys[i] == key { return i }
                    if keys[i] < key { return nil }
                    i -= 1
                }
                return nil
            }
            var low = 0, high = keys.count
            while low < high {
                let middle = (low + high) / 2
                if keys[middle] < key { low = middle + 1 } else { high = middle }
            }
            return low < keys.count && keys[low] == key ? low : nil
        }
    }

    subscript(key: Key) -> Value? {
        get { position(of: key).map { values[$0] } }
        set {
            if let i = position(of: key) {
                if let newValue { values[i] = newValue } else { keys.remove(at: i); values.remove(at: i) }
            } else if let newValue {
                insert(newValue, forKey: key)
            }
        }
    }

    /// Where `key` is, adding `make()` under it first when absent.
    mutating func position(of key: Key, inserting make: () -> Value) -> Int {
        if let i = position(of: key) { return i }
        return insert(make(), forKey: key)
    }

    /// Changes the value at `position` in place (no copy of it).
    mutating func update<R>(at position: Int, _ body: (inout Value) throws -> R) rethrows -> R {
        try body(&values[position])
    }

    @discardableResult
    mutating func removeValue(forKey key: Key) -> Value? {
        guard let i = position(of: key) else { return nil }
        keys.remove(at: i)
        return values.remove(at: i)
    }

    @discardableResult
    private mutating func insert(_ value: Value, forKey key: Key) -> Int {
        var i = keys.count
        while i > 0 && keys[i - 1] > key { i -= 1 }
        keys.insert(key, at: i)
        values.insert(value, at: i)
        return i
    }

    init(from decoder: any Decoder) throws {
        let dictionary = try [Key: Value](from: decoder)
        keys = dictionary.keys.sorted()
        values = keys.map { dictionary[$0]! }
    }

    /// A `Dictionary`'s format, in key order: the same contents always give the same bytes (a `Dictionary` writes
    /// keys that are not `String` or `Int` as an array of alternating keys and values, in its hash order, which
    /// changes from run to run).
    func encode(to encoder: any Encoder) throws {
        guard !(Key.self is any CodingKeyRepresentable.Type) else {
            // String and Int keys: a `Dictionary` writes a keyed container (whose order is the encoder's business).
            return try Dictionary(uniqueKeysWithValues: zip(keys, values)).encode(to: encoder)
        }
        var container = encoder.unkeyedContainer()
        for (key, value) in zip(keys, values) {
            try container.encode(key)
            try container.encode(value)
        }
    }
}
