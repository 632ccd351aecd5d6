import Events
import Testing
@testable import Pipeline

/// The demo's conclusions from what it read back: which alert counts, which promotion brought accuracy back, and
/// the accuracies around the drift.
@Suite struct DemoScoreboardTests {
    static let start = EventTime(milliseconds: 1_800_000_000_000)

    /// `count` examples predicted at `at`…(spread over 1 s) by `version`, `correct` of them right.
    static func examples(at: Int64, version: String, count: Int, correct: Int) -> [LabeledExample] {
        (0 ..< count).map { i in
            let right = i < correct
            return LabeledExample(eventID: "ex-\(version)-\(at)-\(i)", requestID: "r-\(at)-\(i)", model: "ctr", modelVersion: version,
                                  entityID: nil, itemID: nil, features: [], prediction: .score(0.9), label: .bool(right),
                                  labelKind: .observed, predictionTime: EventTime(milliseconds: start.milliseconds + at + Int64(i)), labelTime: nil)
        }
    }

    static func alert(_ id: String, status: AlertEvent.Status = .firing, windowEnd: Int64) -> AlertEvent {
        AlertEvent(alertID: id, status: status, model: "ctr", kind: .featureDrift, severity: .warning, subject: "x0", detector: "ks_2samp",
                   statistic: 0.5, pValue: 0, threshold: 0.1,
                   window: .init(from: EventTime(milliseconds: start.milliseconds + windowEnd - 5_000), to: EventTime(milliseconds: start.milliseconds + windowEnd), count: 5_000),
                   reference: nil, description: "Feature x0 drifted. More.", firstSeen: start, lastSeen: start, occurrences: 1)
    }

    static func promotion(_ version: String) -> ModelUpdateEvent {
        ModelUpdateEvent(model: "ctr", version: version, parentVersion: nil, kind: .stateful, trigger: .init(kind: "volume"),
                         data: .init(exampleCount: 2048), metrics: [], decision: .promoted, reason: "non-inferior", checkpoint: nil,
                         parameters: nil, createdAt: start)
    }

    @Test func aLoopThatClosesIsSummarizedWithTheRetrainThatRecovered() {
        var board = DemoScoreboard(start: Self.start, driftAt: 20_000)
        for s in stride(from: Int64(0), to: 20_000, by: 1_000) {
            for e in Self.examples(at: s, version: s < 10_000 ? "builtin" : "v1", count: 100, correct: 75) { board.record(e) }
        }
        board.record(Self.promotion("v1"), at: 10_000)
        // An alert before the drift and one on a window that ended before it do not count.
        board.record(Self.alert("early", windowEnd: 15_000), at: 16_000)
        board.record(Self.alert("stale", windowEnd: 20_000), at: 21_000)
        // v2, promoted after the drift but trained on the old world, does not recover; v3 does.
        board.record(Self.promotion("v2"), at: 22_000)
        board.record(Self.alert("x0", windowEnd: 25_000), at: 26_000)
        board.record(Self.promotion("v3"), at: 30_000)
        board.record(Self.promotion("v4"), at: 35_000)
        for s in stride(from: Int64(20_000), to: 40_000, by: 1_000) {
            let version = s < 22_000 ? "v1" : s < 30_000 ? "v2" : s < 35_000 ? "v3" : "v4"
            let correct = s < 30_000 ? 25 : s < 35_000 ? 76 : 80
            for e in Self.examples(at: s, version: version, count: 100, correct: correct) { board.record(e) }
        }
        board.record(Self.alert("x0", status: .resolved, windowEnd: 40_000), at: 41_000)
        let summary = board.summary()
        #expect(summary.accuracyBefore == .init(correct: 1_125, total: 1_500))  // the 15 s before the drift
        #expect(summary.firstAlert?.at == 26_000)
        #expect(summary.promotion?.version == "v3")
        #expect(summary.promotion?.at == 30_000)
        #expect(summary.accuracyDuringDrift == .init(correct: 250, total: 1_000))
        #expect(summary.accuracyAfterRecovery == .init(correct: 380 + 400, total: 1_000))
        #expect(summary.recoveredVersions == ["v3", "v4"])
        #expect(summary.alertsBeforeDrift == 1)
        #expect(summary.finalVersion == "v4")
        #expect(summary.loopClosed)
        #expect(board.openIncidents == ["early", "stale"])
    }

    @Test func noAlertOrNoRecoveryMeansTheLoopDidNotClose() {
        var board = DemoScoreboard(start: Self.start, driftAt: 10_000)
        for s in stride(from: Int64(0), to: 20_000, by: 1_000) {
            for e in Self.examples(at: s, version: s < 12_000 ? "builtin" : "v1", count: 100, correct: s < 10_000 ? 75 : 30) { board.record(e) }
        }
        board.record(Self.promotion("v1"), at: 12_000)
        let summary = board.summary()
        #expect(!summary.loopClosed)
        #expect(summary.firstAlert == nil)
        #expect(summary.promotion == nil)
        #expect(summary.notClosedBecause.count == 2)
        #expect(summary.accuracyDuringDrift == .init(correct: 300, total: 1_000))
    }

    @Test func correctionsAreCountedNotScored() {
        var board = DemoScoreboard(start: Self.start, driftAt: 10_000)
        var e = Self.examples(at: 0, version: "builtin", count: 1, correct: 1)[0]
        e.labelKind = .correction
        board.record(e)
        #expect(board.corrections == 1)
        #expect(board.examples == 0)
        #expect(board.currentAccuracy == nil)
    }
}
