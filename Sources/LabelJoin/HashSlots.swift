internal import CAllocatorTuning

/// An open-addressing index from 32-bit hash keys to entry numbers (a multimap: several entries may share a
/// hash), in 4 bytes per slot (about 6–16 bytes per entry at its load of 0.25–0.7).
///
/// Each slot holds the entry number in its low `entryBits` bits and, above them, a tag: the top bits of a
/// multiplicative hash of the key. A walk compares tags in the slot array and hands the caller only entries
/// whose tag matches (12 tag bits up to a million entry numbers: 1 stranger in 4,096), so a lookup touches the
/// caller's entries only for real candidates. Removal leaves the slot untouched (`forget`, for a caller that
/// checks what a walk hands it), so it reads nothing; forgotten slots are dropped by a rebuild once members and
/// forgotten slots pass 70 % of the slots. A rebuild reads every member's hash once, from the caller's own
/// sequential walk when it has one (`rebuild(widestEntry:members:)`). Linear probing. Not thread-safe; owned by
/// one operator.
struct HashSlots {
    /// 0 = empty; otherwise tag | (entry number + 1).
    private(set) var slots: [UInt32]
    private var mask: Int
    /// Bits of a slot that hold the entry number + 1; the rest hold the tag.
    private var entryBits: UInt32
    /// `entryBits` low bits set (stored: computed, it was a call on every walk).
    private var entryMask: UInt32
    private(set) var count = 0
    /// Slots of members removed with `forget()`: still in place, dropped by the next rebuild.
    private var forgotten = 0
    /// How sparse a rebuild leaves the table: at least this many slots per member.
    private let slotsPerMember: Int

    /// `slotsPerMember`: how sparse a rebuild leaves the table (2: load at most 0.5). A sparser table costs
    /// memory and is rebuilt less often under churn (members and forgotten slots reach 70 % later).
    init(capacity: Int = 1024, slotsPerMember: Int = 2) {
        self.init(size: Self.size(for: capacity, slotsPerMember: slotsPerMember), entryBits: 20, slotsPerMember: slotsPerMember)
    }

    private init(size: Int, entryBits: UInt32, slotsPerMember: Int) {
        slots = [UInt32](repeating: 0, count: size)
        mask = size - 1
        self.entryBits = entryBits
        entryMask = UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(entryBits)) - 1)
        self.slotsPerMember = slotsPerMember
    }

    /// The slot count for `members`: a power of two at least `slotsPerMember` times as large.
    private static func size(for members: Int, slotsPerMember: Int) -> Int {
        var size = 16
        while size < members * slotsPerMember { size <<= 1 }
        return size
    }

    var memoryBytes: Int { slots.count * 4 }

    @inline(__always)
    private func home(_ hash: UInt32) -> Int { Int(hash) & mask }

    /// The tag of `hash` in place in a slot.
    @inline(__always)
    private func tag(_ hash: UInt32) -> UInt32 {
        ((hash &* 0x9E37_79B1) >> entryBits) << entryBits
    }

    /// Whether inserting `entry` first needs a rebuild (too full, or an entry number too wide for the slots).
    /// A caller that has its entries in an array checks this itself, then calls `rebuild(widestEntry:members:)`
    /// (walking the array in order, rarely) and `place(_:hash:)`: a closure built for every insert, to be used
    /// only on a rebuild, cost it a reference count on whatever it captured.
    @inline(__always)
    func needsRebuild(for entry: Int32) -> Bool {
        (count + forgotten + 1) * 10 > slots.count * 7 || UInt32(entry) >= entryMask
    }

    /// Adds `entry` under `hash`, finding members' hashes through `hashOf` if a rebuild is needed.
    @inline(__always)
    mutating func insert(_ entry: Int32, hash: UInt32, hashOf: (Int32) -> UInt32) {
        if needsRebuild(for: entry) { rebuild(widestEntry: entry, hashOf: hashOf) }
        place(entry, hash: hash)
    }

    /// Rebuilds the index from its own members, reading their hashes through `hashOf`.
    /// Not for an index with forgotten members (their slots are still there): rebuild those from `members`.
    mutating func rebuild(widestEntry: Int32, hashOf: (Int32) -> UInt32) {
        precondition(forgotten == 0, "HashSlots.rebuild(hashOf:) on an index with forgotten members")
        let old = slots, entryMask = entryMask
        rebuild(widestEntry: widestEntry) { add in
            for s in old where s != 0 {
                let e = Int32(s & entryMask) - 1
                add(e, hashOf(e))
            }
        }
    }

    /// Adds `entry` under `hash`; the caller has checked `needsRebuild(for:)` (and rebuilt when it said so).
    @inline(__always)
    mutating func place(_ entry: Int32, hash: UInt32) {
        var i = home(hash)
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = tag(hash) | (UInt32(entry) + 1)
        count += 1
    }

    /// Rebuilds the index from `members` (every entry in it and its hash), sized for one more and with room for
    /// entry numbers up to `widestEntry`.
    mutating func rebuild(widestEntry: Int32, members: ((Int32, UInt32) -> Void) -> Void) {
        var bits = entryBits
        while UInt32(widestEntry) >= UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(bits)) - 1) { bits += 1 }
        precondition(bits <= 31, "HashSlots: more than 2^31 - 2 entries")
        var fresh = HashSlots(size: Self.size(for: count + 1, slotsPerMember: slotsPerMember), entryBits: bits, slotsPerMember: slotsPerMember)
        members { e, h in fresh.place(e, hash: h) }
        precondition(fresh.count == count, "HashSlots.rebuild: members do not match the index")
        self = fresh
    }

    /// Starts loading the slot a walk for `hash` reads first (a hint; no state changes).
    @inline(__always)
    func prefetch(hash: UInt32) {
        slots.withUnsafeBufferPointer { tideline_prefetch($0.baseAddress! + home(hash)) }
    }

    /// Calls `body` with every entry stored under `hash` (and, rarely, others whose tag collides; the caller
    /// compares hashes and keys). Returning false stops the walk.
    @inline(__always)
    func forEach(hash: UInt32, _ body: (Int32) -> Bool) {
        let t = tag(hash), entryMask = entryMask
        var i = home(hash)
        while true {
            let s = slots[i]
            if s == 0 { return }
            if s & ~entryMask == t && !body(Int32(s & entryMask) - 1) { return }
            i = (i + 1) & mask
        }
    }

    /// Counts one member as removed without finding its slot (which costs a read of it, usually a cache miss): the
    /// slot stays, and `forEach` may still hand out its entry number, until the next rebuild (whose `members` walk
    /// no longer lists it) drops it. For a caller that checks what a walk hands it (the entry is live, and holds
    /// the key it looks for) and tolerates a number handed out twice (a reused number under its old and new slot).
    @inline(__always)
    mutating func forget() {
        count -= 1
        forgotten += 1
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

    /// The FIFO's entry `ahead` places behind its head, if there is one: what will most likely be taken soon
    /// (for prefetching; the heap's rare out-of-order entries are not considered).
    @inline(__always)
    func upcoming(_ ahead: Int) -> Int32? {
        let i = head + ahead
        return i < fifo.count ? fifo[i] : nil
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
