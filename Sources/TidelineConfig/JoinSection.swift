import Events
public import LabelJoin
import Yams

/// The stage-wide settings of the label join (`join:` at the top level of `tideline.yaml`).
public struct JoinStageSettings: Sendable, Equatable {
    /// Consumer group of the join stage; instances in one group share the partitions.
    public var group: String = "tideline-join"
    /// A partition with no new records for this long (wall clock, ms) gets its event-time clock advanced.
    public var idleTimeout: Int64 = 30_000
    /// An idle partition's clock is advanced to wall clock minus this (ms).
    public var idleSlack: Int64 = 5_000
    /// How often (ms, wall clock) state and offsets are checkpointed.
    public var checkpointInterval: Int64 = 5_000
    /// Operator settings; `operator.defaultPolicy` applies to models without a `join` section.
    public var operatorConfiguration = JoinConfiguration()
}

/// Where Tideline keeps local state (`state:`): checkpoints and, later, the model store.
public struct StateSection: Sendable, Equatable {
    /// The SQLite database file. Instances that share partitions must share it (same host or shared volume).
    public var path: String = "tideline-state.sqlite"
}

extension ConfigReader {
    /// A duration: an integer of milliseconds or a number with a unit (`ms`, `s`, `m`, `h`, `d`).
    func duration(_ node: Node, _ field: String) throws(ConfigurationError) -> Int64 {
        let text = try scalarText(node, field).trimmingCharacters(in: .whitespaces)
        guard let ms = DurationText.milliseconds(text) else {
            throw error(node, field, "expected a duration such as 500ms, 30s, 10m, 1h, 2d (or milliseconds), found \"\(text)\"")
        }
        return ms
    }

    /// A byte count: an integer or a number with `KiB`, `MiB`, `GiB`.
    func byteCount(_ node: Node, _ field: String) throws(ConfigurationError) -> Int {
        let text = try scalarText(node, field).trimmingCharacters(in: .whitespaces)
        if let v = Int(text), v >= 0 { return v }
        for (suffix, factor) in [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)] where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0 { return Int(v * Double(factor)) }
        }
        throw error(node, field, "expected a size such as 512MiB or 1GiB (or bytes), found \"\(text)\"")
    }

    func label(_ node: Node, _ field: String) throws(ConfigurationError) -> LabelValue? {
        guard case .scalar(let s) = node else { throw error(node, field, "expected a number, true/false, a string, or drop") }
        let text = s.string
        if text == "drop" || text == "null" || text == "~" { return nil }
        if s.style == .plain {
            if text == "true" { return .bool(true) }
            if text == "false" { return .bool(false) }
            if let v = Double(text) { return .number(v) }
        }
        return .string(text)
    }

    /// Reads a `join` policy mapping on top of `base`.
    func joinPolicy(_ node: Node, _ path: String, base: JoinPolicy) throws(ConfigurationError) -> JoinPolicy {
        let m = try mapping(node, path, allowed: ["window", "backward_window", "grace", "correction_horizon", "default_label", "aggregation"])
        var p = base
        if let v = m["window"] { p.window = try duration(v, "\(path).window") }
        if let v = m["backward_window"] { p.backwardWindow = try duration(v, "\(path).backward_window") }
        if let v = m["grace"] { p.grace = try duration(v, "\(path).grace") }
        if let v = m["correction_horizon"] { p.correctionHorizon = try duration(v, "\(path).correction_horizon") }
        if let v = m["default_label"] { p.defaultLabel = try label(v, "\(path).default_label") }
        if let v = m["aggregation"] {
            let text = try string(v, "\(path).aggregation")
            guard let a = LabelAggregation(rawValue: text) else {
                throw error(v, "\(path).aggregation", "\"\(text)\" is not one of \(LabelAggregation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            p.aggregation = a
        }
        return p
    }

    func joinStage(_ node: Node) throws(ConfigurationError) -> JoinStageSettings {
        let m = try mapping(node, "join", allowed: ["group", "idle_timeout", "idle_slack", "checkpoint_interval", "max_future_skew",
                                                     "max_pending_bytes", "overflow", "defaults"])
        var s = JoinStageSettings()
        if let v = m["group"] { s.group = try string(v, "join.group") }
        if let v = m["idle_timeout"] { s.idleTimeout = try duration(v, "join.idle_timeout") }
        if let v = m["idle_slack"] { s.idleSlack = try duration(v, "join.idle_slack") }
        if let v = m["checkpoint_interval"] {
            s.checkpointInterval = try duration(v, "join.checkpoint_interval")
            if s.checkpointInterval < 10 { throw error(v, "join.checkpoint_interval", "must be at least 10ms") }
        }
        if let v = m["max_future_skew"] { s.operatorConfiguration.maxFutureSkew = try duration(v, "join.max_future_skew") }
        if let v = m["max_pending_bytes"] {
            let bytes = try byteCount(v, "join.max_pending_bytes")
            guard (1 << 16 ... 3 << 29).contains(bytes) else { throw error(v, "join.max_pending_bytes", "must be between 64KiB and 1.5GiB per partition") }
            s.operatorConfiguration.maxPendingBytes = bytes
        }
        if let v = m["overflow"] {
            let text = try string(v, "join.overflow")
            guard let o = JoinOverflowPolicy(rawValue: text) else {
                throw error(v, "join.overflow", "\"\(text)\" is not one of \(JoinOverflowPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            s.operatorConfiguration.overflow = o
        }
        if let v = m["defaults"] { s.operatorConfiguration.defaultPolicy = try joinPolicy(v, "join.defaults", base: JoinPolicy()) }
        return s
    }
}

/// Durations as the configuration writes them, for flags that take the same form.
public enum DurationText {
    /// Milliseconds of `text`: an integer of milliseconds or a non-negative number with a unit (`ms`, `s`, `m`,
    /// `h`, `d`); nil when it is neither.
    public static func milliseconds(_ text: String) -> Int64? {
        if let ms = Int64(text), ms >= 0 { return ms }
        let units: [(String, Double)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count)), v >= 0, v.isFinite { return Int64((v * factor).rounded()) }
        }
        return nil
    }
}
