import Events
public import Foundation
import Training

/// The report of a backtest (`report.json`): the input, and per configuration the metric of the served model and of
/// the configuration's champion over event time, the alerts, and the model versions with their gate decisions.
/// Encoded with sorted keys and no wall-clock fields, so the same input and configurations give the same bytes.
public struct BacktestReport: Sendable, Codable, Hashable {
    public struct Input: Sendable, Codable, Hashable {
        /// Files (`--input`) or topics (`--from/--to` on a broker).
        public var sources: [String]
        public var from: String?
        public var to: String?
        public var predictions = 0
        public var labels = 0
        public var malformedCount = 0
        /// The first 100 malformed lines or records, with their errors.
        public var malformed: [EventLogFile.MalformedLine] = []

        public init(sources: [String], from: String? = nil, to: String? = nil) {
            self.sources = sources
            self.from = from
            self.to = to
        }
    }

    public struct Point: Sendable, Codable, Hashable {
        /// Bucket start, ms of event time (prediction time).
        public var from: Int64
        public var examples: Int
        public var served: Double?
        public var champion: Double?
        public var championExamples: Int
    }

    public struct Update: Sendable, Codable, Hashable {
        public var version: String
        public var parent: String?
        public var kind: String
        public var decision: String
        public var trigger: String
        public var reason: String?
        /// Event time of the update (ms).
        public var at: Int64
        public var examples: Int64
    }

    public struct ModelRun: Sendable, Codable, Hashable {
        public var model: String
        /// `accuracy` (binary classification, threshold 0.5) or `mae` (regression).
        public var metric: String
        public var examples: Int
        /// The metric over the whole run: the served predictions, and this configuration's champion where it had one.
        public var served: Double?
        public var champion: Double?
        public var championExamples: Int
        public var series: [Point]
        public var updates: [Update]
        public var retrains: Int
        public var promoted: Int
        public var rejected: Int
        public var rollbacks: Int
    }

    public struct Alert: Sendable, Codable, Hashable {
        public var id: String
        public var status: String
        public var model: String
        public var kind: String
        public var severity: String
        public var subject: String
        /// Event time the alert describes (its last window's end, ms).
        public var at: Int64
        public var description: String
    }

    public struct JoinCounts: Sendable, Codable, Hashable {
        public var observed: Int
        public var implicit: Int
        public var corrections: Int
        public var tooLateLabels: Int
        public var unattributedLabels: Int
        public var pendingAtEnd: Int
        /// Events skipped for naming more models than the join holds (see `BacktestResult.overModelLimit`).
        public var overModelLimit: Int = 0
    }

    public struct Configuration: Sendable, Codable, Hashable {
        /// The sweep assignments, joined ("baseline" when there are none).
        public var name: String
        public var overrides: [String]
        public var examples: Int
        public var join: JoinCounts
        public var models: [ModelRun]
        public var alerts: [Alert]
    }

    public var tool = "tideline backtest"
    public var input: Input
    /// Width of the series' buckets (ms of event time).
    public var bucketMilliseconds: Int64
    public var firstEventTime: Int64?
    public var lastEventTime: Int64?
    public var configurations: [Configuration] = []

    public init(input: Input, bucketMilliseconds: Int64, firstEventTime: Int64?, lastEventTime: Int64?) {
        self.input = input
        self.bucketMilliseconds = bucketMilliseconds
        self.firstEventTime = firstEventTime
        self.lastEventTime = lastEventTime
    }

    /// A bucket width giving at most about 60 points over `span` ms: 1 s, 10 s, 1 min, 5 min, 15 min, 1 h, 3 h,
    /// 6 h, 12 h, 1 day or 7 days.
    public static func bucket(forSpan span: Int64) -> Int64 {
        let choices: [Int64] = [1, 10, 60, 300, 900, 3_600, 10_800, 21_600, 43_200, 86_400, 604_800].map { $0 * 1000 }
        return choices.first { span / $0 <= 60 } ?? choices.last!
    }

    /// Adds one configuration's run.
    public mutating func add(_ result: BacktestResult, name: String, overrides: [String]) {
        var models: [ModelRun] = []
        for model in Set(result.scored.keys).union(result.updates.map(\.model)).sorted() {
            let points = result.scored[model] ?? []
            let regression = result.tasks[model] == .regression
            func score(_ s: Double, _ y: Double) -> Double { regression ? abs(s - y) : ((s > 0.5) == (y >= 0.5) ? 1 : 0) }
            var buckets: [Int64: (n: Int, served: Double, servedN: Int, champion: Double, championN: Int)] = [:]
            var served = 0.0, servedN = 0, champion = 0.0, championN = 0
            for p in points {
                let key = Self.floor(p.time, bucketMilliseconds)
                var b = buckets[key] ?? (0, 0, 0, 0, 0)
                b.n += 1
                if !p.served.isNaN { let v = score(p.served, p.target); b.served += v; b.servedN += 1; served += v; servedN += 1 }
                if !p.champion.isNaN { let v = score(p.champion, p.target); b.champion += v; b.championN += 1; champion += v; championN += 1 }
                buckets[key] = b
            }
            let series = buckets.keys.sorted().map { k in
                let b = buckets[k]!
                return Point(from: k, examples: b.n, served: b.servedN > 0 ? b.served / Double(b.servedN) : nil,
                             champion: b.championN > 0 ? b.champion / Double(b.championN) : nil, championExamples: b.championN)
            }
            let updates = result.updates.filter { $0.model == model }.map {
                Update(version: $0.version, parent: $0.parentVersion, kind: $0.kind.rawValue, decision: $0.decision.rawValue,
                       trigger: $0.trigger.kind, reason: $0.reason, at: $0.createdAt.milliseconds, examples: $0.data.exampleCount)
            }
            models.append(ModelRun(
                model: model, metric: regression ? "mae" : "accuracy", examples: points.count,
                served: servedN > 0 ? served / Double(servedN) : nil, champion: championN > 0 ? champion / Double(championN) : nil,
                championExamples: championN, series: series, updates: updates,
                retrains: updates.filter { $0.kind != "rollback" }.count, promoted: updates.filter { $0.decision == "promoted" && $0.kind != "rollback" }.count,
                rejected: updates.filter { $0.decision == "rejected" }.count, rollbacks: updates.filter { $0.kind == "rollback" }.count))
        }
        let alerts = result.alerts.map {
            Alert(id: $0.alertID, status: $0.status.rawValue, model: $0.model, kind: $0.kind.rawValue, severity: $0.severity.rawValue,
                  subject: $0.subject, at: $0.lastSeen.milliseconds, description: $0.description)
        }
        let j = result.join
        configurations.append(Configuration(
            name: name, overrides: overrides, examples: result.examples,
            join: JoinCounts(observed: j.observed, implicit: j.implicit, corrections: j.corrections, tooLateLabels: j.tooLateLabels,
                             unattributedLabels: j.unattributedLabels, pendingAtEnd: result.pendingAtEnd,
                             overModelLimit: result.overModelLimit),
            models: models, alerts: alerts))
    }

    static func floor(_ t: Int64, _ width: Int64) -> Int64 {
        let q = t / width
        return (t % width < 0 ? q - 1 : q) * width
    }

    /// `report.json`: sorted keys, two-space indentation.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
