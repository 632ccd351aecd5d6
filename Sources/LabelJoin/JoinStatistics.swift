/// What a join operator has counted since it started (or since the snapshot it was restored from).
public struct JoinStatistics: Sendable, Equatable {
    public var predictions: Int = 0
    public var labels: Int = 0
    /// Exact repeats of a prediction (same request id, model and event time) still held: ignored.
    public var duplicatePredictions: Int = 0
    /// Repeats of a label already applied to a prediction (same time, value, model and source): ignored.
    public var duplicateLabels: Int = 0
    /// Predictions that arrived after their whole correction horizon had passed on the predictions clock.
    public var expiredPredictions: Int = 0
    public var observed: Int = 0
    public var implicit: Int = 0
    /// Predictions whose window closed with no label and no default label.
    public var dropped: Int = 0
    public var corrections: Int = 0
    /// Labels for a prediction that arrived after its correction horizon: ignored.
    public var tooLateLabels: Int = 0
    /// Labels that expired without matching any prediction.
    public var unattributedLabels: Int = 0
    /// Labels whose type the model's aggregation cannot use (a string label under `sum` or `max`).
    public var mismatchedLabels: Int = 0
    /// Events whose time was clamped by the far-future guard.
    public var futureClamped: Int = 0
    /// Predictions closed early (or dropped from the correction horizon) by the `evict_oldest` overflow policy.
    public var evictedEarly: Int = 0
    /// Label completeness: counts of attributed labels by delay from prediction, bucketed at
    /// `JoinStatistics.delayBuckets` (the last bucket is everything longer).
    public var labelDelayCounts: [Int] = Array(repeating: 0, count: JoinStatistics.delayBuckets.count + 1)

    /// Upper bounds (ms) of the label-delay buckets.
    public static let delayBuckets: [Int64] = [1_000, 5_000, 30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000]

    public init() {}

    mutating func recordDelay(_ ms: Int64) {
        var i = 0
        while i < Self.delayBuckets.count && ms > Self.delayBuckets[i] { i += 1 }
        labelDelayCounts[i] += 1
    }

    /// The share of attributed labels that arrived within `ms` of their prediction (at a bucket bound).
    public func completeness(within ms: Int64) -> Double {
        let total = labelDelayCounts.reduce(0, +)
        guard total > 0 else { return 0 }
        var covered = 0
        for (i, bound) in Self.delayBuckets.enumerated() where bound <= ms { covered += labelDelayCounts[i] }
        return Double(covered) / Double(total)
    }

    /// Adds another operator's counts (for per-stage totals).
    public mutating func add(_ other: JoinStatistics) {
        predictions += other.predictions; labels += other.labels
        duplicatePredictions += other.duplicatePredictions; duplicateLabels += other.duplicateLabels
        expiredPredictions += other.expiredPredictions; observed += other.observed; implicit += other.implicit
        dropped += other.dropped; corrections += other.corrections; tooLateLabels += other.tooLateLabels
        unattributedLabels += other.unattributedLabels; mismatchedLabels += other.mismatchedLabels
        futureClamped += other.futureClamped; evictedEarly += other.evictedEarly
        for i in labelDelayCounts.indices { labelDelayCounts[i] += other.labelDelayCounts[i] }
    }
}
