import Events
import Testing

@Suite struct LabelEventTests {
    @Test func decodesAndRoundTrips() throws {
        let l = try LabelEvent.decode(json: #"{"request_id":"r-1","timestamp":"2026-11-23T10:08:09+02:00","label":true,"model":"ctr","source":"click"}"#)
        #expect(l == LabelEvent(requestID: "r-1", timestamp: EventTime(rfc3339: "2026-11-23T08:08:09Z")!, label: .bool(true), model: "ctr", source: "click"))
        #expect(try LabelEvent.decode(l.encoded()) == l)
        #expect(try LabelEvent.decode(json: #"{"request_id":"r","timestamp":0,"label":4.5}"#).label == .number(4.5))
        #expect(try LabelEvent.decode(json: #"{"request_id":"r","timestamp":0,"label":"dog"}"#).label == .string("dog"))
    }

    @Test(arguments: [
        (#"{"timestamp":0,"label":1}"#, "request_id"),
        (#"{"request_id":"r","label":1}"#, "timestamp"),
        (#"{"request_id":"r","timestamp":0}"#, "label"),
        (#"{"request_id":"r","timestamp":0,"label":null}"#, "label"),
        (#"{"request_id":"r","timestamp":0,"label":{}}"#, "label"),
        (#"{"request_id":"r","timestamp":0,"label":1,"model":5}"#, "model"),
        (#"{"request_id":"r","timestamp":0,"label":1,"source":[]}"#, "source"),
    ])
    func namesTheBadField(json: String, field: String) {
        #expect { try LabelEvent.decode(json: json) } throws: { ($0 as? EventDecodingError)?.field == field }
    }
}

@Suite struct LabeledExampleTests {
    static let example = LabeledExample(
        eventID: "e-1", requestID: "r-1", model: "ctr", modelVersion: "3", variant: "A", entityID: "u", itemID: "i",
        features: [Feature("x", .number(1.25)), Feature("c", .string("de"))], prediction: .score(0.4), label: .bool(false),
        labelKind: .observed, predictionTime: EventTime(milliseconds: 1_000), labelTime: EventTime(milliseconds: 4_500))

    @Test func roundTripsWithDerivedDelay() throws {
        let json = Self.example.json
        #expect(json.contains(#""label_delay_ms":3500"#))
        #expect(try LabeledExample.decode(json: json) == Self.example)
        #expect(Self.example.partitionKey == "ctr")
    }

    @Test func implicitExampleHasNullLabelTime() throws {
        var e = Self.example
        e.labelKind = .implicit
        e.labelTime = nil
        #expect(e.json.contains(#""label_time":null,"label_delay_ms":null"#))
        #expect(try LabeledExample.decode(json: e.json) == e)
    }

    @Test func rejectsUnknownLabelKind() {
        let json = Self.example.json.replacingOccurrences(of: #""observed""#, with: #""guessed""#)
        #expect { try LabeledExample.decode(json: json) } throws: {
            let e = $0 as? EventDecodingError
            return e?.field == "label_kind" && e?.message.contains("observed, implicit, correction") == true
        }
    }
}

@Suite struct ModelUpdateEventTests {
    static let update = ModelUpdateEvent(
        model: "ctr", version: "4", parentVersion: "3", kind: .stateful, trigger: .init(kind: "volume", detail: "1024 examples"),
        data: .init(exampleCount: 1024, eventTimeFrom: EventTime(milliseconds: 0), eventTimeTo: EventTime(milliseconds: 60_000),
                    sourceOffsets: [.init(topic: "labeled-examples", partition: 0, from: 10, to: 1034)]),
        metrics: [.init(set: "recent", candidate: ["log_loss": 0.41], champion: ["log_loss": 0.45]), .init(set: "static_holdout", candidate: ["auc": 0.8])],
        decision: .promoted, reason: "better on both sets", checkpoint: .init(uri: "file:///tmp/ckpt", sha256: "ab12", bytes: 2048),
        parameters: .object([("bias", .number(-0.1)), ("weights", .array([.number(0.5), .number(-2)]))]), createdAt: EventTime(milliseconds: 61_000))

    @Test func roundTrips() throws {
        let decoded = try ModelUpdateEvent.decode(json: Self.update.json)
        #expect(decoded == Self.update)
    }

    @Test func namesNestedFields() {
        let json = Self.update.json.replacingOccurrences(of: #""example_count":1024"#, with: #""example_count":"many""#)
        #expect { try ModelUpdateEvent.decode(json: json) } throws: { ($0 as? EventDecodingError)?.field == "data.example_count" }
        let json2 = Self.update.json.replacingOccurrences(of: #""outcome":"promoted""#, with: #""outcome":"maybe""#)
        #expect { try ModelUpdateEvent.decode(json: json2) } throws: { ($0 as? EventDecodingError)?.field == "decision.outcome" }
        let json3 = Self.update.json.replacingOccurrences(of: #""partition":0"#, with: #""partition":"zero""#)
        #expect { try ModelUpdateEvent.decode(json: json3) } throws: { ($0 as? EventDecodingError)?.field == "data.source_offsets[0].partition" }
    }
}

@Suite struct ModelCommandTests {
    static let command = ModelCommand(commandID: "c-1", model: "ctr", action: .rollback, toVersion: "v3", reason: "bad deploy",
                                      requestedAt: EventTime(milliseconds: 1_000))

    @Test func roundTrips() throws {
        #expect(try ModelCommand.decode(json: Self.command.json) == Self.command)
        let minimal = #"{"command_id":"c","model":"m","action":"retrain","requested_at":"2026-11-23T10:00:00Z"}"#
        #expect(try ModelCommand.decode(json: minimal).toVersion == nil)
    }

    @Test func rejectsGarbageNamingTheField() {
        let badAction = Self.command.json.replacingOccurrences(of: #""action":"rollback""#, with: #""action":"explode""#)
        #expect { try ModelCommand.decode(json: badAction) } throws: { ($0 as? EventDecodingError)?.field == "action" }
        let noModel = Self.command.json.replacingOccurrences(of: #""model":"ctr","#, with: "")
        #expect { try ModelCommand.decode(json: noModel) } throws: { ($0 as? EventDecodingError)?.field == "model" }
        #expect { try ModelCommand.decode(json: "retrain ctr") } throws: { $0 is EventDecodingError }
        #expect { try ModelCommand.decode(json: "") } throws: { $0 is EventDecodingError }
    }
}

@Suite struct AlertEventTests {
    static let alert = AlertEvent(
        alertID: "a-1", status: .firing, model: "ctr", kind: .featureDrift, severity: .warning, subject: "x3", detector: "ks",
        statistic: 0.21, pValue: 1e-9, threshold: 0.01, window: .init(from: EventTime(milliseconds: 0), to: EventTime(milliseconds: 1000), count: 500),
        reference: .init(from: EventTime(milliseconds: -5000), to: EventTime(milliseconds: 0), count: 5000),
        description: "x3 drifted: KS 0.21 (p=1e-9); check the upstream producer of x3 first", firstSeen: EventTime(milliseconds: 1000),
        lastSeen: EventTime(milliseconds: 3000), occurrences: 3)

    @Test func roundTrips() throws {
        #expect(try AlertEvent.decode(json: Self.alert.json) == Self.alert)
    }

    @Test func rejectsUnknownKind() {
        let json = Self.alert.json.replacingOccurrences(of: #""feature_drift""#, with: #""vibes""#)
        #expect { try AlertEvent.decode(json: json) } throws: { ($0 as? EventDecodingError)?.field == "kind" }
    }
}

@Suite struct EventTimeTests {
    @Test func parsesRFC3339Forms() {
        #expect(EventTime(rfc3339: "1970-01-01T00:00:00Z")?.milliseconds == 0)
        #expect(EventTime(rfc3339: "1970-01-01T00:00:00.5Z")?.milliseconds == 500)
        #expect(EventTime(rfc3339: "1970-01-01T00:00:00.123456789Z")?.milliseconds == 123)
        #expect(EventTime(rfc3339: "1970-01-01t01:00:00+01:00")?.milliseconds == 0)
        #expect(EventTime(rfc3339: "1970-01-01 00:00:00-00:30")?.milliseconds == 1_800_000)
        #expect(EventTime(rfc3339: "2024-02-29T12:00:00Z") != nil)
        #expect(EventTime(rfc3339: "1969-12-31T23:59:59.999Z")?.milliseconds == -1)
        for bad in ["2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T10:00:00", "2026-11-23",
                    "2026-11-23T10:00:00.Z", "2026-11-23T10:00:00+0100", "2026-11-23T10:00:00Zjunk", "0000-01-01T00:00:00Z"] {
            #expect(EventTime(rfc3339: bad) == nil, "\(bad)")
        }
    }

    @Test func formatsWithMillisecondsInUTC() {
        #expect(EventTime(milliseconds: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(EventTime(milliseconds: 1_767_225_600_123).rfc3339 == "2026-01-01T00:00:00.123Z")
        #expect(EventTime(milliseconds: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
        #expect(EventTime.maximum.rfc3339 == "9999-12-31T23:59:59.999Z")
    }

    /// Times written through one day cache, in an order that stays on a day, steps across midnight (both ways
    /// and before 1970) and jumps, are byte for byte what a fresh conversion writes.
    @Test func theDayCacheNeverLeavesAStaleDate() {
        var times: [Int64] = [0, -1, 1, 86_399_999, 86_400_000, -86_400_000, -86_400_001, 1_767_225_599_999, 1_767_225_600_000,
                              1_767_225_599_999, EventTime.maximum.milliseconds, EventTime.minimum.milliseconds, 5]
        var rng = SystemRandomNumberGenerator()
        var t = Int64.random(in: 0 ... 2_000_000_000_000, using: &rng)
        for _ in 0 ..< 20_000 {
            t += Int64.random(in: -3_600_000 ... 7_200_000, using: &rng)
            times.append(Int64.random(in: 0 ..< 50, using: &rng) == 0 ? Int64.random(in: -1_000_000_000_000 ... 1_000_000_000_000, using: &rng) : t)
        }
        var cache = RFC3339DayCache()
        var cached = [UInt8](repeating: 0, count: EventTime.rfc3339Length)
        for ms in times {
            let time = EventTime(milliseconds: ms)
            cached.withUnsafeMutableBufferPointer { time.writeRFC3339(to: $0.baseAddress!, cache: &cache) }
            #expect(String(decoding: cached, as: UTF8.self) == time.rfc3339, "\(ms)")
        }
    }

    @Test func formatThenParseIsIdentity() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let t = EventTime(milliseconds: Int64.random(in: EventTime.minimum.milliseconds...EventTime.maximum.milliseconds, using: &rng))
            #expect(EventTime(rfc3339: t.rfc3339) == t)
        }
    }
}

@Suite struct JSONValueTests {
    @Test func parsesAndEncodesDeterministically() throws {
        let v = try JSONValue.parse(#" { "b" : [1, 2.5, "x", true, null], "a": {"c": -0} } "#)
        #expect(v.json == #"{"b":[1,2.5,"x",true,null],"a":{"c":-0}}"#)
        #expect(v["a"]?["c"] == .number(0))
    }
}
