import Foundation
import Statistics
import Training

/// The streams of `Benchmarks/peers/training_reference.py`, regenerated bit for bit from SplitMix64.
enum TrainingStreams {
    static let logisticWeights = [2.0, -1.5, 0.75, 0.0, 3.0]
    static let logisticBias = -0.5

    static func logistic(seed: UInt64, n: Int) -> (x: [[Double]], y: [Double]) {
        var rng = SplitMix64(seed: seed)
        var xs: [[Double]] = [], ys: [Double] = []
        for _ in 0 ..< n {
            let x = logisticWeights.map { _ in Double(rng.below(1000)) / 1000 }
            var z = logisticBias
            for (w, v) in zip(logisticWeights, x) { z += w * (v - 0.5) * 4 }
            let p = 1 / (1 + exp(-z))
            xs.append(x)
            ys.append(rng.unit() < p ? 1 : 0)
        }
        return (xs, ys)
    }

    static func tree(seed: UInt64, n: Int, noise: Double = 0.05) -> (x: [[Double]], y: [Double]) {
        var rng = SplitMix64(seed: seed)
        var xs: [[Double]] = [], ys: [Double] = []
        for _ in 0 ..< n {
            let x = (0 ..< 5).map { _ in Double(rng.below(1000)) / 1000 }
            var label = (x[0] > 0.5 && x[1] > 0.3) || (x[0] <= 0.5 && x[2] > 0.7) ? 1.0 : 0.0
            if rng.unit() < noise { label = 1 - label }
            xs.append(x)
            ys.append(label)
        }
        return (xs, ys)
    }

    static func batch(_ x: [[Double]], _ y: [Double], range: Range<Int>? = nil) -> ExampleBatch {
        let r = range ?? 0 ..< x.count
        var b = ExampleBatch(width: x.first?.count ?? 0, capacity: r.count)
        for i in r { b.append(dense: x[i], sparse: [UInt32](), target: y[i]) }
        return b
    }

    struct Reference: Decodable {
        struct Logistic: Decodable { var seed: UInt64; var n: Int; var coefficients: [Double]; var intercept: Double; var log_loss: Double }
        struct Hoeffding: Decodable { var seed: UInt64; var n: Int; var noise: Double; var progressive_accuracy: Double; var leaves: Int }
        var logistic: Logistic
        var hoeffding: Hoeffding
    }

    static let reference: Reference = {
        let url = Bundle.module.url(forResource: "Fixtures/training_reference", withExtension: "json")!
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()
}
