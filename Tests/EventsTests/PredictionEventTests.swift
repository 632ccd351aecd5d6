import Events
import Testing

@Suite struct PredictionEventTests {
    static let valid = #"""
        {"request_id":"r-1","model":"ctr","model_version":"7","timestamp":"2026-11-23T10:08:09.123Z",
         "features":{"age":34,"country":"de","premium":true,"score":-1.5e-3,"missing":null},
         "prediction":0.73,"variant":"B","entity_id":"u-9","item_id":"i-4","served":false,"extra":{"nested":[1,2,{"x":null}]}}
        """#

    @Test func decodesEveryField() throws {
        let p = try PredictionEvent.decode(json: Self.valid)
        #expect(p.requestID == "r-1")
        #expect(p.model == "ctr")
        #expect(p.modelVersion == "7")
        #expect(p.timestamp == EventTime(rfc3339: "2026-11-23T10:08:09.123Z"))
        #expect(p.features == [Feature("age", .number(34)), Feature("country", .string("de")), Feature("premium", .bool(true)),
                               Feature("score", .number(-0.0015)), Feature("missing", .null)])
        #expect(p.prediction == .score(0.73))
        #expect(p.variant == "B")
        #expect(p.entityID == "u-9")
        #expect(p.itemID == "i-4")
        #expect(p.served == false)
        #expect(p.partitionKey == "r-1")
    }

    @Test func roundTripsThroughItsEncoding() throws {
        let p = try PredictionEvent.decode(json: Self.valid)
        let again = try PredictionEvent.decode(p.encoded())
        #expect(again == p)
        #expect(p.json.contains(#""timestamp":"2026-11-23T10:08:09.123Z""#))
    }

    /// A decoded score is written back as the text it was read from; equality and hashing compare values; setting
    /// the prediction, or a text longer than 24 bytes, gives the formatted (shortest) text.
    @Test func aDecodedScoreKeepsItsTextButComparesByValue() throws {
        func decoded(_ score: String) throws -> PredictionEvent {
            try PredictionEvent.decode(json: #"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{},"prediction":\#(score)}"#)
        }
        func written(_ p: PredictionEvent) -> String {
            var w = JSONWriter(capacity: 32)
            p.writePrediction(into: &w)
            return String(decoding: w.bytes, as: UTF8.self)
        }
        let padded = try decoded("0.250")
        #expect(written(padded) == "0.250")
        #expect(padded.json.contains(#""prediction":0.250"#))
        #expect(padded == (try decoded("0.25")))
        #expect(padded.hashValue == (try decoded("2.5e-1")).hashValue)
        var changed = padded
        changed.prediction = .score(0.25)
        #expect(written(changed) == "0.25")
        #expect(written(try decoded("0.1000000000000000000000000001")) == "0.1")
        #expect(written(try decoded(" 1e2 ")) == "1e2")
        #expect(written(try decoded("\"cat\"")) == #""cat""#)
        #expect(written(PredictionEvent(requestID: "r", model: "m", modelVersion: "1", timestamp: EventTime(milliseconds: 0),
                                        features: [], prediction: .score(0.1 + 0.2))) == "0.30000000000000004")
    }

    /// `writeDecodedScoreText(to:)` writes exactly what `writePrediction(into:)` writes for a score kept as decoded,
    /// and nothing (0) when there is no such text: a class, a score too long to keep, one built in code or set since.
    @Test func theDecodedScoreTextIsWrittenAsDecodedOrNotAtAll() throws {
        func decoded(_ score: String) throws -> PredictionEvent {
            try PredictionEvent.decode(json: #"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{},"prediction":\#(score)}"#)
        }
        func direct(_ p: PredictionEvent) -> String? {
            var buffer = [UInt8](repeating: 0xEE, count: PredictionEvent.maxDecodedScoreTextBytes + 1)
            let n = buffer.withUnsafeMutableBufferPointer { p.writeDecodedScoreText(to: $0.baseAddress!) }
            #expect(buffer[n...].allSatisfy { $0 == 0xEE }, "wrote past its length")
            return n == 0 ? nil : String(decoding: buffer[..<n], as: UTF8.self)
        }
        for text in ["0.250", "-0", "1E+2", "7.3126543210987654e-5", "123456789012345678901234"] {
            let p = try decoded(text)
            #expect(p.hasDecodedScoreText, "\(text)")
            #expect(direct(p) == text)
        }
        var changed = try decoded("0.250")
        changed.prediction = .score(0.25)
        let none = [try decoded("0.1000000000000000000000000001"), try decoded("\"cat\""), changed,
                    PredictionEvent(requestID: "r", model: "m", modelVersion: "1", timestamp: EventTime(milliseconds: 0),
                                    features: [], prediction: .score(0.5))]
        for p in none {
            #expect(!p.hasDecodedScoreText)
            #expect(direct(p) == nil)
        }
    }

    @Test func acceptsEpochMillisecondsAndNumericVersionAndClassPrediction() throws {
        let p = try PredictionEvent.decode(json: #"{"request_id":"r","model":"m","model_version":3,"timestamp":1767225600000,"features":{},"prediction":"cat"}"#)
        #expect(p.timestamp.milliseconds == 1_767_225_600_000)
        #expect(p.modelVersion == "3")
        #expect(p.prediction == .label("cat"))
        #expect(p.served)
    }

    @Test(arguments: [
        (#"{"model":"m","model_version":"1","timestamp":0,"features":{},"prediction":1}"#, "request_id", EventDecodingError.Kind.missingField),
        (#"{"request_id":"","model":"m","model_version":"1","timestamp":0,"features":{},"prediction":1}"#, "request_id", .invalidField),
        (#"{"request_id":7,"model":"m","model_version":"1","timestamp":0,"features":{},"prediction":1}"#, "request_id", .invalidField),
        (#"{"request_id":"r","model_version":"1","timestamp":0,"features":{},"prediction":1}"#, "model", .missingField),
        (#"{"request_id":"r","model":["m"],"model_version":"1","timestamp":0,"features":{},"prediction":1}"#, "model", .invalidField),
        (#"{"request_id":"r","model":"m","timestamp":0,"features":{},"prediction":1}"#, "model_version", .missingField),
        (#"{"request_id":"r","model":"m","model_version":1.5,"timestamp":0,"features":{},"prediction":1}"#, "model_version", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","features":{},"prediction":1}"#, "timestamp", .missingField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":"yesterday","features":{},"prediction":1}"#, "timestamp", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":"2026-02-30T00:00:00Z","features":{},"prediction":1}"#, "timestamp", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":1.5,"features":{},"prediction":1}"#, "timestamp", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":true,"features":{},"prediction":1}"#, "timestamp", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"prediction":1}"#, "features", .missingField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":[1,2],"prediction":1}"#, "features", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{"a":[1]},"prediction":1}"#, "features.a", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{"a":{"b":1}},"prediction":1}"#, "features.a", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{"a":1,"a":2},"prediction":1}"#, "features.a", .duplicateField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{"":1},"prediction":1}"#, "features", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{}}"#, "prediction", .missingField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{},"prediction":null}"#, "prediction", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{},"prediction":1,"variant":3}"#, "variant", .invalidField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{},"prediction":1,"served":"no"}"#, "served", .invalidField),
        (#"{"request_id":"r","request_id":"s","model":"m","model_version":"1","timestamp":0,"features":{},"prediction":1}"#, "request_id", .duplicateField),
        (#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{},"prediction":1e999}"#, "prediction", .invalidField),
    ])
    func rejectsEachInvalidFieldByName(json: String, field: String, kind: EventDecodingError.Kind) {
        #expect {
            try PredictionEvent.decode(json: json)
        } throws: { error in
            guard let e = error as? EventDecodingError else { return false }
            return e.field == field && e.kind == kind && e.description.contains("\"\(field)\"")
        }
    }

    @Test(arguments: ["", "   ", "null", "[]", "\"x\"", "{", "{\"request_id\":}", "{\"request_id\":\"r\"", "{\"a\":1}x", "not json",
                      "{\"request_id\":\"r\",}", "{'request_id':'r'}", "{\"request_id\":\"\u{01}\"}"])
    func rejectsMalformedJSON(json: String) {
        #expect(throws: EventDecodingError.self) { try PredictionEvent.decode(json: json) }
    }

    @Test func rejectsInvalidUTF8() {
        var bytes = Array(#"{"request_id":"r"#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#"","model":"m","model_version":"1","timestamp":0,"features":{},"prediction":1}"#.utf8)
        #expect {
            try PredictionEvent.decode(bytes)
        } throws: { ($0 as? EventDecodingError)?.description.contains("UTF-8") == true }
    }

    @Test func enforcesLimits() {
        var limits = EventLimits()
        limits.maxFeatures = 3
        let many = #"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{"a":1,"b":2,"c":3,"d":4},"prediction":1}"#
        #expect { try PredictionEvent.decode(json: many, limits: limits) } throws: {
            ($0 as? EventDecodingError)?.kind == .limitExceeded && ($0 as? EventDecodingError)?.field == "features"
        }
        limits = EventLimits()
        limits.maxEventBytes = 64
        #expect { try PredictionEvent.decode(json: Self.valid, limits: limits) } throws: { ($0 as? EventDecodingError)?.kind == .limitExceeded }
        limits = EventLimits()
        limits.maxStringBytes = 4
        #expect { try PredictionEvent.decode(json: Self.valid, limits: limits) } throws: { ($0 as? EventDecodingError)?.kind == .limitExceeded }
        limits = EventLimits()
        limits.maxDepth = 3
        let deep = #"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{},"prediction":1,"x":[[[[[1]]]]]}"#
        #expect { try PredictionEvent.decode(json: deep, limits: limits) } throws: { ($0 as? EventDecodingError)?.kind == .limitExceeded }
    }

    @Test func unescapesStringsAndKeys() throws {
        let json = #"{"request_id":"a\"b\\c\u00e9\ud83d\ude00","model":"m","model_version":"1","timestamp":0,"features":{"caf\u00e9":"x\ny"},"prediction":1}"#
        let p = try PredictionEvent.decode(json: json)
        #expect(p.requestID == "a\"b\\cé😀")
        #expect(p.features == [Feature("café", .string("x\ny"))])
        #expect(try PredictionEvent.decode(p.encoded()) == p)
    }

    @Test func parsesNumbersExactly() throws {
        let cases: [(String, Double)] = [("0", 0), ("-0.5", -0.5), ("1e3", 1000), ("123456789012345678901234567890", 123456789012345678901234567890.0),
                                         ("0.1", 0.1), ("2.2250738585072014e-308", 2.2250738585072014e-308), ("1.7976931348623157e308", 1.7976931348623157e308),
                                         ("3.141592653589793", 3.141592653589793), ("9007199254740993", 9007199254740993.0), ("1E-7", 1e-7)]
        for (text, expected) in cases {
            let p = try PredictionEvent.decode(json: #"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{"v":\#(text)},"prediction":1}"#)
            #expect(p.features["v"] == .number(expected), "\(text)")
        }
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "0x10", "NaN", "Infinity"] {
            #expect(throws: EventDecodingError.self, "\(bad)") {
                try PredictionEvent.decode(json: #"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{"v":\#(bad)},"prediction":1}"#)
            }
        }
    }

    /// Random and mutated inputs must produce a value or an EventDecodingError, never a crash.
    @Test func randomBytesNeverCrash() {
        var rng = SystemRandomNumberGenerator()
        let seed = Array(Self.valid.utf8)
        var decoded = 0
        for i in 0..<20_000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                bytes = seed
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                    }
                    if bytes.isEmpty { break }
                }
            }
            if (try? PredictionEvent.decode(bytes)) != nil { decoded += 1 }
            _ = try? LabelEvent.decode(bytes)
            _ = try? LabeledExample.decode(bytes)
            _ = try? AlertEvent.decode(bytes)
            _ = try? ModelUpdateEvent.decode(bytes)
            _ = try? JSONValue.parse(bytes)
        }
        #expect(decoded < 20_000)
    }
}
