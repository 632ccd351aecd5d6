import Backtest
import Events
import Foundation
import LabelJoin
import Pipeline
import Testing
import TidelineConfig
import Training

/// A small drifting log on disk, written the way `tideline generate` writes it.
struct DriftingLog {
    let directory: URL
    let predictions: String
    let labels: String
    let count: Int

    init(events: Int = 16_000, driftAt: Int = 9_000, seed: UInt64 = 5, malformed: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-backtest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var traffic = SyntheticTraffic(seed: seed, intervalMilliseconds: 1_000, missingLabelRate: 0.1, meanLabelDelayMilliseconds: 30_000)
        traffic.driftAtIndex = driftAt
        var p = "", l: [(Int64, String)] = []
        for _ in 0 ..< events {
            let (prediction, label) = traffic.next()
            p += String(decoding: prediction.encoded(), as: UTF8.self) + "\n"
            if let label { l.append((label.timestamp.milliseconds, String(decoding: label.encoded(), as: UTF8.self))) }
        }
        for line in malformed { p += line + "\n" }
        predictions = directory.appendingPathComponent("predictions.jsonl").path
        labels = directory.appendingPathComponent("labels.jsonl").path
        try p.write(toFile: predictions, atomically: true, encoding: .utf8)
        try l.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n").appending("\n").write(toFile: labels, atomically: true, encoding: .utf8)
        count = events
    }

    static let config = """
        monitor:
          defaults: {window: 1h, hop: 1h, allowed_lateness: 1m, label_lateness: 30m, min_window_events: 500}
        models:
          ctr:
            join: {window: 10m, default_label: false}
            train:
              model: logistic_regression
              batch_size: 512
              triggers: {examples: 1024, on_drift: true}
              static_holdout_size: 500
              recent_holdout_size: 500
        """
}

@Suite struct BacktestPipelineTests {
    static func report(_ log: DriftingLog, sweep: [String], events: [BacktestEvent]? = nil, yaml: String = DriftingLog.config) throws -> BacktestReport {
        let contents = try EventLogFile.read([log.predictions, log.labels])
        let input = events ?? contents.events
        let times = input.map(\.time)
        var report = BacktestReport(input: .init(sources: ["p", "l"]), bucketMilliseconds: BacktestReport.bucket(forSpan: times.max()! - times.min()!),
                                    firstEventTime: times.min(), lastEventTime: times.max())
        report.input.malformedCount = contents.malformed.count
        report.input.malformed = contents.malformed
        for c in try BacktestSweep(sweep).configurations() {
            let config = try TidelineConfiguration.parse(yaml, overrides: c.overrides)
            var tasks: [String: LearningTask] = [:]
            for m in config.models { tasks[m.name] = .binaryClassification }
            let setup = BacktestSetup(join: config.joinConfiguration, monitor: config.monitorConfiguration, trainers: config.trainConfigurations, tasks: tasks)
            report.add(try BacktestPipeline(setup: setup).run(input), name: c.name, overrides: c.assignments)
        }
        return report
    }

    /// Two runs over the same files give byte-identical report.json and report.html; so does a shuffled copy of
    /// the input (the order comes from the events, not from how they were exported or partitioned).
    @Test func runsAreByteIdenticalAndIndependentOfInputOrder() throws {
        let log = try DriftingLog(events: 8_000, driftAt: 5_000)
        let a = try Self.report(log, sweep: ["trigger=volume:1024,never"])
        let b = try Self.report(log, sweep: ["trigger=volume:1024,never"])
        #expect(try a.json() == b.json())
        #expect(BacktestHTML.render(a) == BacktestHTML.render(b))
        var events = try EventLogFile.read([log.predictions, log.labels]).events
        var rng = SeededGenerator(seed: 3)
        events.shuffle(using: &rng)
        let shuffled = try Self.report(log, sweep: ["trigger=volume:1024,never"], events: events)
        #expect(try shuffled.json() == a.json())
        #expect(a.configurations.count == 2)
        #expect(a.configurations[0].models[0].updates.count > 3)
    }

    /// The loop closes in a backtest: after the drift the monitor raises an alert, the volume-triggered trainer
    /// promotes new versions (the gate adapts to the change), and its champion beats the served model after the
    /// drift, while a never-updated configuration has no champion at all.
    @Test func retrainingRecoversAfterTheDriftAndTheReportChartsEveryConfiguration() throws {
        let log = try DriftingLog()
        let report = try Self.report(log, sweep: ["trigger=volume:1024,never"])
        let start = report.firstEventTime!
        let driftTime = start + 9_000 * 1_000
        let volume = report.configurations[0], never = report.configurations[1]
        #expect(volume.name == "trigger=volume:1024" && never.name == "trigger=never")
        #expect(volume.alerts.contains { $0.status == "firing" && $0.at >= driftTime })
        let ctr = volume.models.first { $0.model == "ctr" }!
        #expect(ctr.updates.contains { $0.decision == "promoted" && $0.at > driftTime + 600_000 })
        // Buckets starting well after the drift: the champion beats what was served.
        let after = ctr.series.filter { $0.from >= driftTime + 3_600_000 }
        #expect(!after.isEmpty)
        let champion = after.compactMap(\.champion).reduce(0, +) / Double(after.count)
        let served = after.compactMap(\.served).reduce(0, +) / Double(after.count)
        #expect(champion > served + 0.2, "champion \(champion) vs served \(served) after the drift")
        #expect(never.models.first { $0.model == "ctr" }!.championExamples == 0)
        let html = BacktestHTML.render(report)
        #expect(html.components(separatedBy: "<svg class=\"chart config\"").count - 1 == report.configurations.count)
        #expect(html.components(separatedBy: "<svg class=\"chart overlay\"").count - 1 == 1)
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
    }

    /// Malformed lines are reported with file and line number, and the rest of the file still runs.
    @Test func malformedLinesAreReportedWithTheirLineNumbers() throws {
        let log = try DriftingLog(events: 1_000, driftAt: 900, malformed: ["not json", #"{"request_id": "x", "model": "ctr"}"#])
        let contents = try EventLogFile.read([log.predictions, log.labels])
        #expect(contents.malformed.map(\.line) == [1_001, 1_002])
        #expect(contents.malformed.allSatisfy { $0.file == log.predictions && !$0.error.isEmpty })
        #expect(contents.events.filter { if case .prediction = $0.payload { true } else { false } }.count == 1_000)
        #expect(contents.kinds[log.labels] == .labels)
        #expect(throws: EventLogFile.ReadError.self) { try EventLogFile.read([log.directory.appendingPathComponent("missing.jsonl").path]) }
    }
}

/// Input naming more distinct models than one join operator holds: the extra events are skipped and counted,
/// the run completes (the join stage dead-letters the same events).
@Suite struct BacktestModelLimitTests {
    @Test func eventsBeyondTheModelLimitAreSkippedAndCounted() throws {
        let t0: Int64 = 1_700_000_000_000
        var events: [BacktestEvent] = []
        let models = 8_195  // the limit is 8,191 names
        for i in 0 ..< models {
            let p = PredictionEvent(requestID: "r\(i)", model: "m\(i)", modelVersion: "1", timestamp: EventTime(milliseconds: t0 + Int64(i)),
                                    features: [Feature("x", .number(1))], prediction: .score(0.5))
            events.append(BacktestEvent(.prediction(p), source: 0, position: Int64(i)))
        }
        let extra = LabelEvent(requestID: "late", timestamp: EventTime(milliseconds: t0 + 9_000), label: .bool(true), model: "yet-another")
        events.append(BacktestEvent(.label(extra), source: 1, position: 0))
        let setup = BacktestSetup(join: JoinConfiguration(defaultPolicy: JoinPolicy(window: 1_000, backwardWindow: 0, grace: 0, correctionHorizon: 0,
                                                                                      defaultLabel: .bool(false), aggregation: .max)),
                                  monitoring: false)
        let result = try BacktestPipeline(setup: setup).run(events)
        #expect(result.overModelLimit == models - 8_191 + 1)
        #expect(result.join.predictions == 8_191)
    }
}
