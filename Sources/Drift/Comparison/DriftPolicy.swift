public import Statistics

/// How two windows are compared: which tests, how significance is controlled across features, and how large a
/// change must be to count. A change must be both statistically significant (adjusted p below `alpha`) and
/// large (effect at least the minimum): with big windows, tiny harmless shifts are significant, and the effect
/// floor is what keeps alerts quiet on stationary data.
public struct DriftPolicy: Sendable, Hashable, Codable {
    public enum Correction: String, Sendable, Hashable, Codable, CaseIterable { case none, bonferroni, benjaminiHochberg = "bh" }

    /// Significance level for the adjusted p-values.
    public var alpha = 0.01
    /// Multiple-testing control across the features of one comparison.
    public var correction = Correction.benjaminiHochberg
    /// Smallest KS statistic D (largest gap between the CDFs, 0–1) that counts as drift for numeric features.
    public var minimumKS = 0.1
    /// Smallest Jensen–Shannon distance (base 2, 0–1) that counts as drift for categorical features.
    public var minimumJensenShannon = 0.1
    /// PSI bins (reference deciles by default); PSI is reported, not used for the verdict.
    public var psiBins = 10
    /// Fewer values than this on either side: the feature is reported as `insufficient`, not tested.
    public var minimumSamples = 100
    /// KS p-value method.
    public var ksMethod = KolmogorovSmirnov.Method.auto
    /// Schema: a feature present in at least this share of reference events is expected.
    public var expectedPresence = 0.99
    /// Schema: an expected feature present in less than this share of current events is missing.
    public var missingBelow = 0.5
    /// Schema: a feature absent from the reference and present in at least this share of current events is new.
    public var newAbove = 0.01
    /// Schema: a null-rate increase of at least this much (absolute) is flagged.
    public var nullRateIncrease = 0.1
    /// Schema: a share of current categorical values never seen in the reference at least this large is flagged.
    public var unseenCategoryShare = 0.05

    public init() {}
}
