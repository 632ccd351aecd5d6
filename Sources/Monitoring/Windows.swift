public import Drift
public import Events

/// One event-time window of predictions for one model: feature statistics (with the prediction), which model
/// versions served it, what was shown, and the sums behind the confidence-based performance estimate.
public struct PredictionWindow: Sendable, Codable {
    public var start: Int64
    public var end: Int64
    public var features: FeatureWindow
    public var versions: [String: Int] = [:]
    public var items = ItemDiversity()
    /// Binary-probability predictions: count, and Σ max(p, 1-p) (expected accuracy when calibrated) in
    /// fixed point (2⁻³² units), so the sum does not depend on arrival order.
    public var scoredCount = 0
    public var confidenceSum: UInt64 = 0

    public init(start: Int64, end: Int64, sampleCapacity: Int) {
        self.start = start; self.end = end
        features = FeatureWindow(sampleCapacity: sampleCapacity)
    }

    public var count: Int { features.count }
    /// The version that served most predictions (ties: the greater name, for determinism).
    public var dominantVersion: String? { versions.max { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }?.key }
    public var estimatedAccuracy: Double? { scoredCount > 0 ? Double(confidenceSum) * 0x1p-32 / Double(scoredCount) : nil }
    public var alertWindow: AlertEvent.Window {
        AlertEvent.Window(from: EventTime(milliseconds: start), to: EventTime(milliseconds: end), count: Int64(count))
    }
}

/// One window of labeled examples (by prediction time) for one model: the label distribution and realized
/// performance, overall and per model version and variant.
public struct OutcomeWindow: Sendable, Codable {
    public var start: Int64
    public var end: Int64
    public var labels: FeatureStatistics
    public var performance = PerformanceAccumulator()
    /// Keyed "version/variant".
    public var byVersionAndVariant: [String: PerformanceAccumulator] = [:]
    public var count = 0

    public init(start: Int64, end: Int64, sampleCapacity: Int) {
        self.start = start; self.end = end
        labels = FeatureStatistics(sampleCapacity: sampleCapacity)
    }

    public var alertWindow: AlertEvent.Window {
        AlertEvent.Window(from: EventTime(milliseconds: start), to: EventTime(milliseconds: end), count: Int64(count))
    }
}
