/// An open-addressing index from 32-bit hash keys to entry numbers (a multimap: several entries may share a
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
    private func home(_ hash: UInt32) -> Int { Int(hash) & mask }

    /// Adds an entry under `hash`.
    @inline(__always)
    mutating func insert(_ entry: Int32, hash: UInt32, hashOf: (Int32) -> UInt32) {
        if (count + 1) * 10 > slots.count * 7 { grow(hashOf: hashOf) }
        var i = home(hash)
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = UInt32(entry) + 1
        count += 1
    }

    /// Calls `body` with every entry stored under `hash` (and possibly others that collide in the index;
    /// the caller compares hashes and keys). Returning false stops the walk.
    @inline(__always)
    func forEach(hash: UInt32, _ body: (Int32) -> Bool) {
        var i = home(hash)
        while true {
            let s = slots[i]
            if s == 0 { return }
            if !body(Int32(s - 1)) { return }
            i = (i + 1) & mask
        }
    }

    /// Removes one entry (which must be present under `hash`).
    mutating func remove(_ entry: Int32, hash: UInt32, hashOf: (Int32) -> UInt32) {
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

    private mutating func grow(hashOf: (Int32) -> UInt32) {
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
/// pushes go to a FIFO of entry numbers in O(1), 4 bytes each (the key is not stored: the owner recomputes it
/// from the entry, so an entry's key must not change while it waits); out-of-order ones go to a heap with
/// their keys. `peek` shows the entry with the smallest key (the FIFO's on ties), `removePeeked` takes it.
struct TimerQueue {
    private var fifo: [Int32] = []
    private var head = 0
    /// The key of the FIFO's last entry (meaningful while the FIFO is not empty).
    private var lastKey: Int64 = .min
    private var heap = TimerHeap()

    var memoryBytes: Int { fifo.capacity * 4 + heap.memoryBytes }

    mutating func push(_ key: Int64, _ entry: Int32) {
        if head == fifo.count || key >= lastKey {
            fifo.append(entry)
            lastKey = key
        } else {
            heap.push(key, entry)
        }
    }

    /// The entry with the smallest key and that key, without removing it. `keyOf` gives a FIFO entry's key.
    @inline(__always)
    func peek(keyOf: (Int32) -> Int64) -> (entry: Int32, key: Int64, inFIFO: Bool)? {
        if head < fifo.count {
            let e = fifo[head], k = keyOf(e)
            if let h = heap.minimumKey, h < k { return (heap.entries[0], h, false) }
            return (e, k, true)
        }
        guard let h = heap.minimumKey else { return nil }
        return (heap.entries[0], h, false)
    }

    /// Removes the entry `peek` returned (`inFIFO` as it said).
    @inline(__always)
    mutating func removePeeked(inFIFO: Bool) {
        guard inFIFO else {
            _ = heap.popMinimum()
            return
        }
        head += 1
        if head == fifo.count {
            fifo.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096 && head * 2 >= fifo.count {
            fifo.removeFirst(head)
            head = 0
        }
    }
}
