import Alerts
import Events
import Foundation
import Statistics
import Testing
@testable import Monitoring

/// Scenario streams for the monitor: 5-minute windows of `perWindow` predictions spread over 4 partitions.
struct Scenario {
    var windows = 20
    var perWindow = 1_000
    var seed: UInt64 = 1
    /// Windows (by index) in which `age` is shifted by +1 σ.
    var ageShift: Range<Int> = 0..<0
    /// Windows in which `income` is absent.
    var incomeMissing: Range<Int> = 0..<0
    /// Windows in which only 3 items are shown.
    var narrowItems: Range<Int> = 0..<0
    static let windowMs: Int64 = 5 * 60_000
    static let start: Int64 = 1_700_000_000_000 / windowMs * windowMs

    /// (partition, event) in partition-major arrival order within each window.
    func predictions() -> [(Int32, PredictionEvent)] {
        var rng = SplitMix64(seed: seed)
        var out: [(Int32, PredictionEvent)] = []
        for w in 0..<windows {
            for i in 0..<perWindow {
                let t = Self.start + Int64(w) * Self.windowMs + Int64(i) * Self.windowMs / Int64(perWindow)
                let age = 40 + 10 * rng.gaussian() + (ageShift.contains(w) ? 10 : 0)
                var features: [Feature] = [
                    Feature("age", .number(age)),
                    Feature("plan", .string(["free", "pro", "team"][Int(rng.below(3))])),
                ]
                if !incomeMissing.contains(w) { features.append(Feature("income", .number(rng.unit() * 1000))) }
                let score = 1 / (1 + _exp(-(age - 40) / 10))
                let item = narrowItems.contains(w) ? "item-\(rng.below(3))" : "item-\(rng.below(500))"
                let id = "r\(w)-\(i)"
                let p = PredictionEvent(requestID: id, model: "m", modelVersion: "1", timestamp: EventTime(milliseconds: t),
                                        features: FeatureVector(features), prediction: .score(score), itemID: item)
                out.append((Int32(HyperLogLog.hash(id) % 4), p))
            }
        }
        return out
    }
}

@inline(__always) func _exp(_ x: Double) -> Double { Foundation.exp(x) }

@Suite struct MonitorOperatorTests {
    static func run(_ events: [(Int32, PredictionEvent)], operator op: inout MonitorOperator) -> MonitorOperator.Output {
        var out = MonitorOperator.Output()
        for (partition, p) in events { op.process(p, partition: partition, into: &out) }
        op.flush(into: &out)
        return out
    }

    @Test func quietOnStationaryData() {
        var op = MonitorOperator()
        let out = Self.run(Scenario(windows: 30).predictions(), operator: &op)
        #expect(out.alerts.isEmpty, "\(out.alerts.map { "\($0.kind.rawValue):\($0.subject)" })")
        #expect(op.statistics.windowsEvaluated == 29)
        #expect(out.summaries.first?.outcome == .reference)
    }

    @Test func driftedFeatureRaisesExactlyOneIncidentThatResolves() {
        var op = MonitorOperator()
        let out = Self.run(Scenario(windows: 24, ageShift: 8..<14).predictions(), operator: &op)
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
        #expect(firing.firstSeen.milliseconds == Scenario.start + 9 * Scenario.windowMs)  // end of window 8
        #expect(age[1].lastSeen.milliseconds == Scenario.start + 17 * Scenario.windowMs)  // third clear window (14, 15, 16) ends
    }

    @Test func interleavingAndSnapshotsDoNotChangeTheResult() throws {
        let events = Scenario(windows: 16, ageShift: 6..<10).predictions()
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
        let out = Self.run(Scenario(windows: 12, incomeMissing: 4..<6).predictions(), operator: &op)
        let schema = out.alerts.filter { $0.kind == .schema }
        #expect(schema.map(\.status) == [.firing, .resolved])
        #expect(schema.first?.subject == "income:missing")
        #expect(schema.first?.severity == .critical)
        #expect(schema.first?.firstSeen.milliseconds == Scenario.start + 5 * Scenario.windowMs)
    }

    @Test func narrowingRecommendationsRaiseAFeedbackLoopAlert() {
        var op = MonitorOperator()
        let out = Self.run(Scenario(windows: 14, narrowItems: 5..<9).predictions(), operator: &op)
        let loop = out.alerts.filter { $0.kind == .feedbackLoop }
        #expect(loop.map(\.status) == [.firing, .resolved])
        #expect(loop.first?.description.contains("Item entropy") == true)
    }

    @Test func configuredExpectationsAreChecked() {
        var policy = MonitorPolicy()
        policy.expectations["age"] = FeatureExpectation(minimum: 0, maximum: 55)
        policy.expectations["plan"] = FeatureExpectation(allowed: ["free", "pro"])
        var op = MonitorOperator(configuration: MonitorConfiguration(defaultPolicy: policy))
        let out = Self.run(Scenario(windows: 4).predictions(), operator: &op)
        let subjects = Set(out.alerts.filter { $0.kind == .schema && $0.status == .firing }.map(\.subject))
        #expect(subjects == ["age:range", "plan:allowed"])
    }

    @Test func performanceDegradationFromLabeledExamples() {
        var op = MonitorOperator()
        var out = MonitorOperator.Output()
        var rng = SplitMix64(seed: 4)
        for w in 0..<12 {
            let errorRate = (5..<8).contains(w) ? 0.45 : 0.1
            for i in 0..<600 {
                let t = Scenario.start + Int64(w) * Scenario.windowMs + Int64(i) * 500
                let score = rng.unit()
                let correct = rng.unit() >= errorRate
                let label = (score >= 0.5) == correct
                let e = LabeledExample(eventID: "e\(w)-\(i)", requestID: "r\(w)-\(i)", model: "m", modelVersion: "1", features: [],
                                       prediction: .score(score), label: .bool(label), labelKind: .observed,
                                       predictionTime: EventTime(milliseconds: t), labelTime: EventTime(milliseconds: t + 1_000))
                op.process(e, partition: 0, into: &out)
            }
        }
        op.flush(into: &out)
        let perf = out.alerts.filter { $0.kind == .performance && $0.subject == "error_rate" }
        #expect(perf.map(\.status) == [.firing, .resolved])
        #expect(perf.first?.detector == "adwin")
        let evaluated = out.summaries.filter { $0.input == .examples && $0.outcome == .evaluated }
        #expect(evaluated.allSatisfy { $0.metrics["accuracy"] != nil && $0.metrics["auc"] != nil && $0.metrics["log_loss"] != nil })
        #expect(out.alerts.filter { $0.kind == .labelDrift }.isEmpty)
    }

    @Test func lateEventsAreCountedNotAdded() {
        var op = MonitorOperator()
        var out = MonitorOperator.Output()
        let events = Scenario(windows: 3).predictions()
        for (_, p) in events { op.process(p, partition: 0, into: &out) }
        var late = events[0].1
        late.requestID = "late"
        op.process(late, partition: 0, into: &out)
        #expect(op.statistics.latePredictions == 1)
    }
}
