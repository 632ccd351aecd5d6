import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Pipeline
import Testing
import TidelineTestKit

/// `tideline demo` as a newcomer runs it: the binary as a subprocess, its own embedded broker, all stages, the
/// simulated service. With a fixed seed the loop must close: an alert after the drift, a promoted retrain that
/// brings accuracy back. While it lingers after the summary, its `/metrics` must show every operational metric and
/// its dashboard, loaded in headless Chromium, must show the drift incident and the promoted version.
@Suite struct DemoCommandTests {
    @Test(.timeLimit(.minutes(5)))
    func theLoopClosesWithAFixedSeedAndTheDashboardShowsIt() async throws {
        let chromium = try #require(Subprocess.which("chromium") ?? Subprocess.which("chromium-browser"),
                                    "the dashboard test needs Debian's chromium (scripts/bootstrap.sh --test installs it)")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-demo-test-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let summaryFile = scratch.appendingPathComponent("summary.json"), log = scratch.appendingPathComponent("demo.log")
        // 60 s of traffic: on a machine loaded enough to slow the trainer, the retrain that recovers comes late, and
        // the traffic after it must still be enough to measure (at least 1,000 predictions, below).
        let (seconds, rate) = (60, 400)
        let predictions = seconds * rate
        let demo = try Subprocess.startTideline([
            "demo", "--duration", "\(seconds)", "--drift-at", "15", "--rate", "\(rate)", "--seed", "7", "--summary-json", summaryFile.path,
            "--dashboard-port", "0", "--linger", "150",
        ], appendingOutputTo: log)
        defer { if demo.isRunning { demo.terminate() } }
        func output() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        // The summary is written once the traffic is over and its examples are in; the stages keep running after it.
        let deadline = ContinuousClock.now + .seconds(200)
        while !FileManager.default.fileExists(atPath: summaryFile.path) && demo.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
        }
        try await Task.sleep(for: .milliseconds(300))  // the file is written in one go; let the write finish
        let summary = try JSONDecoder().decode(DemoSummary.self, from: Data(contentsOf: summaryFile))
        let url = try #require(output().split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "dashboard: ") else { return nil }
            return line[r.upperBound...].split(separator: " ").first.map(String.init)
        }.first, "the demo prints its dashboard address: \(output())")

        // `curl /metrics` on the running demo: every metric the operations issue names, with sensible values.
        let metrics = try await Self.get(url + "metrics")
        let samples = Self.samples(metrics)
        func value(_ series: String) -> Double? { samples[series] }
        func values(_ name: String) -> [Double] { samples.filter { $0.key.hasPrefix(name + "{") || $0.key == name }.map(\.value) }
        for stage in ["join", "monitor", "train"] {
            #expect((value("tideline_stage_input_records_total{stage=\"\(stage)\"}") ?? 0) > 0, "input of \(stage)")
            #expect((value("tideline_stage_batch_duration_seconds_count{stage=\"\(stage)\"}") ?? 0) > 0, "latency of \(stage)")
            #expect((value("tideline_stage_record_age_seconds_count{stage=\"\(stage)\"}") ?? 0) > 0, "record age of \(stage)")
        }
        // One example per prediction, plus one correction per label that came after its window closed (more of
        // them on a loaded machine); the stages keep running, so a correction may land after the summary was taken.
        let joined = try #require(value("tideline_stage_output_records_total{stage=\"join\",topic=\"labeled-examples\"}"))
        #expect(joined >= Double(predictions + summary.corrections) && joined <= Double(predictions + predictions * 95 / 100),
                "\(joined) labeled-examples records")
        #expect((value("tideline_stage_output_records_total{stage=\"train\",topic=\"model-updates\"}") ?? 0) >= 1)
        #expect((value("tideline_stage_output_records_total{stage=\"monitor\",topic=\"alerts\"}") ?? 0) >= 1)
        let lags = values("tideline_kafka_consumer_lag_messages")
        #expect(lags.count >= 6 * 2 + 6, "lag per partition of the join's 2 topics and the monitor's predictions at least")
        #expect(lags.allSatisfy { $0 >= 0 })
        #expect(metrics.contains("tideline_dead_letters_total{stage=\"join\""))
        #expect(value("tideline_join_open_predictions") != nil)
        #expect(value("tideline_join_pending_bytes") != nil)
        #expect(value("tideline_join_oldest_pending_age_ms") != nil)
        #expect((value("tideline_join_examples_total{kind=\"implicit\"}") ?? 0) > 0)
        #expect(value("tideline_join_examples_total{kind=\"correction\"}") != nil)
        #expect(value("tideline_join_events{outcome=\"too_late_labels\"}") != nil)
        // Labels come ~1 s after their prediction: most within 5 s.
        let delays = try #require(value("tideline_join_label_delay_seconds_count"))
        #expect(delays > 10_000)
        let meanDelay = try #require(value("tideline_join_label_delay_seconds_sum")) / delays
        #expect(meanDelay > 0.3 && meanDelay < 3, "mean label delay \(meanDelay) s")
        #expect((value("tideline_join_label_completeness{within_ms=\"5000\"}") ?? 0) > 0.9)
        // Drift per feature against its threshold: x0 shifted by 1.5 standard deviations.
        let x0 = try #require(value("tideline_monitor_drift_statistic{model=\"ctr\",feature=\"x0\",test=\"ks\"}"))
        let x0Threshold = try #require(value("tideline_monitor_drift_threshold{model=\"ctr\",feature=\"x0\",test=\"ks\"}"))
        #expect(x0 > x0Threshold)
        #expect((value("tideline_monitor_drift_p_value{model=\"ctr\",feature=\"x0\",test=\"ks\"}") ?? 1) < 1e-6)
        #expect(value("tideline_monitor_drift_statistic{model=\"ctr\",feature=\"prediction\",test=\"ks\"}") != nil)
        #expect((value("tideline_monitor_open_incidents{model=\"ctr\"}") ?? 0) >= 1)
        #expect((value("tideline_train_rows_per_second{model=\"ctr\"}") ?? 0) > 100)
        #expect((value("tideline_train_micro_batch_duration_seconds_count{model=\"ctr\"}") ?? 0) > 0)
        #expect(value("tideline_train_examples_since_update{model=\"ctr\"}") != nil)
        let age = try #require(value("tideline_train_champion_age_seconds{model=\"ctr\"}"))
        #expect(age >= 0 && age < 300, "the champion trained on this run's data: \(age) s")
        // Every decision the summary counts, plus any the trainer made between the summary and this scrape (the stages
        // keep running: a candidate the last examples triggered may be decided just after the summary).
        let promoted = value("tideline_train_gate_decisions_total{model=\"ctr\",decision=\"promoted\"}") ?? 0
        let rejected = value("tideline_train_gate_decisions_total{model=\"ctr\",decision=\"rejected\"}") ?? 0
        #expect(promoted >= Double(summary.promoted) && rejected >= Double(summary.rejected),
                "metrics \(promoted) promoted, \(rejected) rejected; summary \(summary.promoted), \(summary.rejected)")
        #expect(promoted + rejected <= Double(summary.promoted + summary.rejected + 2), "at most a couple of decisions after the summary")

        // The dashboard in a real browser: no script errors, the drift incident, the promoted version.
        let artifacts = Subprocess.tidelineBinary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts.appendingPathComponent("dashboard.png")
        try? FileManager.default.removeItem(at: screenshot)
        let browser = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
                       "--user-data-dir=\(scratch.appendingPathComponent("chromium").path)", "--enable-logging=stderr", "--log-level=0",
                       "--window-size=1440,2400", "--virtual-time-budget=8000"]
        let dom = try await Subprocess.run(chromium, browser + ["--dump-dom", url], timeout: .seconds(90))
        #expect(dom.status == 0, "\(dom.stderr)")
        let page = dom.stdout
        #expect(page.contains("id=\"errors\" data-count=\"0\""), "script errors: \(page)")
        let consoleErrors = dom.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") && ($0.contains("Uncaught") || $0.contains("Error")) }
        #expect(consoleErrors.isEmpty, "\(consoleErrors)")
        #expect(page.contains("data-kind=\"feature_drift\""), "the drift incident")
        #expect(page.contains("Feature x0 drifted"), "the incident's description")
        let promotion = try #require(summary.promotion)
        #expect(page.contains("data-version=\"\(promotion.version)\" data-decision=\"promoted\""), "the promoted retrain \(promotion.version)")
        #expect(page.contains("data-feature=\"x0\""), "drift statistics per feature")
        #expect(page.contains("data-stage=\"join\""), "pipeline throughput per stage")
        #expect(page.contains("<svg"), "charts drawn")
        let shot = try await Subprocess.run(chromium, browser + ["--screenshot=\(screenshot.path)", url], timeout: .seconds(90))
        #expect(shot.status == 0, "\(shot.stderr)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 50_000, "screenshot at \(screenshot.path)")
        print("dashboard screenshot: \(screenshot.path)")

        // SIGTERM ends the lingering demo; it exits 0 because the loop closed.
        demo.terminate()
        await Subprocess.waitForExit(demo)
        #expect(demo.terminationStatus == 0, "\(output())")

        #expect(summary.loopClosed, "\(summary.notClosedBecause)")
        #expect(summary.driftAt == 15_000)
        // An alert about the drifted data, after the drift.
        let alert = try #require(summary.firstAlert)
        #expect(alert.at >= summary.driftAt)
        // A retrained model promoted after the drift, served, and as accurate as the model before the drift.
        #expect(promotion.at > summary.driftAt)
        let before = try #require(summary.accuracyBefore.accuracy)
        let during = try #require(summary.accuracyDuringDrift.accuracy)
        let after = try #require(summary.accuracyAfterRecovery.accuracy)
        #expect(during < before - 0.2, "the drift must hurt the served model: \(during) vs \(before)")
        #expect(after >= before - 0.05)
        #expect(summary.accuracyAfterRecovery.total >= 1_000)
        // (Debug build beside the other tests: 400 predictions/s keeps the trainer up with the traffic.)
        // Every prediction was joined into a labeled example (observed or implicit).
        #expect(summary.examples == predictions)
        // The live view said what happened, and the summary says the loop closed.
        let text = output()
        #expect(text.contains("DRIFT"))
        #expect(text.contains("ALERT"))
        #expect(text.contains("PROMOTED"))
        #expect(text.contains("The loop closed"))
    }

    static func get(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }

    /// `series → value` for every sample line of a Prometheus text exposition.
    static func samples(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = v
        }
        return out
    }
}
