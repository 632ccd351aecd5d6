import Alerts
import Drift
import Events
import Statistics
public import Monitoring
import Yams

/// The stage-wide settings of the monitor (`monitor:` at the top level of `tideline.yaml`).
public struct MonitorStageSettings: Sendable, Equatable {
    /// Consumer group of the monitor stage. Run one instance per group: its state covers every model.
    public var group: String = "tideline-monitor"
    /// A partition quiet for this long (wall clock, ms) stops holding windows open until it delivers again.
    public var idleTimeout: Int64 = 60_000
    /// How often (ms, wall clock) state and offsets are checkpointed.
    public var checkpointInterval: Int64 = 5_000
    /// Operator settings: `defaults` for every model, `models.<name>.monitor` over them, and `alerts`.
    public var operatorConfiguration = MonitorConfiguration()
}

extension ConfigReader {
    func number(_ node: Node, _ field: String, range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        let text = try scalarText(node, field)
        guard let v = Double(text), v.isFinite else { throw error(node, field, "expected a number, found \"\(text)\"") }
        guard range.contains(v) else { throw error(node, field, "\(v) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    static let monitorPolicyKeys: Set<String> = [
        "window", "hop", "window_events", "hop_events", "allowed_lateness", "label_lateness", "min_window_events", "reference", "alpha", "correction",
        "reference_path", "min_ks", "min_js", "min_samples", "ks_method", "resolve_ratio", "adwin_delta", "min_accuracy", "max_log_loss", "min_auc",
        "error_increase", "estimated_accuracy_drop", "max_entropy_drop", "max_violation_share", "features",
    ]

    /// Reads a monitor policy mapping on top of `base`.
    func monitorPolicy(_ node: Node, _ path: String, base: MonitorPolicy) throws(ConfigurationError) -> MonitorPolicy {
        let m = try mapping(node, path, allowed: Self.monitorPolicyKeys)
        var p = base
        if let v = m["window"] {
            p.windowMilliseconds = try duration(v, "\(path).window")
            if m["hop"] == nil { p.hopMilliseconds = p.windowMilliseconds }
        }
        if let v = m["hop"] { p.hopMilliseconds = try duration(v, "\(path).hop") }
        guard p.windowMilliseconds >= 1_000 else { throw error(m["window"] ?? node, "\(path).window", "must be at least 1s") }
        guard p.hopMilliseconds >= 1_000 && p.hopMilliseconds <= p.windowMilliseconds && p.windowMilliseconds / p.hopMilliseconds <= 12 else {
            throw error(m["hop"] ?? node, "\(path).hop", "must be between 1s and the window, with at most 12 windows overlapping")
        }
        if m["window"] != nil || m["hop"] != nil {
            if let key = ["window_events", "hop_events"].first(where: { m[$0] != nil }) {
                throw error(m[key]!, "\(path).\(key)", "a window is either event-time (window, hop) or count-based (window_events, hop_events), not both")
            }
            p.windowEvents = nil; p.hopEvents = nil
        }
        if let v = m["window_events"] {
            p.windowEvents = try int(v, "\(path).window_events", range: 10...10_000_000)
            if m["hop_events"] == nil { p.hopEvents = nil }
            // A count window smaller than the evaluation minimum would never be evaluated.
            if m["min_window_events"] == nil { p.minimumWindowEvents = min(p.minimumWindowEvents, p.windowEvents!) }
        }
        if let v = m["hop_events"] {
            guard let size = p.windowEvents else { throw error(v, "\(path).hop_events", "needs window_events (the count-based window it hops)") }
            let hop = try int(v, "\(path).hop_events", range: 1...size)
            guard size / hop <= 12 else { throw error(v, "\(path).hop_events", "at most 12 windows may overlap (window_events / hop_events ≤ 12)") }
            p.hopEvents = hop
        }
        if let v = m["allowed_lateness"] { p.allowedLatenessMilliseconds = try duration(v, "\(path).allowed_lateness") }
        if let v = m["label_lateness"] { p.labelLatenessMilliseconds = try duration(v, "\(path).label_lateness") }
        if let v = m["min_window_events"] { p.minimumWindowEvents = try int(v, "\(path).min_window_events", range: 1...10_000_000) }
        if let size = p.windowEvents, p.minimumWindowEvents > size {
            throw error(m["min_window_events"] ?? m["window_events"] ?? node, "\(path).min_window_events",
                        "\(p.minimumWindowEvents) is more than window_events (\(size)): no window would ever be evaluated")
        }
        if let v = m["reference"] {
            let text = try string(v, "\(path).reference")
            guard let r = MonitorPolicy.Reference(rawValue: text) else {
                throw error(v, "\(path).reference", "\"\(text)\" is not one of \(MonitorPolicy.Reference.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            p.reference = r
        }
        if let v = m["reference_path"] { p.referencePath = try string(v, "\(path).reference_path") }
        if p.reference == .snapshot && p.referencePath == nil {
            throw error(m["reference"] ?? node, "\(path).reference_path", "reference: snapshot needs reference_path (a JSON Lines file of predictions or feature objects)")
        }
        if let v = m["alpha"] { p.drift.alpha = try number(v, "\(path).alpha", range: 1e-12...0.5) }
        if let v = m["correction"] {
            let text = try string(v, "\(path).correction")
            guard let c = DriftPolicy.Correction(rawValue: text) else {
                throw error(v, "\(path).correction", "\"\(text)\" is not one of bh, bonferroni, none")
            }
            p.drift.correction = c
        }
        if let v = m["min_ks"] { p.drift.minimumKS = try number(v, "\(path).min_ks", range: 0...1) }
        if let v = m["min_js"] { p.drift.minimumJensenShannon = try number(v, "\(path).min_js", range: 0...1) }
        if let v = m["min_samples"] { p.drift.minimumSamples = try int(v, "\(path).min_samples", range: 10...1_000_000) }
        if let v = m["ks_method"] {
            let text = try string(v, "\(path).ks_method")
            guard let method = KolmogorovSmirnov.Method(rawValue: text) else {
                throw error(v, "\(path).ks_method", "\"\(text)\" is not one of \(KolmogorovSmirnov.Method.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            p.drift.ksMethod = method
        }
        if let v = m["resolve_ratio"] { p.resolveRatio = try number(v, "\(path).resolve_ratio", range: 0...1) }
        if let v = m["adwin_delta"] { p.adwinDelta = try number(v, "\(path).adwin_delta", range: 1e-12...0.999) }
        if let v = m["min_accuracy"] { p.minimumAccuracy = try number(v, "\(path).min_accuracy", range: 0...1) }
        if let v = m["max_log_loss"] { p.maximumLogLoss = try number(v, "\(path).max_log_loss", range: 0...1_000) }
        if let v = m["min_auc"] { p.minimumAUC = try number(v, "\(path).min_auc", range: 0...1) }
        if let v = m["error_increase"] { p.errorIncreaseMargin = try number(v, "\(path).error_increase", range: 0...100) }
        if let v = m["estimated_accuracy_drop"] { p.estimatedAccuracyDrop = try number(v, "\(path).estimated_accuracy_drop", range: 0...1) }
        if let v = m["max_entropy_drop"] { p.maxEntropyDrop = try number(v, "\(path).max_entropy_drop", range: 0...1) }
        if let v = m["max_violation_share"] { p.maxViolationShare = try number(v, "\(path).max_violation_share", range: 0...1) }
        if let v = m["features"] {
            let features = try mapping(v, "\(path).features", allowed: nil)
            for (name, f) in features {
                let fp = "\(path).features.\(name)"
                let e = try mapping(f, fp, allowed: ["type", "min", "max", "allowed", "pattern", "max_null_rate"])
                var x = FeatureExpectation()
                if let t = e["type"] {
                    let text = try string(t, "\(fp).type")
                    guard let type = FeatureExpectation.ValueType(rawValue: text) else { throw error(t, "\(fp).type", "\"\(text)\" is not one of number, string, boolean") }
                    x.type = type
                }
                if let t = e["min"] { x.minimum = try number(t, "\(fp).min", range: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) }
                if let t = e["max"] { x.maximum = try number(t, "\(fp).max", range: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) }
                if let lo = x.minimum, let hi = x.maximum, lo > hi { throw error(f, "\(fp).min", "min \(lo) is above max \(hi)") }
                if let t = e["allowed"] { x.allowed = Set(try stringList(t, "\(fp).allowed")) }
                if let t = e["pattern"] {
                    let text = try string(t, "\(fp).pattern")
                    do { _ = try Regex(text) } catch { throw self.error(t, "\(fp).pattern", "not a valid regular expression: \(error)") }
                    x.pattern = text
                }
                if let t = e["max_null_rate"] { x.maxNullRate = try number(t, "\(fp).max_null_rate", range: 0...1) }
                p.expectations[name] = x
            }
        }
        return p
    }

    func alertPolicies(_ node: Node, _ path: String) throws(ConfigurationError) -> AlertEngineConfiguration {
        let kinds = AlertEvent.Kind.allCases.map(\.rawValue)
        let m = try mapping(node, path, allowed: Set(["max_per_hour"] + kinds))
        var c = AlertEngineConfiguration()
        if let v = m["max_per_hour"] { c.maxIncidentsPerModelPerHour = try int(v, "\(path).max_per_hour", range: 1...100_000) }
        for kind in AlertEvent.Kind.allCases {
            guard let v = m[kind.rawValue] else { continue }
            let kp = "\(path).\(kind.rawValue)"
            let k = try mapping(v, kp, allowed: ["enabled", "severity", "for_windows", "resolve_after", "cooldown", "description"])
            var policy = c.policy(kind)
            if let t = k["enabled"] { policy.enabled = try bool(t, "\(kp).enabled") }
            if let t = k["severity"] {
                let text = try string(t, "\(kp).severity")
                guard let s = AlertEvent.Severity(rawValue: text) else { throw error(t, "\(kp).severity", "\"\(text)\" is not one of info, warning, critical") }
                policy.severity = s
            }
            if let t = k["for_windows"] { policy.forWindows = try int(t, "\(kp).for_windows", range: 1...1_000) }
            if let t = k["resolve_after"] { policy.resolveAfter = try int(t, "\(kp).resolve_after", range: 1...1_000) }
            if let t = k["cooldown"] { policy.cooldownMilliseconds = try duration(t, "\(kp).cooldown") }
            if let t = k["description"] { policy.template = try string(t, "\(kp).description") }
            c.policies[kind] = policy
        }
        return c
    }

    func monitorStage(_ node: Node) throws(ConfigurationError) -> MonitorStageSettings {
        let m = try mapping(node, "monitor", allowed: ["group", "idle_timeout", "checkpoint_interval", "defaults", "alerts"])
        var s = MonitorStageSettings()
        if let v = m["group"] { s.group = try string(v, "monitor.group") }
        if let v = m["idle_timeout"] { s.idleTimeout = try duration(v, "monitor.idle_timeout") }
        if let v = m["checkpoint_interval"] {
            s.checkpointInterval = try duration(v, "monitor.checkpoint_interval")
            if s.checkpointInterval < 10 { throw error(v, "monitor.checkpoint_interval", "must be at least 10ms") }
        }
        if let v = m["defaults"] { s.operatorConfiguration.defaultPolicy = try monitorPolicy(v, "monitor.defaults", base: MonitorPolicy()) }
        if let v = m["alerts"] { s.operatorConfiguration.alerts = try alertPolicies(v, "monitor.alerts") }
        return s
    }
}
