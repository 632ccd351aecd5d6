import Foundation
public import Events

/// Turns per-window signals into incidents: one `alert_id` from `firing` to `resolved`, repeated detections
/// folded into the open incident (its `last_seen` and `occurrences`), a duration before firing, hysteresis and
/// a count of clear windows before resolving, a cooldown after resolution, and a per-model hourly cap with a
/// single summary alert instead of a flood.
///
/// A pure state machine: event time comes from the signals, alert ids are stable hashes of (model, kind,
/// subject, first seen), so a replay emits the same alerts. Value type; `Codable` for checkpoints; not
/// thread-safe.
public struct AlertEngine: Sendable, Codable {
    public let configuration: AlertEngineConfiguration

    struct Key: Hashable, Codable { var model: String; var kind: AlertEvent.Kind; var subject: String }

    struct Incident: Codable {
        var alertID: String
        var severity: AlertEvent.Severity
        var firstSeen: Int64
        var lastSeen: Int64
        var occurrences: Int64
        var signal: AlertSignal
    }

    struct SubjectState: Codable {
        var breaches = 0
        var clears = 0
        var open: Incident?
        var cooldownUntil = Int64.min
    }

    struct ModelHour: Codable {
        var hour: Int64 = .min
        var opened = 0
        var suppressed = 0
        var suppressedSubjects: [String] = []
        var summary: Incident?
    }

    private var subjects: [Key: SubjectState] = [:]
    private var hours: [String: ModelHour] = [:]
    /// Incidents suppressed by the cap since creation.
    public private(set) var suppressedTotal = 0

    public init(configuration: AlertEngineConfiguration = AlertEngineConfiguration()) {
        self.configuration = configuration
    }

    /// Incidents open now.
    public var openIncidents: Int { subjects.values.filter { $0.open != nil }.count }

    /// Incidents open now, per model (models without an open incident are left out).
    public var openIncidentsByModel: [String: Int] {
        var out: [String: Int] = [:]
        for (key, state) in subjects where state.open != nil { out[key.model, default: 0] += 1 }
        return out
    }

    /// Feeds one signal; appends the alerts it causes (zero, one, or a summary and an alert) to `out`.
    public mutating func process(_ signal: AlertSignal, into out: inout [AlertEvent]) {
        let policy = configuration.policy(signal.kind)
        guard policy.enabled else { return }
        rollHour(model: signal.model, at: signal.eventTime, into: &out)
        let key = Key(model: signal.model, kind: signal.kind, subject: signal.subject)
        var state = subjects[key] ?? SubjectState()
        defer { subjects[key] = state }
        switch signal.level {
        case .breach:
            state.breaches += 1
            state.clears = 0
            if var incident = state.open {
                incident.lastSeen = signal.eventTime
                incident.occurrences += 1
                incident.signal = signal
                state.open = incident
                return
            }
            guard state.breaches >= policy.forWindows, signal.eventTime >= state.cooldownUntil else { return }
            // The cap: count this incident against the model's hour.
            var hour = hours[signal.model] ?? ModelHour()
            defer { hours[signal.model] = hour }
            if hour.opened >= configuration.maxIncidentsPerModelPerHour {
                hour.suppressed += 1
                suppressedTotal += 1
                if hour.suppressedSubjects.count < 10 { hour.suppressedSubjects.append("\(signal.kind.rawValue):\(signal.subject)") }
                state.breaches = 0  // counted once; it must persist again to count again
                if hour.summary == nil {
                    let summary = Incident(alertID: Self.alertID(signal.model, .pipeline, "alert_cap", hour.hour), severity: .warning,
                                           firstSeen: signal.eventTime, lastSeen: signal.eventTime, occurrences: 1, signal: signal)
                    hour.summary = summary
                    out.append(summaryEvent(summary, model: signal.model, hour: hour, status: .firing))
                } else {
                    hour.summary!.lastSeen = signal.eventTime
                    hour.summary!.occurrences = Int64(hour.suppressed)
                }
                return
            }
            hour.opened += 1
            let firstSeen = signal.eventTime - Int64(policy.forWindows - 1) * Self.windowLength(signal)
            let incident = Incident(alertID: Self.alertID(signal.model, signal.kind, signal.subject, firstSeen), severity: policy.severity,
                                    firstSeen: firstSeen, lastSeen: signal.eventTime, occurrences: Int64(state.breaches), signal: signal)
            state.open = incident
            out.append(event(incident, status: .firing, policy: policy))
        case .clear:
            state.breaches = 0
            state.clears += 1
            if let incident = state.open, state.clears >= policy.resolveAfter {
                var resolved = incident
                resolved.signal = signal
                resolved.signal.window = signal.window ?? incident.signal.window
                out.append(event(resolved, status: .resolved, policy: policy, resolvedAt: signal.eventTime))
                state.open = nil
                state.cooldownUntil = signal.eventTime + policy.cooldownMilliseconds
            }
        case .between:
            state.breaches = 0
            state.clears = 0
        }
    }

    /// Closes the hour for every model whose cap summary is open and whose hour ended before `eventTime`.
    public mutating func advance(to eventTime: Int64, into out: inout [AlertEvent]) {
        for model in hours.keys.sorted() { rollHour(model: model, at: eventTime, into: &out) }
    }

    private mutating func rollHour(model: String, at eventTime: Int64, into out: inout [AlertEvent]) {
        let hourIndex = Self.floorDiv(eventTime, 3_600_000)
        var hour = hours[model] ?? ModelHour()
        guard hour.hour != hourIndex else { return }
        if hourIndex < hour.hour { return }  // an older signal: keep the current hour
        if var summary = hour.summary {
            summary.occurrences = Int64(hour.suppressed)
            out.append(summaryEvent(summary, model: model, hour: hour, status: .resolved))
        }
        hour = ModelHour()
        hour.hour = hourIndex
        hours[model] = hour
    }

    private func event(_ incident: Incident, status: AlertEvent.Status, policy: AlertPolicy, resolvedAt: Int64? = nil) -> AlertEvent {
        let s = incident.signal
        let description: String
        if status == .firing {
            description = Self.render(policy.template, incident: incident)
        } else {
            let duration = Self.duration(max(0, (resolvedAt ?? incident.lastSeen) - incident.firstSeen))
            description = "Resolved: \(s.kind.rawValue) on \(s.subject) of model \(s.model) is back within bounds "
                + "(\(s.detector) \(Self.format(s.statistic)) against \(Self.format(s.threshold))) after \(duration), "
                + "\(incident.occurrences) breaching window(s)."
        }
        return AlertEvent(alertID: incident.alertID, status: status, model: s.model, kind: s.kind, severity: incident.severity,
                          subject: s.subject, detector: s.detector, statistic: s.statistic, pValue: s.pValue, threshold: s.threshold,
                          window: s.window, reference: s.reference, description: description,
                          firstSeen: EventTime(milliseconds: incident.firstSeen),
                          lastSeen: EventTime(milliseconds: status == .resolved ? (resolvedAt ?? incident.lastSeen) : incident.lastSeen),
                          occurrences: incident.occurrences)
    }

    private func summaryEvent(_ summary: Incident, model: String, hour: ModelHour, status: AlertEvent.Status) -> AlertEvent {
        let cap = configuration.maxIncidentsPerModelPerHour
        let subjects = hour.suppressedSubjects.joined(separator: ", ")
        let description = status == .firing
            ? "Alert flood on model \(model): more than \(cap) incidents this hour; further incidents are suppressed and counted here "
                + "(first: \(subjects)). Check first: a shared upstream change (schema, feature pipeline, deploy) rather than each feature."
            : "Alert cap for model \(model) ended with the hour: \(hour.suppressed) incident(s) suppressed (\(subjects))."
        return AlertEvent(alertID: summary.alertID, status: status, model: model, kind: .pipeline, severity: .warning, subject: "alert_cap",
                          detector: "alert_engine", statistic: Double(hour.suppressed), pValue: nil, threshold: Double(cap),
                          window: AlertEvent.Window(from: EventTime(milliseconds: hour.hour * 3_600_000),
                                                    to: EventTime(milliseconds: (hour.hour + 1) * 3_600_000), count: Int64(hour.suppressed)),
                          reference: nil, description: description, firstSeen: EventTime(milliseconds: summary.firstSeen),
                          lastSeen: EventTime(milliseconds: summary.lastSeen), occurrences: Int64(max(hour.suppressed, 1)))
    }

    // MARK: Helpers

    static func windowLength(_ s: AlertSignal) -> Int64 {
        guard let w = s.window else { return 0 }
        return max(0, w.to.milliseconds - w.from.milliseconds)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// 32 hex digits from two FNV-1a passes with different offsets, each finished by a 64-bit mixer.
    static func alertID(_ model: String, _ kind: AlertEvent.Kind, _ subject: String, _ firstSeen: Int64) -> String {
        let text = "\(model)\u{1F}\(kind.rawValue)\u{1F}\(subject)\u{1F}\(firstSeen)"
        func fnv(_ offset: UInt64) -> UInt64 {
            var h = offset
            for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            h = (h ^ (h >> 33)) &* 0xFF51_AFD7_ED55_8CCD
            h = (h ^ (h >> 33)) &* 0xC4CE_B9FE_1A85_EC53
            return h ^ (h >> 33)
        }
        func hex(_ v: UInt64) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: 16 - s.count) + s }
        return hex(fnv(0xCBF2_9CE4_8422_2325)) + hex(fnv(0x8422_2325_CBF2_9CE4))
    }

    static func render(_ template: String, incident: Incident) -> String {
        let s = incident.signal
        var values: [String: String] = [
            "model": s.model, "kind": s.kind.rawValue, "subject": s.subject, "detector": s.detector,
            "statistic": format(s.statistic), "threshold": format(s.threshold), "p_value": format(s.pValue),
            "window": describe(s.window), "reference": describe(s.reference), "occurrences": String(incident.occurrences),
            "what": "\(s.kind.rawValue) on \(s.subject)", "how_far": "", "check": "recent changes upstream of \(s.subject)",
        ]
        for (k, v) in s.details { values[k] = v }
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { out += rest[open...]; rest = ""; break }
            let name = String(rest[rest.index(after: open)..<close])
            out += values[name] ?? "{\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        // Collapse the double spaces an empty placeholder leaves.
        while out.contains("  ") { out = out.replacingOccurrences(of: "  ", with: " ") }
        return out.trimmingCharacters(in: .whitespaces)
    }

    static func format(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "n/a" }
        if x == 0 { return "0" }
        if abs(x) < 1e-3 {
            var exponent = 0
            var m = abs(x)
            while m < 1 { m *= 10; exponent -= 1 }
            return "\(x < 0 ? "-" : "")\((m * 100).rounded() / 100)e\(exponent)"
        }
        return String((x * 1000).rounded() / 1000)
    }

    static func describe(_ w: AlertEvent.Window?) -> String {
        guard let w else { return "n/a" }
        return "\(w.count) events \(w.from.rfc3339) to \(w.to.rfc3339)"
    }

    static func duration(_ ms: Int64) -> String {
        if ms < 120_000 { return "\(ms / 1000) s" }
        if ms < 7_200_000 { return "\(ms / 60_000) min" }
        return "\((Double(ms) / 3_600_000 * 10).rounded() / 10) h"
    }
}
