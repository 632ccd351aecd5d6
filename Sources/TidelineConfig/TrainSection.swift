import Training
import Yams

/// The stage-wide settings of the trainers (`train:` at the top level of `tideline.yaml`).
public struct TrainStageSettings: Sendable, Equatable {
    /// Consumer group of the train stage. Run one instance per group: its state covers every trained model.
    public var group: String = "tideline-train"
    /// How often (ms, wall clock) state and offsets are checkpointed (also after every update and command).
    public var checkpointInterval: Int64 = 5_000
    /// Where model checkpoints are written (`<dir>/<model>/<version>.ckpt`).
    public var modelDirectory: String = "tideline-models"
    /// The model catalog (SQLite); default `<model_directory>/catalog.sqlite`.
    public var catalog: String?

    /// The catalog path in effect.
    public var catalogPath: String { catalog ?? (modelDirectory.hasSuffix("/") ? modelDirectory : modelDirectory + "/") + "catalog.sqlite" }
}

extension ConfigReader {
    func trainStage(_ node: Node) throws(ConfigurationError) -> TrainStageSettings {
        let m = try mapping(node, "train", allowed: ["group", "checkpoint_interval", "model_directory", "catalog"])
        var s = TrainStageSettings()
        if let v = m["group"] { s.group = try string(v, "train.group") }
        if let v = m["checkpoint_interval"] { s.checkpointInterval = try duration(v, "train.checkpoint_interval") }
        if let v = m["model_directory"] { s.modelDirectory = try string(v, "train.model_directory") }
        if let v = m["catalog"] { s.catalog = try string(v, "train.catalog") }
        return s
    }

    static let trainKeys: Set<String> = [
        "model", "optimizer", "learning_rate", "power", "epsilon", "alpha", "beta", "l1", "l2", "clip",
        "grace_period", "delta", "tau", "leaf_prediction", "n_splits", "max_depth", "min_branch_fraction",
        "drift_window_threshold", "switch_significance", "adwin_delta", "bootstrap_sampling",
        "features", "batch_size", "mode", "reservoir_size", "recent_buffer_size", "holdout_fraction", "static_holdout_size",
        "recent_holdout_size", "triggers", "gate", "rollback", "max_examples_per_entity", "replay_fraction", "positive_label",
        "reset_on_reject", "dedupe_window", "seed",
    ]

    /// Reads `models.<name>.train` for a model of `task`.
    func trainer(_ node: Node, _ path: String, task: TidelineConfiguration.Task, modelDirectory: String) throws(ConfigurationError) -> TrainerConfiguration {
        let m = try mapping(node, path, allowed: Self.trainKeys)
        var c = TrainerConfiguration()
        c.checkpointDirectory = modelDirectory
        if task == .multiclass {
            throw error(node, path, "multiclass models cannot be trained yet (binary_classification and regression can)")
        }
        let family = try m["model"].map { (v) throws(ConfigurationError) in try string(v, "\(path).model") }
            ?? (task == .regression ? "linear_regression" : "logistic_regression")
        guard ModelSpecification.names.contains(family) else {
            throw error(m["model"] ?? node, "\(path).model", "\"\(family)\" is not one of \(ModelSpecification.names.joined(separator: ", "))")
        }
        if task == .regression && family != "linear_regression" {
            throw error(m["model"] ?? node, "\(path).model", "\(family) is a classifier; a regression model trains linear_regression")
        }
        if task == .binaryClassification && family == "linear_regression" {
            throw error(m["model"] ?? node, "\(path).model", "linear_regression needs task: regression")
        }
        func num(_ key: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
            guard let v = m[key] else { return nil }
            return try number(v, "\(path).\(key)", range: range)
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let v = m[key] else { return nil }
            return try int(v, "\(path).\(key)", range: range)
        }
        let linearKeys: Set<String> = ["optimizer", "learning_rate", "power", "epsilon", "alpha", "beta", "l1", "l2", "clip"]
        let treeKeys: Set<String> = ["grace_period", "delta", "tau", "leaf_prediction", "n_splits", "max_depth", "min_branch_fraction"]
        let adaptiveKeys: Set<String> = ["drift_window_threshold", "switch_significance", "adwin_delta", "bootstrap_sampling"]
        let isLinear = family.hasSuffix("_regression")
        let allowedHere = isLinear ? linearKeys : (family == "hoeffding_adaptive_tree" ? treeKeys.union(adaptiveKeys) : treeKeys)
        for key in linearKeys.union(treeKeys).union(adaptiveKeys) where m[key] != nil && !allowedHere.contains(key) {
            throw error(m[key]!, "\(path).\(key)", "does not apply to model \(family)")
        }
        if isLinear {
            var lc = LinearModel.Configuration()
            let optimizer = try m["optimizer"].map { (v) throws(ConfigurationError) in try string(v, "\(path).optimizer") } ?? "adagrad"
            switch optimizer {
            case "sgd": lc.optimizer = .sgd(learningRate: try num("learning_rate", 1e-9...100) ?? 0.05, power: try num("power", 0...1) ?? 0.5)
            case "adagrad": lc.optimizer = .adagrad(learningRate: try num("learning_rate", 1e-9...100) ?? 0.1, epsilon: try num("epsilon", 1e-15...1) ?? 1e-8)
            case "ftrl": lc.optimizer = .ftrl(alpha: try num("alpha", 1e-9...100) ?? 0.1, beta: try num("beta", 0...100) ?? 1)
            default: throw error(m["optimizer"]!, "\(path).optimizer", "\"\(optimizer)\" is not one of sgd, adagrad, ftrl")
            }
            let relevant: [String: Set<String>] = ["sgd": ["learning_rate", "power"], "adagrad": ["learning_rate", "epsilon"], "ftrl": ["alpha", "beta"]]
            for key in ["learning_rate", "power", "epsilon", "alpha", "beta"] where m[key] != nil && !relevant[optimizer]!.contains(key) {
                throw error(m[key]!, "\(path).\(key)", "does not apply to optimizer \(optimizer)")
            }
            lc.l1 = try num("l1", 0...100) ?? 0
            lc.l2 = try num("l2", 0...100) ?? 0
            lc.clip = try num("clip", 0...1e6) ?? 0
            c.model = family == "linear_regression" ? .linearRegression(lc) : .logisticRegression(lc)
        } else {
            var tc = HoeffdingTree.Configuration()
            tc.gracePeriod = try num("grace_period", 1...1e7) ?? tc.gracePeriod
            tc.delta = try num("delta", 1e-15...0.5) ?? tc.delta
            tc.tau = try num("tau", 0...1) ?? tc.tau
            tc.nSplits = try integer("n_splits", 2...256) ?? tc.nSplits
            tc.maxDepth = try integer("max_depth", 1...10_000) ?? tc.maxDepth
            tc.minBranchFraction = try num("min_branch_fraction", 0...0.5) ?? tc.minBranchFraction
            if let v = m["leaf_prediction"] {
                let text = try string(v, "\(path).leaf_prediction")
                guard let lp = HoeffdingTree.LeafPrediction(rawValue: text) else {
                    throw error(v, "\(path).leaf_prediction", "\"\(text)\" is not one of mc, nb, nba")
                }
                tc.leafPrediction = lp
            }
            if family == "hoeffding_adaptive_tree" {
                var ac = HoeffdingAdaptiveTree.Configuration()
                ac.tree = tc
                ac.driftWindowThreshold = try num("drift_window_threshold", 1...1e7) ?? ac.driftWindowThreshold
                ac.switchSignificance = try num("switch_significance", 1e-9...0.5) ?? ac.switchSignificance
                ac.adwinDelta = try num("adwin_delta", 1e-12...0.999) ?? ac.adwinDelta
                if let v = m["bootstrap_sampling"] { ac.bootstrapSampling = try bool(v, "\(path).bootstrap_sampling") }
                c.model = .hoeffdingAdaptiveTree(ac)
            } else {
                c.model = .hoeffdingTree(tc)
            }
        }
        if let v = m["features"] { c.features = try featureEncoding(v, "\(path).features") }
        c.batchSize = try integer("batch_size", 1...65_536) ?? c.batchSize
        if let v = m["mode"] {
            let text = try string(v, "\(path).mode")
            guard let mode = TrainerConfiguration.Mode(rawValue: text) else { throw error(v, "\(path).mode", "\"\(text)\" is not one of stateful, stateless") }
            c.mode = mode
        }
        c.reservoirSize = try integer("reservoir_size", 0...10_000_000) ?? c.reservoirSize
        c.recentBufferSize = try integer("recent_buffer_size", 0...10_000_000) ?? c.recentBufferSize
        if c.mode == .stateless && c.reservoirSize + c.recentBufferSize == 0 {
            throw error(m["mode"] ?? node, "\(path).reservoir_size", "stateless retraining needs a retained window (reservoir_size or recent_buffer_size above 0)")
        }
        c.holdoutFraction = try num("holdout_fraction", 0...0.5) ?? c.holdoutFraction
        c.staticHoldoutSize = try integer("static_holdout_size", 0...1_000_000) ?? c.staticHoldoutSize
        c.recentHoldoutSize = try integer("recent_holdout_size", 0...1_000_000) ?? c.recentHoldoutSize
        c.maxExamplesPerEntity = try integer("max_examples_per_entity", 0...1_000_000) ?? c.maxExamplesPerEntity
        c.replayFraction = try num("replay_fraction", 0...1) ?? c.replayFraction
        if let v = m["positive_label"] { c.positiveLabel = try string(v, "\(path).positive_label") }
        if let v = m["reset_on_reject"] { c.resetOnReject = try bool(v, "\(path).reset_on_reject") }
        c.dedupeWindow = try integer("dedupe_window", 1...100_000_000) ?? c.dedupeWindow
        if let v = m["seed"] { c.seed = UInt64(try int(v, "\(path).seed", range: 0...Int.max)) }
        if let v = m["triggers"] { c.triggers = try triggers(v, "\(path).triggers") }
        if let v = m["gate"] { c.gate = try gate(v, "\(path).gate", task: task) }
        if let v = m["rollback"] {
            let r = try mapping(v, "\(path).rollback", allowed: ["enabled", "window", "margin"])
            if let x = r["enabled"] { c.rollback.enabled = try bool(x, "\(path).rollback.enabled") }
            if let x = r["window"] { c.rollback.window = try int(x, "\(path).rollback.window", range: 10...10_000_000) }
            if let x = r["margin"] { c.rollback.margin = try number(x, "\(path).rollback.margin", range: 0...1) }
        }
        return c
    }

    func featureEncoding(_ node: Node, _ path: String) throws(ConfigurationError) -> FeatureEncoder.Configuration {
        let m = try mapping(node, path, allowed: ["hash_bits", "max_dense", "numeric", "ignore", "missing_indicators"])
        var f = FeatureEncoder.Configuration()
        if let v = m["hash_bits"] { f.hashBits = try int(v, "\(path).hash_bits", range: 1...24) }
        if let v = m["max_dense"] { f.maxDense = try int(v, "\(path).max_dense", range: 0...4_096) }
        if let v = m["numeric"] { f.numeric = try stringList(v, "\(path).numeric") }
        if let v = m["ignore"] { f.ignore = try stringList(v, "\(path).ignore") }
        if let v = m["missing_indicators"] { f.missingIndicators = try bool(v, "\(path).missing_indicators") }
        if f.numeric.count > f.maxDense {
            throw error(m["numeric"]!, "\(path).numeric", "lists \(f.numeric.count) features but max_dense is \(f.maxDense)")
        }
        return f
    }

    func triggers(_ node: Node, _ path: String) throws(ConfigurationError) -> TriggerPolicy {
        let m = try mapping(node, path, allowed: ["interval", "examples", "growth", "metric", "threshold", "window", "error_change_delta", "on_drift", "min_interval"])
        var t = TriggerPolicy()
        func off(_ v: Node) -> Bool { if case .scalar(let s) = v { return ["off", "none", "null", "~"].contains(s.string) }; return false }
        if let v = m["interval"] { t.interval = off(v) ? nil : try duration(v, "\(path).interval") }
        if let v = m["examples"] { t.examples = off(v) ? nil : try int(v, "\(path).examples", range: 1...1_000_000_000) }
        if let v = m["growth"] { t.growth = off(v) ? nil : try number(v, "\(path).growth", range: 0.001...100) }
        if let v = m["metric"] {
            let text = try string(v, "\(path).metric")
            guard let metric = EvaluationMetric(rawValue: text) else {
                throw error(v, "\(path).metric", "\"\(text)\" is not one of log_loss, accuracy, auc, rmse, mae")
            }
            t.performanceMetric = metric
        }
        if let v = m["threshold"] { t.performanceThreshold = try number(v, "\(path).threshold", range: -1e12...1e12) }
        if (t.performanceMetric == nil) != (t.performanceThreshold == nil) {
            throw error(m["metric"] ?? m["threshold"]!, "\(path).\(t.performanceMetric == nil ? "metric" : "threshold")", "metric and threshold go together")
        }
        if let v = m["window"] { t.performanceWindow = try int(v, "\(path).window", range: 10...10_000_000) }
        if let v = m["error_change_delta"] { t.errorChangeDelta = off(v) ? nil : try number(v, "\(path).error_change_delta", range: 1e-12...0.999) }
        if let v = m["on_drift"] { t.onDrift = try bool(v, "\(path).on_drift") }
        if let v = m["min_interval"] { t.minimumInterval = try duration(v, "\(path).min_interval") }
        return t
    }

    func gate(_ node: Node, _ path: String, task: TidelineConfiguration.Task) throws(ConfigurationError) -> GatePolicy {
        let m = try mapping(node, path, allowed: ["metric", "margin", "confidence", "bootstrap_samples", "min_examples", "seed", "adapt_to_change"])
        var g = GatePolicy()
        if let v = m["metric"] {
            let text = try string(v, "\(path).metric")
            guard let metric = EvaluationMetric(rawValue: text) else {
                throw error(v, "\(path).metric", "\"\(text)\" is not one of log_loss, accuracy, auc, rmse, mae")
            }
            let regression: Set<EvaluationMetric> = [.rmse, .mae]
            if (task == .regression) != regression.contains(metric) {
                throw error(v, "\(path).metric", "\(text) does not apply to a \(task.rawValue) model")
            }
            g.metric = metric
        }
        if let v = m["margin"] { g.margin = try number(v, "\(path).margin", range: 0...1) }
        if let v = m["confidence"] { g.confidence = try number(v, "\(path).confidence", range: 0.5...0.9999) }
        if let v = m["bootstrap_samples"] { g.bootstrapSamples = try int(v, "\(path).bootstrap_samples", range: 100...100_000) }
        if let v = m["min_examples"] { g.minimumExamples = try int(v, "\(path).min_examples", range: 1...10_000_000) }
        if let v = m["seed"] { g.seed = UInt64(try int(v, "\(path).seed", range: 0...Int.max)) }
        if let v = m["adapt_to_change"] { g.adaptToChange = try bool(v, "\(path).adapt_to_change") }
        return g
    }
}
