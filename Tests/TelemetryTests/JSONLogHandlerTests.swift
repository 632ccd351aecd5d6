import Foundation
import Logging
import Testing
@testable import Telemetry
import TidelineTestKit

@Suite struct JSONLogHandlerTests {
    @Test func oneEscapedObjectPerLineWithMetadataAsKeys() throws {
        let lines = LockedList<String>()
        var logger = Logger(label: "tideline.test") { JSONLogHandler(label: $0) { lines.append($0) } }
        logger.logLevel = .debug
        logger[metadataKey: "stage"] = "join"
        logger.info("a \"quoted\"\nmessage\u{1}", metadata: ["partition": "3", "message": "shadowed", "ctx": ["model": "ctr"], "ids": ["a", "b"]])
        logger.trace("below the level")
        let all = lines.all
        #expect(all.count == 1)
        let line = try #require(all.first)
        #expect(line.hasSuffix("}\n") && !line.dropLast().contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["logger"] as? String == "tideline.test")
        #expect(object["message"] as? String == "a \"quoted\"\nmessage\u{1}")
        #expect(object["stage"] as? String == "join")
        #expect(object["partition"] as? String == "3")
        #expect(object["meta.message"] as? String == "shadowed")
        #expect(object["ctx.model"] as? String == "ctr")
        #expect(object["ids"] as? [String] == ["a", "b"])
        let ts = try #require(object["ts"] as? String)
        #expect(ts.count == 24 && ts.hasSuffix("Z"), "\(ts)")
    }
}
