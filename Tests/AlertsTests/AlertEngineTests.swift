import Events
import Foundation
import Testing
@testable import Alerts

@Suite struct AlertEngineTests {
    static let minute: Int64 = 60_000

    /// A drift signal for window `i` (5-minute windows).
    static func signal(_ i: Int, _ level: AlertSignal.Level, subject: String = "age", model: String = "m", kind: AlertEvent.Kind = .featureDrift,
                       statistic: Double = 0.3) -> AlertSignal {
        let end = Int64(i + 1) * 5 * minute
        return AlertSignal(model: model, kind: kind, subject: subject, detector: "ks", level: level, statistic: statistic, pValue: 1e-9,
                           threshold: 0.1, window: AlertEvent.Window(from: EventTime(milliseconds: end - 5 * minute), to: EventTime(milliseconds: end), count: 5000),
                           reference: AlertEvent.Window(from: EventTime(milliseconds: 0), to: EventTime(milliseconds: 5 * minute), count: 5000),
                           eventTime: end, details: ["what": "Feature \(subject) drifted", "how_far": "Mean moved by 1.2 reference σ.",
                                                     "check": "the producer of \(subject)"])
    }

    static func run(_ levels: [AlertSignal.Level], engine: inout AlertEngine, subject: String = "age", start: Int = 0) -> [AlertEvent] {
        var out: [AlertEvent] = []
        for (i, level) in levels.enumerated() { engine.process(signal(start + i, level, subject: subject), into: &out) }
        return out
    }

    @Test func oneIncidentFromFiringToResolved() {
        var engine = AlertEngine()
        // One breach is not enough (duration 2); then a persistent breach; a wobble between; then 3 clear windows.
        let out = Self.run([.breach, .clear, .breach, .breach, .breach, .between, .breach, .clear, .clear, .clear, .clear], engine: &engine)
        #expect(out.map(\.status) == [.firing, .resolved])
        let (firing, resolved) = (out[0], out[1])
        #expect(firing.alertID == resolved.alertID)
        #expect(firing.alertID.count == 32)
        #expect(firing.firstSeen.milliseconds == 15 * Self.minute)  // the first of the two breaching windows (window 2 ended at 15 min)
        #expect(firing.severity == .warning)
        #expect(firing.description.contains("Feature age drifted on model m"))
        #expect(firing.description.contains("Check first: the producer of age"))
        #expect(resolved.occurrences == 4)
        #expect(resolved.lastSeen.milliseconds == 50 * Self.minute)
        #expect(resolved.description.hasPrefix("Resolved:"))
        #expect(engine.openIncidents == 0)
    }

    @Test func cooldownBlocksRefiringThenANewIncidentGetsANewID() {
        var engine = AlertEngine()
        var out = Self.run([.breach, .breach, .clear, .clear, .clear], engine: &engine)
        // Within 30 minutes of the resolution (at 25 min): breaches do not fire.
        out += Self.run([.breach, .breach, .breach], engine: &engine, start: 5)
        #expect(out.map(\.status) == [.firing, .resolved])
        // After the cooldown they do, as a new incident.
        out += Self.run([.breach, .breach, .breach], engine: &engine, start: 12)
        #expect(out.map(\.status) == [.firing, .resolved, .firing])
        #expect(out[2].alertID != out[0].alertID)
    }

    @Test func floodCapEmitsOneSummaryPerHour() {
        var engine = AlertEngine(configuration: AlertEngineConfiguration(maxIncidentsPerModelPerHour: 3))
        var out: [AlertEvent] = []
        for window in 0..<2 {
            for f in 0..<20 { engine.process(Self.signal(window, .breach, subject: "f\(f)"), into: &out) }
        }
        let firing = out.filter { $0.kind == .featureDrift }
        let summaries = out.filter { $0.kind == .pipeline }
        #expect(firing.count == 3)
        #expect(summaries.count == 1 && summaries[0].status == .firing && summaries[0].subject == "alert_cap")
        #expect(engine.suppressedTotal == 17)
        // The next hour resolves the summary with the suppressed count.
        engine.advance(to: 2 * 3_600_000, into: &out)
        let closed = out.filter { $0.kind == .pipeline && $0.status == .resolved }
        #expect(closed.count == 1 && closed[0].occurrences == 17 && closed[0].alertID == summaries[0].alertID)
    }

    @Test func replayGivesTheSameAlertsAndStateRoundTrips() throws {
        let levels: [AlertSignal.Level] = [.breach, .breach, .breach, .clear, .clear, .clear, .breach]
        var a = AlertEngine(), b = AlertEngine()
        let first = Self.run(levels, engine: &a)
        var out: [AlertEvent] = []
        for (i, level) in levels.enumerated() {
            if i == 3 { b = try JSONDecoder().decode(AlertEngine.self, from: JSONEncoder().encode(b)) }
            b.process(Self.signal(i, level), into: &out)
        }
        #expect(first == out)
    }

    @Test func schemaPolicyFiresOnTheFirstWindowAsCritical() {
        var engine = AlertEngine()
        var out: [AlertEvent] = []
        engine.process(Self.signal(0, .breach, kind: .schema), into: &out)
        #expect(out.count == 1 && out[0].severity == .critical && out[0].kind == .schema)
    }
}
