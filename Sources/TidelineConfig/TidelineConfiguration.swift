import Foundation
public import Kafka
public import LabelJoin
public import Monitoring
public import Events
public import Training
import Yams

/// The contents of `tideline.yaml`: where Kafka is, how topics are named, where metrics are served, event
/// limits, and the models Tideline manages. Later stages add sections under `models.<name>`.
public struct TidelineConfiguration: Sendable, Equatable {
    public struct KafkaSection: Sendable, Equatable {
        public var brokers: [String] = ["localhost:9092"]
        public var clientID: String = "tideline"
        /// Prepended to every topic name, e.g. `prod.` gives `prod.predictions`.
        public var topicPrefix: String = ""
        /// Raw librdkafka properties (security, tuning), passed through unchanged.
        public var properties: [String: String] = [:]
    }

    public struct MetricsSection: Sendable, Equatable {
        public var enabled: Bool = true
        /// The address the Prometheus endpoint binds to. Localhost unless you mean to expose it.
        public var host: String = "127.0.0.1"
        public var port: Int = 9464
    }

    public struct LimitsSection: Sendable, Equatable {
        public var maxEventBytes: Int = 1 << 20
        public var maxFeatures: Int = 1024
    }

    /// What a model predicts; decides the label type and metrics later stages use.
    public enum Task: String, Sendable, CaseIterable { case binaryClassification = "binary_classification", regression, multiclass }

    public struct Model: Sendable, Equatable {
        public var name: String
        public var task: Task = .binaryClassification
        /// The model's `join` section, if it has one (over `join.defaults`).
        public var join: JoinPolicy?
        /// The model's `monitor` section, if it has one (over `monitor.defaults`).
        public var monitor: MonitorPolicy?
        /// The model's `train` section: a model without one is not trained.
        public var train: TrainerConfiguration?
    }

    public var kafka = KafkaSection()
    public var metrics = MetricsSection()
    public var limits = LimitsSection()
    public var models: [Model] = []
    public var join = JoinStageSettings()
    public var monitor = MonitorStageSettings()
    public var state = StateSection()
    public var train = TrainStageSettings()

    /// The trainers' configurations by model name (models with a `train` section).
    public var trainConfigurations: [String: TrainerConfiguration] {
        var out: [String: TrainerConfiguration] = [:]
        for model in models { if let t = model.train { out[model.name] = t } }
        return out
    }

    /// The monitor operator's configuration: `monitor.defaults` for every model, each model's `monitor` section
    /// over it, and the alert policies.
    public var monitorConfiguration: MonitorConfiguration {
        var c = monitor.operatorConfiguration
        for model in models { if let policy = model.monitor { c.policies[model.name] = policy } }
        return c
    }

    public init() {}

    /// The join operator's configuration: per-model policies (a model without a `join` section gets
    /// `join.defaults`, with no default label unless it is a binary classifier) and the stage-wide settings.
    public var joinConfiguration: JoinConfiguration {
        var c = join.operatorConfiguration
        for model in models {
            if let policy = model.join { c.models[model.name] = policy } else {
                var p = c.defaultPolicy
                if model.task != .binaryClassification { p.defaultLabel = nil }
                c.models[model.name] = p
            }
        }
        return c
    }

    /// The Kafka client settings this configuration describes.
    public var kafkaClient: KafkaClientConfiguration {
        KafkaClientConfiguration(bootstrapServers: kafka.brokers, clientID: kafka.clientID, properties: kafka.properties)
    }

    /// The decoder limits from `limits:`.
    public var eventLimits: EventLimits {
        var l = EventLimits()
        l.maxEventBytes = limits.maxEventBytes
        l.maxFeatures = limits.maxFeatures
        return l
    }

    /// The full name of a topic: prefix + base name.
    public func topic(_ base: String) -> String { kafka.topicPrefix + base }

    /// Loads and validates a configuration file.
    public static func load(path: String) throws(ConfigurationError) -> TidelineConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, line: nil, field: nil, message: "cannot read the configuration file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Parses and validates YAML text. Every error names the field (and line) and what is allowed.
    public static func parse(_ yaml: String, file: String = "tideline.yaml") throws(ConfigurationError) -> TidelineConfiguration {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw ConfigurationError(file: file, line: nil, field: nil, message: "not valid YAML: \(error)")
        }
        guard let root else { return TidelineConfiguration() }
        return try parse(root: root, file: file)
    }

    /// Validates a composed YAML tree.
    static func parse(root: Node, file: String) throws(ConfigurationError) -> TidelineConfiguration {
        var config = TidelineConfiguration()
        let r = ConfigReader(file: file)
        let top = try r.mapping(root, "", allowed: ["kafka", "metrics", "limits", "join", "monitor", "train", "state", "models"])
        if let k = top["join"] { config.join = try r.joinStage(k) }
        if let k = top["monitor"] { config.monitor = try r.monitorStage(k) }
        if let k = top["train"] { config.train = try r.trainStage(k) }
        if let k = top["state"] {
            let m = try r.mapping(k, "state", allowed: ["path"])
            if let v = m["path"] { config.state.path = try r.string(v, "state.path") }
        }
        if let k = top["kafka"] {
            let m = try r.mapping(k, "kafka", allowed: ["brokers", "client_id", "topic_prefix", "properties"])
            if let v = m["brokers"] {
                config.kafka.brokers = try r.stringList(v, "kafka.brokers")
                if config.kafka.brokers.isEmpty { throw r.error(v, "kafka.brokers", "list at least one broker as host:port") }
                for b in config.kafka.brokers where !Self.isHostPort(b) {
                    throw r.error(v, "kafka.brokers", "\"\(b)\" is not host:port")
                }
            }
            if let v = m["client_id"] { config.kafka.clientID = try r.string(v, "kafka.client_id") }
            if let v = m["topic_prefix"] {
                config.kafka.topicPrefix = try r.string(v, "kafka.topic_prefix", allowEmpty: true)
                if !config.kafka.topicPrefix.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) {
                    throw r.error(v, "kafka.topic_prefix", "may contain only letters, digits, '.', '_' and '-'")
                }
            }
            if let v = m["properties"] {
                let p = try r.mapping(v, "kafka.properties", allowed: nil)
                for (key, value) in p { config.kafka.properties[key] = try r.scalarText(value, "kafka.properties.\(key)") }
            }
        }
        if let k = top["metrics"] {
            let m = try r.mapping(k, "metrics", allowed: ["enabled", "host", "port"])
            if let v = m["enabled"] { config.metrics.enabled = try r.bool(v, "metrics.enabled") }
            if let v = m["host"] { config.metrics.host = try r.string(v, "metrics.host") }
            if let v = m["port"] { config.metrics.port = try r.int(v, "metrics.port", range: 0...65535) }
        }
        if let k = top["limits"] {
            let m = try r.mapping(k, "limits", allowed: ["max_event_bytes", "max_features"])
            if let v = m["max_event_bytes"] { config.limits.maxEventBytes = try r.int(v, "limits.max_event_bytes", range: 64...(64 << 20)) }
            if let v = m["max_features"] { config.limits.maxFeatures = try r.int(v, "limits.max_features", range: 1...100_000) }
        }
        if let k = top["models"] {
            let models = try r.mapping(k, "models", allowed: nil)
            for (name, node) in models.sorted(by: { $0.key < $1.key }) {
                let path = "models.\(name)"
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
                    throw r.error(node, path, "model names may contain only letters, digits, '.', '_' and '-'")
                }
                var model = Model(name: name)
                let m = try r.mapping(node, path, allowed: ["task", "join", "monitor", "train"])
                if let v = m["task"] {
                    let text = try r.string(v, "\(path).task")
                    guard let task = Task(rawValue: text) else {
                        throw r.error(v, "\(path).task", "\"\(text)\" is not one of \(Task.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    model.task = task
                }
                if let v = m["join"] {
                    var base = config.join.operatorConfiguration.defaultPolicy
                    if model.task != .binaryClassification { base.defaultLabel = nil }
                    let policy = try r.joinPolicy(v, "\(path).join", base: base)
                    do { try policy.validate(model: name) } catch { throw r.error(v, error.field, error.message) }
                    model.join = policy
                }
                if let v = m["monitor"] {
                    model.monitor = try r.monitorPolicy(v, "\(path).monitor", base: config.monitor.operatorConfiguration.defaultPolicy)
                }
                if let v = m["train"] {
                    model.train = try r.trainer(v, "\(path).train", task: model.task, modelDirectory: config.train.modelDirectory)
                }
                config.models.append(model)
            }
        }
        do { try config.joinConfiguration.validate() } catch {
            throw ConfigurationError(file: file, line: nil, field: error.field, message: error.message)
        }
        return config
    }

    static func isHostPort(_ s: String) -> Bool {
        guard let colon = s.lastIndex(of: ":"), colon != s.startIndex, let port = Int(s[s.index(after: colon)...]) else { return false }
        return (1...65535).contains(port)
    }
}

/// A configuration problem: the file, the line when known, the field path, and what is wrong.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var field: String?
    public var message: String

    public init(file: String, line: Int?, field: String?, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        if let field, !field.isEmpty { return "\(location): \(field): \(message)" }
        return "\(location): \(message)"
    }
}

/// Typed reads of YAML nodes with errors that name the field.
struct ConfigReader {
    let file: String

    func error(_ node: Node, _ field: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node.mark.map { $0.line }, field: field, message: message)
    }

    func mapping(_ node: Node, _ field: String, allowed: Set<String>?) throws(ConfigurationError) -> [String: Node] {
        guard case .mapping(let mapping) = node else {
            if case .scalar(let s) = node, s.string.isEmpty || s.string == "~" || s.string == "null" { return [:] }
            throw error(node, field.isEmpty ? "(top level)" : field, "expected a mapping of keys to values")
        }
        var out: [String: Node] = [:]
        for (k, v) in mapping {
            guard let key = k.string else { throw error(k, field, "keys must be strings") }
            let path = field.isEmpty ? key : "\(field).\(key)"
            if let allowed, !allowed.contains(key) {
                throw error(k, path, "unknown key; allowed keys here: \(allowed.sorted().joined(separator: ", "))")
            }
            if out[key] != nil { throw error(k, path, "key appears more than once") }
            out[key] = v
        }
        return out
    }

    func scalarText(_ node: Node, _ field: String) throws(ConfigurationError) -> String {
        guard case .scalar(let s) = node else { throw error(node, field, "expected a single value") }
        return s.string
    }

    func string(_ node: Node, _ field: String, allowEmpty: Bool = false) throws(ConfigurationError) -> String {
        let s = try scalarText(node, field)
        if !allowEmpty && s.isEmpty { throw error(node, field, "must not be empty") }
        return s
    }

    func stringList(_ node: Node, _ field: String) throws(ConfigurationError) -> [String] {
        switch node {
        case .sequence(let seq):
            var out: [String] = []
            for item in seq { out.append(try string(item, field)) }
            return out
        case .scalar(let s):
            return s.string.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        default:
            throw error(node, field, "expected a list of strings")
        }
    }

    func int(_ node: Node, _ field: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let text = try scalarText(node, field)
        guard let v = Int(text) else { throw error(node, field, "expected an integer, found \"\(text)\"") }
        guard range.contains(v) else { throw error(node, field, "\(v) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    func bool(_ node: Node, _ field: String) throws(ConfigurationError) -> Bool {
        let text = try scalarText(node, field).lowercased()
        switch text {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, field, "expected true or false, found \"\(text)\"")
        }
    }
}
