/// The result of comparing a current window with a reference window: one row per feature (and the prediction),
/// plus schema findings.
public struct DriftReport: Sendable, Hashable, Codable {
    public enum Verdict: String, Sendable, Hashable, Codable { case drift, stable, insufficient }

    public struct Row: Sendable, Hashable, Codable {
        /// Feature name, or `prediction`.
        public var subject: String
        /// `numeric` or `categorical`.
        public var type: String
        /// `ks` (numeric) or `chi2` (categorical).
        public var test: String
        /// KS D, or the chi-square statistic.
        public var statistic: Double
        public var pValue: Double
        /// After the policy's multiple-testing correction.
        public var adjustedPValue: Double
        /// The effect size judged against the policy's minimum: KS D, or the Jensen–Shannon distance.
        public var effect: Double
        public var effectThreshold: Double
        public var verdict: Verdict
        /// Values compared on each side.
        public var referenceCount: Int
        public var currentCount: Int
        /// Numeric only: PSI, Wasserstein-1, the means and the reference standard deviation.
        public var psi: Double?
        public var wasserstein: Double?
        public var referenceMean: Double?
        public var currentMean: Double?
        public var referenceStandardDeviation: Double?
        /// Categorical only: share of current values in categories the reference never had.
        public var unseenShare: Double?
        /// The category (or value) where the distributions differ most, for the description.
        public var detail: String
    }

    public struct SchemaFinding: Sendable, Hashable, Codable {
        public enum Problem: String, Sendable, Hashable, Codable { case missing, new, typeChanged = "type_changed", nullRate = "null_rate", unseenCategories = "unseen_categories" }
        public var subject: String
        public var problem: Problem
        /// The measured value (presence share, null-rate increase, unseen share) and the policy's threshold.
        public var value: Double
        public var threshold: Double
        public var detail: String
    }

    public var rows: [Row]
    public var schema: [SchemaFinding]
    public var referenceEvents: Int
    public var currentEvents: Int

    public var drifted: [Row] { rows.filter { $0.verdict == .drift } }
}
