import CNumericKernels
import Foundation
import Statistics
import Testing
@testable import Training

@Suite struct LinearModelTests {
    /// One SGD step against the closed form: w ← w − η (p − y) x for log loss, with the scaler's standardization.
    /// The AVX AdaGrad kernel and the portable Swift loop give the same bits, row after row, at every width
    /// (full vectors and tails), so a checkpoint trained on one CPU continues identically on another.
    @Test(.enabled(if: tideline_kernels_have_avx(), "this CPU has no AVX: only the portable loop runs"))
    func avxAdagradKernelMatchesThePortableLoopBitForBit() {
        var rng = SplitMix64(seed: 11)
        for width in 1 ... 23 {
            var w1 = (0 ..< width).map { _ in rng.gaussian() * 0.1 }, g1 = (0 ..< width).map { _ in rng.unit() }
            var w2 = w1, g2 = g1
            for _ in 0 ..< 50 {
                let x = (0 ..< width).map { _ in rng.gaussian() }
                let g = rng.unit() - 0.5
                x.withUnsafeBufferPointer { x in
                    w1.withUnsafeMutableBufferPointer { w in g1.withUnsafeMutableBufferPointer { G in
                        LinearModel.adagradDense(w.baseAddress!, G.baseAddress!, x.baseAddress!, width, g: g, l2: 1e-4, rate: 0.1, epsilon: 1e-8)
                    }}
                    w2.withUnsafeMutableBufferPointer { w in g2.withUnsafeMutableBufferPointer { G in
                        tideline_adagrad_dense_avx(w.baseAddress!, G.baseAddress!, x.baseAddress!, width, g, 1e-4, 0.1, 1e-8)
                    }}
                }
            }
            #expect(w1.map(\.bitPattern) == w2.map(\.bitPattern), "weights at width \(width)")
            #expect(g1.map(\.bitPattern) == g2.map(\.bitPattern), "accumulators at width \(width)")
            #expect(w1.allSatisfy(\.isFinite) && w1.contains { $0 != 0 })
        }
    }

    @Test func sgdStepMatchesClosedForm() {
        var m = LinearModel(configuration: .init(objective: .logistic, optimizer: .sgd(learningRate: 0.5, power: 0)), width: 2, hashBits: 4)
        var b = ExampleBatch(width: 2)
        b.append(dense: [1.0, 3.0], sparse: [UInt32(5)], target: 1)
        b.append(dense: [3.0, 1.0], sparse: [UInt32](), target: 0)
        var p: [Double] = []
        m.learn(b, progressive: &p)
        // Scaler after the batch: means (2, 2), population std 1 → rows (−1, 1) and (1, −1).
        #expect(p[0] == 0.5)
        let g0 = 0.5 - 1.0
        let w1 = [-0.5 * g0 * -1, -0.5 * g0 * 1]
        let bias1 = -0.5 * g0
        let sparse1 = -0.5 * g0
        let z1 = bias1 + w1[0] * 1 + w1[1] * -1
        #expect(abs(p[1] - 1 / (1 + exp(-z1))) < 1e-15)
        let g1 = p[1] - 0
        #expect(abs(m.denseWeights[0] - (w1[0] - 0.5 * g1 * 1)) < 1e-15)
        #expect(abs(m.denseWeights[1] - (w1[1] - 0.5 * g1 * -1)) < 1e-15)
        #expect(abs(m.biasWeight - (bias1 - 0.5 * g1)) < 1e-15)
        #expect(abs(m.sparseWeights[5] - sparse1) < 1e-15)
    }

    /// The gradient the optimizers use, (p − y)·x, equals a finite difference of the log loss and of the squared loss.
    @Test func gradientMatchesFiniteDifferences() {
        for objective in [LinearObjective.logistic, .squared] {
            let x = [0.3, -1.2, 2.0], w = [0.1, 0.4, -0.2], y = 1.0
            func loss(_ w: [Double]) -> Double {
                let z = zip(w, x).map(*).reduce(0, +)
                if objective == .logistic { let p = 1 / (1 + exp(-z)); return -(y * log(p) + (1 - y) * log(1 - p)) }
                return 0.5 * (z - y) * (z - y)
            }
            let z = zip(w, x).map(*).reduce(0, +)
            let p = objective == .logistic ? 1 / (1 + exp(-z)) : z
            for j in 0 ..< 3 {
                var up = w, down = w
                up[j] += 1e-6; down[j] -= 1e-6
                let numeric = (loss(up) - loss(down)) / 2e-6
                #expect(abs(LinearModel.gradient(p, y, clip: 0) * x[j] - numeric) < 1e-7, "\(objective) coordinate \(j)")
            }
        }
    }

    /// FTRL with L1 keeps a coordinate whose |z| stays under λ1 at exactly zero.
    @Test func ftrlL1GivesExactZeros() {
        #expect(LinearModel.ftrlWeight(z: 0.5, n: 4, alpha: 0.1, beta: 1, l1: 1, l2: 0) == 0)
        let w = LinearModel.ftrlWeight(z: -3, n: 4, alpha: 0.1, beta: 1, l1: 1, l2: 0.5)
        #expect(abs(w - 2 / ((1 + 2) / 0.1 + 0.5)) < 1e-15)
    }

    /// Many AdaGrad epochs reach scikit-learn's unregularized LogisticRegression on the same standardized data.
    @Test func convergesToScikitLearnSolution() {
        let ref = TrainingStreams.reference.logistic
        let (x, y) = TrainingStreams.logistic(seed: ref.seed, n: ref.n)
        let data = TrainingStreams.batch(x, y)
        var m = LinearModel(configuration: .init(objective: .logistic, optimizer: .adagrad(learningRate: 0.5, epsilon: 1e-8)), width: 5, hashBits: 1)
        var p: [Double] = []
        for _ in 0 ..< 300 {
            for start in stride(from: 0, to: ref.n, by: 512) { m.learn(TrainingStreams.batch(x, y, range: start ..< min(start + 512, ref.n)), progressive: &p) }
        }
        let w = m.denseWeights
        for j in 0 ..< 5 { #expect(abs(w[j] - ref.coefficients[j]) < 0.02, "coefficient \(j): \(w[j]) vs \(ref.coefficients[j])") }
        #expect(abs(m.biasWeight - ref.intercept) < 0.02)
        let ll = EvaluationMetric.logLoss.value(scores: TrainableModel.linear(m).predict(data), targets: y)
        #expect(abs(ll - ref.log_loss) < 1e-3, "log loss \(ll) vs scikit-learn \(ref.log_loss)")
    }

    @Test func checkpointRoundTripIsBitExact() throws {
        let (x, y) = TrainingStreams.logistic(seed: 3, n: 1000)
        for optimizer in [Optimizer.sgd(learningRate: 0.1, power: 0.5), .defaultAdagrad, .ftrl(alpha: 0.1, beta: 1)] {
            var m = LinearModel(configuration: .init(optimizer: optimizer, l1: 0.001, l2: 0.001), width: 5, hashBits: 6)
            var p: [Double] = []
            m.learn(TrainingStreams.batch(x, y), progressive: &p)
            let a = ModelArtifact(model: "m", version: "v1", encoder: FeatureEncoder(), learner: .linear(m))
            let bytes = try a.encoded()
            let back = try ModelArtifact.decode(bytes)
            #expect(back == a)
            #expect(try back.encoded() == bytes)
            // And it keeps learning identically.
            var m2: LinearModel
            guard case .linear(let restored) = back.learner else { Issue.record("wrong kind"); return }
            m2 = restored
            var q: [Double] = []
            m.learn(TrainingStreams.batch(x, y, range: 0 ..< 200), progressive: &p)
            m2.learn(TrainingStreams.batch(x, y, range: 0 ..< 200), progressive: &q)
            #expect(p.map(\.bitPattern) == q.map(\.bitPattern))
            #expect(m == m2)
        }
    }
}
