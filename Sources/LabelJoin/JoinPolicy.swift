public import Events

/// How several labels for one prediction combine into the example's label.
public enum LabelAggregation: String, Sendable, CaseIterable, Codable {
    /// The label with the earliest event time (ties: the one that arrived first).
    case first
    /// The label with the latest event time (ties: the one that arrived last).
    case last
    /// The largest numeric label (`true` counts as 1); e.g. "any click".
    case max
    /// The sum of numeric labels (`true` counts as 1); e.g. revenue.
    case sum
    /// How many distinct labels arrived.
    case count
}

/// The join semantics for one model. Times are milliseconds of event time.
///
/// A label with event time `tl` is attributed to a prediction with event time `tp` when
/// `tp - backwardWindow <= tl <= tp + window`. The prediction's window closes when the labels partition's
/// event-time clock passes `tp + window + grace`; labels that arrive later but before
/// `tp + window + grace + correctionHorizon` produce `correction` examples.
public struct JoinPolicy: Sendable, Equatable {
    /// The attribution window W (ms): labels up to W after the prediction count.
    public var window: Int64
    /// Labels stamped up to this long (ms) before their prediction still count (clock skew between services).
    public var backwardWindow: Int64
    /// How long (ms) to wait for out-of-order events after the event-time clock passes a window's end.
    public var grace: Int64
    /// How long (ms) after a window closes a late label still yields a `correction` example.
    public var correctionHorizon: Int64
    /// The label of an `implicit` example when no label arrives in the window; nil drops such predictions.
    public var defaultLabel: LabelValue?
    public var aggregation: LabelAggregation

    /// The longest window, horizon or backward window accepted: 24 days (delays are kept as 32-bit ms).
    public static let maximumSpan: Int64 = 24 * 86_400_000

    public init(window: Int64 = 1_800_000, backwardWindow: Int64 = 60_000, grace: Int64 = 10_000,
                correctionHorizon: Int64 = 3_600_000, defaultLabel: LabelValue? = .number(0), aggregation: LabelAggregation = .max) {
        self.window = window
        self.backwardWindow = backwardWindow
        self.grace = grace
        self.correctionHorizon = correctionHorizon
        self.defaultLabel = defaultLabel
        self.aggregation = aggregation
    }

    /// Checks the ranges; the error names the field.
    public func validate(model: String) throws(JoinConfigurationError) {
        func check(_ value: Int64, _ field: String, allowZero: Bool) throws(JoinConfigurationError) {
            if value < 0 || (!allowZero && value == 0) || value > JoinPolicy.maximumSpan {
                throw JoinConfigurationError(field: "models.\(model).join.\(field)",
                                             message: "must be \(allowZero ? "between 0" : "greater than 0 and at most") and 24 days, got \(value) ms")
            }
        }
        try check(window, "window", allowZero: false)
        try check(backwardWindow, "backward_window", allowZero: true)
        try check(grace, "grace", allowZero: true)
        try check(correctionHorizon, "correction_horizon", allowZero: true)
        if case .string = defaultLabel, aggregation == .sum || aggregation == .max {
            throw JoinConfigurationError(field: "models.\(model).join.aggregation",
                                         message: "\(aggregation.rawValue) needs numeric labels but default_label is a string")
        }
    }
}

/// What happens when pending predictions exceed the memory bound.
public enum JoinOverflowPolicy: String, Sendable, CaseIterable {
    /// Stop reading predictions until windows close and memory is released. Nothing changes in the output;
    /// the stage only slows down. The default.
    case backpressure
    /// Close the prediction whose window ends first right away (as if its window had ended). Keeps memory flat
    /// at the cost of early implicit examples; every early close is counted.
    case evictOldest = "evict_oldest"
}

/// The whole join configuration: per-model policies plus the operator-wide settings.
public struct JoinConfiguration: Sendable, Equatable {
    /// Policies by model name.
    public var models: [String: JoinPolicy]
    /// The policy for predictions of models not listed in `models`.
    public var defaultPolicy: JoinPolicy
    /// An event whose time is more than this (ms) ahead of its Kafka record timestamp is treated as stamped at
    /// record timestamp + this: one bad clock must not close every window.
    public var maxFutureSkew: Int64
    /// The bound on pending state (bytes of stored payload plus fixed per-entry cost).
    public var maxPendingBytes: Int
    public var overflow: JoinOverflowPolicy

    public init(models: [String: JoinPolicy] = [:], defaultPolicy: JoinPolicy = JoinPolicy(), maxFutureSkew: Int64 = 600_000,
                maxPendingBytes: Int = 1 << 30, overflow: JoinOverflowPolicy = .backpressure) {
        self.models = models
        self.defaultPolicy = defaultPolicy
        self.maxFutureSkew = maxFutureSkew
        self.maxPendingBytes = maxPendingBytes
        self.overflow = overflow
    }

    public func policy(for model: String) -> JoinPolicy { models[model] ?? defaultPolicy }

    public func validate() throws(JoinConfigurationError) {
        try defaultPolicy.validate(model: "default")
        for (name, policy) in models.sorted(by: { $0.key < $1.key }) { try policy.validate(model: name) }
        if maxFutureSkew < 0 { throw JoinConfigurationError(field: "join.max_future_skew", message: "must not be negative") }
        if maxPendingBytes < 1024 { throw JoinConfigurationError(field: "join.max_pending_bytes", message: "must be at least 1024") }
    }
}

/// A join setting that is out of range; `field` is the config path.
public struct JoinConfigurationError: Error, CustomStringConvertible, Equatable {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}
