/// A streaming change detector: the whole interface is `update` and `driftDetected` (River's), plus the state
/// as a value (every detector is a `Codable` value type, so a snapshot is an encoding and a restore is a decode).
///
/// Semantics follow River 0.26 exactly, including its reset: the update after a detection starts the detector
/// afresh. Detectors are pure state machines (no clock, no I/O; seeded randomness only) and not thread-safe.
public protocol DriftDetector: Sendable, Codable {
    /// Feeds one value: a number, or for binary detectors 1 for an error and 0 for a correct prediction.
    mutating func update(_ x: Double)
    /// Whether the last update detected a change.
    var driftDetected: Bool { get }
}

/// A detector that also signals a warning zone before a drift (DDM, EDDM).
public protocol DriftAndWarningDetector: DriftDetector {
    /// Whether the last update put the stream in the warning zone.
    var warningDetected: Bool { get }
}

/// Errors from detector parameters.
public struct DetectorConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let parameter: String
    public let reason: String
    public init(_ parameter: String, _ reason: String) { self.parameter = parameter; self.reason = reason }
    public var description: String { "\(parameter): \(reason)" }
}
