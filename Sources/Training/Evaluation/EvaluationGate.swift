public import Events
import Foundation
import Statistics

/// How a candidate must compare with the champion to be promoted.
public struct GatePolicy: Sendable, Hashable, Codable {
    /// The metric the decision rests on (log loss for classifiers and RMSE for regression unless configured).
    public var metric: EvaluationMetric?
    /// Non-inferiority margin, relative to the champion's value: 0.01 lets the candidate be up to 1% worse.
    public var margin: Double = 0.01
    /// One-sided confidence of the bound that must clear the margin.
    public var confidence: Double = 0.95
    /// Resamples of the paired bootstrap (metrics that are means of per-example losses).
    public var bootstrapSamples: Int = 1_000
    /// Held-out examples needed in a set before it is used to decide.
    public var minimumExamples: Int = 100
    public var seed: UInt64 = 7
    /// When the candidate fails only on the static held-out sample but is better than the champion on the recent
    /// held-out examples at the gate's confidence, the world has changed under the static sample: promote, and
    /// replace the static sample with recent examples. Off: the static sample vetoes (no recovery from a concept
    /// drift that reverses what the static sample says).
    public var adaptToChange = true
    public init() {}

    public func decisionMetric(for task: LearningTask) -> EvaluationMetric {
        if let metric, metric.applies(to: task) { return metric }
        return task == .regression ? .rmse : .logLoss
    }
}

/// One evaluation set: its name (`static_holdout`, `recent`) and the targets with both models' scores.
public struct EvaluationSet: Sendable {
    public var name: String
    public var targets: [Double]
    public var candidate: [Double]
    public var champion: [Double]?
    public init(name: String, targets: [Double], candidate: [Double], champion: [Double]?) {
        self.name = name; self.targets = targets; self.candidate = candidate; self.champion = champion
    }
}

/// The gate's verdict: promote or not, why, and the metrics of both models on each set.
public struct GateDecision: Sendable, Hashable {
    public var promote: Bool
    public var reason: String
    /// The static held-out sample no longer represents the data (see `GatePolicy.adaptToChange`): refresh it.
    public var refreshStaticHoldout = false

    public init(promote: Bool, reason: String, evaluations: [ModelUpdateEvent.Evaluation], refreshStaticHoldout: Bool = false) {
        self.promote = promote
        self.reason = reason
        self.evaluations = evaluations
        self.refreshStaticHoldout = refreshStaticHoldout
    }
    public var evaluations: [ModelUpdateEvent.Evaluation]
}

/// The evaluation gate: sanity checks, then candidate against champion on every held-out set with a test fit to
/// the metric — a paired bootstrap of per-example losses (log loss, accuracy, RMSE via squared error, MAE) or
/// DeLong's test (AUC) — and a non-inferiority margin. A candidate passes a set when the one-sided confidence
/// bound of (candidate − champion), in the metric's worse direction, stays within `margin × champion`. Pure and
/// deterministic (the bootstrap draws from a seeded generator).
public enum EvaluationGate {
    public static func decide(task: LearningTask, candidateIsFinite: Bool, sets: [EvaluationSet], policy: GatePolicy) -> GateDecision {
        let metric = policy.decisionMetric(for: task)
        var evaluations: [ModelUpdateEvent.Evaluation] = []
        var failures: [String] = []
        var passes: [String] = []
        var staticFailures = 0, sanityFailures = 0
        var recentSuperior: String?
        if !candidateIsFinite { failures.append("candidate has non-finite parameters"); sanityFailures += 1 }
        for set in sets {
            var candidate: [String: Double] = ["n": Double(set.targets.count)]
            var champion: [String: Double] = [:]
            for m in EvaluationMetric.reported(for: task) {
                let v = m.value(scores: set.candidate, targets: set.targets)
                if v.isFinite { candidate[m.rawValue] = v }
                if let ch = set.champion {
                    let w = m.value(scores: ch, targets: set.targets)
                    if w.isFinite { champion[m.rawValue] = w }
                }
            }
            if set.candidate.contains(where: { !$0.isFinite }) { failures.append("\(set.name): candidate scores are not finite"); sanityFailures += 1 }
            if collapsed(set.candidate, targets: set.targets, champion: set.champion) {
                failures.append("\(set.name): candidate predictions collapsed to one value")
                sanityFailures += 1
            }
            if let ch = set.champion, set.targets.count >= policy.minimumExamples {
                if let test = compare(metric: metric, candidate: set.candidate, champion: ch, targets: set.targets, policy: policy) {
                    candidate["bound"] = test.bound
                    candidate["allowed"] = test.allowed
                    if test.passed {
                        passes.append("\(set.name) \(metric.rawValue) \(fmt(test.candidate)) vs \(fmt(test.champion))")
                        if set.name == "recent", test.bound < 0 {
                            recentSuperior = "recent \(metric.rawValue) \(fmt(test.candidate)) vs champion \(fmt(test.champion)), better by at least \(fmt(-test.bound)) at \(Int(policy.confidence * 100))% confidence"
                        }
                    } else {
                        if set.name == "static_holdout" { staticFailures += 1 }
                        failures.append("\(set.name): \(metric.rawValue) \(fmt(test.candidate)) vs champion \(fmt(test.champion)); worse by up to \(fmt(test.bound)) at \(Int(policy.confidence * 100))% confidence, margin \(fmt(test.allowed))")
                    }
                }
            }
            evaluations.append(ModelUpdateEvent.Evaluation(set: set.name, candidate: candidate, champion: champion))
        }
        if policy.adaptToChange, sanityFailures == 0, staticFailures > 0, failures.count == staticFailures, let recentSuperior {
            return GateDecision(promote: true, reason: "adapts to a change: \(recentSuperior), while \(failures.joined(separator: "; ")); the static held-out sample is refreshed from recent examples",
                                evaluations: evaluations, refreshStaticHoldout: true)
        }
        if !failures.isEmpty { return GateDecision(promote: false, reason: failures.joined(separator: "; "), evaluations: evaluations) }
        let reason = passes.isEmpty ? "no champion to compare with (or too few held-out examples); sanity checks passed" : "non-inferior: " + passes.joined(separator: "; ")
        return GateDecision(promote: true, reason: reason, evaluations: evaluations)
    }

    static func fmt(_ x: Double) -> String { String(format: "%.4g", x) }

    /// Predictions with no spread while the targets (and the champion's predictions) vary.
    static func collapsed(_ scores: [Double], targets: [Double], champion: [Double]?) -> Bool {
        guard scores.count >= 20, let lo = scores.min(), let hi = scores.max() else { return false }
        guard hi - lo < 1e-9 else { return false }
        let targetsVary = (targets.max() ?? 0) > (targets.min() ?? 0)
        let championVaries = champion.map { ($0.max() ?? 0) - ($0.min() ?? 0) > 1e-9 } ?? true
        return targetsVary && championVaries
    }

    struct Comparison {
        var candidate: Double
        var champion: Double
        /// How much worse the candidate may be, at the confidence level (in metric units, positive = worse).
        var bound: Double
        var allowed: Double
        var passed: Bool
    }

    static func compare(metric: EvaluationMetric, candidate: [Double], champion: [Double], targets: [Double], policy: GatePolicy) -> Comparison? {
        let z = NormalQuantile.value(policy.confidence)
        if metric == .auc {
            guard let d = AUC.delong(candidate, champion, targets: targets) else { return nil }
            let worse = -(d.difference - z * d.standardError)  // how far below the champion the lower bound reaches
            let allowed = policy.margin * abs(d.aucB)
            return Comparison(candidate: d.aucA, champion: d.aucB, bound: worse, allowed: allowed, passed: worse <= allowed)
        }
        let n = targets.count
        var diff = [Double](repeating: 0, count: n)
        var championMean = 0.0, candidateMean = 0.0
        for i in 0 ..< n {
            let lc = metric.loss(score: candidate[i], target: targets[i]), lh = metric.loss(score: champion[i], target: targets[i])
            diff[i] = lc - lh
            candidateMean += lc; championMean += lh
        }
        candidateMean /= Double(n); championMean /= Double(n)
        var rng = SplitMix64(seed: policy.seed)
        var means = [Double](repeating: 0, count: policy.bootstrapSamples)
        for b in 0 ..< policy.bootstrapSamples {
            var s = 0.0
            for _ in 0 ..< n { s += diff[Int(rng.next() % UInt64(n))] }
            means[b] = s / Double(n)
        }
        means.sort()
        let index = min(max(Int((policy.confidence * Double(policy.bootstrapSamples)).rounded(.up)) - 1, 0), policy.bootstrapSamples - 1)
        var upper = means[index]  // bound on (candidate loss − champion loss)
        var allowed = policy.margin * abs(championMean)
        var cand = candidateMean, champ = championMean
        switch metric {
        case .accuracy:
            cand = 1 - candidateMean; champ = 1 - championMean
            allowed = policy.margin * champ
        case .rmse:
            // The bootstrap bounds the MSE difference; report it in RMSE units.
            cand = candidateMean.squareRoot(); champ = championMean.squareRoot()
            upper = (max(championMean + upper, 0)).squareRoot() - champ
            allowed = policy.margin * champ
        default: break
        }
        return Comparison(candidate: cand, champion: champ, bound: upper, allowed: allowed, passed: upper <= allowed)
    }
}

/// The standard normal quantile (Acklam's rational approximation refined by one Halley step; |error| < 1e-12).
public enum NormalQuantile {
    public static func value(_ p: Double) -> Double {
        precondition(p > 0 && p < 1)
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
