import Foundation
import Statistics
import Testing
@testable import Training

@Suite struct HoeffdingTreeTests {
    /// A feature that separates the classes perfectly: at the first attempt (n = grace period = 200) the best merit
    /// (1 bit) beats the null/second candidate by more than ε = sqrt(ln(1/δ) / 2n) ≈ 0.2007, so the root splits.
    @Test func splitsWhenTheGainBeatsTheHoeffdingBound() {
        var t = HoeffdingTree(width: 2)
        var b = ExampleBatch(width: 2)
        var rng = SplitMix64(seed: 1)
        for _ in 0 ..< 199 { let x = rng.unit(); b.append(dense: [x, rng.unit()], sparse: [UInt32](), target: x > 0.5 ? 1 : 0) }
        var p: [Double] = []
        t.learn(b, progressive: &p)
        #expect(t.nodeCount == 1, "no attempt before the grace period")
        var one = ExampleBatch(width: 2)
        one.append(dense: [0.9, 0.5], sparse: [UInt32](), target: 1)
        t.learn(one, progressive: &p)
        #expect(t.nodeCount == 3)
        #expect(t.nodes[0].feature == 0)
        let epsilon = (log(1 / 1e-7) / (2 * 200.0)).squareRoot()
        #expect(abs(epsilon - 0.20074) < 1e-4)
    }

    /// Labels independent of both features: merits stay far below ε and above τ's reach, so the tree never splits
    /// within 2,000 examples (ε at n = 2,000 is 0.063 > τ = 0.05).
    @Test func doesNotSplitOnNoise() {
        var t = HoeffdingTree(width: 2)
        var b = ExampleBatch(width: 2)
        var rng = SplitMix64(seed: 2)
        for _ in 0 ..< 2_000 { b.append(dense: [rng.unit(), rng.unit()], sparse: [UInt32](), target: rng.unit() < 0.5 ? 1 : 0) }
        var p: [Double] = []
        t.learn(b, progressive: &p)
        #expect(t.nodeCount == 1)
    }

    /// Progressive accuracy within 0.5 points of River's HoeffdingTreeClassifier on the same stream.
    @Test func accuracyMatchesRiver() {
        let ref = TrainingStreams.reference.hoeffding
        let (x, y) = TrainingStreams.tree(seed: ref.seed, n: ref.n, noise: ref.noise)
        var t = HoeffdingTree(width: 5)
        var p: [Double] = []
        var correct = 0
        for start in stride(from: 0, to: ref.n, by: 512) {
            let r = start ..< min(start + 512, ref.n)
            t.learn(TrainingStreams.batch(x, y, range: r), progressive: &p)
            for (k, i) in r.enumerated() where (p[k] > 0.5 ? 1.0 : 0.0) == y[i] { correct += 1 }
        }
        let accuracy = Double(correct) / Double(ref.n)
        #expect(abs(accuracy - ref.progressive_accuracy) <= 0.005, "Tideline \(accuracy) vs River \(ref.progressive_accuracy)")
    }

    @Test func adaptiveTreeRecoversFromAnAbruptDrift() {
        var hat = HoeffdingAdaptiveTree(width: 5)
        var plain = HoeffdingTree(width: 5)
        let (x, y) = TrainingStreams.tree(seed: 5, n: 20_000)
        let flipped = y.map { 1 - $0 }  // the concept inverts halfway
        var p: [Double] = []
        var hatCorrect = 0, plainCorrect = 0
        for start in stride(from: 0, to: 40_000, by: 500) {
            let second = start >= 20_000
            let r = (start % 20_000) ..< (start % 20_000) + 500
            let b = TrainingStreams.batch(x, second ? flipped : y, range: r)
            hat.learn(b, progressive: &p)
            if start >= 30_000 { for (k, i) in r.enumerated() where (p[k] > 0.5 ? 1.0 : 0.0) == (second ? flipped : y)[i] { hatCorrect += 1 } }
            plain.learn(b, progressive: &p)
            if start >= 30_000 { for (k, i) in r.enumerated() where (p[k] > 0.5 ? 1.0 : 0.0) == (second ? flipped : y)[i] { plainCorrect += 1 } }
        }
        #expect(hat.switches >= 1)
        #expect(hatCorrect > plainCorrect, "adaptive \(hatCorrect) vs plain \(plainCorrect) correct over the last 10,000")
    }

    @Test func checkpointRoundTripIsBitExact() throws {
        let (x, y) = TrainingStreams.tree(seed: 9, n: 3_000)
        var hat = HoeffdingAdaptiveTree(width: 5)
        var p: [Double] = []
        hat.learn(TrainingStreams.batch(x, y), progressive: &p)
        let a = ModelArtifact(model: "t", version: "v1", encoder: FeatureEncoder(), learner: .adaptiveTree(hat))
        let bytes = try a.encoded()
        let back = try ModelArtifact.decode(bytes)
        #expect(back == a)
        #expect(try back.encoded() == bytes)
    }
}
