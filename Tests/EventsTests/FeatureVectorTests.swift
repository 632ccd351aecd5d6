import Events
import Statistics
import Testing

@Suite struct FeatureVectorTests {
    func decode(_ features: String) throws -> FeatureVector {
        try PredictionEvent.decode(json: #"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":\#(features),"prediction":1}"#).features
    }

    @Test func keepsTheValidatedBytesAndParsesOnIteration() throws {
        let raw = #"{ "a" : 1.5, "b":"x\"y", "c":true, "d":null }"#
        let v = try decode(raw)
        #expect(v.count == 4)
        #expect(String(decoding: v.json, as: UTF8.self) == raw, "the bytes are kept as received")
        #expect(v.features == [Feature("a", .number(1.5)), Feature("b", .string("x\"y")), Feature("c", .bool(true)), Feature("d", .null)])
        #expect(v["b"] == .string("x\"y"))
        #expect(v["zz"] == nil)
    }

    @Test func equalityIsSemantic() throws {
        let a = try decode(#"{"a":1,"b":"x"}"#), b = try decode(#"{ "a": 1.0, "b": "x" }"#)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a == [Feature("a", .number(1)), Feature("b", .string("x"))])
        #expect(try decode(#"{"b":"x","a":1}"#) != a, "order matters")
    }

    @Test func duplicatesAreFoundThroughEscapesAndBeyondTheInlineHashes() {
        #expect { try decode(#"{"a":1,"\u0061":2}"#) } throws: { ($0 as? EventDecodingError)?.kind == .duplicateField }
        let many = (0..<40).map { #""f\#($0)":\#($0)"# }.joined(separator: ",")
        #expect(throws: Never.self) { try decode("{\(many)}") }
        #expect { try decode("{\(many),\"f3\":9}") } throws: {
            ($0 as? EventDecodingError)?.field == "features.f3" && ($0 as? EventDecodingError)?.kind == .duplicateField
        }
    }

    /// Names are checked for duplicates through a bit filter over their hashes before any scan: a duplicate
    /// anywhere in a vector of any size is still found, and distinct names never are.
    @Test func duplicatesAreFoundWhateverTheFilterSays() {
        var rng = SplitMix64(seed: 3)
        for _ in 0 ..< 100 {
            let n = 1 + Int(rng.below(300))
            let names = (0 ..< n).map { "n\($0)_\(rng.below(1_000_000))" }
            let distinct = names.enumerated().map { #""\#($0.element)":\#($0.offset)"# }.joined(separator: ",")
            #expect(throws: Never.self) { try decode("{\(distinct)}") }
            let again = names[Int(rng.below(UInt64(n)))]
            #expect { try decode("{\(distinct),\"\(again)\":0}") } throws: {
                ($0 as? EventDecodingError)?.kind == .duplicateField && ($0 as? EventDecodingError)?.field == "features.\(again)"
            }
        }
    }

    @Test func validatesValuesWithoutBuildingThem() {
        #expect { try decode(#"{"a":"\x"}"#) } throws: { ($0 as? EventDecodingError)?.kind == .malformedJSON }
        #expect { try decode(#"{"a":"\ud800"}"#) } throws: { ($0 as? EventDecodingError)?.kind == .malformedJSON }
        #expect { try decode(#"{"a":tru}"#) } throws: { ($0 as? EventDecodingError)?.field == "features.a" }
        #expect { try decode(#"{"a":01}"#) } throws: { $0 is EventDecodingError }
    }

    @Test func builtFromValuesRoundTrips() throws {
        let v = FeatureVector([Feature("é", .string("ü\n")), Feature("n", .number(-2.5e-7))])
        #expect(try decode(String(decoding: v.json, as: UTF8.self)) == v)
    }

    /// `forEachRaw` (a fast path for vectors without escapes) hands over exactly what iteration parses, with any
    /// whitespace between tokens, every value type and escapes in names or values.
    @Test func rawVisitMatchesIteration() throws {
        var rng = SplitMix64(seed: 5)
        let spaces = ["", " ", "\n\t ", "\r\n"]
        for round in 0 ..< 500 {
            var parts: [String] = []
            for k in 0 ..< Int(rng.below(12)) {
                let value: String
                switch rng.below(6) {
                case 0: value = String(rng.unit() * 2_000 - 1_000)
                case 1: value = String(Int(rng.below(1_000_000)) - 500_000)
                case 2: value = ["\"a\"", "\"\"", "\"long category value\"", "\"tab\\there\"", "\"\\u00e9\""][Int(rng.below(5))]
                case 3: value = rng.below(2) == 0 ? "true" : "false"
                case 4: value = "null"
                default: value = "\(rng.unit())e\(Int(rng.below(40)) - 20)"
                }
                let name = round % 7 == 0 && k == 0 ? "n\\\"\(k)" : "f\(k)"
                let s = { spaces[Int(rng.below(UInt64(spaces.count)))] }
                parts.append("\(s())\"\(name)\"\(s()):\(s())\(value)\(s())")
            }
            let decoded = try decode("{" + parts.joined(separator: ",") + "}")
            // Decoded, and built from values (whose writer escapes what needs it).
            for vector in [decoded, FeatureVector(Array(decoded))] {
                var visited: [Feature] = []
                vector.forEachRaw { name, value in
                    let text = String(decoding: name, as: UTF8.self)
                    switch value {
                    case .number(let x): visited.append(Feature(text, .number(x)))
                    case .string(let bytes): visited.append(Feature(text, .string(String(decoding: bytes, as: UTF8.self))))
                    case .bool(let b): visited.append(Feature(text, .bool(b)))
                    case .null: visited.append(Feature(text, .null))
                    }
                }
                #expect(visited == Array(vector), "round \(round): \(vector)")
            }
        }
    }

    /// The numbers `forEachRaw` hands over were kept when the vector was made, with the length of their text;
    /// they must be bit for bit what parsing the text gives (signed zeros, integers beyond 2^53, exponents, more
    /// than the 16 kept inline, a text longer than the 255 bytes a kept length holds), and the tokens after them
    /// must still be found.
    @Test func keptNumbersAreTheParsedOnes() throws {
        var rng = SplitMix64(seed: 11)
        let fixed = ["-0", "0", "-0.0", "9007199254740993", "1e308", "-2.5e-310", "123456789012345678901234567890",
                     "0.1", "1E+2", "-17", "1" + String(repeating: "0", count: 299), "0." + String(repeating: "3", count: 300)]
        for round in 0 ..< 200 {
            var texts = fixed.shuffled(using: &rng)
            for _ in 0 ..< Int(rng.below(40)) {
                texts.append(rng.below(2) == 0 ? "\(Double(bitPattern: rng.next() >> 2) * (rng.below(2) == 0 ? 1 : -1))"
                                                : String(Int64(bitPattern: rng.next()) >> Int(rng.below(63))))
            }
            texts = texts.map { $0.contains("inf") || $0.contains("nan") ? "1" : $0 }
            // Numbers between other values, so that the kept ones must stay in step with the number tokens.
            let members = texts.enumerated().map { k, text in #""n\#(k)":\#(text),"s\#(k)":"x","b\#(k)":null"# }
            let decoded = try decode("{" + members.joined(separator: ",") + "}")
            for vector in [decoded, FeatureVector(Array(decoded))] {
                var kept: [UInt64] = []
                vector.forEachRaw { _, value in if case .number(let x) = value { kept.append(x.bitPattern) } }
                let parsed = vector.compactMap { f -> UInt64? in if case .number(let x) = f.value { x.bitPattern } else { nil } }
                #expect(kept == parsed, "round \(round)")
                #expect(kept.count == texts.count)
                var names: [String] = []
                vector.forEachRaw { name, _ in names.append(String(decoding: name, as: UTF8.self)) }
                #expect(names == vector.map(\.name), "round \(round)")
            }
        }
    }
}
