/// The numbers an operator gives the model names it has seen (0, 1, 2, … in order of first sight).
///
/// Every event names its model, so this lookup runs twice per prediction–label pair. An open-addressing table
/// over `StableHash` of the name's UTF-8 costs a few nanoseconds where a `Dictionary<String, _>` spends most
/// of its lookup in SipHash. Not thread-safe; owned by one operator.
struct ModelNumbers {
    /// Model number + 1 per slot, 0 when empty; at most half full.
    private var slots = [UInt16](repeating: 0, count: 16)
    /// Names by number.
    private(set) var names: [String] = []
    /// The `StableHash` of each name, by number: compared first, so a probe that passes another name does not
    /// compare the two strings (`String ==` of two different small strings takes its slow path).
    private var hashes: [UInt64] = []

    /// The number of `name`, if it has one.
    @inline(__always)
    func number(of name: String) -> UInt16? {
        let mask = slots.count - 1
        let hash = StableHash.hash(name)
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if hashes[Int(s - 1)] == hash && names[Int(s - 1)] == name { return s - 1 }
            i = (i + 1) & mask
        }
    }

    /// Gives `name` the next number (it must not have one) and returns it.
    mutating func add(_ name: String) -> UInt16 {
        precondition(names.count < Int(UInt16.max) - 1, "ModelNumbers: too many names")
        let n = UInt16(names.count)
        names.append(name)
        hashes.append(StableHash.hash(name))
        if names.count * 2 > slots.count {
            slots = [UInt16](repeating: 0, count: slots.count * 2)
            for number in names.indices { place(UInt16(number)) }
        } else {
            place(n)
        }
        return n
    }

    /// Puts `number` (its name and hash already stored) into its slot.
    private mutating func place(_ number: UInt16) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hashes[Int(number)]) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = number + 1
    }
}
