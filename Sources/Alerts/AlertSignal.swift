public import Events

/// One observation for the alert engine: a monitor's verdict on one subject (feature, metric) of one model in
/// one closed window. Monitors emit a signal for every subject they evaluate in every window — clear ones too —
/// so incidents can resolve.
public struct AlertSignal: Sendable, Hashable, Codable {
    /// Where the statistic stands against the policy: past the firing threshold, back under the resolve
    /// threshold (hysteresis), or between the two (neither counts toward firing nor toward resolving).
    public enum Level: String, Sendable, Hashable, Codable { case breach, between, clear }

    public var model: String
    public var kind: AlertEvent.Kind
    public var subject: String
    public var detector: String
    public var level: Level
    public var statistic: Double?
    public var pValue: Double?
    public var threshold: Double?
    public var window: AlertEvent.Window?
    public var reference: AlertEvent.Window?
    /// Event time of the observation (the window's end), epoch milliseconds: the engine's only clock.
    public var eventTime: Int64
    /// Text for the description template: `what` (what happened), `how_far` (how far from normal), `check`
    /// (what to check first), and anything else a template names.
    public var details: [String: String]

    public init(model: String, kind: AlertEvent.Kind, subject: String, detector: String, level: Level, statistic: Double? = nil,
                pValue: Double? = nil, threshold: Double? = nil, window: AlertEvent.Window? = nil, reference: AlertEvent.Window? = nil,
                eventTime: Int64, details: [String: String] = [:]) {
        self.model = model; self.kind = kind; self.subject = subject; self.detector = detector; self.level = level
        self.statistic = statistic; self.pValue = pValue; self.threshold = threshold; self.window = window
        self.reference = reference; self.eventTime = eventTime; self.details = details
    }
}
