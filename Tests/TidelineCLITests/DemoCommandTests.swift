import Foundation
import Pipeline
import Testing
import TidelineTestKit

/// `tideline demo` as a newcomer runs it: the binary as a subprocess, its own embedded broker, all stages, the
/// simulated service. With a fixed seed the loop must close: an alert after the drift, a promoted retrain that
/// brings accuracy back.
@Suite struct DemoCommandTests {
    @Test(.timeLimit(.minutes(4)))
    func theLoopClosesWithAFixedSeed() async throws {
        let summaryFile = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-demo-summary-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: summaryFile) }
        let result = try await Subprocess.run(Subprocess.tidelineBinary, [
            "demo", "--duration", "45", "--drift-at", "15", "--rate", "400", "--seed", "7", "--summary-json", summaryFile.path,
        ], timeout: .seconds(200))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let summary = try JSONDecoder().decode(DemoSummary.self, from: Data(contentsOf: summaryFile))
        #expect(summary.loopClosed, "\(summary.notClosedBecause)")
        #expect(summary.driftAt == 15_000)
        // An alert about the drifted data, after the drift.
        let alert = try #require(summary.firstAlert)
        #expect(alert.at >= summary.driftAt)
        // A retrained model promoted after the drift, served, and as accurate as the model before the drift.
        let promotion = try #require(summary.promotion)
        #expect(promotion.at > summary.driftAt)
        let before = try #require(summary.accuracyBefore.accuracy)
        let during = try #require(summary.accuracyDuringDrift.accuracy)
        let after = try #require(summary.accuracyAfterRecovery.accuracy)
        #expect(during < before - 0.2, "the drift must hurt the served model: \(during) vs \(before)")
        #expect(after >= before - 0.05)
        #expect(summary.accuracyAfterRecovery.total >= 1_000)
        // (Debug build beside the other tests: 400 predictions/s keeps the trainer up with the traffic.)
        // Every prediction was joined into a labeled example (observed or implicit).
        #expect(summary.examples == 18_000)
        // The live view said what happened, and the summary says the loop closed.
        #expect(result.stdout.contains("DRIFT"))
        #expect(result.stdout.contains("ALERT"))
        #expect(result.stdout.contains("PROMOTED"))
        #expect(result.stdout.contains("The loop closed"))
    }
}
