import Events
import Foundation
import Testing

/// topics/examples holds events checked against the JSON Schemas by scripts/check_topics.py; the Swift
/// decoders must agree with the schemas on every one of them.
@Suite struct TopicExamplesTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("topics/examples")

    func lines(_ file: String) throws -> [String] {
        try String(contentsOf: Self.examples.appendingPathComponent(file), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func decoder(_ topic: String) -> (String) throws -> Void {
        switch topic {
        case "predictions": return { _ = try PredictionEvent.decode(json: $0) }
        case "labels": return { _ = try LabelEvent.decode(json: $0) }
        case "labeled-examples": return { _ = try LabeledExample.decode(json: $0) }
        case "model-updates": return { _ = try ModelUpdateEvent.decode(json: $0) }
        case "model-commands": return { _ = try ModelCommand.decode(json: $0) }
        default: return { _ = try AlertEvent.decode(json: $0) }
        }
    }

    @Test(arguments: ["predictions", "labels", "labeled-examples", "model-updates", "model-commands", "alerts"])
    func validExamplesDecode(topic: String) throws {
        let events = try lines("\(topic).jsonl")
        #expect(!events.isEmpty)
        for line in events { #expect(throws: Never.self) { try decoder(topic)(line) } }
    }

    @Test(arguments: ["predictions", "labels", "alerts", "model-commands"])
    func invalidExamplesAreRejected(topic: String) throws {
        for line in try lines("invalid-\(topic).jsonl") {
            #expect(throws: EventDecodingError.self) { try decoder(topic)(line) }
        }
    }
}
