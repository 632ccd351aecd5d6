/// DDM, the drift detection method (Gama et al. 2004), on a binary error stream, with River 0.26's semantics:
/// after `warmStart` values, warning when p + s exceeds p_min + `warningThreshold`·s_min, drift past
/// `driftThreshold`·s_min. Value type; not thread-safe.
public struct DDM: DriftAndWarningDetector {
    public let warmStart: Int
    public let warningThreshold: Double
    public let driftThreshold: Double

    public private(set) var driftDetected = false
    public private(set) var warningDetected = false
    private var n = 0.0
    private var p = 0.0
    private var pMin = 0.0
    private var sMin = 0.0
    private var psMin = Double.infinity

    public init(warmStart: Int = 30, warningThreshold: Double = 2.0, driftThreshold: Double = 3.0) throws {
        guard warmStart >= 0 else { throw DetectorConfigurationError("warm_start", "must be at least 0") }
        guard warningThreshold > 0 else { throw DetectorConfigurationError("warning_threshold", "must be positive") }
        guard driftThreshold > 0 else { throw DetectorConfigurationError("drift_threshold", "must be positive") }
        self.warmStart = warmStart
        self.warningThreshold = warningThreshold
        self.driftThreshold = driftThreshold
    }

    /// The running error rate.
    public var errorRate: Double { p }

    public mutating func update(_ x: Double) {
        if driftDetected {
            driftDetected = false; warningDetected = false
            n = 0; p = 0; pMin = 0; sMin = 0; psMin = .infinity
        }
        n += 1
        p += (1 / n) * (x - p)
        let s = (p * (1 - p) / n).squareRoot()
        guard n > Double(warmStart) else { return }
        if p + s <= psMin {
            pMin = p
            sMin = s
            psMin = pMin + sMin
        }
        warningDetected = p + s > pMin + warningThreshold * sMin
        if p + s > pMin + driftThreshold * sMin {
            driftDetected = true
            warningDetected = false
        }
    }
}
