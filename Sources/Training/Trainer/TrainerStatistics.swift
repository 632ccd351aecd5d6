/// Counters of one trainer, for metrics and tests.
public struct TrainerStatistics: Sendable, Hashable, Codable {
    public var examples: Int64 = 0
    public var duplicates: Int64 = 0
    /// Examples whose label the task cannot use (e.g. a string label without `positive_label`).
    public var unusable: Int64 = 0
    public var heldOut: Int64 = 0
    /// Dropped by the per-entity cap.
    public var capped: Int64 = 0
    public var trained: Int64 = 0
    public var replayed: Int64 = 0
    public var batches: Int64 = 0
    public var evaluations: Int64 = 0
    public var promoted: Int64 = 0
    public var rejected: Int64 = 0
    public var rollbacks: Int64 = 0
    /// Sum and count of the candidate's progressive loss (log loss, or squared error for regression).
    public var progressiveLoss: Double = 0
    public var progressiveCount: Int64 = 0
    public var progressiveCorrect: Int64 = 0
    public init() {}

    public var meanProgressiveLoss: Double { progressiveCount > 0 ? progressiveLoss / Double(progressiveCount) : .nan }
}
