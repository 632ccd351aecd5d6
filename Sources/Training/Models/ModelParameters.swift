public import Events
import Foundation

/// A model's parameters as published inline in `model-updates` (`parameters`), and the scoring function a
/// serving process applies to them. Two formats:
///
/// **`tideline.linear/1`** — `columns` (dense feature names), `mean` and `inverse_std` per column, `weights`
/// per column, `bias`, `hash_bits`, `missing_indicators`, and `sparse` as `[slot, weight]` pairs (non-zero only).
/// Score: z = bias + Σ_j weights[j]·(x_j − mean[j])·inverse_std[j] over columns present as numbers (booleans
/// are 1/0) + Σ weight[slot] over string features (slot = FNV-1a-64(name "=" value) mod 2^hash_bits, see
/// `FeatureHashing`) and, when `missing_indicators`, over columns absent or null (slot = FNV-1a-64(name "\0?")).
/// The score is 1/(1+e^−z) for `objective: logistic`, z for `squared`.
///
/// **`tideline.hoeffding_tree/1`** — `columns` and `nodes` (index 0 is the root). A split node
/// `{feature, threshold, left, right, missing}` sends x ≤ threshold left, larger right, absent to `missing`.
/// A leaf `{classes: [w0, w1], nb, stats}` scores P(y = 1) = w1/(w0+w1), or when `nb` is true naive Bayes:
/// log w_c/(w0+w1) + Σ over present columns of the Gaussian log-density with `stats` `[column, class, mean,
/// variance]`, normalized over the two classes.
public enum ModelParameters {
    public static let linearFormat = "tideline.linear/1"
    public static let treeFormat = "tideline.hoeffding_tree/1"

    /// The parameters of `model` with the encoder's column names.
    public static func export(_ model: TrainableModel, encoder: FeatureEncoder) -> JSONValue {
        let columns = JSONValue.array(encoder.columns.map { .string($0) })
        switch model {
        case .linear(let m):
            let n = encoder.columns.count
            let w = m.denseWeights, v = m.sparseWeights
            var sparse: [JSONValue] = []
            for (slot, weight) in v.enumerated() where weight != 0 { sparse.append(.array([.number(Double(slot)), .number(weight)])) }
            return .object([
                ("format", .string(linearFormat)),
                ("objective", .string(m.configuration.objective.rawValue)),
                ("columns", columns),
                ("mean", .array(m.scaler.means.prefix(n).map { .number($0) })),
                ("inverse_std", .array((0 ..< n).map { .number(m.scaler.inverseScale($0)) })),
                ("weights", .array(w.prefix(n).map { .number($0) })),
                ("bias", .number(m.biasWeight)),
                ("hash_bits", .number(Double(m.hashBits))),
                ("missing_indicators", .bool(encoder.configuration.missingIndicators)),
                ("sparse", .array(sparse)),
            ])
        case .tree(let t): return exportTree(t, columns: columns)
        case .adaptiveTree(let t): return exportTree(t.main, columns: columns)
        }
    }

    static func exportTree(_ t: HoeffdingTree, columns: JSONValue) -> JSONValue {
        var nodes: [JSONValue] = []
        for node in t.nodes {
            if node.feature >= 0 {
                let heavierRight = t.nodes[Int(node.left)].weight < t.nodes[Int(node.right)].weight
                nodes.append(.object([
                    ("feature", .number(Double(node.feature))), ("threshold", .number(node.threshold)),
                    ("left", .number(Double(node.left))), ("right", .number(Double(node.right))),
                    ("missing", .string(heavierRight ? "right" : "left")),
                ]))
            } else {
                let leaf = t.leaves[Int(node.leaf)]
                let nb: Bool
                switch t.configuration.leafPrediction {
                case .majorityClass: nb = false
                case .naiveBayes: nb = leaf.active
                case .naiveBayesAdaptive: nb = leaf.active && leaf.nbCorrect >= leaf.mcCorrect
                }
                var stats: [JSONValue] = []
                if nb {
                    let s = leaf.stats.values
                    for f in 0 ..< t.width where leaf.observed[f] {
                        for c in 0 ..< 2 where leaf.present[c] {
                            let o = (f * 2 + c) * HoeffdingTree.statsPerClass
                            guard s[o] > 1 else { continue }
                            let variance = s[o + 2] / (s[o] - 1)
                            guard variance > 0 else { continue }
                            stats.append(.array([.number(Double(f)), .number(Double(c)), .number(s[o + 1]), .number(variance)]))
                        }
                    }
                }
                let present = leaf.present
                let classes: [JSONValue] = (0 ..< 2).map { present[$0] ? .number(leaf.classWeight[$0]) : .null }
                nodes.append(.object([("classes", .array(classes)), ("nb", .bool(nb && leaf.totalWeight > 0)), ("stats", .array(stats))]))
            }
        }
        return .object([("format", .string(treeFormat)), ("columns", columns), ("nodes", .array(nodes))])
    }
}

/// Errors reading published parameters.
public struct ModelParametersError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    init(_ d: String) { description = d }
}

/// Applies published parameters to a prediction's features: the reference implementation of the scoring
/// function documented on `ModelParameters`, built from the JSON alone (no trainer state).
public struct ModelScorer: Sendable {
    enum Kind: Sendable {
        case linear(logistic: Bool, mean: [Double], inverseStd: [Double], weights: [Double], bias: Double, bits: Int, missing: Bool, sparse: [UInt32: Double])
        case tree(nodes: [TreeNode])
    }

    enum TreeNode: Sendable {
        case split(feature: Int, threshold: Double, left: Int, right: Int, missingLeft: Bool)
        case leaf(w0: Double?, w1: Double?, nb: Bool, stats: [(feature: Int, cls: Int, mean: Double, variance: Double)])
    }

    public let format: String
    public let columns: [String]
    let kind: Kind
    /// Column index by name (first occurrence wins).
    let index: [String: Int]

    public init(parameters: JSONValue) throws(ModelParametersError) {
        guard case .string(let format)? = parameters["format"] else { throw ModelParametersError("parameters have no format") }
        self.format = format
        guard case .array(let cols)? = parameters["columns"] else { throw ModelParametersError("parameters have no columns") }
        columns = cols.compactMap { if case .string(let s) = $0 { s } else { nil } }
        index = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func numbers(_ key: String) throws(ModelParametersError) -> [Double] {
            guard case .array(let a)? = parameters[key] else { throw ModelParametersError("\(format): missing \(key)") }
            return a.map { if case .number(let x) = $0 { x } else { .nan } }
        }
        func number(_ v: JSONValue?) -> Double? { if case .number(let x)? = v { x } else { nil } }
        switch format {
        case ModelParameters.linearFormat:
            var sparse: [UInt32: Double] = [:]
            if case .array(let pairs)? = parameters["sparse"] {
                for p in pairs { if case .array(let kv) = p, kv.count == 2, let s = number(kv[0]), let w = number(kv[1]) { sparse[UInt32(s)] = w } }
            }
            guard case .string(let objective)? = parameters["objective"], let bias = number(parameters["bias"]), let bits = number(parameters["hash_bits"]) else {
                throw ModelParametersError("\(format): missing objective, bias or hash_bits")
            }
            var missing = false
            if case .bool(let b)? = parameters["missing_indicators"] { missing = b }
            kind = .linear(logistic: objective == LinearObjective.logistic.rawValue, mean: try numbers("mean"), inverseStd: try numbers("inverse_std"),
                           weights: try numbers("weights"), bias: bias, bits: Int(bits), missing: missing, sparse: sparse)
        case ModelParameters.treeFormat:
            guard case .array(let raw)? = parameters["nodes"], !raw.isEmpty else { throw ModelParametersError("\(format): missing nodes") }
            var nodes: [TreeNode] = []
            for n in raw {
                if let f = number(n["feature"]), let t = number(n["threshold"]), let l = number(n["left"]), let r = number(n["right"]) {
                    var missingLeft = true
                    if case .string(let m)? = n["missing"] { missingLeft = m != "right" }
                    nodes.append(.split(feature: Int(f), threshold: t, left: Int(l), right: Int(r), missingLeft: missingLeft))
                } else {
                    guard case .array(let classes)? = n["classes"], classes.count == 2 else { throw ModelParametersError("\(format): a leaf has no classes") }
                    var nb = false
                    if case .bool(let b)? = n["nb"] { nb = b }
                    var stats: [(Int, Int, Double, Double)] = []
                    if case .array(let s)? = n["stats"] {
                        for e in s { if case .array(let v) = e, v.count == 4, let f = number(v[0]), let c = number(v[1]), let m = number(v[2]), let va = number(v[3]) { stats.append((Int(f), Int(c), m, va)) } }
                    }
                    nodes.append(.leaf(w0: number(classes[0]), w1: number(classes[1]), nb: nb, stats: stats))
                }
            }
            kind = .tree(nodes: nodes)
        default:
            throw ModelParametersError("unknown parameters format \"\(format)\"")
        }
    }

    /// The dense row of `features` in column order (NaN when absent, null or a string) and its sparse slots.
    func row(_ features: FeatureVector, bits: Int, missing: Bool) -> ([Double], [UInt32]) {
        var x = [Double](repeating: .nan, count: columns.count)
        var slots: [UInt32] = []
        for f in features {
            switch f.value {
            case .number(let v): if let j = index[f.name] { x[j] = v }
            case .bool(let b): if let j = index[f.name] { x[j] = b ? 1 : 0 }
            case .string(let s): slots.append(FeatureHashing.slot(name: f.name, value: s, bits: bits))
            case .null: break
            }
        }
        if missing { for (j, name) in columns.enumerated() where x[j].isNaN { slots.append(FeatureHashing.missingSlot(name: name, bits: bits)) } }
        return (x, slots)
    }

    /// The model's score for `features`.
    public func score(_ features: FeatureVector) -> Double {
        switch kind {
        case .linear(let logistic, let mean, let inv, let weights, let bias, let bits, let missing, let sparse):
            let (x, slots) = row(features, bits: bits, missing: missing)
            var z = bias
            for j in 0 ..< min(x.count, weights.count) where !x[j].isNaN { z += weights[j] * ((x[j] - mean[j]) * inv[j]) }
            for s in slots { z += sparse[s] ?? 0 }
            return logistic ? 1 / (1 + exp(-z)) : z
        case .tree(let nodes):
            let (x, _) = row(features, bits: 1, missing: false)
            var n = 0
            while true {
                switch nodes[n] {
                case .split(let f, let t, let l, let r, let missingLeft):
                    n = x[f].isNaN ? (missingLeft ? l : r) : (x[f] <= t ? l : r)
                case .leaf(let w0, let w1, let nb, let stats):
                    let a = w0 ?? 0, b = w1 ?? 0, total = a + b
                    guard nb, total > 0 else { return total > 0 ? b / total : 0.5 }
                    if w0 == nil { return 1 }
                    if w1 == nil { return 0 }
                    var votes = [a > 0 ? log(a / total) : 0, b > 0 ? log(b / total) : 0]
                    for s in stats where !x[s.feature].isNaN && (s.cls == 0 ? a : b) > 0 {
                        let d = x[s.feature] - s.mean
                        votes[s.cls] += d * d / (-2 * s.variance) - HoeffdingTree.halfLogTau - 0.5 * log(s.variance)
                    }
                    let m = max(votes[0], votes[1])
                    let e0 = exp(votes[0] - m), e1 = exp(votes[1] - m)
                    return e1 / (e0 + e1)
                }
            }
        }
    }
}
