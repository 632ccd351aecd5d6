/// What the monitor concluded about one closed window: published in logs and metrics, and what the tests and
/// the quality harness read.
public struct WindowSummary: Sendable, Hashable, Codable {
    public enum Input: String, Sendable, Hashable, Codable { case predictions, examples }
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// Too few events to evaluate.
        case skipped
        /// Became the reference (first window, or a new model version became dominant).
        case reference
        /// Compared with the reference.
        case evaluated
    }
    public var model: String
    public var input: Input
    public var start: Int64
    public var end: Int64
    public var count: Int
    public var outcome: Outcome
    public var modelVersion: String?
    /// Subjects whose signal was a breach in this window ("feature_drift:age", "schema:age:missing", …).
    public var breaches: [String]
    /// Metrics: accuracy, log_loss, auc, precision, recall, f1, mae, rmse, estimated_accuracy, item_entropy,
    /// item_gini, item_distinct, and per version/variant accuracy as "accuracy[version/variant]".
    public var metrics: [String: Double]

    public init(model: String, input: Input, start: Int64, end: Int64, count: Int, outcome: Outcome, modelVersion: String?,
                breaches: [String], metrics: [String: Double]) {
        self.model = model; self.input = input; self.start = start; self.end = end; self.count = count
        self.outcome = outcome; self.modelVersion = modelVersion; self.breaches = breaches; self.metrics = metrics
    }
}

/// Counters over the operator's life.
public struct MonitorStatistics: Sendable, Hashable, Codable {
    public var predictions = 0
    public var examples = 0
    /// Events whose window had already closed (by their own partition's clock, or because it was idle).
    public var latePredictions = 0
    public var lateExamples = 0
    public var windowsEvaluated = 0
    public var windowsSkipped = 0
    public var signals = 0
    public var alerts = 0
}
