/// The numbers an operator gives the model names it has seen (0, 1, 2, … in order of first sight).
///
/// Every event names its model, so this lookup runs twice per prediction–label pair. An open-addressing table
/// over `StableHash` of the name's UTF-8 costs a few nanoseconds where a `Dictionary<String, _>` spends most
/// of its lookup in SipHash. Each slot holds the name's hash and number together, so a probe reads one slot and,
/// for the name whose hash it matches, that name (`String ==` of two different small strings takes its slow
/// path, so names are compared only once the hashes agree). In front of it, a second table finds small names (15
/// UTF-8 bytes or fewer, held inside the `String` value) by their representation alone (`lookUp(_:)`): no hash
/// of the bytes, no read of `names`. Not thread-safe; owned by one operator.
struct ModelNumbers {
    /// Per slot: 0 when empty, otherwise the name's hash with its low 16 bits replaced by its number + 1.
    /// At most half full.
    private var slots = [UInt64](repeating: 0, count: 16)
    /// Names by number.
    private(set) var names: [String] = []
    /// Small names by their representation (`StableHash.smallStringWords`), open addressing, at most half full:
    /// most names are found here without hashing their bytes or reading `names` (`lookUp(_:)`). An empty slot's
    /// second word is 0, which no small string's is.
    private var smallSlots = [SmallName](repeating: SmallName(), count: 16)
    private var smallCount = 0

    private struct SmallName {
        var words: (UInt64, UInt64) = (0, 0)
        var number: UInt16 = 0
    }

    /// The number of `name`, if it has one: the same answer as `number(of:)`, found by the name's representation
    /// when it is a small string that was added as one.
    @inline(__always)
    func lookUp(_ name: String) -> UInt16? {
        guard let words = StableHash.smallStringWords(name) else { return number(of: name) }
        let mask = smallSlots.count - 1
        var i = Self.smallSlotIndex(words)
        while true {
            let slot = smallSlots[i & mask]
            if slot.words == words { return slot.number }
            if slot.words.1 == 0 { return number(of: name) }
            i += 1
        }
    }

    @inline(__always)
    private static func smallSlotIndex(_ words: (UInt64, UInt64)) -> Int {
        Int(truncatingIfNeeded: StableHash.mix(words.0 ^ (words.1 &* 0x9E37_79B9_7F4A_7C15)) >> 16)
    }

    @inline(__always)
    private static func slot(hash: UInt64, number: UInt16) -> UInt64 { hash & ~0xFFFF | UInt64(number + 1) }

    /// The number of `name`, if it has one.
    @inline(__always)
    func number(of name: String) -> UInt16? {
        let mask = slots.count - 1
        let hash = StableHash.hash(name)
        var i = Int(truncatingIfNeeded: hash >> 16) & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            let n = UInt16(truncatingIfNeeded: s) - 1
            if s & ~0xFFFF == hash & ~0xFFFF && names[Int(n)] == name { return n }
            i = (i + 1) & mask
        }
    }

    /// Gives `name` the next number (it must not have one) and returns it.
    mutating func add(_ name: String) -> UInt16 {
        precondition(names.count < Int(UInt16.max) - 1, "ModelNumbers: too many names")
        let n = UInt16(names.count)
        names.append(name)
        if names.count * 2 > slots.count {
            slots = [UInt64](repeating: 0, count: slots.count * 2)
            for (number, known) in names.enumerated() { place(UInt16(number), hash: StableHash.hash(known)) }
        } else {
            place(n, hash: StableHash.hash(name))
        }
        if StableHash.smallStringWords(name) != nil {
            smallCount += 1
            if smallCount * 2 > smallSlots.count {
                smallSlots = [SmallName](repeating: SmallName(), count: smallSlots.count * 2)
                for (number, known) in names.enumerated() {
                    if let words = StableHash.smallStringWords(known) { placeSmall(UInt16(number), words: words) }
                }
            } else {
                placeSmall(n, words: StableHash.smallStringWords(name)!)
            }
        }
        return n
    }

    /// Puts small name number `number` into its slot in `smallSlots`.
    private mutating func placeSmall(_ number: UInt16, words: (UInt64, UInt64)) {
        let mask = smallSlots.count - 1
        var i = Self.smallSlotIndex(words) & mask
        while smallSlots[i].words.1 != 0 { i = (i + 1) & mask }
        smallSlots[i] = SmallName(words: words, number: number)
    }

    /// Puts `number` (its name already stored) into its slot.
    private mutating func place(_ number: UInt16, hash: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash >> 16) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = Self.slot(hash: hash, number: number)
    }
}
