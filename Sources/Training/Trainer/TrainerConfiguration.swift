/// How a model's trainer learns, when it publishes, and what the gate demands (`models.<name>.train`).
public struct TrainerConfiguration: Sendable, Hashable, Codable {
    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
        /// Continue from the last checkpoint: every micro-batch updates the candidate.
        case stateful
        /// At each trigger, train a fresh model on the retained window (reservoir of older examples + recent buffer).
        case stateless
    }

    public var model: ModelSpecification = .logisticRegression(LinearModel.Configuration())
    public var features = FeatureEncoder.Configuration()
    /// Examples per micro-batch (512 or 1024 recommended).
    public var batchSize = 512
    public var mode: Mode = .stateful
    /// Retained window for stateless retraining and replay mixing: a uniform reservoir of older examples...
    public var reservoirSize = 10_000
    /// ...plus the most recent examples.
    public var recentBufferSize = 10_000
    /// Share of examples held out (chosen by a hash of `event_id`, so a replay holds out the same ones).
    public var holdoutFraction = 0.1
    /// The static held-out sample: the first held-out examples, then frozen (catches forgetting).
    public var staticHoldoutSize = 2_000
    /// The most recent held-out examples (a backtest on fresh data).
    public var recentHoldoutSize = 2_000
    public var triggers = TriggerPolicy()
    public var gate = GatePolicy()
    public var rollback = RollbackPolicy()
    /// At most this many examples per `entity_id` in one micro-batch (0 = no cap): a guard against one source
    /// flooding the model (poisoned feedback).
    public var maxExamplesPerEntity = 0
    /// Older examples from the reservoir mixed into each micro-batch, as a share of the batch (against forgetting).
    public var replayFraction = 0.0
    /// For classifiers with string labels: the label that counts as the positive class.
    public var positiveLabel: String?
    /// Start the next candidate from the champion after a rejection (default: keep learning on the rejected one).
    public var resetOnReject = false
    /// Event ids remembered for deduplication.
    public var dedupeWindow = 1_000_000
    public var seed: UInt64 = 1
    /// Where checkpoints are written; the model-update's `checkpoint.uri` is `file://<dir>/<model>/<version>.ckpt`.
    public var checkpointDirectory = "tideline-models"

    public init() {}
}

/// When a trainer evaluates its candidate (ARCHITECTURE §3 "Training": time, volume, performance, drift, manual).
/// Evaluated at micro-batch boundaries in event time.
public struct TriggerPolicy: Sendable, Hashable, Codable {
    /// Time: event time (ms) since the last update.
    public var interval: Int64?
    /// Volume: new training examples since the last update.
    public var examples: Int? = 10_000
    /// Volume, relative: new examples as a share of what the champion was trained on (0.1 = +10%).
    public var growth: Double?
    /// Performance: the champion's live metric over the last `performanceWindow` examples crosses this threshold
    /// (below it for accuracy and AUC, above it for losses).
    public var performanceMetric: EvaluationMetric?
    public var performanceThreshold: Double?
    public var performanceWindow = 1_000
    /// Performance: ADWIN (this delta) detects a rise of the champion's error stream.
    public var errorChangeDelta: Double? = 0.002
    /// Drift: a firing alert for this model on `alerts` (of these kinds).
    public var onDrift = true
    /// Minimum event time (ms) between two updates (manual commands are exempt).
    public var minimumInterval: Int64 = 0
    public init() {}
}

/// Automatic rollback: after a promotion, the new champion and its parent both score the next `window` live
/// examples; if the new one is worse beyond `margin` (relative) at the gate's confidence, the parent is restored.
public struct RollbackPolicy: Sendable, Hashable, Codable {
    public var enabled = true
    public var window = 2_000
    public var margin = 0.02
    public init() {}
}
