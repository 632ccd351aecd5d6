import Statistics

/// KSWIN, Kolmogorov–Smirnov windowing (Raab et al. 2020), with River 0.26's semantics: a sliding window of
/// `windowSize` values; once full, `statSize` values drawn (seeded) from the older part are tested against the
/// newest `statSize` with the two-sample KS test, and a drift is p ≤ `alpha` with D > 0.1. The random draw
/// reproduces CPython's `random.Random(seed).sample`, so with the same seed the detections equal River's.
/// Value type; not thread-safe.
public struct KSWIN: DriftDetector {
    public let alpha: Double
    public let windowSize: Int
    public let statSize: Int
    public let seed: UInt64

    public private(set) var driftDetected = false
    /// The p-value of the last test (0 before the window first fills, as River).
    public private(set) var pValue = 0.0
    private var window: [Double] = []  // ring buffer, oldest at `head`
    private var head = 0
    private var rng: PythonRandom

    public init(alpha: Double = 0.005, windowSize: Int = 100, statSize: Int = 30, seed: UInt64 = 42) throws {
        guard alpha >= 0 && alpha <= 1 else { throw DetectorConfigurationError("alpha", "must be in [0, 1]") }
        guard windowSize > 0 else { throw DetectorConfigurationError("window_size", "must be positive") }
        guard statSize > 0 && statSize < windowSize else { throw DetectorConfigurationError("stat_size", "must be positive and smaller than window_size") }
        self.alpha = alpha
        self.windowSize = windowSize
        self.statSize = statSize
        self.seed = seed
        rng = PythonRandom(seed: seed)
        window.reserveCapacity(windowSize)
    }

    public mutating func update(_ x: Double) {
        if driftDetected {
            driftDetected = false
            pValue = 0
            window.removeAll(keepingCapacity: true)
            head = 0
            rng = PythonRandom(seed: seed)
        }
        if window.count < windowSize {
            window.append(x)
        } else {
            window[head] = x
            head = (head + 1) % windowSize
        }
        guard window.count >= windowSize else { return }
        let picks = rng.sample(rangeCount: windowSize - statSize, statSize)
        var reference = [Double](repeating: 0, count: statSize)
        for (i, r) in picks.enumerated() { reference[i] = window[(head + r) % windowSize] }
        var recent = [Double](repeating: 0, count: statSize)
        for i in 0..<statSize { recent[i] = window[(head + windowSize - statSize + i) % windowSize] }
        let result = KolmogorovSmirnov.test(reference, recent)
        pValue = result.pValue
        driftDetected = result.pValue <= alpha && result.statistic > 0.1
    }
}
