public import Drift
public import Alerts

/// How one model is monitored. Every field has a default, so a model with no `monitor:` section gets every
/// feature tested with a test that suits its type, its prediction, its labels, its performance and its
/// recommendations' diversity.
public struct MonitorPolicy: Sendable, Hashable, Codable {
    /// Event-time windows: `size` long, starting every `hop` (hop = size: tumbling; hop < size: sliding).
    public var windowMilliseconds: Int64 = 5 * 60_000
    public var hopMilliseconds: Int64 = 5 * 60_000
    /// Count-based windows: when set, a window holds this many events of the model instead of an event-time span
    /// (`windowMilliseconds`, `hopMilliseconds` and the lateness settings are then unused), and a new window starts
    /// every `hopEvents` events (nil or equal: tumbling; smaller: sliding). A window closes as soon as it is full.
    /// Events count in the order the operator receives them: for `labeled-examples` (one partition per model) that
    /// is the topic's order, so windows are the same on every replay; for `predictions` spread over several
    /// partitions the boundaries follow the interleaving the consumer saw (the statistics, not the windows, are what
    /// a replay reproduces). A window's reported range is the event-time range of the events it holds.
    public var windowEvents: Int?
    public var hopEvents: Int?
    /// A window closes when every active input partition's clock is this far past its end; later events are
    /// counted as late and left out.
    public var allowedLatenessMilliseconds: Int64 = 60_000
    /// Labeled examples are windowed by prediction time and wait this long for labels before their window closes.
    public var labelLatenessMilliseconds: Int64 = 30 * 60_000
    /// Windows with fewer events are not evaluated (neither breach nor clear).
    public var minimumWindowEvents = 500

    public enum Reference: String, Sendable, Hashable, Codable, CaseIterable {
        /// The first full window after start, replaced when a new model version becomes dominant (promotion).
        case fixed
        /// The previous evaluated window (catches sudden change; blind to slow drift).
        case previous
        /// A stored dataset (`reference_path`, JSON Lines), never replaced.
        case snapshot
    }
    public var reference = Reference.fixed
    /// The dataset for `reference: snapshot` (prediction events or feature objects, JSON Lines).
    public var referencePath: String?

    /// The drift tests. KS p-values are asymptotic by default here (`DriftPolicy` and `tideline drift compare`
    /// keep scipy's `auto`): at window sizes the exact value costs up to ~5 ms per numeric feature per window when
    /// the samples differ in size, and it differs from the asymptotic one by a few percent relative, which cannot
    /// change a verdict behind the effect floor (`min_ks`). `ks_method: auto` restores scipy's choice.
    public var drift: DriftPolicy = {
        var d = DriftPolicy()
        d.ksMethod = .asymptotic
        return d
    }()
    /// Hysteresis: a drifted subject is clear again only when its effect falls below this share of the
    /// threshold (or its adjusted p-value rises above alpha).
    public var resolveRatio = 0.8
    /// Configured expectations per feature (validation); unlisted features are checked against the reference.
    public var expectations: [String: FeatureExpectation] = [:]
    /// A violation share at least this large (per window) is a schema breach.
    public var maxViolationShare = 0.01

    /// Performance: ADWIN's delta on the error stream, and optional hard floors.
    public var adwinDelta = 0.002
    public var minimumAccuracy: Double?
    public var maximumLogLoss: Double?
    public var minimumAUC: Double?
    /// Performance is a breach when the window's error rate exceeds the reference's by this relative margin
    /// after ADWIN saw a change (and clear again under half of it).
    public var errorIncreaseMargin = 0.2
    /// Label-free: the confidence-based accuracy estimate may fall this much below the reference's.
    public var estimatedAccuracyDrop = 0.05

    /// Feedback loops: a fall of item entropy by this share of the reference's entropy is a breach.
    public var maxEntropyDrop = 0.3

    public init() {}
}

/// What a feature's values must look like. Violations are counted per window; a share above the policy's
/// `maxViolationShare` is a `schema` breach naming the expectation.
public struct FeatureExpectation: Sendable, Hashable, Codable {
    public enum ValueType: String, Sendable, Hashable, Codable, CaseIterable { case number, string, boolean }
    public var type: ValueType?
    public var minimum: Double?
    public var maximum: Double?
    public var allowed: Set<String>?
    /// A regular expression string values must match entirely.
    public var pattern: String?
    /// Largest acceptable share of nulls (or absences).
    public var maxNullRate: Double?

    public init(type: ValueType? = nil, minimum: Double? = nil, maximum: Double? = nil, allowed: Set<String>? = nil,
                pattern: String? = nil, maxNullRate: Double? = nil) {
        self.type = type; self.minimum = minimum; self.maximum = maximum; self.allowed = allowed
        self.pattern = pattern; self.maxNullRate = maxNullRate
    }
}

/// The monitor's configuration: a policy per model, a default for the rest, and the alert engine's.
public struct MonitorConfiguration: Sendable, Hashable, Codable {
    public var defaultPolicy = MonitorPolicy()
    public var policies: [String: MonitorPolicy] = [:]
    public var alerts = AlertEngineConfiguration()

    /// Loads the stored references of every model whose policy is `reference: snapshot`.
    public func loadReferences(models: [String]) throws -> [String: PredictionWindow] {
        var out: [String: PredictionWindow] = [:]
        for model in models {
            let p = policy(for: model)
            guard p.reference == .snapshot else { continue }
            guard let path = p.referencePath else { throw ReferenceDatasetError("model \(model): reference: snapshot needs reference_path") }
            out[model] = try PredictionWindow.load(path: path)
        }
        return out
    }

    public init(defaultPolicy: MonitorPolicy = MonitorPolicy(), policies: [String: MonitorPolicy] = [:], alerts: AlertEngineConfiguration = AlertEngineConfiguration()) {
        self.defaultPolicy = defaultPolicy; self.policies = policies; self.alerts = alerts
    }

    public func policy(for model: String) -> MonitorPolicy { policies[model] ?? defaultPolicy }
}
