import ArgumentParser
import Events
import Foundation
import Statistics
import Training

/// `tideline bench train`: trainer throughput and quality on streams it can write for the Python peers
/// (scikit-learn, Vowpal Wabbit, River), so both sides learn the same rows in the same run.
struct BenchTrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Benchmark trainers: logistic regression rows/s and progressive log loss, Hoeffding trees rows/s and accuracy, and the value of freshness on a drifting stream. Prints JSON lines.")

    @Option(name: .long, help: "Rows of the logistic stream (20 dense features).")
    var rows: Int = 1_000_000
    @Option(name: .long, help: "Rows of the tree stream (5 features).")
    var treeRows: Int = 200_000
    @Option(name: .long, help: "Micro-batch size (512 or 1024).")
    var batchSize: Int = 512
    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 42
    @Option(name: .long, help: "Write the logistic stream here (float64 little-endian: rows x (20 features, label)) for the peers.")
    var writeLogistic: String?
    @Option(name: .long, help: "Write the tree stream here (float64 little-endian: rows x (5 features, label)) for the peers.")
    var writeTree: String?

    func validate() throws {
        guard rows >= 1_000 else { throw ValidationError("--rows: must be at least 1000") }
        guard treeRows >= 1_000 else { throw ValidationError("--tree-rows: must be at least 1000") }
        guard batchSize >= 1 && batchSize <= 65_536 else { throw ValidationError("--batch-size: must be 1...65536") }
    }

    static let logisticWidth = 20

    /// x uniform in [0, 1); y ~ Bernoulli(sigmoid(w·(4x − 2) + b)) with seeded weights. `driftAt`: weights negate.
    static func logisticStream(rows: Int, seed: UInt64, driftAt: Int? = nil) -> (x: [Double], y: [Double]) {
        var rng = SplitMix64(seed: seed)
        let w = (0 ..< logisticWidth).map { _ in rng.gaussian() * 0.6 }
        var x = [Double](repeating: 0, count: rows * logisticWidth), y = [Double](repeating: 0, count: rows)
        for i in 0 ..< rows {
            var z = -0.3
            let sign: Double = (driftAt.map { i >= $0 } ?? false) ? -1 : 1
            for j in 0 ..< logisticWidth {
                let v = rng.unit()
                x[i * logisticWidth + j] = v
                z += sign * w[j] * (4 * v - 2)
            }
            y[i] = rng.unit() < 1 / (1 + exp(-z)) ? 1 : 0
        }
        return (x, y)
    }

    static func treeStream(rows: Int, seed: UInt64) -> (x: [Double], y: [Double]) {
        var rng = SplitMix64(seed: seed)
        var x = [Double](repeating: 0, count: rows * 5), y = [Double](repeating: 0, count: rows)
        for i in 0 ..< rows {
            for j in 0 ..< 5 { x[i * 5 + j] = Double(rng.below(1000)) / 1000 }
            let r = x[i * 5 ..< i * 5 + 5].map { $0 }
            var label = (r[0] > 0.5 && r[1] > 0.3) || (r[0] <= 0.5 && r[2] > 0.7) ? 1.0 : 0.0
            if rng.unit() < 0.05 { label = 1 - label }
            y[i] = label
        }
        return (x, y)
    }

    static func batches(_ x: [Double], _ y: [Double], width: Int, size: Int) -> [ExampleBatch] {
        var out: [ExampleBatch] = []
        var start = 0
        while start < y.count {
            let end = min(start + size, y.count)
            var b = ExampleBatch(width: width, capacity: end - start)
            for i in start ..< end { b.append(dense: x[i * width ..< (i + 1) * width], sparse: EmptyCollection<UInt32>(), target: y[i]) }
            out.append(b)
            start = end
        }
        return out
    }

    /// One progressive pass: (seconds, mean progressive loss, progressive accuracy).
    static func pass(_ model: TrainableModel, _ batches: [ExampleBatch], metric: EvaluationMetric) -> (Double, Double, Double, TrainableModel) {
        var m = model
        var progressive: [Double] = []
        progressive.reserveCapacity(batches.first?.count ?? 0)
        var loss = 0.0, correct = 0, n = 0
        var seconds = 0.0
        for b in batches {
            let start = ContinuousClock.now
            m.learn(b, progressive: &progressive)
            seconds += (ContinuousClock.now - start).seconds
            for i in 0 ..< b.count {
                loss += metric.loss(score: progressive[i], target: b.targets[i])
                if (progressive[i] > 0.5) == (b.targets[i] >= 0.5) { correct += 1 }
            }
            n += b.count
        }
        return (seconds, loss / Double(n), Double(correct) / Double(n), m)
    }

    func run() async throws {
        let (lx, ly) = Self.logisticStream(rows: rows, seed: seed)
        if let writeLogistic { try write(lx, ly, width: Self.logisticWidth, to: writeLogistic) }
        let lb = Self.batches(lx, ly, width: Self.logisticWidth, size: batchSize)
        let optimizers: [(String, Optimizer)] = [
            ("adagrad", .adagrad(learningRate: 0.1, epsilon: 1e-8)), ("sgd", .sgd(learningRate: 0.05, power: 0)), ("ftrl", .ftrl(alpha: 0.1, beta: 1)),
        ]
        for (name, optimizer) in optimizers {
            var best = Double.infinity, loss = 0.0, accuracy = 0.0
            for _ in 0 ..< 3 {
                let fresh = TrainableModel.linear(LinearModel(configuration: .init(objective: .logistic, optimizer: optimizer), width: Self.logisticWidth, hashBits: 1))
                let (s, l, a, _) = Self.pass(fresh, lb, metric: .logLoss)
                if s < best { best = s; loss = l; accuracy = a }
            }
            BenchCommand.report("train-logistic-\(name)", count: rows, seconds: best, bytes: 0, extra: [
                ("progressive_log_loss", .number(loss)), ("progressive_accuracy", .number(accuracy)), ("batch", .number(Double(batchSize))),
                ("note", .string("20 dense features, standardized, one pass, predict-then-learn per row, best of 3")),
            ])
        }

        let (tx, ty) = Self.treeStream(rows: treeRows, seed: seed &+ 1)
        if let writeTree { try write(tx, ty, width: 5, to: writeTree) }
        let tb = Self.batches(tx, ty, width: 5, size: batchSize)
        for (name, model) in [("hoeffding-tree", TrainableModel.tree(HoeffdingTree(width: 5))), ("hoeffding-adaptive-tree", .adaptiveTree(HoeffdingAdaptiveTree(width: 5)))] {
            var best = Double.infinity, accuracy = 0.0
            var trained = model
            for _ in 0 ..< 3 {
                let (s, _, a, m) = Self.pass(model, tb, metric: .logLoss)
                if s < best { best = s; accuracy = a; trained = m }
            }
            var leaves = 0
            if case .tree(let t) = trained { leaves = t.leafCount }
            if case .adaptiveTree(let t) = trained { leaves = t.main.leafCount }
            BenchCommand.report("train-\(name)", count: treeRows, seconds: best, bytes: 0, extra: [
                ("progressive_accuracy", .number(accuracy)), ("leaves", .number(Double(leaves))),
                ("note", .string("5 features, concept (x0>.5 & x1>.3) | (x0<=.5 & x2>.7), 5% label noise, River defaults, best of 3")),
            ])
        }
        freshness()
    }

    /// Value of freshness: an abrupt drift (the weights negate) halfway through 400k rows. Accuracy per 10k-row
    /// window after the drift for a frozen model, periodic stateless retraining (every 50k rows, on the last 20k),
    /// and stateful micro-batch updates.
    func freshness() {
        let total = 400_000, driftAt = 200_000, window = 10_000
        let (x, y) = Self.logisticStream(rows: total, seed: seed &+ 2, driftAt: driftAt)
        let w = Self.logisticWidth
        func fresh() -> TrainableModel { .linear(LinearModel(width: w, hashBits: 1)) }
        var frozen = fresh(), stateful = fresh(), stateless = fresh()
        var p: [Double] = []
        var curves: [String: [Double]] = ["frozen": [], "stateful": [], "stateless": []]
        var correct: [String: Int] = [:]
        var start = 0
        while start < total {
            let end = min(start + batchSize, total)
            var b = ExampleBatch(width: w, capacity: end - start)
            for i in start ..< end { b.append(dense: x[i * w ..< (i + 1) * w], sparse: EmptyCollection<UInt32>(), target: y[i]) }
            for (name, model) in [("frozen", frozen), ("stateless", stateless)] {
                let s = model.predict(b)
                for i in 0 ..< b.count where (s[i] > 0.5) == (b.targets[i] >= 0.5) { correct[name, default: 0] += 1 }
            }
            stateful.learn(b, progressive: &p)
            for i in 0 ..< b.count where (p[i] > 0.5) == (b.targets[i] >= 0.5) { correct["stateful", default: 0] += 1 }
            if end <= driftAt { frozen.learn(b, progressive: &p) }
            // Stateless: every 50k rows, retrain from scratch on the last 20k.
            if end % 50_000 < batchSize && end >= 20_000 {
                var m = fresh()
                let from = end - 20_000
                var s = from
                while s < end {
                    let e = min(s + batchSize, end)
                    var rb = ExampleBatch(width: w, capacity: e - s)
                    for i in s ..< e { rb.append(dense: x[i * w ..< (i + 1) * w], sparse: EmptyCollection<UInt32>(), target: y[i]) }
                    m.learn(rb, progressive: &p)
                    s = e
                }
                stateless = m
            }
            if end / window != start / window || end == total {
                for k in ["frozen", "stateful", "stateless"] { curves[k]!.append(Double(correct[k, default: 0]) / Double(end - (curves[k]!.count * window))) ; correct[k] = 0 }
            }
            start = end
        }
        let after = driftAt / window
        var extra: [(String, JSONValue)] = [("drift_at", .number(Double(driftAt))), ("window", .number(Double(window)))]
        for k in ["frozen", "stateless", "stateful"] {
            let c = curves[k]!
            let pre = c[max(0, after - 5) ..< after].reduce(0, +) / 5
            let recovered = c[after...].firstIndex { $0 >= pre - 0.01 }.map { Double(($0 - after + 1) * window) } ?? -1
            extra.append(("\(k)_accuracy_before", .number(pre)))
            extra.append(("\(k)_accuracy_first_window_after", .number(c[after])))
            extra.append(("\(k)_accuracy_mean_after", .number(c[after...].reduce(0, +) / Double(c.count - after))))
            extra.append(("\(k)_rows_to_recover", .number(recovered)))
        }
        BenchCommand.report("train-freshness", count: total, seconds: 0, bytes: 0, extra: extra)
    }

    private func write(_ x: [Double], _ y: [Double], width: Int, to path: String) throws {
        var out = [Double]()
        out.reserveCapacity(y.count * (width + 1))
        for i in 0 ..< y.count { out.append(contentsOf: x[i * width ..< (i + 1) * width]); out.append(y[i]) }
        let data = out.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
