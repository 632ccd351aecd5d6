/// Realized performance over one window of labeled examples: accuracy, log loss, AUC, precision, recall and
/// F1 for binary classifiers (score = probability of the positive class, threshold 0.5); accuracy for
/// classifiers that predict a class; MAE and RMSE for regression. Mergeable. Value type; not thread-safe.
public struct PerformanceAccumulator: Sendable, Hashable, Codable {
    public private(set) var count = 0
    // Binary.
    public private(set) var binary = 0
    private var correct = 0
    private var truePositives = 0, falsePositives = 0, falseNegatives = 0
    private var logLossSum = 0.0
    /// (score, label) pairs for AUC, capped (a deterministic prefix is enough for a window's AUC).
    private var scored: [Double] = []
    private var positives: [Bool] = []
    // Class labels.
    public private(set) var categorical = 0
    private var categoricalCorrect = 0
    // Regression.
    public private(set) var regression = 0
    private var absoluteErrorSum = 0.0
    private var squaredErrorSum = 0.0

    public static let aucCapacity = 20_000

    public init() {}

    public mutating func addBinary(score: Double, positive: Bool) {
        count += 1; binary += 1
        let predictedPositive = score >= 0.5
        if predictedPositive == positive { correct += 1 }
        if predictedPositive && positive { truePositives += 1 }
        if predictedPositive && !positive { falsePositives += 1 }
        if !predictedPositive && positive { falseNegatives += 1 }
        let p = min(max(score, 1e-15), 1 - 1e-15)
        logLossSum += positive ? -_log(p) : -_log(1 - p)
        if scored.count < Self.aucCapacity { scored.append(score); positives.append(positive) }
    }

    public mutating func addClass(predicted: String, actual: String) {
        count += 1; categorical += 1
        if predicted == actual { categoricalCorrect += 1 }
    }

    public mutating func addRegression(predicted: Double, actual: Double) {
        count += 1; regression += 1
        let e = predicted - actual
        absoluteErrorSum += abs(e)
        squaredErrorSum += e * e
    }

    public mutating func merge(_ o: PerformanceAccumulator) {
        count += o.count; binary += o.binary; correct += o.correct
        truePositives += o.truePositives; falsePositives += o.falsePositives; falseNegatives += o.falseNegatives
        logLossSum += o.logLossSum
        for i in o.scored.indices where scored.count < Self.aucCapacity { scored.append(o.scored[i]); positives.append(o.positives[i]) }
        categorical += o.categorical; categoricalCorrect += o.categoricalCorrect
        regression += o.regression; absoluteErrorSum += o.absoluteErrorSum; squaredErrorSum += o.squaredErrorSum
    }

    /// Share of correct predictions (binary at 0.5, or class match), nil without classification examples.
    public var accuracy: Double? {
        let n = binary + categorical
        return n > 0 ? Double(correct + categoricalCorrect) / Double(n) : nil
    }
    /// Error rate = 1 - accuracy, or for regression the mean absolute error.
    public var errorRate: Double? { accuracy.map { 1 - $0 } ?? meanAbsoluteError }
    public var logLoss: Double? { binary > 0 ? logLossSum / Double(binary) : nil }
    public var precision: Double? { truePositives + falsePositives > 0 ? Double(truePositives) / Double(truePositives + falsePositives) : nil }
    public var recall: Double? { truePositives + falseNegatives > 0 ? Double(truePositives) / Double(truePositives + falseNegatives) : nil }
    public var f1: Double? {
        guard let p = precision, let r = recall, p + r > 0 else { return nil }
        return 2 * p * r / (p + r)
    }
    public var meanAbsoluteError: Double? { regression > 0 ? absoluteErrorSum / Double(regression) : nil }
    public var rootMeanSquaredError: Double? { regression > 0 ? (squaredErrorSum / Double(regression)).squareRoot() : nil }

    /// The area under the ROC curve by the rank-sum (Mann–Whitney) formula with ties counted half; nil when
    /// one class is absent.
    public var auc: Double? {
        let n = scored.count
        let nPositive = positives.filter { $0 }.count, nNegative = n - nPositive
        guard nPositive > 0 && nNegative > 0 else { return nil }
        let order = scored.indices.sorted { scored[$0] < scored[$1] }
        var rankSum = 0.0
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && scored[order[j + 1]] == scored[order[i]] { j += 1 }
            let averageRank = Double(i + j + 2) / 2  // ranks are 1-based
            for k in i...j where positives[order[k]] { rankSum += averageRank }
            i = j + 1
        }
        return (rankSum - Double(nPositive) * Double(nPositive + 1) / 2) / (Double(nPositive) * Double(nNegative))
    }
}
