import Foundation
public import TidelineConfig

/// The configurations of a backtest sweep: the cartesian product of `--sweep key=v1,v2,…` axes (the first axis
/// varies slowest), each a list of `ConfigOverride`s applied to the base configuration.
///
/// Keys: a dotted path into the configuration (`models.ctr.train.batch_size`, `monitor.defaults.window`; `*`
/// matches every key at its level); `trainer.<key>` for `models.*.train.<key>` (every trained model); and
/// `trigger` with values `volume:N` (every N new examples), `time:D` (every D of event time), `drift` (on a firing
/// alert) or `never` — each replaces the models' whole `triggers` section so that only that schedule applies.
public struct BacktestSweep: Sendable {
    public struct Axis: Sendable, Hashable {
        public var key: String
        public var values: [String]
    }

    public struct Configuration: Sendable {
        /// "key=value key=value", or "baseline" without axes.
        public var name: String
        /// The assignments as given (`trigger=volume:1024`).
        public var assignments: [String]
        public var overrides: [ConfigOverride]
    }

    public let axes: [Axis]

    /// Parses `--sweep` arguments; errors name the argument.
    public init(_ arguments: [String]) throws(ConfigurationError) {
        var axes: [Axis] = []
        for argument in arguments {
            guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
                throw ConfigurationError(file: "--sweep", line: nil, field: argument, message: "expected key=value1,value2,… (e.g. trainer.batch_size=512,1024)")
            }
            let key = String(argument[..<eq])
            let values = argument[argument.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard !values.isEmpty, values.allSatisfy({ !$0.isEmpty }) else {
                throw ConfigurationError(file: "--sweep", line: nil, field: key, message: "list at least one value, separated by commas")
            }
            if axes.contains(where: { $0.key == key }) {
                throw ConfigurationError(file: "--sweep", line: nil, field: key, message: "swept twice; give all its values in one --sweep")
            }
            for v in values { _ = try Self.overrides(key: key, value: v) }
            axes.append(Axis(key: key, values: values))
        }
        self.axes = axes
    }

    /// Every combination, first axis slowest.
    public func configurations() throws(ConfigurationError) -> [Configuration] {
        var out = [Configuration(name: "baseline", assignments: [], overrides: [])]
        for axis in axes {
            var next: [Configuration] = []
            for c in out {
                for v in axis.values {
                    let assignment = "\(axis.key)=\(v)"
                    next.append(Configuration(name: (c.assignments + [assignment]).joined(separator: " "), assignments: c.assignments + [assignment],
                                              overrides: c.overrides + (try Self.overrides(key: axis.key, value: v))))
                }
            }
            out = next
        }
        return out
    }

    static func overrides(key: String, value: String) throws(ConfigurationError) -> [ConfigOverride] {
        if key == "trigger" {
            let allOff = ["interval": "off", "examples": "off", "on_drift": "false", "error_change_delta": "off"]
            var t = allOff
            let parts = value.split(separator: ":", maxSplits: 1).map(String.init)
            switch (parts.first ?? "", parts.count) {
            case ("volume", 2): t["examples"] = parts[1]
            case ("time", 2): t["interval"] = parts[1]
            case ("drift", 1): t["on_drift"] = "true"
            case ("never", 1): break
            default:
                throw ConfigurationError(file: "--sweep", line: nil, field: "trigger", message: "\"\(value)\" is not volume:N, time:DURATION, drift or never")
            }
            let flow = "{" + t.keys.sorted().map { "\($0): \(t[$0]!)" }.joined(separator: ", ") + "}"
            return [try ConfigOverride(path: "models.*.train.triggers", value: flow)]
        }
        if key.hasPrefix("trainer.") {
            return [try ConfigOverride(path: "models.*.train." + key.dropFirst("trainer.".count), value: value)]
        }
        return [try ConfigOverride(path: key, value: value)]
    }
}
