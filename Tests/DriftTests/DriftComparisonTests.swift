import Events
import Statistics
import Testing
@testable import Drift

@Suite struct DriftComparisonTests {
    static func window(_ n: Int, seed: UInt64, shift: Double = 0, nullShare: Double = 0, extra: Bool = false, dropIncome: Bool = false) -> FeatureWindow {
        var rng = SplitMix64(seed: seed)
        var w = FeatureWindow()
        for i in 0..<n {
            var features: [Feature] = [
                Feature("age", .number(40 + 10 * rng.gaussian() + shift)),
                Feature("plan", .string(["free", "pro", "team"][Int(rng.below(3))])),
                Feature("clicked", rng.unit() < nullShare ? .null : .bool(rng.unit() < 0.2)),
            ]
            if !dropIncome { features.append(Feature("income", .number(rng.unit() * 1000))) }
            if extra { features.append(Feature("device", .string("ios"))) }
            w.add(FeatureVector(features), prediction: .score(rng.unit()), eventTime: Int64(i), hash: HyperLogLog.mix(UInt64(i) &+ seed << 32))
        }
        return w
    }

    @Test func quietOnSameDistribution() {
        let report = DriftComparison.compare(reference: Self.window(3_000, seed: 1), current: Self.window(3_000, seed: 2))
        #expect(report.drifted.isEmpty, "\(report.drifted.map(\.subject))")
        #expect(report.schema.isEmpty)
        #expect(Set(report.rows.map(\.subject)) == ["age", "plan", "clicked", "income", "prediction"])
    }

    @Test func flagsShiftSchemaAndNulls() {
        let report = DriftComparison.compare(reference: Self.window(3_000, seed: 1),
                                             current: Self.window(3_000, seed: 2, shift: 5, nullShare: 0.3, extra: true, dropIncome: true))
        #expect(report.drifted.map(\.subject) == ["age"])
        let problems = Set(report.schema.map { "\($0.subject):\($0.problem.rawValue)" })
        #expect(problems == ["clicked:null_rate", "device:new", "income:missing"])
        let age = report.rows.first { $0.subject == "age" }!
        // The row's p-value is scipy's ks_2samp on the sampled values (all of them here).
        #expect(age.adjustedPValue <= age.pValue * Double(report.rows.count))
        #expect(age.psi! > 0.25)
    }

    @Test func smallWindowsAreInsufficientNotStable() {
        let report = DriftComparison.compare(reference: Self.window(50, seed: 1), current: Self.window(3_000, seed: 2, shift: 50))
        #expect(report.rows.allSatisfy { $0.verdict == .insufficient })
    }

    @Test func effectFloorKeepsTinySignificantShiftsQuiet() {
        // 0.05 σ shift over 10,000 values: significant, but D ≈ 0.02 < 0.1.
        var policy = DriftPolicy()
        policy.correction = .none
        let report = DriftComparison.compare(reference: Self.window(10_000, seed: 3), current: Self.window(10_000, seed: 4, shift: 0.5), policy: policy)
        let age = report.rows.first { $0.subject == "age" }!
        #expect(age.verdict == .stable)
        #expect(age.effect < 0.1)
    }

    @Test func hashSampleIsOrderIndependentAndMergeable() {
        var a = HashSample(capacity: 1_000), b = HashSample(capacity: 1_000)
        var parts = [HashSample(capacity: 1_000), HashSample(capacity: 1_000)]
        let items = (0..<10_000).map { (Double($0), HyperLogLog.mix(UInt64($0))) }
        for (x, h) in items { a.add(x, hash: h) }
        for (x, h) in items.reversed() { b.add(x, hash: h) }
        for (k, (x, h)) in items.enumerated() { parts[k % 2].add(x, hash: h) }
        parts[0].merge(parts[1])
        #expect(Set(a.values) == Set(b.values))
        #expect(Set(a.values) == Set(parts[0].values))
        #expect(a.count <= 1_000 && a.count > 400)
    }
}
