/// The entry numbers (or held-label numbers) one event matched: usually none, one or two. Reused from event to
/// event: emptying it only resets `count`, where emptying an `Array` (element by element, or through
/// `removeAll(keepingCapacity:)`) went through a non-inlined uniqueness check per element (1.7 % of the operator).
///
/// Not thread-safe; owned by one operator.
struct MatchList {
    private var storage = [Int32](repeating: 0, count: 8)
    /// How many numbers the list holds.
    private(set) var count = 0

    @inline(__always)
    mutating func removeAll() { count = 0 }

    @inline(__always)
    mutating func append(_ number: Int32) {
        if count == storage.count { storage.append(number) } else { storage[count] = number }
        count += 1
    }

    /// The `i`th number, `0 <= i < count`.
    @inline(__always)
    subscript(i: Int) -> Int32 {
        precondition(i < count, "MatchList index out of range")
        return storage[i]
    }

    /// Whether `number` is in the list.
    @inline(__always)
    func contains(_ number: Int32) -> Bool {
        for i in 0 ..< count where storage[i] == number { return true }
        return false
    }

    /// Sorts the held numbers in place.
    mutating func sort(by areInIncreasingOrder: (Int32, Int32) -> Bool) {
        storage[0..<count].sort(by: areInIncreasingOrder)
    }
}
