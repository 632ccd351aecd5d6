import Events
import LabelJoin
import Testing

/// The exact bytes of the examples the join publishes: each kind, each label type, an integer and a fractional
/// number, and a request id that needs escaping. Pinned, so that a faster encoder cannot change a byte.
@Suite struct ExampleEncodingTests {
    typealias T = LabelJoinOperatorTests

    /// Runs predictions and labels (in this order) through an operator for `aggregation`, then closes every
    /// window and sends a late label (30 s after the prediction, after the close: a correction); returns the examples' bytes in output order.
    static func encode(aggregation: LabelAggregation, rid: String, labels: [(Int64, LabelValue)], late: LabelValue?) -> [String] {
        let policy = JoinPolicy(window: 60_000, backwardWindow: 5_000, grace: 2_000, correctionHorizon: 120_000,
                                defaultLabel: .bool(false), aggregation: aggregation)
        var op = LabelJoinOperator(configuration: JoinConfiguration(models: ["ctr": policy]))
        var out = JoinOutput()
        op.process(T.prediction(rid, at: 0), recordTimestamp: nil, into: &out)
        op.process(T.prediction(rid + "-unlabeled", at: 10), recordTimestamp: nil, into: &out)
        for (at, value) in labels { op.process(T.label(rid, at: at, value), recordTimestamp: nil, into: &out) }
        op.advance(.labels, to: T.t0 + 70_000, into: &out)
        if let late { op.process(T.label(rid, at: 30_000, late), recordTimestamp: nil, into: &out) }
        return (0 ..< out.count).map { String(decoding: out.value($0), as: UTF8.self) }
    }

    @Test func booleanLabelsEachKind() {
        let got = Self.encode(aggregation: .max, rid: "r-1", labels: [(-2_000, .bool(true))], late: nil)
        #expect(got == [
            #"{"event_id":"d1b7b91eeab635764ed98fa6f6a0f08f","request_id":"r-1","model":"ctr","model_version":"7","features":{"age":31,"country":"NL"},"prediction":0.25,"label":true,"label_kind":"observed","prediction_time":"2025-11-23T12:13:20.000Z","label_time":"2025-11-23T12:13:18.000Z","label_delay_ms":-2000}"#,
            #"{"event_id":"d9eab48788849a399127353cf3d7e163","request_id":"r-1-unlabeled","model":"ctr","model_version":"7","features":{"age":31,"country":"NL"},"prediction":0.25,"label":false,"label_kind":"implicit","prediction_time":"2025-11-23T12:13:20.010Z","label_time":null,"label_delay_ms":null}"#,
        ])
    }

    @Test func numberLabelsAndACorrection() {
        let got = Self.encode(aggregation: .sum, rid: "r-2", labels: [(1_000, .number(2.5)), (2_000, .number(1))], late: .number(0.25))
        #expect(got == [
            #"{"event_id":"39577ab65b07fef933c55429ed94fc3f","request_id":"r-2","model":"ctr","model_version":"7","features":{"age":31,"country":"NL"},"prediction":0.25,"label":3.5,"label_kind":"observed","prediction_time":"2025-11-23T12:13:20.000Z","label_time":"2025-11-23T12:13:22.000Z","label_delay_ms":2000}"#,
            #"{"event_id":"05c700c8c0ab60734ee73ba9ef5ad944","request_id":"r-2-unlabeled","model":"ctr","model_version":"7","features":{"age":31,"country":"NL"},"prediction":0.25,"label":false,"label_kind":"implicit","prediction_time":"2025-11-23T12:13:20.010Z","label_time":null,"label_delay_ms":null}"#,
            #"{"event_id":"ac4abf57366bf19de27d48b2470cecba","request_id":"r-2","model":"ctr","model_version":"7","features":{"age":31,"country":"NL"},"prediction":0.25,"label":3.75,"label_kind":"correction","prediction_time":"2025-11-23T12:13:20.000Z","label_time":"2025-11-23T12:13:50.000Z","label_delay_ms":30000}"#,
        ])
    }

    @Test func stringLabelAndAnEscapedRequestID() {
        let got = Self.encode(aggregation: .last, rid: "a\"b\\c\nd\u{1}", labels: [(3_000, .string("bought \"x\""))], late: nil)
        #expect(got == [
            #"{"event_id":"ad7308bb0b38dc86a14098f89f32e48d","request_id":"a\"b\\c\nd\u0001","model":"ctr","model_version":"7","features":{"age":31,"country":"NL"},"prediction":0.25,"label":"bought \"x\"","label_kind":"observed","prediction_time":"2025-11-23T12:13:20.000Z","label_time":"2025-11-23T12:13:23.000Z","label_delay_ms":3000}"#,
            #"{"event_id":"6dee33bba0a51a544bb8da09579ccb21","request_id":"a\"b\\c\nd\u0001-unlabeled","model":"ctr","model_version":"7","features":{"age":31,"country":"NL"},"prediction":0.25,"label":false,"label_kind":"implicit","prediction_time":"2025-11-23T12:13:20.010Z","label_time":null,"label_delay_ms":null}"#,
        ])
    }

    /// Every optional member of a prediction, a class prediction and strings that need escaping.
    @Test func everyPredictionMember() throws {
        var op = LabelJoinOperator(configuration: JoinConfiguration(models: ["ctr": T.policy]))
        var out = JoinOutput()
        var p = T.prediction("r-9", at: 0)
        p.modelVersion = "v\"2\""
        p.variant = "treatment\tB"
        p.entityID = "user-7"
        p.itemID = "item/é"
        p.prediction = .label("cat \"a\"")
        op.process(p, recordTimestamp: nil, into: &out)
        op.process(T.label("r-9", at: 500, .number(-7)), recordTimestamp: nil, into: &out)
        op.advance(.labels, to: T.t0 + 70_000, into: &out)
        let got = (0 ..< out.count).map { String(decoding: out.value($0), as: UTF8.self) }
        #expect(got == [
            #"{"event_id":"1764ed9d3595a6d5e26f7110701bb9ae","request_id":"r-9","model":"ctr","model_version":"v\"2\"","variant":"treatment\tB","entity_id":"user-7","item_id":"item/é","features":{"age":31,"country":"NL"},"prediction":"cat \"a\"","label":-7,"label_kind":"observed","prediction_time":"2025-11-23T12:13:20.000Z","label_time":"2025-11-23T12:13:20.500Z","label_delay_ms":500}"#,
        ])
    }

    /// A decoded score is carried as the text the service wrote (like its features): `0.50` is not rewritten as
    /// `0.5`, and a 17-digit score keeps its digits. A score set in code is formatted (the shortest text).
    @Test func aDecodedScoreKeepsItsText() throws {
        var op = LabelJoinOperator(configuration: JoinConfiguration(models: ["ctr": T.policy]))
        var out = JoinOutput()
        for (rid, score) in [("r-a", "0.50"), ("r-b", "7.3126543210987654e-5"), ("r-c", "-0"), ("r-d", "1E+2")] {
            let p = try PredictionEvent.decode(json: #"{"request_id":"\#(rid)","model":"ctr","model_version":"7","timestamp":1763900000000,"features":{"a":1.50},"prediction":\#(score)}"#)
            op.process(p, recordTimestamp: nil, into: &out)
        }
        var changed = try PredictionEvent.decode(json: #"{"request_id":"r-e","model":"ctr","model_version":"7","timestamp":1763900000000,"features":{},"prediction":0.50}"#)
        changed.prediction = .score(0.50)
        op.process(changed, recordTimestamp: nil, into: &out)
        op.advance(.labels, to: T.t0 + 70_000, into: &out)
        let predictions = (0 ..< out.count).map { i -> String in
            let text = String(decoding: out.value(i), as: UTF8.self)
            let member = text.range(of: #""prediction":"#)!
            return String(text[member.upperBound...].prefix { $0 != "," })
        }
        #expect(predictions == ["0.50", "7.3126543210987654e-5", "-0", "1E+2", "0.5"])
        #expect(try out.examples().map(\.prediction) == [.score(0.5), .score(7.3126543210987654e-5), .score(-0.0), .score(100), .score(0.5)])
    }
}
