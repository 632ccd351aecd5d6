@testable import LabelJoin
import Testing

/// `StableHash` values are persisted (event ids, snapshot hashes): any change to how it reads bytes must leave
/// every value as it was. Checked against the byte-at-a-time definition, written plainly here, for every length
/// up to 64 (each tail length, with and without whole words before it).
@Suite struct StableHashTests {
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 31)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 29)
    }

    /// The definition: whole little-endian words, then the remaining bytes one at a time.
    static func reference(_ bytes: [UInt8], seed: UInt64) -> UInt64 {
        var h = seed ^ (UInt64(bytes.count) &* 0xFF51_AFD7_ED55_8CCD)
        var i = 0
        while i + 8 <= bytes.count {
            var word: UInt64 = 0
            for k in 0 ..< 8 { word |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            h = mix(h ^ word) &+ 0x632B_E59B_D9B4_E019
            i += 8
        }
        if i < bytes.count {
            var tail: UInt64 = 0, shift: UInt64 = 0
            while i < bytes.count {
                tail |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = mix(h ^ tail ^ 0x8000_0000_0000_0000)
        }
        return mix(h)
    }

    @Test func everyLengthHashesAsTheByteAtATimeDefinition() {
        var rng = LabelJoinPropertyTests.Rng(state: 42)
        for length in 0 ... 64 {
            for seed in [StableHash.defaultSeed, 11, rng.next()] {
                let bytes = (0 ..< length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let actual = bytes.withUnsafeBytes { StableHash.hash($0, seed: seed) }
                #expect(actual == Self.reference(bytes, seed: seed), "length \(length) seed \(seed)")
            }
        }
        #expect(StableHash.hash("req-123456") == Self.reference(Array("req-123456".utf8), seed: StableHash.defaultSeed))
    }

    /// A string hashes as its UTF-8 bytes, whether it is small (read from the `String` value's words) or not, at
    /// every length to 40 and with one-, two-, three- and four-byte characters.
    @Test func everyStringHashesAsItsUTF8Bytes() {
        var rng = LabelJoinPropertyTests.Rng(state: 44)
        let alphabet: [Character] = ["a", "Z", "0", "-", "\u{0}", "\u{7F}", "é", "ß", "€", "中", "🙂"]
        var smallSeen = 0
        for length in 0 ... 40 {
            for _ in 0 ..< 4 {
                let built = String((0 ..< length).map { _ in alphabet[rng.int(0 ... alphabet.count - 1)] })
                for string in [built, String(decoding: Array(built.utf8), as: UTF8.self)] {
                    for seed in [StableHash.defaultSeed, 5, rng.next()] {
                        #expect(StableHash.hash(string, seed: seed) == Self.reference(Array(string.utf8), seed: seed),
                                "\(string.debugDescription) (\(string.utf8.count) bytes) seed \(seed)")
                    }
                    if let words = StableHash.smallStringWords(string) {
                        smallSeen += 1
                        #expect(string.utf8.count <= 15 && Int((words.1 >> 56) & 0xF) == string.utf8.count, "\(string.debugDescription)")
                    }
                }
            }
        }
        #expect(smallSeen > 50, "the small form was met \(smallSeen) times")  // so the fast path was tested
    }

    /// Strings of up to 15 UTF-8 bytes, built in code or from bytes, take `hash`'s fast path (their words are read);
    /// longer ones do not.
    @Test func smallStringsAreRecognizedByTheirRepresentation() {
        let short = (0 ... 15).map { String(repeating: "m", count: $0) } + ["modèle-1", "🙂🙂🙂", "a\u{0}b"]
        for s in short {
            for string in [s, String(decoding: Array(s.utf8), as: UTF8.self)] {
                let count = StableHash.smallStringWords(string).map { Int(($0.1 >> 56) & 0xF) }
                #expect(count == string.utf8.count, "\(string.debugDescription) (\(string.utf8.count) bytes) read as small")
            }
        }
        for n in [16, 17, 40] { #expect(StableHash.smallStringWords(String(repeating: "m", count: n)) == nil, "\(n) bytes") }
    }

    /// `hashPair` (one pass, two seeds; event ids use it) gives what two `hash` calls give, at every length.
    @Test func aPairOfSeedsHashesAsTwoSeparateHashes() {
        var rng = LabelJoinPropertyTests.Rng(state: 43)
        for length in 0 ... 64 {
            let bytes = (0 ..< length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let seeds = (rng.next(), rng.next())
            let pair = bytes.withUnsafeBytes { StableHash.hashPair($0, seeds: seeds) }
            #expect(pair.0 == Self.reference(bytes, seed: seeds.0), "length \(length), first seed")
            #expect(pair.1 == Self.reference(bytes, seed: seeds.1), "length \(length), second seed")
        }
    }
}

/// An example's `event_id` is 32 lowercase hex digits of two `StableHash`es of its request id, seeded by its
/// model, prediction time and sequence: checked digit for digit against that definition (formatted plainly
/// here) over enough inputs that every byte value appears in every position.
@Suite struct EventIDTests {
    @Test func eventIDsAreTheHexOfTheirTwoHashes() {
        var rng = LabelJoinPropertyTests.Rng(state: 7)
        func hex(_ v: UInt64) -> String { String(repeating: "0", count: 16 - String(v, radix: 16).count) + String(v, radix: 16) }
        for i in 0 ..< 4_000 {
            let model = "m\(i % 7)", rid = Array("r\(rng.next())".utf8), time = Int64(bitPattern: rng.next()) >> 20, sequence = i % 3
            let base = StableHash.combine(StableHash.combine(StableHash.hash(model, seed: 11), UInt64(bitPattern: time)), UInt64(sequence))
            let (a, b) = rid.withUnsafeBytes { (StableHash.hash($0, seed: base), StableHash.hash($0, seed: base ^ 0x5851_F42D_4C95_7F2D)) }
            let actual = rid.withUnsafeBytes { LabelJoinOperator.eventID(model: model, requestID: $0, time: time, sequence: sequence) }
            #expect(String(decoding: actual, as: UTF8.self) == "\"" + hex(a) + hex(b) + "\"", "input \(i)")
        }
    }
}
