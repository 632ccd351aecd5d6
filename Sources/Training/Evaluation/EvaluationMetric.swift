import Foundation

/// A metric the evaluation gate decides on, and the metrics it reports.
public enum EvaluationMetric: String, Sendable, Hashable, Codable, CaseIterable {
    case logLoss = "log_loss"
    case accuracy
    case auc
    case rmse
    case mae

    /// The metrics reported for a task.
    public static func reported(for task: LearningTask) -> [EvaluationMetric] {
        task == .regression ? [.rmse, .mae] : [.logLoss, .accuracy, .auc]
    }

    public var higherIsBetter: Bool { self == .accuracy || self == .auc }

    /// Whether the metric applies to `task`.
    public func applies(to task: LearningTask) -> Bool {
        task == .regression ? (self == .rmse || self == .mae) : !(self == .rmse || self == .mae)
    }

    static let probabilityFloor = 1e-15

    /// The per-example loss whose mean the metric is built from (log loss; 0/1 error; squared error; absolute
    /// error). Not defined for AUC, which is not a mean of per-example terms.
    @inline(__always)
    public func loss(score: Double, target: Double) -> Double {
        switch self {
        case .logLoss:
            let p = min(max(score, Self.probabilityFloor), 1 - Self.probabilityFloor)
            return target >= 0.5 ? -log(p) : -log(1 - p)
        case .accuracy: return (score > 0.5) == (target >= 0.5) ? 0 : 1
        case .rmse: let d = score - target; return d * d
        case .mae: return abs(score - target)
        case .auc: return .nan
        }
    }

    /// The metric over `scores` against `targets` (NaN for an empty set, or AUC with one class only).
    public func value(scores: [Double], targets: [Double]) -> Double {
        guard !scores.isEmpty else { return .nan }
        switch self {
        case .auc: return AUC.value(scores: scores, targets: targets)
        case .accuracy:
            var wrong = 0.0
            for i in scores.indices { wrong += loss(score: scores[i], target: targets[i]) }
            return 1 - wrong / Double(scores.count)
        case .rmse:
            var s = 0.0
            for i in scores.indices { s += loss(score: scores[i], target: targets[i]) }
            return (s / Double(scores.count)).squareRoot()
        case .logLoss, .mae:
            var s = 0.0
            for i in scores.indices { s += loss(score: scores[i], target: targets[i]) }
            return s / Double(scores.count)
        }
    }
}

/// Area under the ROC curve and DeLong's test for two correlated AUCs (DeLong, DeLong & Clarke-Pearson 1988,
/// with the midrank computation of Sun & Xu 2014).
public enum AUC {
    /// Midranks (1-based, ties averaged) of `values`.
    static func midranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i ... j { ranks[order[k]] = r }
            i = j + 1
        }
        return ranks
    }

    /// The AUC (probability a random positive outscores a random negative, ties half).
    public static func value(scores: [Double], targets: [Double]) -> Double {
        let positives = targets.filter { $0 >= 0.5 }.count
        let negatives = targets.count - positives
        guard positives > 0, negatives > 0 else { return .nan }
        let ranks = midranks(scores)
        var sum = 0.0
        for i in targets.indices where targets[i] >= 0.5 { sum += ranks[i] }
        return (sum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }

    /// The structural components of one model's AUC: per positive (V10) and per negative (V01).
    static func components(scores: [Double], positives: [Int], negatives: [Int]) -> (auc: Double, v10: [Double], v01: [Double]) {
        let m = Double(positives.count), n = Double(negatives.count)
        let pos = positives.map { scores[$0] }, neg = negatives.map { scores[$0] }
        let all = midranks(pos + neg), tx = midranks(pos), ty = midranks(neg)
        var v10 = [Double](repeating: 0, count: pos.count), v01 = [Double](repeating: 0, count: neg.count)
        var sum = 0.0
        for i in pos.indices { v10[i] = (all[i] - tx[i]) / n; sum += all[i] }
        for j in neg.indices { v01[j] = 1 - (all[pos.count + j] - ty[j]) / m }
        let auc = (sum - m * (m + 1) / 2) / (m * n)
        return (auc, v10, v01)
    }

    /// DeLong's test of `a` against `b` on the same examples: both AUCs, their difference and its standard error.
    public static func delong(_ a: [Double], _ b: [Double], targets: [Double]) -> (aucA: Double, aucB: Double, difference: Double, standardError: Double)? {
        let positives = targets.indices.filter { targets[$0] >= 0.5 }
        let negatives = targets.indices.filter { targets[$0] < 0.5 }
        guard positives.count >= 2, negatives.count >= 2 else { return nil }
        let ca = components(scores: a, positives: positives, negatives: negatives)
        let cb = components(scores: b, positives: positives, negatives: negatives)
        func cov(_ x: [Double], _ y: [Double]) -> Double {
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            var s = 0.0
            for i in x.indices { s += (x[i] - mx) * (y[i] - my) }
            return s / Double(x.count - 1)
        }
        let m = Double(positives.count), n = Double(negatives.count)
        let variance = (cov(ca.v10, ca.v10) + cov(cb.v10, cb.v10) - 2 * cov(ca.v10, cb.v10)) / m
            + (cov(ca.v01, ca.v01) + cov(cb.v01, cb.v01) - 2 * cov(ca.v01, cb.v01)) / n
        return (ca.auc, cb.auc, ca.auc - cb.auc, max(variance, 0).squareRoot())
    }
}
