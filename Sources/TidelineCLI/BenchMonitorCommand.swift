import Alerts
import ArgumentParser
import Drift
import Events
import Foundation
import Monitoring
import Statistics

/// `tideline bench monitor`: the monitor operator's throughput with 20 features, and the detection-quality
/// harness — synthetic streams with injected drift (abrupt, gradual, recurring; covariate, categorical,
/// label, concept; a schema break) scored on detection delay, missed drifts and false alarms per million
/// events under the default policy. Writes the streams' drifted series for River's detectors (the peer).
struct BenchMonitor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Benchmark the monitor: throughput (20 features) and detection quality. Prints JSON lines.")

    @Option(name: .long, help: "Events per scenario.")
    var count: Int = 1_000_000
    @Option(name: .long, help: "Events per 5-minute window (sets the event-time spacing).")
    var perWindow: Int = 5_000
    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 42
    @Option(name: .long, help: "Write each scenario's drifted series (float64) into this directory for the River peer.")
    var writeSeries: String?
    @Option(name: .long, help: "Write the stationary stream's predictions as JSON Lines here, for the Python peer.")
    var writeInput: String?
    @Flag(name: .long, help: "Skip the quality harness (throughput only).")
    var throughputOnly = false
    @Flag(name: .long, help: "Also time the operator's parts one by one (best of several runs each; one JSON line per part).")
    var breakdown = false
    @Option(name: .long, help: "KS p-value method of the policy: asymptotic (the monitor's default), exact or auto (scipy's choice).")
    var ksMethod: String = "asymptotic"

    func validate() throws {
        guard KolmogorovSmirnov.Method(rawValue: ksMethod) != nil else { throw ValidationError("--ks-method: must be auto, exact or asymptotic") }
        guard count >= 100_000 else { throw ValidationError("--count: must be at least 100000") }
        guard perWindow >= 1_000 else { throw ValidationError("--per-window: must be at least 1000") }
        try BenchCommand.validateOutputFile(writeInput, flag: "--write-input")
    }

    /// A scenario: what drifts, from which event to which, and which alert should say so.
    struct Scenario {
        var name: String
        var kind: AlertEvent.Kind?
        var subject: String
        var drift: Range<Int>
        var pattern: String  // abrupt | gradual | recurring | none
    }

    var scenarios: [Scenario] {
        let n = count
        return [
            Scenario(name: "stationary", kind: nil, subject: "", drift: 0..<0, pattern: "none"),
            Scenario(name: "covariate-abrupt", kind: .featureDrift, subject: "f0", drift: (n * 3 / 10)..<(n * 6 / 10), pattern: "abrupt"),
            Scenario(name: "covariate-gradual", kind: .featureDrift, subject: "f1", drift: (n * 3 / 10)..<(n * 6 / 10), pattern: "gradual"),
            Scenario(name: "covariate-recurring", kind: .featureDrift, subject: "f2", drift: (n * 2 / 10)..<(n * 7 / 10), pattern: "recurring"),
            Scenario(name: "categorical-abrupt", kind: .featureDrift, subject: "c0", drift: (n * 4 / 10)..<(n * 7 / 10), pattern: "abrupt"),
            Scenario(name: "schema-break", kind: .schema, subject: "f3:missing", drift: (n * 5 / 10)..<(n * 7 / 10), pattern: "abrupt"),
            Scenario(name: "label-shift", kind: .labelDrift, subject: "label", drift: (n * 5 / 10)..<(n * 8 / 10), pattern: "abrupt"),
            Scenario(name: "concept-abrupt", kind: .performance, subject: "error_rate", drift: (n * 5 / 10)..<(n * 8 / 10), pattern: "abrupt"),
        ]
    }

    /// How strongly the scenario's subject is drifted at event i (0 = not at all, 1 = fully).
    static func strength(_ s: Scenario, _ i: Int) -> Double {
        guard s.drift.contains(i) else { return 0 }
        switch s.pattern {
        case "gradual": return Double(i - s.drift.lowerBound) / Double(s.drift.count)
        case "recurring": return (i - s.drift.lowerBound) / (s.drift.count / 5) % 2 == 0 ? 1 : 0
        default: return 1
        }
    }

    struct Generated {
        var predictions: [PredictionEvent]
        var examples: [LabeledExample]
        /// The drifted subject's raw series (feature values, or 0/1 errors, or labels) for the River peer.
        var series: [Double]
    }

    func generate(_ s: Scenario) -> Generated {
        var rng = SplitMix64(seed: seed &+ UInt64(s.name.utf8.reduce(0) { $0 &* 31 &+ Int($1) } & 0xFFFF))
        let spacing = Int64(5 * 60_000 / perWindow)
        let start: Int64 = 1_700_000_000_000 / 300_000 * 300_000
        let categories = ["a", "b", "c", "d", "e"]
        var predictions: [PredictionEvent] = [], examples: [LabeledExample] = []
        predictions.reserveCapacity(count)
        var series: [Double] = []
        for i in 0..<count {
            let t = start + Int64(i) * spacing
            let k = Self.strength(s, i)
            var features: [Feature] = []
            features.reserveCapacity(20)
            for f in 0..<10 {
                if s.kind == .schema && f == 3 && k > 0 { continue }
                var x = rng.gaussian()
                if s.kind == .featureDrift && s.subject == "f\(f)" { x += 0.5 * k }
                features.append(Feature("f\(f)", .number(x)))
                if s.subject == "f\(f)" { series.append(x) }
            }
            for c in 0..<10 {
                var idx = Int(rng.below(5))
                if s.kind == .featureDrift && s.subject == "c\(c)" && k > 0 && rng.unit() < 0.3 { idx = 0 }
                features.append(Feature("c\(c)", .string(categories[idx])))
                if s.subject == "c\(c)" { series.append(Double(idx)) }
            }
            let score = rng.unit()
            let id = "r\(i)"
            predictions.append(PredictionEvent(requestID: id, model: "m", modelVersion: "1", timestamp: EventTime(milliseconds: t),
                                               features: FeatureVector(features), prediction: .score(score)))
            if s.kind == .labelDrift || s.kind == .performance {
                let label: Bool
                if s.kind == .labelDrift {
                    label = rng.unit() < (k > 0 ? 0.4 : 0.2)
                    series.append(label ? 1 : 0)
                } else {
                    let wrong = rng.unit() < (k > 0 ? 0.3 : 0.1)
                    label = (score >= 0.5) != wrong
                    series.append(wrong ? 1 : 0)
                }
                examples.append(LabeledExample(eventID: "e\(i)", requestID: id, model: "m", modelVersion: "1", features: [],
                                               prediction: .score(score), label: .bool(label), labelKind: .observed,
                                               predictionTime: EventTime(milliseconds: t), labelTime: EventTime(milliseconds: t + 1_000)))
            }
        }
        return Generated(predictions: predictions, examples: examples, series: series)
    }

    func run() async throws {
        let spacing = Int64(5 * 60_000 / perWindow)
        for s in throughputOnly ? [scenarios[0]] : scenarios {
            let g = generate(s)
            if let dir = writeSeries, !g.series.isEmpty {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try g.series.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: "\(dir)/\(s.name).f64"))
            }
            if breakdown && s.name == "stationary" { reportBreakdown(g) }
            let (seconds, windows, alerts) = try timeOperator(g)
            let events = g.predictions.count + g.examples.count
            if s.name == "stationary" {
                BenchCommand.report("monitor-operator", count: events, seconds: seconds, bytes: 0, extra: [
                    ("features", .number(20)), ("windows", .number(Double(windows))),
                    ("ks_method", .string(ksMethod)),
                    ("note", .string("pre-decoded predictions, 10 numeric + 10 categorical features, 5-minute windows of \(perWindow), default policy, one core")),
                ])
                // The same events from their JSON bytes: what the stage does per record, decoding included.
                let encoded = g.predictions.map { $0.encoded() }
                if let writeInput {
                    var data = Data()
                    for bytes in encoded { data.append(contentsOf: bytes); data.append(UInt8(ascii: "\n")) }
                    try data.write(to: URL(fileURLWithPath: writeInput))
                }
                let decoded = try timeOperator(g, from: encoded)
                BenchCommand.report("monitor-decode-operator", count: events, seconds: decoded.seconds,
                                    bytes: encoded.reduce(0) { $0 + $1.count }, extra: [
                    ("features", .number(20)), ("windows", .number(Double(decoded.windows))),
                    ("ks_method", .string(ksMethod)),
                    ("note", .string("predictions decoded from JSON bytes and monitored, 10 numeric + 10 categorical features, 5-minute windows of \(perWindow), default policy, one core")),
                ])
                if throughputOnly { return }
            }
            // Scoring.
            let firing = alerts.filter { $0.status == .firing }
            let t0 = g.predictions[0].timestamp.milliseconds
            func eventIndex(_ ms: Int64) -> Int { Int((ms - t0) / spacing) }
            let hits = firing.filter { $0.kind == s.kind && $0.subject == s.subject && eventIndex($0.lastSeen.milliseconds) >= s.drift.lowerBound }
            // Alerts on the drifted subject's consequences (its prediction) are not false; others are.
            let falseAlarms = firing.filter { a in
                !(a.kind == s.kind && a.subject == s.subject) && !(a.kind == .predictionDrift)
                    || (a.kind == s.kind && a.subject == s.subject && eventIndex(a.lastSeen.milliseconds) < s.drift.lowerBound)
            }
            var extra: [(String, JSONValue)] = [
                ("scenario", .string(s.name)), ("pattern", .string(s.pattern)), ("events", .number(Double(events))),
                ("false_alarms", .number(Double(falseAlarms.count))),
                ("false_alarms_per_million", .number((Double(falseAlarms.count) / Double(events) * 1e6 * 100).rounded() / 100)),
                ("alerts", .number(Double(alerts.count))),
            ]
            if s.kind != nil {
                extra.append(("detected", .bool(!hits.isEmpty)))
                if let first = hits.first {
                    let delayEvents = eventIndex(first.lastSeen.milliseconds) - s.drift.lowerBound
                    extra.append(("delay_events", .number(Double(delayEvents))))
                    extra.append(("delay_minutes", .number(Double(delayEvents) * Double(spacing) / 60_000)))
                }
                extra.append(("incidents", .number(Double(hits.count))))
                if let first = hits.first { extra.append(("example_description", .string(first.description))) }
            }
            if !falseAlarms.isEmpty { extra.append(("false_alarm_subjects", .string(falseAlarms.prefix(5).map { "\($0.kind.rawValue):\($0.subject)" }.joined(separator: ",")))) }
            BenchCommand.report("monitor-quality", count: events, seconds: seconds, bytes: 0, extra: extra)
        }
    }

    /// Runs the stationary or drifted stream through a fresh operator with the default policy (labeled examples
    /// merged in by prediction time). With `encoded`, each prediction is first decoded from those bytes (the
    /// same events, as JSON) inside the timed loop. Returns the seconds taken, windows evaluated, and the alerts.
    func timeOperator(_ g: Generated, from encoded: [[UInt8]]? = nil) throws -> (seconds: Double, windows: Int, alerts: [AlertEvent]) {
        var policy = MonitorPolicy()
        policy.drift.ksMethod = KolmogorovSmirnov.Method(rawValue: ksMethod)!
        var op = MonitorOperator(configuration: MonitorConfiguration(defaultPolicy: policy))
        var out = MonitorOperator.Output()
        var alerts: [AlertEvent] = []
        let startClock = ContinuousClock.now
        var e = 0
        for i in g.predictions.indices {
            let p: PredictionEvent
            if let encoded { p = try PredictionEvent.decode(encoded[i]) } else { p = g.predictions[i] }
            op.process(p, partition: Int32(i & 3), into: &out)
            while e < g.examples.count && g.examples[e].predictionTime.milliseconds <= p.timestamp.milliseconds {
                op.process(g.examples[e], partition: 0, into: &out)
                e += 1
            }
            if !out.alerts.isEmpty { alerts += out.alerts }
            out.removeAll()
        }
        op.flush(into: &out)
        alerts += out.alerts
        return ((ContinuousClock.now - startClock).seconds, op.statistics.windowsEvaluated, alerts)
    }

    /// Where the operator's time goes, part by part, on the stationary stream: reading the features, adding
    /// events to 5,000-event windows, and per numeric column at window close the sort and the merge walk (KS and
    /// Wasserstein; alone and two at a time), the exact p-value's share and PSI. Best of five runs each.
    func reportBreakdown(_ g: Generated) {
        func best(_ runs: Int = 5, _ body: () -> Void) -> Double {
            var fastest = Double.infinity
            for _ in 0..<runs {
                let start = ContinuousClock.now
                body()
                fastest = min(fastest, (ContinuousClock.now - start).seconds)
            }
            return fastest
        }
        func report(_ part: String, microseconds: Double, per: String) {
            BenchCommand.report("monitor-part", count: 1, seconds: microseconds / 1e6, bytes: 0, extra: [
                ("part", .string(part)), ("microseconds", .number((microseconds * 1000).rounded() / 1000)), ("per", .string(per)),
            ])
        }
        var sink = 0.0
        let events = Double(g.predictions.count)
        let parse = best {
            for p in g.predictions { p.features.forEachRaw { n, v in if case .number(let x) = v { sink += x } else { sink += Double(n.count) } } }
        }
        report("read features (forEachRaw)", microseconds: parse / events * 1e6, per: "event, 20 features")
        let hashes = g.predictions.map { HyperLogLog.hash($0.requestID) }
        let add = best(3) {
            var window = FeatureWindow(sampleCapacity: 10_000)
            for (k, p) in g.predictions.enumerated() {
                if k % perWindow == 0 { window = FeatureWindow(sampleCapacity: 10_000, reusing: window) }
                window.add(p.features, prediction: p.prediction, eventTime: p.timestamp.milliseconds, hash: hashes[k])
            }
            sink += Double(window.count)
        }
        report("add to a window (reading included)", microseconds: add / events * 1e6, per: "event, 20 features")
        var rng = SplitMix64(seed: seed)
        let samples = (0..<200).map { _ in (0..<perWindow).map { _ in rng.gaussian() } }
        let sort = best { for s in samples { sink += SampleSort.sorted(s)[0] } }
        report("sort a window's sample", microseconds: sort / 200 * 1e6, per: "numeric column, \(perWindow) values")
        let sorted = samples.map { SampleSort.sorted($0) }
        let ks = best { for k in 1..<200 { sink += KolmogorovSmirnov.testSorted(sorted[0], sorted[k]).pValue } }
        let walk = best { for k in 1..<200 { sink += ContinuousTests.wasserstein(sortedReference: sorted[0], sortedCurrent: sorted[k]) } }
        let paired = best {
            for k in stride(from: 1, to: 199, by: 2) {
                let (x, y) = KolmogorovSmirnov.testSortedWithWasserstein((sorted[0], sorted[k]), (sorted[0], sorted[k + 1]))
                sink += x.wasserstein + y.wasserstein
            }
        }
        let psi = best { for k in 1..<200 { sink += ContinuousTests.populationStabilityIndex(sortedReference: sorted[0], sortedCurrent: sorted[k]) } }
        report("merge walk (KS gaps + Wasserstein)", microseconds: walk / 199 * 1e6, per: "numeric column")
        report("merge walks two at a time", microseconds: paired / 198 * 1e6, per: "numeric column")
        report("KS with its exact p-value", microseconds: ks / 199 * 1e6, per: "numeric column")
        report("PSI", microseconds: psi / 199 * 1e6, per: "numeric column")
        if sink.isNaN { print("") }  // keeps the timed work observable
    }
}
