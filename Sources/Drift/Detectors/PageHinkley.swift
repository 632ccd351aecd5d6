/// The Page–Hinkley test (Page 1954) for a change in the mean, with River 0.26's semantics: cumulative
/// deviations from the running mean with forgetting factor `alpha` and tolerance `delta`, drift when the
/// cumulative rise (or fall, or either, per `mode`) exceeds `threshold` after `minInstances` values.
/// Value type; not thread-safe.
public struct PageHinkley: DriftDetector {
    public enum Mode: String, Sendable, Codable, CaseIterable { case up, down, both }

    public let minInstances: Int
    public let delta: Double
    public let threshold: Double
    public let alpha: Double
    public let mode: Mode

    public private(set) var driftDetected = false
    private var n = 0.0
    private var mean = 0.0
    private var sumIncrease = 0.0
    private var sumDecrease = 0.0
    private var minIncrease = Double.infinity
    private var maxDecrease = -1.0

    public init(minInstances: Int = 30, delta: Double = 0.005, threshold: Double = 50, alpha: Double = 1 - 0.0001, mode: Mode = .both) throws {
        guard minInstances >= 1 else { throw DetectorConfigurationError("min_instances", "must be at least 1") }
        guard threshold > 0 else { throw DetectorConfigurationError("threshold", "must be positive") }
        guard alpha > 0 && alpha <= 1 else { throw DetectorConfigurationError("alpha", "must be in (0, 1]") }
        self.minInstances = minInstances
        self.delta = delta
        self.threshold = threshold
        self.alpha = alpha
        self.mode = mode
    }

    public mutating func update(_ x: Double) {
        if driftDetected {
            driftDetected = false
            n = 0; mean = 0; sumIncrease = 0; sumDecrease = 0; minIncrease = .infinity; maxDecrease = -1
        }
        n += 1
        mean += (1 / n) * (x - mean)
        let deviation = x - mean
        sumIncrease = alpha * sumIncrease + deviation - delta
        sumDecrease = alpha * sumDecrease + deviation + delta
        if sumIncrease < minIncrease { minIncrease = sumIncrease }
        if sumDecrease > maxDecrease { maxDecrease = sumDecrease }
        guard n >= Double(minInstances) else { return }
        let rise = sumIncrease - minIncrease
        let fall = maxDecrease - sumDecrease
        switch mode {
        case .up: driftDetected = rise > threshold
        case .down: driftDetected = fall > threshold
        case .both: driftDetected = rise > threshold || fall > threshold
        }
    }
}
