public import Events
import Foundation

/// What `tideline demo` has seen of its own loop, read back from the topics: labeled examples, alerts and model
/// updates. Feeds the live view and the closing summary.
///
/// A pure state machine: every time is given by the caller in milliseconds since the traffic started (the demo's
/// event time runs with the wall clock, so "predicted at" and "arrived at" share one axis). Not thread-safe; the
/// demo keeps it behind a lock.
public struct DemoScoreboard: Sendable {
    /// Accuracy counts: predictions scored ≥ 0.5 counted as "positive", against boolean labels.
    public struct Tally: Sendable, Hashable, Codable {
        public var correct = 0
        public var total = 0
        public var accuracy: Double? { total == 0 ? nil : Double(correct) / Double(total) }
        mutating func add(_ ok: Bool) { total += 1; if ok { correct += 1 } }
        static func + (a: Tally, b: Tally) -> Tally { Tally(correct: a.correct + b.correct, total: a.total + b.total) }
    }

    /// An alert or model update, with when the demo saw it (ms since the traffic started).
    public struct Seen<Event: Sendable>: Sendable {
        public var at: Int64
        public var event: Event
    }

    /// Event time (epoch ms) of the first prediction.
    public let start: Int64
    /// When the drift begins, ms since the traffic started.
    public let driftAt: Int64
    /// Examples per accuracy bucket of prediction time.
    public let bucketMilliseconds: Int64

    public private(set) var examples = 0
    /// Corrections (a label that came after its implicit negative) are counted, not scored again.
    public private(set) var corrections = 0
    public private(set) var alerts: [Seen<AlertEvent>] = []
    public private(set) var updates: [Seen<ModelUpdateEvent>] = []
    /// Alert ids currently firing.
    public private(set) var openIncidents: Set<String> = []
    /// The version the service serves now (the last promoted one), nil until the first promotion.
    public private(set) var servedVersion: String?
    private var buckets: [Int64: Tally] = [:]
    private var byVersion: [String: Tally] = [:]
    private var recent: [Bool] = []
    private var recentNext = 0
    private let recentCapacity: Int

    public init(start: EventTime, driftAt: Int64, bucketMilliseconds: Int64 = 1_000, recentExamples: Int = 2_000) {
        self.start = start.milliseconds
        self.driftAt = driftAt
        self.bucketMilliseconds = bucketMilliseconds
        self.recentCapacity = max(1, recentExamples)
    }

    // MARK: Updates

    /// Scores a labeled example: its served prediction against its label. Non-boolean labels and non-score
    /// predictions are ignored.
    public mutating func record(_ example: LabeledExample) {
        guard example.labelKind != .correction else { corrections += 1; return }
        guard case .score(let s) = example.prediction, case .bool(let y) = example.label else { return }
        let ok = (s >= 0.5) == y
        examples += 1
        buckets[(example.predictionTime.milliseconds - start) / bucketMilliseconds, default: Tally()].add(ok)
        byVersion[example.modelVersion, default: Tally()].add(ok)
        if recent.count < recentCapacity { recent.append(ok) } else { recent[recentNext] = ok }
        recentNext = (recentNext + 1) % recentCapacity
    }

    public mutating func record(_ alert: AlertEvent, at: Int64) {
        alerts.append(Seen(at: at, event: alert))
        if alert.status == .firing { openIncidents.insert(alert.alertID) } else { openIncidents.remove(alert.alertID) }
    }

    public mutating func record(_ update: ModelUpdateEvent, at: Int64) {
        updates.append(Seen(at: at, event: update))
        if update.decision == .promoted { servedVersion = update.version }
    }

    // MARK: Figures

    /// Accuracy over the last `recentExamples` labeled examples received.
    public var currentAccuracy: Double? {
        recent.isEmpty ? nil : Double(recent.count { $0 }) / Double(recent.count)
    }

    /// Accuracy of the predictions made in `[from, to)` (ms since the traffic started, whole buckets).
    public func accuracy(predictedFrom from: Int64, to: Int64) -> Tally {
        buckets.reduce(Tally()) { t, entry in
            let bucketStart = entry.key * bucketMilliseconds
            return bucketStart >= from && bucketStart < to ? t + entry.value : t
        }
    }

    /// Accuracy of the predictions served by `versions`.
    public func accuracy(servedBy versions: some Sequence<String>) -> Tally {
        versions.reduce(Tally()) { $0 + (byVersion[$1] ?? Tally()) }
    }

    /// The first firing alert about the drifted data: seen after the drift began, on a window that ends after it.
    public var firstAlertAfterDrift: Seen<AlertEvent>? {
        alerts.first { seen in
            seen.event.status == .firing && seen.at >= driftAt
                && (seen.event.window.map { $0.to.milliseconds - start > driftAt } ?? true)
        }
    }

    /// The retrain that brought accuracy back: the first version promoted after the drift whose own predictions
    /// (at least `minimumExamples` labeled) are within `margin` of the accuracy before the drift. A promotion after
    /// the drift trained mostly on older data does not count.
    public func recoveringPromotion(margin: Double, before: Double, minimumExamples: Int = 200) -> Seen<ModelUpdateEvent>? {
        updates.first { seen in
            guard seen.event.decision == .promoted, seen.at >= driftAt else { return false }
            let own = accuracy(servedBy: [seen.event.version])
            return own.total >= minimumExamples && (own.accuracy ?? 0) >= before - margin
        }
    }

    /// What the demo concludes. `recoveryMargin`: how close to the pre-drift accuracy the retrained model must come;
    /// `beforeWindow`: how much traffic before the drift sets that level (ms).
    public func summary(recoveryMargin: Double = 0.05, beforeWindow: Int64 = 15_000) -> DemoSummary {
        let before = accuracy(predictedFrom: max(0, driftAt - beforeWindow), to: driftAt)
        let alert = firstAlertAfterDrift
        let promotion = before.accuracy.flatMap { recoveringPromotion(margin: recoveryMargin, before: $0) }
        let recoveredVersions = promotion.map { p in Set(updates.filter { $0.event.decision == .promoted && $0.at >= p.at }.map(\.event.version)) } ?? []
        let after = accuracy(servedBy: recoveredVersions)
        let dip = accuracy(predictedFrom: driftAt, to: promotion?.at ?? Int64.max)
        var missing: [String] = []
        if alert == nil { missing.append("no alert fired about the drifted data") }
        if promotion == nil {
            missing.append("no model promoted after the drift came within \(recoveryMargin) of the accuracy before it (\(DemoSummary.format(before.accuracy)))")
        }
        return DemoSummary(
            driftAt: driftAt, accuracyBefore: before, accuracyDuringDrift: dip, accuracyAfterRecovery: after,
            recoveredVersions: recoveredVersions.sorted { $0.count != $1.count ? $0.count < $1.count : $0 < $1 },
            firstAlert: alert.map { .init(at: $0.at, kind: $0.event.kind.rawValue, severity: $0.event.severity.rawValue, subject: $0.event.subject, description: $0.event.description) },
            promotion: promotion.map { .init(at: $0.at, version: $0.event.version, trigger: $0.event.trigger.kind, reason: $0.event.reason ?? "") },
            examples: examples, corrections: corrections,
            alertsFiring: alerts.count { $0.event.status == .firing }, alertsBeforeDrift: alerts.count { $0.event.status == .firing && $0.at < driftAt },
            promoted: updates.count { $0.event.decision == .promoted }, rejected: updates.count { $0.event.decision == .rejected },
            finalVersion: servedVersion, loopClosed: missing.isEmpty, notClosedBecause: missing)
    }
}

/// The demo's closing summary (also written as JSON by `tideline demo --summary-json`). Times in ms since the
/// traffic started.
public struct DemoSummary: Sendable, Hashable, Codable {
    public struct Alert: Sendable, Hashable, Codable {
        public var at: Int64
        public var kind: String
        public var severity: String
        public var subject: String
        public var description: String
    }

    public struct Promotion: Sendable, Hashable, Codable {
        public var at: Int64
        public var version: String
        public var trigger: String
        public var reason: String
    }

    public var driftAt: Int64
    /// Predictions in the 15 s before the drift.
    public var accuracyBefore: DemoScoreboard.Tally
    /// Predictions from the drift until the retrained model was promoted (all of them when none was).
    public var accuracyDuringDrift: DemoScoreboard.Tally
    /// Predictions served by the retrained model (the first promoted after the drift that brought accuracy back)
    /// and every version promoted after it.
    public var accuracyAfterRecovery: DemoScoreboard.Tally
    public var recoveredVersions: [String]
    public var firstAlert: Alert?
    public var promotion: Promotion?
    public var examples: Int
    public var corrections: Int
    public var alertsFiring: Int
    public var alertsBeforeDrift: Int
    public var promoted: Int
    public var rejected: Int
    public var finalVersion: String?
    public var loopClosed: Bool
    public var notClosedBecause: [String]

    /// `0.757`, or `n/a`.
    public static func format(_ x: Double?) -> String {
        x.map { String(format: "%.3f", $0) } ?? "n/a"
    }
}
