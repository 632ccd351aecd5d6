public import Events

/// How signals of one kind become incidents: how many consecutive breaching windows fire an alert, how many
/// consecutive clear windows resolve it (hysteresis lives in the signal's levels), the cooldown before the same
/// subject can fire again, the severity, and the description template.
public struct AlertPolicy: Sendable, Hashable, Codable {
    public var enabled = true
    public var severity: AlertEvent.Severity
    /// Consecutive breaching windows before an incident fires (the "duration").
    public var forWindows = 2
    /// Consecutive clear windows before an open incident resolves.
    public var resolveAfter = 3
    /// After a resolution, the same model/kind/subject cannot fire again for this long (event time, ms).
    public var cooldownMilliseconds: Int64 = 30 * 60_000
    /// The description. Placeholders: {model} {kind} {subject} {detector} {statistic} {threshold} {p_value}
    /// {window} {reference} {occurrences} and the signal's details ({what} {how_far} {check} …).
    public var template: String

    public init(severity: AlertEvent.Severity, forWindows: Int = 2, resolveAfter: Int = 3,
                cooldownMilliseconds: Int64 = 30 * 60_000, template: String = AlertPolicy.standardTemplate) {
        self.severity = severity; self.forWindows = forWindows; self.resolveAfter = resolveAfter
        self.cooldownMilliseconds = cooldownMilliseconds; self.template = template
    }

    public static let standardTemplate =
        "{what} on model {model}: {detector} {statistic} against threshold {threshold} (p = {p_value}) over {window}, "
        + "reference {reference}. {how_far} Check first: {check}"

    /// The defaults per kind: schema breaks and performance are critical and fire on the first window; drift
    /// is a warning that must persist two windows.
    public static func standard(_ kind: AlertEvent.Kind) -> AlertPolicy {
        switch kind {
        case .schema: AlertPolicy(severity: .critical, forWindows: 1, resolveAfter: 2)
        case .performance: AlertPolicy(severity: .critical, forWindows: 1, resolveAfter: 3)
        case .pipeline: AlertPolicy(severity: .warning, forWindows: 1, resolveAfter: 1)
        case .featureDrift, .predictionDrift, .labelDrift, .feedbackLoop: AlertPolicy(severity: .warning, forWindows: 2, resolveAfter: 3)
        }
    }
}

/// The engine's configuration: a policy per kind and the flood cap.
public struct AlertEngineConfiguration: Sendable, Hashable, Codable {
    public var policies: [AlertEvent.Kind: AlertPolicy]
    /// New incidents per model per event-time hour; beyond it one summary alert counts what was suppressed.
    public var maxIncidentsPerModelPerHour = 10

    public init(policies: [AlertEvent.Kind: AlertPolicy] = [:], maxIncidentsPerModelPerHour: Int = 10) {
        var all: [AlertEvent.Kind: AlertPolicy] = [:]
        for kind in AlertEvent.Kind.allCases { all[kind] = policies[kind] ?? AlertPolicy.standard(kind) }
        self.policies = all
        self.maxIncidentsPerModelPerHour = maxIncidentsPerModelPerHour
    }

    public func policy(_ kind: AlertEvent.Kind) -> AlertPolicy { policies[kind] ?? AlertPolicy.standard(kind) }
}
