import Events
@testable import LabelJoin
import Testing

/// The held-label log against a plain list of the labels it should hold: random labels (few distinct request ids,
/// so lookups see several candidates and hash-equal strangers are rare but possible; empty, short and long ids;
/// numbers, booleans and strings; named and unnamed models) held with expiries in and out of order, and the clock
/// advanced in random steps. After every step the log holds exactly the reference's labels — by lookup, by count,
/// by charged bytes and in arrival order — across many compactions.
@Suite struct HeldLabelsTests {
    struct Held: Equatable {
        var rid: [UInt8]
        var hash: UInt64
        var time: Int64
        var sequence: UInt64
        var value: LabelValue
        var model: UInt16
        var attributed: Bool
        var expiry: Int64
    }

    static func requestID(_ n: Int) -> [UInt8] {
        switch n % 4 {
        case 0: []
        case 1: Array("r\(n)".utf8)
        case 2: Array("request-\(n)-0123456789abcdef0123456789abcdef".utf8)
        default: Array("é-\(n)".utf8)
        }
    }

    @Test(arguments: [1, 2, 3])
    func holdsExactlyTheLabelsAPlainListHolds(seed: UInt64) {
        var rng = LabelJoinPropertyTests.Rng(state: seed)
        var log = HeldLabels()
        var reference: [Held] = []
        var clock: Int64 = 0
        var sequence: UInt64 = 0
        var unattributedSeen = 0, unattributedExpected = 0
        for step in 0 ..< 40_000 {
            if rng.int(0 ... 9) < 6 {
                let n = rng.int(0 ... 400)
                let rid = Self.requestID(n)
                let hash = rid.withUnsafeBytes { StableHash.hash($0) }
                let time = clock + Int64(rng.int(-50 ... 200))
                // Mostly in order; now and then one far ahead, which sends later expiries to the timers' heap.
                let expiry = rng.chance(0.02) ? time + 5_000 : time + Int64(rng.int(0 ... 100))
                let value: LabelValue = switch rng.int(0 ... 2) {
                case 0: .number(Double(rng.int(0 ... 1000)) / 8)
                case 1: .bool(rng.chance(0.5))
                default: .string("label-\(rng.int(0 ... 9))")
                }
                let model = rng.chance(0.2) ? HeldLabels.anyModel : UInt16(rng.int(0 ... 3))
                let attributed = rng.chance(0.5)
                rid.withUnsafeBufferPointer {
                    log.hold(requestID: $0, hash: hash, time: time, clockBefore: clock - 1, sequence: sequence, fingerprint: sequence &* 31,
                             value: value, model: model, attributed: attributed, expiry: expiry)
                }
                reference.append(Held(rid: rid, hash: hash, time: time, sequence: sequence, value: value, model: model,
                                      attributed: attributed, expiry: expiry))
                sequence += 1
            } else if rng.chance(0.1), !reference.isEmpty {
                // Attribute a random held label through a lookup, as a prediction does.
                let k = rng.int(0 ... reference.count - 1)
                var found: [Int32] = []
                reference[k].rid.withUnsafeBufferPointer { rid in
                    log.forEach(hash: reference[k].hash) { p in if log.requestIDEquals(p, rid) { found.append(p) } }
                }
                let match = found.first { log[$0].sequence == reference[k].sequence }
                #expect(match != nil, "step \(step): a held label was not found by its request id")
                if let match { log.markAttributed(match) }
                reference[k].attributed = true
            } else {
                clock += Int64(rng.int(0 ... 40))
                unattributedSeen += log.expire(through: clock)
                unattributedExpected += reference.filter { $0.expiry <= clock && !$0.attributed }.count
                reference.removeAll { $0.expiry <= clock }
            }
            if step % 97 == 0 { check(log, against: reference, step: step) }
        }
        check(log, against: reference, step: -1)
        #expect(unattributedSeen == unattributedExpected)
        #expect(log.compactions >= 5, "the scenario should compact the log several times (\(log.compactions))")
    }

    func check(_ log: HeldLabels, against reference: [Held], step: Int) {
        #expect(log.count == reference.count, "step \(step)")
        #expect(log.chargedBytes == reference.reduce(0) { $0 + HeldLabels.chargedBytes(requestIDBytes: $1.rid.count) }, "step \(step)")
        var listed: [Held] = []
        log.forEachLive { record, rid, value in
            listed.append(Held(rid: Array(rid), hash: record.hash, time: record.time, sequence: record.sequence, value: value,
                               model: record.model, attributed: record.isAttributed, expiry: record.expiry))
        }
        let same = listed == reference  // a Bool: no thousand-label arrays in a failure
        #expect(same, "step \(step): the log lists other labels, or in another order, than were held (\(listed.count) vs \(reference.count))")
        // Every request id's lookup finds exactly its held labels.
        for rid in Set(reference.map(\.rid)).prefix(50) {
            let hash = reference.first { $0.rid == rid }!.hash
            var found: [UInt64] = []
            rid.withUnsafeBufferPointer { r in
                log.forEach(hash: hash) { p in if log.requestIDEquals(p, r) { found.append(log[p].sequence) } }
            }
            #expect(found.sorted() == reference.filter { $0.rid == rid }.map(\.sequence), "step \(step)")
        }
    }

    @Test func anEmptyLogExpiresNothingAndListsNothing() {
        var log = HeldLabels()
        #expect(log.expire(through: .max) == 0)
        var listed = 0
        log.forEachLive { _, _, _ in listed += 1 }
        #expect(listed == 0 && log.count == 0 && log.chargedBytes == 0)
    }
}
