/// A first-in first-out queue of `Int32` (entry numbers) in a ring buffer: 4 bytes per element, a power-of-two
/// capacity that doubles when full, and no per-operation allocation or moving of elements (unlike an `Array`
/// with a head index, which must empty or shift itself from time to time).
///
/// Not thread-safe; owned by one operator.
struct Int32Queue {
    private var ring: [Int32] = []
    private var head = 0
    /// Elements queued.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    /// Bytes allocated, for memory reports.
    var memoryBytes: Int { ring.capacity * 4 }

    /// The oldest element, if any.
    @inline(__always)
    var first: Int32? { count == 0 ? nil : ring[head] }

    @inline(__always)
    mutating func append(_ element: Int32) {
        if count == ring.count { grow() }
        ring[(head + count) & (ring.count - 1)] = element
        count += 1
    }

    /// Removes and returns the oldest element, if any.
    @inline(__always)
    mutating func popFirst() -> Int32? {
        guard count > 0 else { return nil }
        let element = ring[head]
        head = (head + 1) & (ring.count - 1)
        count -= 1
        return element
    }

    private mutating func grow() {
        var larger = [Int32](repeating: 0, count: max(16, ring.count * 2))
        for i in 0 ..< count { larger[i] = ring[(head + i) & (ring.count - 1)] }
        ring = larger
        head = 0
    }
}
