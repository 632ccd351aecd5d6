import Events
import Foundation
public import Pipeline

/// What the dashboard lists beside the charts: alert incidents (one per `alert_id`, from firing to resolved) and
/// the model-version timeline with each gate decision, as the stages of this process published them.
///
/// Fed by the stages' `onPublished` handlers. Keeps the most recent `capacity` incidents and versions. Thread-safe.
public final class DashboardJournal: @unchecked Sendable {
    /// One incident: the latest state of an `alert_id`.
    public struct Incident: Sendable, Hashable, Codable {
        public var alertID: String
        public var status: String
        public var model: String
        public var kind: String
        public var severity: String
        public var subject: String
        public var detector: String
        public var statistic: Double?
        public var threshold: Double?
        public var pValue: Double?
        public var description: String
        /// Event time, Unix milliseconds.
        public var firstSeen: Int64
        public var lastSeen: Int64
        public var occurrences: Int64
    }

    /// One published model version and its gate decision.
    public struct Version: Sendable, Hashable, Codable {
        public var model: String
        public var version: String
        public var parentVersion: String?
        public var kind: String
        public var decision: String
        public var reason: String?
        public var trigger: String
        public var triggerDetail: String?
        public var exampleCount: Int64
        /// Event time of the newest example it trained on, Unix milliseconds.
        public var createdAt: Int64
        /// Holdout metrics of the candidate and the champion it was compared with (first evaluation set).
        public var evaluationSet: String?
        public var candidate: [String: Double]
        public var champion: [String: Double]
    }

    /// What `/api/events` serves: incidents newest first (open ones first), versions oldest first.
    public struct Snapshot: Sendable, Codable {
        public var incidents: [Incident]
        public var versions: [Version]
    }

    public let capacity: Int
    private let lock = NSLock()
    private var incidents: [String: Incident] = [:]
    private var versions: [Version] = []

    public init(capacity: Int = 200) { self.capacity = capacity }

    /// Records what a stage published (a `PublishedEventHandler`).
    public func record(_ events: [PublishedEvent]) {
        lock.withLock {
            for event in events {
                switch event {
                case .alert(let a): recordLocked(a)
                case .modelUpdate(let u): recordLocked(u)
                }
            }
        }
    }

    /// The handler to give the stages.
    public var handler: PublishedEventHandler { { [self] events in record(events) } }

    public func snapshot() -> Snapshot {
        lock.withLock {
            let sorted = incidents.values.sorted {
                ($0.status == "firing" ? 0 : 1, -$0.lastSeen, $0.alertID) < ($1.status == "firing" ? 0 : 1, -$1.lastSeen, $1.alertID)
            }
            return Snapshot(incidents: sorted, versions: versions)
        }
    }

    private func recordLocked(_ a: AlertEvent) {
        incidents[a.alertID] = Incident(
            alertID: a.alertID, status: a.status.rawValue, model: a.model, kind: a.kind.rawValue, severity: a.severity.rawValue,
            subject: a.subject, detector: a.detector, statistic: a.statistic.finite, threshold: a.threshold.finite, pValue: a.pValue.finite,
            description: a.description, firstSeen: a.firstSeen.milliseconds, lastSeen: a.lastSeen.milliseconds, occurrences: a.occurrences)
        if incidents.count > capacity {
            let oldest = incidents.values.filter { $0.status != "firing" }.min { $0.lastSeen < $1.lastSeen }
                ?? incidents.values.min { $0.lastSeen < $1.lastSeen }
            if let oldest { incidents.removeValue(forKey: oldest.alertID) }
        }
    }

    private func recordLocked(_ u: ModelUpdateEvent) {
        let evaluation = u.metrics.first
        let entry = Version(
            model: u.model, version: u.version, parentVersion: u.parentVersion, kind: u.kind.rawValue, decision: u.decision.rawValue,
            reason: u.reason, trigger: u.trigger.kind, triggerDetail: u.trigger.detail, exampleCount: u.data.exampleCount,
            createdAt: u.createdAt.milliseconds, evaluationSet: evaluation?.set,
            candidate: evaluation?.candidate.filter { $0.value.isFinite } ?? [:], champion: evaluation?.champion.filter { $0.value.isFinite } ?? [:])
        // A re-published update (after a restart) repeats (model, version): keep one.
        if let i = versions.firstIndex(where: { $0.model == entry.model && $0.version == entry.version }) {
            versions[i] = entry
        } else {
            versions.append(entry)
        }
        if versions.count > capacity { versions.removeFirst(versions.count - capacity) }
    }
}

extension Optional where Wrapped == Double {
    /// The value when finite (JSON has no NaN or infinity).
    var finite: Double? { flatMap { $0.isFinite ? $0 : nil } }
}
