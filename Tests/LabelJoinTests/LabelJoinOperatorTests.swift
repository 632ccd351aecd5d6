import Events
import LabelJoin
import Testing

/// Worked examples of the join semantics (the README's example is the first one).
@Suite struct LabelJoinOperatorTests {
    static let t0: Int64 = 1_763_900_000_000  // 2025-11-23T12:13:20Z

    static func prediction(_ rid: String, at ms: Int64, model: String = "ctr") -> PredictionEvent {
        PredictionEvent(requestID: rid, model: model, modelVersion: "7", timestamp: EventTime(milliseconds: t0 + ms),
                        features: [Feature("age", .number(31)), Feature("country", .string("NL"))], prediction: .score(0.25))
    }

    static func label(_ rid: String, at ms: Int64, _ value: LabelValue = .bool(true), model: String? = nil) -> LabelEvent {
        LabelEvent(requestID: rid, timestamp: EventTime(milliseconds: t0 + ms), label: value, model: model, source: "click")
    }

    /// W = 60 s, backward 5 s, grace 2 s, corrections for 120 s after close, default label false, max.
    static let policy = JoinPolicy(window: 60_000, backwardWindow: 5_000, grace: 2_000, correctionHorizon: 120_000,
                                   defaultLabel: .bool(false), aggregation: .max)

    struct Harness {
        var op = LabelJoinOperator(configuration: JoinConfiguration(models: ["ctr": LabelJoinOperatorTests.policy]))
        var out = JoinOutput()
        mutating func p(_ e: PredictionEvent) throws -> [LabeledExample] { out.removeAll(); op.process(e, recordTimestamp: nil, into: &out); return try out.examples() }
        mutating func l(_ e: LabelEvent) throws -> [LabeledExample] { out.removeAll(); op.process(e, recordTimestamp: nil, into: &out); return try out.examples() }
        mutating func idle(_ s: JoinStream, _ ms: Int64) throws -> [LabeledExample] {
            out.removeAll(); op.advance(s, to: LabelJoinOperatorTests.t0 + ms, into: &out); return try out.examples()
        }
    }

    @Test func readmeWorkedExample() throws {
        var h = Harness()
        #expect(try h.p(Self.prediction("a", at: 0)).isEmpty)
        #expect(try h.p(Self.prediction("b", at: 1_000)).isEmpty)
        #expect(try h.l(Self.label("c", at: 500)).isEmpty)              // c's label before its prediction (held)
        #expect(try h.p(Self.prediction("c", at: 3_000)).isEmpty)       // within the 5 s backward window
        #expect(try h.l(Self.label("a", at: 30_000)).isEmpty)           // on time; window still open
        #expect(try h.p(Self.prediction("a", at: 0)).isEmpty)           // an exact repeat: ignored
        #expect(h.op.statistics.duplicatePredictions == 1)
        // The labels clock reaches 62 s (a's window end + grace): a closes, observed.
        let closedA = try h.l(Self.label("z", at: 62_000))
        #expect(closedA.map(\.requestID) == ["a"])
        #expect(closedA[0].labelKind == .observed && closedA[0].label == .bool(true) && closedA[0].labelDelayMilliseconds == 30_000)
        // b and c close at 63 s and 65 s: b implicit (no label), c observed with its early label.
        let closed = try h.l(Self.label("y", at: 66_000))
        #expect(closed.map(\.requestID) == ["b", "c"])
        #expect(closed[0].labelKind == .implicit && closed[0].label == .bool(false) && closed[0].labelTime == nil)
        #expect(closed[1].labelKind == .observed && closed[1].labelDelayMilliseconds == -2_500)
        // b's click (stamped 20 s) arrives late: a correction supersedes the implicit example.
        let corrected = try h.l(Self.label("b", at: 20_000))
        #expect(corrected.count == 1 && corrected[0].labelKind == .correction && corrected[0].label == .bool(true))
        #expect(corrected[0].eventID != closed[0].eventID)
        #expect(try h.l(Self.label("b", at: 20_000)).isEmpty)           // the same click again: duplicate
        #expect(h.op.statistics.duplicateLabels == 1)
        // After the correction horizon (63 s + 120 s) a late label is ignored and counted.
        _ = try h.l(Self.label("x", at: 190_000))
        #expect(try h.l(Self.label("b", at: 21_000, .number(1))).isEmpty)
        #expect(h.op.statistics.tooLateLabels == 1)
    }

    @Test func idleLabelsPartitionIsClosedByPunctuation() throws {
        var h = Harness()
        _ = try h.p(Self.prediction("q", at: 0))
        #expect(try h.idle(.labels, 61_000).isEmpty)
        let closed = try h.idle(.labels, 62_000)
        #expect(closed.count == 1 && closed[0].labelKind == .implicit)
    }

    @Test func farFutureTimestampIsClampedToRecordTimePlusSkew() throws {
        var op = LabelJoinOperator(configuration: JoinConfiguration(models: ["ctr": Self.policy], maxFutureSkew: 60_000))
        var out = JoinOutput()
        op.process(Self.prediction("p", at: 0), recordTimestamp: Self.t0, into: &out)
        // A label stamped a year ahead by a bad clock: its time counts as record time + 60 s, so it cannot
        // close every window at once.
        op.process(Self.label("zz", at: 365 * 86_400_000), recordTimestamp: Self.t0 + 1_000, into: &out)
        #expect(op.statistics.futureClamped == 1)
        #expect(op.labelClock == Self.t0 + 61_000)
        #expect(out.isEmpty)
        #expect(op.openPredictions == 1)
    }

    @Test func unlabeledPredictionsAreDroppedWhenTheModelHasNoDefault() throws {
        var policy = Self.policy
        policy.defaultLabel = nil
        var op = LabelJoinOperator(configuration: JoinConfiguration(models: ["ctr": policy]))
        var out = JoinOutput()
        op.process(Self.prediction("p", at: 0), recordTimestamp: nil, into: &out)
        op.advance(.labels, to: Self.t0 + 100_000, into: &out)
        #expect(out.isEmpty && op.statistics.dropped == 1)
    }

    @Test(arguments: [(LabelAggregation.first, LabelValue.number(3)), (.last, .number(1)), (.max, .number(5)), (.sum, .number(9)), (.count, .number(3))])
    func aggregationPolicies(policy aggregation: LabelAggregation, expected: LabelValue) throws {
        var policy = Self.policy
        policy.aggregation = aggregation
        var op = LabelJoinOperator(configuration: JoinConfiguration(models: ["ctr": policy]))
        var out = JoinOutput()
        op.process(Self.prediction("p", at: 0), recordTimestamp: nil, into: &out)
        for (ms, v) in [(10_000 as Int64, 5.0), (2_000, 3.0), (40_000, 1.0)] {  // arrival order differs from time order
            op.process(Self.label("p", at: ms, .number(v)), recordTimestamp: nil, into: &out)
        }
        op.advance(.labels, to: Self.t0 + 62_000, into: &out)
        let examples = try out.examples()
        #expect(examples.count == 1 && examples[0].label == expected)
    }

    @Test func evictOldestKeepsMemoryBounded() throws {
        let config = JoinConfiguration(models: ["ctr": Self.policy], maxPendingBytes: 64 * 1024, overflow: .evictOldest)
        var op = LabelJoinOperator(configuration: config)
        var out = JoinOutput()
        for i in 0 ..< 5_000 { op.process(Self.prediction("r\(i)", at: Int64(i)), recordTimestamp: nil, into: &out) }
        #expect(op.pendingBytes <= 64 * 1024 + 512)
        #expect(op.statistics.evictedEarly > 4_000)
        #expect(op.statistics.implicit > 0)
    }

    @Test func snapshotRoundTripKeepsEverything() throws {
        var h = Harness()
        _ = try h.p(Self.prediction("a", at: 0))
        _ = try h.l(Self.label("a", at: 1_000, .number(2)))
        _ = try h.l(Self.label("o", at: 5_000))
        let restored = try LabelJoinOperator(configuration: h.op.configuration, snapshot: h.op.snapshot())
        #expect(restored.snapshot() == h.op.snapshot())
        #expect(restored.statistics == h.op.statistics)
        #expect(restored.heldPredictions == 1 && restored.heldLabels == 2)
        #expect(throws: JoinSnapshotError.self) { try LabelJoinOperator(configuration: h.op.configuration, snapshot: [1, 2, 3]) }
    }

    /// A snapshot cut short anywhere — in a held prediction, in a held label's request id or value — is refused
    /// with an error, never read past.
    @Test func everyTruncatedSnapshotIsRefused() throws {
        var h = Harness()
        _ = try h.p(Self.prediction("a", at: 0))
        _ = try h.l(Self.label("a", at: 1_000, .number(2)))
        _ = try h.l(Self.label("held-label-with-a-long-request-id", at: 5_000, .string("clicked")))
        let bytes = h.op.snapshot()
        #expect(h.op.heldLabels == 2)
        for n in 0 ..< bytes.count {
            #expect(throws: JoinSnapshotError.self, "cut at \(n) of \(bytes.count)") {
                try LabelJoinOperator(configuration: h.op.configuration, snapshot: Array(bytes.prefix(n)))
            }
        }
    }

    /// A held prediction's payload starts with its request id's length; one that claims more bytes than the
    /// payload has is refused with an error, not read past.
    @Test func aPayloadWithARequestIDLongerThanItselfIsRefused() throws {
        var h = Harness()
        _ = try h.p(Self.prediction("rid-under-test", at: 0))
        let bytes = h.op.snapshot()
        let rid = Array("rid-under-test".utf8)
        let at = try #require((0 ..< bytes.count - rid.count).first { bytes[$0] == UInt8(rid.count) && Array(bytes[$0 + 1 ... $0 + rid.count]) == rid })
        var corrupt = bytes
        corrupt[at] = 0x7F  // 127 bytes of request id in a payload of fewer than 127
        #expect(throws: JoinSnapshotError.self) { try LabelJoinOperator(configuration: h.op.configuration, snapshot: corrupt) }
        corrupt[at] = 0x80  // a length that never ends
        #expect(throws: JoinSnapshotError.self) { try LabelJoinOperator(configuration: h.op.configuration, snapshot: corrupt) }
        #expect(try LabelJoinOperator(configuration: h.op.configuration, snapshot: bytes).heldPredictions == 1)
    }

    @Test(arguments: [1, 127, 128, 16_383, 16_384, 65_535, 65_536])  // 65 536: the decoder's limit, past 16 bits
    func requestIDsOfAnyLengthJoin(length: Int) throws {
        let rid = String(repeating: "r", count: length)
        var h = Harness()
        _ = try h.p(Self.prediction(rid, at: 0))
        _ = try h.l(Self.label(rid, at: 1_000))
        _ = try h.p(Self.prediction(rid, at: 0))  // a repeat is still recognised
        // Request ids of 16 KiB and more have a 3-byte length in the request-id arena: a snapshot carries them too.
        h.op = try LabelJoinOperator(configuration: h.op.configuration, snapshot: h.op.snapshot())
        let closed = try h.idle(.labels, 62_000)
        #expect(closed.count == 1)
        #expect(closed.first?.requestID == rid && closed.first?.labelKind == .observed)
        #expect(h.op.statistics.duplicatePredictions == 1)
        _ = try h.l(Self.label(rid, at: 2_000, .number(0)))  // a second label: a correction, from the restored state
        #expect(h.op.statistics.corrections == 1)
        _ = try h.idle(.labels, 400_000)
        _ = try h.idle(.predictions, 400_000)
        #expect(h.op.heldPredictions == 0 && h.op.pendingBytes == 0)
    }

    /// Restored under a changed policy, held state follows the new policy: windows close at the new window's end
    /// and held labels wait the new backward reach (timers are recomputed from the held state, not saved).
    @Test func restoreUnderAChangedPolicyUsesTheNewTimes() throws {
        var short = Self.policy
        short.window = 10_000
        short.backwardWindow = 1_000
        short.grace = 0
        var long = short
        long.window = 20_000
        long.backwardWindow = 8_000
        var op = LabelJoinOperator(configuration: JoinConfiguration(models: ["ctr": short]))
        var out = JoinOutput()
        for i in 0 ..< 5 { op.process(Self.prediction("p\(i)", at: Int64(i) * 1_000), recordTimestamp: nil, into: &out) }
        op.process(Self.label("early", at: 4_500), recordTimestamp: nil, into: &out)  // held: its prediction comes later
        #expect(op.heldLabels == 1)
        op = try LabelJoinOperator(configuration: JoinConfiguration(models: ["ctr": long]), snapshot: op.snapshot())
        // Under the old policy every window would have closed by 14 s; under the new one none has.
        op.advance(.labels, to: Self.t0 + 14_500, into: &out)
        #expect(out.isEmpty && op.openPredictions == 5)
        // The held label waits 8 s of predictions clock (it would have expired after 1 s), so a prediction
        // stamped 6 s later still finds it.
        op.process(Self.prediction("early", at: 10_000), recordTimestamp: nil, into: &out)
        #expect(op.heldLabels == 1)
        op.advance(.labels, to: Self.t0 + 24_000, into: &out)
        let closed = try out.examples()
        #expect(closed.map(\.requestID) == ["p0", "p1", "p2", "p3", "p4"])
        out.removeAll()
        op.advance(.labels, to: Self.t0 + 30_000, into: &out)
        let early = try out.examples()
        #expect(early.count == 1 && early[0].requestID == "early" && early[0].labelKind == .observed)
    }

    @Test func modelsBeyondTheLimitAreRefusedNotFatal() {
        var op = LabelJoinOperator(configuration: JoinConfiguration(models: ["ctr": Self.policy]))
        var out = JoinOutput()
        for i in 0 ..< LabelJoinOperator.maxModels - 1 {  // "ctr" took the first slot
            op.process(Self.prediction("r\(i)", at: Int64(i), model: "m\(i)"), recordTimestamp: nil, into: &out)
        }
        #expect(op.admits(model: "ctr") && op.admits(model: "m7"))
        #expect(!op.admits(model: "one-too-many"))
    }

    @Test func eventIDsAreStableAcrossRuns() {
        let id = Array("r-1".utf8).withUnsafeBytes { LabelJoinOperator.eventID(model: "ctr", requestID: $0, time: 1_700_000_000_000, sequence: 0) }
        // Pinned: a change here changes every event_id ever published (and breaks downstream dedup).
        #expect(String(decoding: id, as: UTF8.self) == "\"55bb8affbe39328a5c9b74432eb79437\"")
        #expect(id.count == 34)
    }

    /// A removed prediction's index slot stays until the index is rebuilt; its entry number is reused next. When
    /// the same request id comes back (a later prediction in the same entry), the old slot and the new one both
    /// lead to that entry: a label must still be applied to it once (not once more as a "duplicate").
    @Test func aRequestIDReturningToItsOldEntryIsMatchedOnce() throws {
        var h = Harness()
        _ = try h.p(Self.prediction("r", at: 0))
        #expect(try h.l(Self.label("r", at: 1_000)).isEmpty)
        // Both clocks pass r's removal (60 + 2 + 120 s): r is observed, then removed.
        _ = try h.p(Self.prediction("other", at: 300_000))
        let closed = try h.l(Self.label("other-label", at: 300_000))
        #expect(closed.map(\.requestID) == ["r"] && h.op.heldPredictions == 1)
        // r's old slot now leads to a free entry: a label for r finds no prediction and waits for one.
        #expect(try h.l(Self.label("r", at: 299_000)).isEmpty)
        #expect(h.op.heldLabels == 2)  // "other-label" and this one
        _ = try h.p(Self.prediction("r", at: 301_000))  // takes r's old entry number (the first freed)
        #expect(try h.l(Self.label("r", at: 302_000, .bool(true))).isEmpty)
        #expect(h.op.statistics.duplicateLabels == 0)
        let again = try h.idle(.labels, 500_000)
        let r = again.filter { $0.requestID == "r" }
        #expect(r.count == 1 && r.first?.labelKind == .observed && r.first?.label == .bool(true))
    }
}
