/// An open-addressing index from 64-bit hashes to entry numbers (a multimap: several entries may share a
/// hash). It stores only 4-byte entry numbers; the caller keeps each entry's hash and passes a lookup
/// closure, so the index costs about 6 bytes per entry. Linear probing with backward-shift deletion (no
/// tombstones). Not thread-safe; owned by one operator.
struct HashSlots {
    /// 0 = empty, otherwise entry number + 1.
    private(set) var slots: [UInt32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt32](repeating: 0, count: size)
        mask = size - 1
    }

    var memoryBytes: Int { slots.count * 4 }

    @inline(__always)
    private func home(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash >> 20) & mask }

    /// Adds an entry under `hash`.
    @inline(__always)
    mutating func insert(_ entry: Int32, hash: UInt64, hashOf: (Int32) -> UInt64) {
        if (count + 1) * 10 > slots.count * 7 { grow(hashOf: hashOf) }
        var i = home(hash)
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = UInt32(entry) + 1
        count += 1
    }

    /// Calls `body` with every entry stored under `hash` (and possibly others that collide in the index;
    /// the caller compares hashes and keys). Returning false stops the walk.
    @inline(__always)
    func forEach(hash: UInt64, _ body: (Int32) -> Bool) {
        var i = home(hash)
        while true {
            let s = slots[i]
            if s == 0 { return }
            if !body(Int32(s - 1)) { return }
            i = (i + 1) & mask
        }
    }

    /// Removes one entry (which must be present under `hash`).
    mutating func remove(_ entry: Int32, hash: UInt64, hashOf: (Int32) -> UInt64) {
        var i = home(hash)
        let target = UInt32(entry) + 1
        while slots[i] != target {
            precondition(slots[i] != 0, "HashSlots.remove: entry not found")
            i = (i + 1) & mask
        }
        // Backward-shift deletion: move later members of the probe run into the hole when their home allows.
        var hole = i
        var j = (i + 1) & mask
        while slots[j] != 0 {
            let h = home(hashOf(Int32(slots[j] - 1)))
            // Move slots[j] to hole if its home is not in the cyclic range (hole, j].
            let between = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !between {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = 0
        count -= 1
    }

    private mutating func grow(hashOf: (Int32) -> UInt64) {
        let old = slots
        slots = [UInt32](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for s in old where s != 0 {
            var i = home(hashOf(Int32(s - 1)))
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }
}

/// A binary min-heap of (key, entry) kept as two arrays (12 bytes per element).
struct TimerHeap {
    private(set) var keys: [Int64] = []
    private(set) var entries: [Int32] = []

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }
    var minimumKey: Int64? { keys.first }
    var memoryBytes: Int { keys.capacity * 8 + entries.capacity * 4 }

    mutating func push(_ key: Int64, _ entry: Int32) {
        keys.append(key)
        entries.append(entry)
        var i = keys.count - 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if keys[parent] <= key { break }
            keys[i] = keys[parent]
            entries[i] = entries[parent]
            i = parent
        }
        keys[i] = key
        entries[i] = entry
    }

    /// Removes and returns the entry with the smallest key if that key is <= `limit`.
    mutating func pop(ifAtMost limit: Int64) -> Int32? {
        guard let top = keys.first, top <= limit else { return nil }
        return popMinimum()
    }

    mutating func popMinimum() -> Int32 {
        let result = entries[0]
        let lastKey = keys.removeLast()
        let lastEntry = entries.removeLast()
        let n = keys.count
        if n > 0 {
            var i = 0
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                let r = l + 1
                let c = (r < n && keys[r] < keys[l]) ? r : l
                if keys[c] >= lastKey { break }
                keys[i] = keys[c]
                entries[i] = entries[c]
                i = c
            }
            keys[i] = lastKey
            entries[i] = lastEntry
        }
        return result
    }
}

/// Timers that usually arrive in deadline order (predictions come roughly in event-time order): in-order
/// pushes go to a FIFO ring in O(1); out-of-order ones to a heap. `pop` takes the smaller head.
struct TimerQueue {
    private var fifoKeys: [Int64] = []
    private var fifoEntries: [Int32] = []
    private var head = 0
    private var heap = TimerHeap()

    var count: Int { fifoKeys.count - head + heap.count }
    var isEmpty: Bool { count == 0 }
    var memoryBytes: Int { fifoKeys.capacity * 8 + fifoEntries.capacity * 4 + heap.memoryBytes }

    /// The entry with the smallest key, without removing it.
    var first: Int32? {
        let f = head < fifoKeys.count ? fifoKeys[head] : nil
        let h = heap.minimumKey
        switch (f, h) {
        case (nil, nil): return nil
        case (.some, nil): return fifoEntries[head]
        case (nil, .some): return heap.entries[0]
        case (.some(let a), .some(let b)): return a <= b ? fifoEntries[head] : heap.entries[0]
        }
    }

    mutating func push(_ key: Int64, _ entry: Int32) {
        if head == fifoKeys.count || key >= fifoKeys[fifoKeys.count - 1] {
            fifoKeys.append(key)
            fifoEntries.append(entry)
        } else {
            heap.push(key, entry)
        }
    }

    mutating func pop(ifAtMost limit: Int64) -> Int32? {
        let f = head < fifoKeys.count ? fifoKeys[head] : Int64.max
        let h = heap.minimumKey ?? Int64.max
        if f <= h {
            guard head < fifoKeys.count, f <= limit else { return nil }
            return popFIFO()
        }
        return heap.pop(ifAtMost: limit)
    }

    mutating func popMinimum() -> Int32 {
        let f = head < fifoKeys.count ? fifoKeys[head] : Int64.max
        let h = heap.minimumKey ?? Int64.max
        return (f <= h && head < fifoKeys.count) ? popFIFO() : heap.popMinimum()
    }

    private mutating func popFIFO() -> Int32 {
        let e = fifoEntries[head]
        head += 1
        if head == fifoKeys.count {
            fifoKeys.removeAll(keepingCapacity: true)
            fifoEntries.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096 && head * 2 >= fifoKeys.count {
            fifoKeys.removeFirst(head)
            fifoEntries.removeFirst(head)
            head = 0
        }
        return e
    }
}
