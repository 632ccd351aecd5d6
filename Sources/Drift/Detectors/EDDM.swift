/// EDDM, the early drift detection method (Baena-García et al. 2006): watches the distance between errors in a
/// binary error stream; drift when (mean + 2·sd) of the distances falls below `beta` times its maximum, warning
/// below `alpha`. River 0.26's semantics. Value type; not thread-safe.
public struct EDDM: DriftAndWarningDetector {
    public let warmStart: Int
    public let alpha: Double
    public let beta: Double

    public private(set) var driftDetected = false
    public private(set) var warningDetected = false
    private var n = 0
    private var lastError = 0
    private var errors = 0
    private var distanceCount = 0.0
    private var distanceMean = 0.0
    private var distanceS = 0.0
    private var p2sMax = -1.0

    public init(warmStart: Int = 30, alpha: Double = 0.95, beta: Double = 0.9) throws {
        guard alpha >= beta else { throw DetectorConfigurationError("alpha", "must be greater than or equal to beta") }
        guard warmStart >= 0 else { throw DetectorConfigurationError("warm_start", "must be at least 0") }
        self.warmStart = warmStart
        self.alpha = alpha
        self.beta = beta
    }

    public mutating func update(_ x: Double) {
        if driftDetected {
            driftDetected = false; warningDetected = false
            n = 0; lastError = 0; errors = 0; distanceCount = 0; distanceMean = 0; distanceS = 0; p2sMax = -1
        }
        n += 1
        guard x == 1 else { return }
        errors += 1
        let distance = Double(n - lastError)
        let old = distanceMean
        distanceCount += 1
        distanceMean += (1 / distanceCount) * (distance - distanceMean)
        distanceS += (distance - old) * (distance - distanceMean)
        if n > warmStart {
            let variance = distanceCount > 1 ? distanceS / (distanceCount - 1) : 0
            let p2s = distanceMean + 2 * _pow(variance, 0.5)  // River computes `var ** 0.5`
            if p2s > p2sMax {
                p2sMax = p2s
            } else if errors > warmStart {
                let level = p2s / p2sMax
                if level < beta {
                    driftDetected = true
                } else if level < alpha {
                    warningDetected = true
                } else {
                    warningDetected = false
                }
            }
        }
        lastError = n
    }
}
