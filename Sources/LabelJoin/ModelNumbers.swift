/// The numbers an operator gives the model names it has seen (0, 1, 2, … in order of first sight).
///
/// Every event names its model, so this lookup runs twice per prediction–label pair. An open-addressing table
/// over `StableHash` of the name's UTF-8 costs a few nanoseconds where a `Dictionary<String, _>` spends most
/// of its lookup in SipHash. Each slot holds the name's hash and number together, so a probe reads one slot and,
/// for the name whose hash it matches, that name (`String ==` of two different small strings takes its slow
/// path, so names are compared only once the hashes agree). A small name (15 UTF-8 bytes or fewer) is hashed from
/// the `String` value's words (`StableHash.hash(_:seed:)`). Not thread-safe; owned by one operator.
struct ModelNumbers {
    /// Per slot: 0 when empty, otherwise the name's hash with its low 16 bits replaced by its number + 1.
    /// At most half full.
    private var slots = [UInt64](repeating: 0, count: 16)
    /// Names by number.
    private(set) var names: [String] = []

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
        return n
    }

    /// Puts `number` (its name already stored) into its slot.
    private mutating func place(_ number: UInt16, hash: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash >> 16) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = Self.slot(hash: hash, number: number)
    }
}
