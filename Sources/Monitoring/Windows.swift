public import Drift
public import Events

/// One event-time window of predictions for one model: feature statistics (with the prediction), which model
/// versions served it, what was shown, and the sums behind the confidence-based performance estimate.
public struct PredictionWindow: Sendable, Codable {
    public var start: Int64
    public var end: Int64
    public var features: FeatureWindow
    /// Predictions per model version.
    public private(set) var versions: [String: Int] = [:]
    public var items = ItemDiversity()
    /// Binary-probability predictions: count, and Σ max(p, 1-p) (expected accuracy when calibrated) in
    /// fixed point (2⁻³² units), so the sum does not depend on arrival order.
    public var scoredCount = 0
    public var confidenceSum: UInt64 = 0
    /// The last version counted and where its count is (a lookup cache, not state: not encoded). Valid while
    /// `versions` gains no key, which only `add` does.
    private var lastVersion: (name: String, index: Dictionary<String, Int>.Index)?

    private enum CodingKeys: String, CodingKey { case start, end, features, versions, items, scoredCount, confidenceSum }

    public init(start: Int64, end: Int64, sampleCapacity: Int) {
        self.start = start; self.end = end
        features = FeatureWindow(sampleCapacity: sampleCapacity)
    }

    /// An empty window whose features reuse the sample storage of `earlier` (see `FeatureWindow.init(sampleCapacity:reusing:)`).
    public init(start: Int64, end: Int64, sampleCapacity: Int, reusing earlier: consuming FeatureWindow) {
        self.start = start; self.end = end
        features = FeatureWindow(sampleCapacity: sampleCapacity, reusing: earlier)
    }

    /// Adds one prediction. `hash` identifies the event (a hash of its request id) for sampling.
    public mutating func add(_ p: PredictionEvent, hash: UInt64) {
        features.add(p.features, prediction: p.prediction, eventTime: p.timestamp.milliseconds, hash: hash)
        if let last = lastVersion, last.name == p.modelVersion {
            versions.values[last.index] += 1
        } else {
            versions[p.modelVersion, default: 0] += 1
            lastVersion = (p.modelVersion, versions.index(forKey: p.modelVersion)!)
        }
        if let item = p.itemID { items.add(item) }
        if case .score(let s) = p.prediction, s >= 0, s <= 1 {
            scoredCount += 1
            confidenceSum &+= UInt64((max(s, 1 - s) * 0x1p32).rounded())
        }
    }

    public var count: Int { features.count }

    /// The window with `start`/`end` set to the event-time range of what it holds (`end` exclusive): how a
    /// count-based window, keyed by event index while open, reports itself once closed.
    public var spanningItsEvents: PredictionWindow {
        guard count > 0 else { return self }
        var w = self
        w.start = features.firstEventTime; w.end = features.lastEventTime + 1
        return w
    }
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
    /// Keyed "version/variant" ("-" without a variant).
    public private(set) var byVersionAndVariant: [String: PerformanceAccumulator] = [:]
    public var count = 0
    /// Prediction times of the examples held (min...max), epoch milliseconds; nil while empty.
    public var eventTimeRange: ClosedRange<Int64>?
    /// The last group used and where its accumulator is (a lookup cache, not state: not encoded). Valid while
    /// `byVersionAndVariant` gains no key, which only `withGroup` does.
    private var lastGroup: (version: String, variant: String?, index: Dictionary<String, PerformanceAccumulator>.Index)?

    private enum CodingKeys: String, CodingKey { case start, end, labels, performance, byVersionAndVariant, count, eventTimeRange }

    /// Runs `body` on the accumulator of one model version and variant (created when new); a run of examples of
    /// one group builds no key and looks nothing up.
    public mutating func withGroup(version: String, variant: String?, _ body: (inout PerformanceAccumulator) -> Void) {
        if let last = lastGroup, last.version == version, last.variant == variant {
            body(&byVersionAndVariant.values[last.index])
            return
        }
        let key = "\(version)/\(variant ?? "-")"
        body(&byVersionAndVariant[key, default: PerformanceAccumulator()])
        lastGroup = (version, variant, byVersionAndVariant.index(forKey: key)!)
    }

    public init(start: Int64, end: Int64, sampleCapacity: Int) {
        self.start = start; self.end = end
        labels = FeatureStatistics(sampleCapacity: sampleCapacity)
    }

    /// The window with `start`/`end` set to the event-time range of what it holds (`end` exclusive): how a
    /// count-based window, keyed by event index while open, reports itself once closed.
    public var spanningItsEvents: OutcomeWindow {
        guard let r = eventTimeRange else { return self }
        var w = self
        w.start = r.lowerBound; w.end = r.upperBound + 1
        return w
    }

    public var alertWindow: AlertEvent.Window {
        AlertEvent.Window(from: EventTime(milliseconds: start), to: EventTime(milliseconds: end), count: Int64(count))
    }
}
