import Alerts
import Events
import Foundation
import Statistics
import Testing
import TidelineTestKit
@testable import Monitoring

@Suite struct MonitorOperatorTests {
    static func run(_ events: [(Int32, PredictionEvent)], operator op: inout MonitorOperator) -> MonitorOperator.Output {
        var out = MonitorOperator.Output()
        for (partition, p) in events { op.process(p, partition: partition, into: &out) }
        op.flush(into: &out)
        return out
    }

    @Test func quietOnStationaryData() {
        var op = MonitorOperator()
        let out = Self.run(MonitorScenario(windows: 30).predictions(), operator: &op)
        #expect(out.alerts.isEmpty, "\(out.alerts.map { "\($0.kind.rawValue):\($0.subject)" })")
        #expect(op.statistics.windowsEvaluated == 29)
        #expect(out.summaries.first?.outcome == .reference)
    }

    @Test func driftedFeatureRaisesExactlyOneIncidentThatResolves() {
        var op = MonitorOperator()
        let out = Self.run(MonitorScenario(windows: 24, ageShift: 8..<14).predictions(), operator: &op)
        let age = out.alerts.filter { $0.kind == .featureDrift && $0.subject == "age" }
        #expect(age.map(\.status) == [.firing, .resolved])
        #expect(Set(age.map(\.alertID)).count == 1)
        // The prediction depends on age, so it drifts too; nothing else does.
        let others = out.alerts.filter { !($0.kind == .featureDrift && $0.subject == "age") && $0.kind != .predictionDrift }
        #expect(others.isEmpty, "\(others.map { "\($0.kind.rawValue):\($0.subject)" })")
        let firing = age[0]
        #expect(firing.window?.count == 1_000)
        #expect(firing.description.contains("Feature age drifted on model m"), "\(firing.description)")
        #expect(firing.description.contains("reference σ"))
        #expect(firing.firstSeen.milliseconds == MonitorScenario.start + 9 * MonitorScenario.windowMs)  // end of window 8
        #expect(age[1].lastSeen.milliseconds == MonitorScenario.start + 17 * MonitorScenario.windowMs)  // third clear window (14, 15, 16) ends
    }

    /// Continual training promotes often. A promotion changes what the model predicts, not what the world sends:
    /// the prediction's reference moves to the new version's first window, the features keep theirs, so feature
    /// drift is still seen when every window is served by a new version.
    @Test func promotionsMoveThePredictionReferenceButNotTheFeatures() {
        var events = MonitorScenario(windows: 14, ageShift: 8..<14).predictions()
        for i in events.indices {
            let w = (events[i].1.timestamp.milliseconds - MonitorScenario.start) / MonitorScenario.windowMs
            events[i].1.modelVersion = "v\(w)"
            // Each version scores differently: a new version alone must not be reported as prediction drift.
            if case .score(let s) = events[i].1.prediction { events[i].1.prediction = .score(w % 2 == 0 ? s : s * s) }
        }
        var op = MonitorOperator()
        let out = Self.run(events, operator: &op)
        let age = out.alerts.filter { $0.kind == .featureDrift && $0.subject == "age" }
        #expect(age.first?.status == .firing)
        #expect(age.first?.firstSeen.milliseconds == MonitorScenario.start + 9 * MonitorScenario.windowMs)  // end of window 8
        #expect(age.first?.reference?.from.milliseconds == MonitorScenario.start)  // the first window, not the last promotion's
        #expect(out.alerts.filter { $0.kind == .predictionDrift }.isEmpty, "\(out.alerts.map { "\($0.kind.rawValue):\($0.subject)" })")
        #expect(op.statistics.windowsEvaluated == 13)
    }

    @Test func interleavingAndSnapshotsDoNotChangeTheResult() throws {
        let events = MonitorScenario(windows: 16, ageShift: 6..<10).predictions()
        var a = MonitorOperator()
        let straight = Self.run(events, operator: &a)
        // Another interleaving of the same partitions (each partition's order kept), with snapshot/restore.
        var byPartition: [[PredictionEvent]] = Array(repeating: [], count: 4)
        for (p, e) in events { byPartition[Int(p)].append(e) }
        var b = MonitorOperator()
        var out = MonitorOperator.Output()
        var cursors = [0, 0, 0, 0]
        var rng = SplitMix64(seed: 99)
        var step = 0
        while cursors.enumerated().contains(where: { $0.element < byPartition[$0.offset].count }) {
            let p = Int(rng.below(4))
            // Burst up to 50 events from one partition (bounded skew: all partitions advance together).
            for _ in 0..<Int(rng.below(50)) where cursors[p] < byPartition[p].count {
                b.process(byPartition[p][cursors[p]], partition: Int32(p), into: &out)
                cursors[p] += 1
            }
            step += 1
            if step % 97 == 0 { b = try MonitorOperator.restore(from: b.snapshot()) }
        }
        b.flush(into: &out)
        #expect(out.alerts == straight.alerts)
        #expect(out.summaries == straight.summaries)
        #expect(!out.alerts.isEmpty)
    }

    @Test func missingFeatureIsACriticalSchemaIncident() {
        var op = MonitorOperator()
        let out = Self.run(MonitorScenario(windows: 12, incomeMissing: 4..<6).predictions(), operator: &op)
        let schema = out.alerts.filter { $0.kind == .schema }
        #expect(schema.map(\.status) == [.firing, .resolved])
        #expect(schema.first?.subject == "income:missing")
        #expect(schema.first?.severity == .critical)
        #expect(schema.first?.firstSeen.milliseconds == MonitorScenario.start + 5 * MonitorScenario.windowMs)
    }

    @Test func narrowingRecommendationsRaiseAFeedbackLoopAlert() {
        var op = MonitorOperator()
        let out = Self.run(MonitorScenario(windows: 14, narrowItems: 5..<9).predictions(), operator: &op)
        let loop = out.alerts.filter { $0.kind == .feedbackLoop }
        #expect(loop.map(\.status) == [.firing, .resolved])
        #expect(loop.first?.description.contains("Item entropy") == true)
    }

    @Test func configuredExpectationsAreChecked() {
        var policy = MonitorPolicy()
        policy.expectations["age"] = FeatureExpectation(minimum: 0, maximum: 55)
        policy.expectations["plan"] = FeatureExpectation(allowed: ["free", "pro"])
        var op = MonitorOperator(configuration: MonitorConfiguration(defaultPolicy: policy))
        let out = Self.run(MonitorScenario(windows: 4).predictions(), operator: &op)
        let subjects = Set(out.alerts.filter { $0.kind == .schema && $0.status == .firing }.map(\.subject))
        #expect(subjects == ["age:range", "plan:allowed"])
    }

    /// 12 windows of 600 labeled examples; the error rate rises from 0.1 to 0.45 in windows 5–7.
    static func degradingExamples() -> [LabeledExample] {
        var rng = SplitMix64(seed: 4)
        var out: [LabeledExample] = []
        for w in 0..<12 {
            let errorRate = (5..<8).contains(w) ? 0.45 : 0.1
            for i in 0..<600 {
                let t = MonitorScenario.start + Int64(w) * MonitorScenario.windowMs + Int64(i) * 500
                let score = rng.unit()
                let correct = rng.unit() >= errorRate
                let label = (score >= 0.5) == correct
                out.append(LabeledExample(eventID: "e\(w)-\(i)", requestID: "r\(w)-\(i)", model: "m", modelVersion: "1", features: [],
                                          prediction: .score(score), label: .bool(label), labelKind: .observed,
                                          predictionTime: EventTime(milliseconds: t), labelTime: EventTime(milliseconds: t + 1_000)))
            }
        }
        return out
    }

    @Test(arguments: [nil, 600]) func performanceDegradationFromLabeledExamples(windowEvents: Int?) {
        var policy = MonitorPolicy()
        policy.windowEvents = windowEvents
        var op = MonitorOperator(configuration: MonitorConfiguration(defaultPolicy: policy))
        var out = MonitorOperator.Output()
        for e in Self.degradingExamples() { op.process(e, partition: 0, into: &out) }
        op.flush(into: &out)
        let perf = out.alerts.filter { $0.kind == .performance && $0.subject == "error_rate" }
        #expect(perf.map(\.status) == [.firing, .resolved])
        #expect(perf.first?.detector == "adwin")
        let evaluated = out.summaries.filter { $0.input == .examples && $0.outcome == .evaluated }
        #expect(evaluated.count == 11)
        #expect(evaluated.allSatisfy { $0.metrics["accuracy"] != nil && $0.metrics["auc"] != nil && $0.metrics["log_loss"] != nil })
        #expect(out.alerts.filter { $0.kind == .labelDrift }.isEmpty)
    }

    /// Accuracy per model version and variant, with examples of several groups interleaved (runs of one group
    /// and switches between them), equals the accuracy counted plainly per group.
    @Test(arguments: [nil, 600]) func accuracyPerVersionAndVariantCountsEachGroup(windowEvents: Int?) {
        var policy = MonitorPolicy()
        policy.windowEvents = windowEvents
        var op = MonitorOperator(configuration: MonitorConfiguration(defaultPolicy: policy))
        var out = MonitorOperator.Output()
        let groups: [(String, String?)] = [("1", nil), ("2", "treatment"), ("2", nil), ("1", "control")]
        var expected: [Int: [String: (correct: Int, total: Int)]] = [:]  // by window
        var rng = SplitMix64(seed: 12)
        var group = 0
        for (k, e) in Self.degradingExamples().enumerated() {
            if rng.below(4) == 0 { group = Int(rng.below(UInt64(groups.count))) }
            let (version, variant) = groups[group]
            let x = LabeledExample(eventID: e.eventID, requestID: e.requestID, model: e.model, modelVersion: version, variant: variant,
                                   features: [], prediction: e.prediction, label: e.label, labelKind: e.labelKind,
                                   predictionTime: e.predictionTime, labelTime: e.labelTime)
            op.process(x, partition: 0, into: &out)
            guard case .score(let s) = e.prediction, case .bool(let b) = e.label else { continue }
            let key = "\(version)/\(variant ?? "-")"
            expected[k / 600, default: [:]][key, default: (0, 0)].total += 1
            if (s >= 0.5) == b { expected[k / 600, default: [:]][key, default: (0, 0)].correct += 1 }
        }
        op.flush(into: &out)
        let evaluated = out.summaries.filter { $0.input == .examples && $0.outcome == .evaluated }
        #expect(evaluated.count >= 11)
        for summary in evaluated {
            let window = Int((summary.start - MonitorScenario.start) / MonitorScenario.windowMs)
            for (key, counts) in expected[window] ?? [:] {
                #expect(summary.metrics["accuracy[\(key)]"] == Double(counts.correct) / Double(counts.total), "window \(window) \(key)")
            }
        }
    }

    /// Count-based windows: 1,000 predictions each, closed the moment the last one arrives (no watermark, no
    /// lateness), reported with the event-time range of what they hold.
    @Test func countBasedTumblingWindowsCloseWhenFull() {
        var policy = MonitorPolicy()
        policy.windowEvents = 1_000
        var op = MonitorOperator(configuration: MonitorConfiguration(defaultPolicy: policy))
        var out = MonitorOperator.Output()
        for (partition, p) in MonitorScenario(windows: 24, ageShift: 8..<14).predictions() { op.process(p, partition: partition, into: &out) }
        // Every window is closed and evaluated before the end of input is declared.
        let summaries = out.summaries.filter { $0.input == .predictions }
        #expect(summaries.count == 24 && summaries.allSatisfy { $0.count == 1_000 })
        let step = MonitorScenario.windowMs / 1_000
        #expect(summaries[3].start == MonitorScenario.start + 3 * MonitorScenario.windowMs)
        #expect(summaries[3].end == MonitorScenario.start + 4 * MonitorScenario.windowMs - step + 1)
        let age = out.alerts.filter { $0.kind == .featureDrift && $0.subject == "age" }
        #expect(age.map(\.status) == [.firing, .resolved])
        #expect(Set(age.map(\.alertID)).count == 1)
        #expect(age.first?.window?.count == 1_000)
        // Fired at the end of window 9 (two windows in a row); first seen one window length earlier: the end of window 8.
        let firstSeen = age.first?.firstSeen.milliseconds ?? 0
        #expect(abs(firstSeen - (MonitorScenario.start + 9 * MonitorScenario.windowMs)) <= step, "\(firstSeen)")
        var end = MonitorOperator.Output()
        op.flush(into: &end)
        #expect(end.summaries.isEmpty)
    }

    @Test func countBasedSlidingWindowsOverlapByTheirHop() throws {
        var policy = MonitorPolicy()
        policy.windowEvents = 1_000
        policy.hopEvents = 250
        var op = MonitorOperator(configuration: MonitorConfiguration(defaultPolicy: policy))
        var out = MonitorOperator.Output()
        let events = MonitorScenario(windows: 10).predictions()
        for (partition, p) in events.prefix(6_000) { op.process(p, partition: partition, into: &out) }
        // A snapshot between windows restores the open windows and the event count.
        op = try MonitorOperator.restore(from: op.snapshot())
        for (partition, p) in events.dropFirst(6_000) { op.process(p, partition: partition, into: &out) }
        // Windows start at events 0, 250, …, 9,000: 37 full ones.
        let full = out.summaries.filter { $0.input == .predictions }
        #expect(full.count == 37 && full.allSatisfy { $0.count == 1_000 })
        #expect(zip(full, full.dropFirst()).allSatisfy { $1.start - $0.start == 250 * (MonitorScenario.windowMs / 1_000) })
        #expect(out.alerts.isEmpty, "\(out.alerts.map { "\($0.kind.rawValue):\($0.subject)" })")
        // The end of input closes the three partial windows (750, 500 and 250 events; the last is too small).
        var end = MonitorOperator.Output()
        op.flush(into: &end)
        #expect(end.summaries.map(\.count) == [750, 500, 250])
        #expect(end.summaries.map(\.outcome) == [.evaluated, .evaluated, .skipped])
    }

    @Test func storedSnapshotIsTheReferenceFromTheFirstWindow() throws {
        // The snapshot: two windows of unshifted traffic, as JSON Lines of prediction events.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reference-\(UUID().uuidString).jsonl").path
        let lines = MonitorScenario(windows: 2, seed: 7).predictions().map { String(decoding: $0.1.encoded(), as: UTF8.self) }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var policy = MonitorPolicy()
        policy.reference = .snapshot
        policy.referencePath = path
        let configuration = MonitorConfiguration(policies: ["m": policy])
        let references = try configuration.loadReferences(models: ["m"])
        #expect(references["m"]?.count == 2_000)
        var op = MonitorOperator(configuration: configuration, references: references)
        // Live traffic is shifted from its first window on: nothing becomes the reference, drift fires at once.
        let out = Self.run(MonitorScenario(windows: 6, ageShift: 0..<6).predictions(), operator: &op)
        #expect(!out.summaries.contains { $0.outcome == .reference })
        let age = out.alerts.filter { $0.kind == .featureDrift && $0.subject == "age" }
        #expect(age.map(\.status) == [.firing])
        #expect(age.first?.firstSeen.milliseconds == MonitorScenario.start + MonitorScenario.windowMs)  // end of window 0
        #expect(age.first?.reference?.count == 2_000)
        // A bad line is named.
        try "{\"age\": [1]}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ReferenceDatasetError.self) { try configuration.loadReferences(models: ["m"]) }
    }

    @Test func lateEventsAreCountedNotAdded() {
        var op = MonitorOperator()
        var out = MonitorOperator.Output()
        let events = MonitorScenario(windows: 3).predictions()
        for (_, p) in events { op.process(p, partition: 0, into: &out) }
        var late = events[0].1
        late.requestID = "late"
        op.process(late, partition: 0, into: &out)
        #expect(op.statistics.latePredictions == 1)
    }
}
