import Events
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
}
