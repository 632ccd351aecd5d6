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
    /// The drift tests of an evaluated window, one per feature, the prediction (predictions input) or the label
    /// (examples input): what `/metrics` and the dashboard show against their thresholds.
    public var drift: [DriftMeasurement] = []

    public init(model: String, input: Input, start: Int64, end: Int64, count: Int, outcome: Outcome, modelVersion: String?,
                breaches: [String], metrics: [String: Double], drift: [DriftMeasurement] = []) {
        self.model = model; self.input = input; self.start = start; self.end = end; self.count = count
        self.outcome = outcome; self.modelVersion = modelVersion; self.breaches = breaches; self.metrics = metrics; self.drift = drift
    }
}

/// One drift test of a window against its reference.
public struct DriftMeasurement: Sendable, Hashable, Codable {
    /// Feature name, `prediction` or `label`.
    public var subject: String
    /// `ks` (numeric) or `chi2` (categorical).
    public var test: String
    /// The effect size judged against `threshold`: KS D, or the Jensen–Shannon distance (dimensionless, 0…1).
    public var statistic: Double
    /// The test's p-value after the policy's multiple-testing correction.
    public var pValue: Double
    /// The minimum effect that counts as drift.
    public var threshold: Double
    /// `drift`, `stable` or `insufficient`.
    public var verdict: String

    public init(subject: String, test: String, statistic: Double, pValue: Double, threshold: Double, verdict: String) {
        self.subject = subject; self.test = test; self.statistic = statistic; self.pValue = pValue; self.threshold = threshold; self.verdict = verdict
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
