import Foundation
import Testing
import TidelineTestKit

/// `tideline generate` and `tideline backtest` as a user runs them: files in, reports out, exit codes.
@Suite struct BacktestCommandTests {
    static let tideline = Subprocess.tidelineBinary

    @Test(.timeLimit(.minutes(5)))
    func generateThenBacktestWritesBothReportsAndReportsBadLines() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-backtest-cli-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let generated = try await Subprocess.run(Self.tideline, ["generate", "--events", "3000", "--drift-at", "2000", "--output", dir.path])
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect(generated.stdout.contains("wrote 3000 predictions"))
        let predictions = dir.appendingPathComponent("predictions.jsonl")
        let handle = try FileHandle(forWritingTo: predictions)
        handle.seekToEndOfFile()
        handle.write(Data("this is not an event\n".utf8))
        try handle.close()
        let config = dir.appendingPathComponent("c.yaml")
        try "models:\n  ctr:\n    join: {window: 10m, default_label: false}\n    train: {batch_size: 512, triggers: {examples: 512}}\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("report")
        let run = try await Subprocess.run(Self.tideline, [
            "backtest", "--config", config.path, "--input", predictions.path, "--input", "labels:" + dir.appendingPathComponent("labels.jsonl").path,
            "--sweep", "trigger=volume:512,never", "--output", out.path, "--no-monitor",
        ], timeout: .seconds(150))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("predictions.jsonl:3001: skipped:"), "\(run.stderr)")
        #expect(run.stdout.contains("trigger=volume:512: ctr accuracy"), "\(run.stdout)")
        #expect(run.stdout.contains("trigger=never: ctr accuracy"), "\(run.stdout)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as! [String: Any]
        let input = json["input"] as! [String: Any]
        #expect(input["predictions"] as? Int == 3000 && input["malformedCount"] as? Int == 1)
        #expect((json["configurations"] as! [[String: Any]]).count == 2)
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.components(separatedBy: "<svg class=\"chart config\"").count - 1 == 2)
    }

    /// A file in which no line is an event fails with exit 65 and says how to name its kind.
    @Test func aFileWithNoEventsExits65() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID()).jsonl").path
        try "garbage\n{\"x\": 1}\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await Subprocess.run(Self.tideline, ["backtest", "--input", path, "--output", path + ".out"])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("no line decodes as a prediction or a label event; prefix the path with predictions: or labels:"))
    }
}
