public import Events
import Foundation
import Statistics

/// Prediction streams for monitor tests: 5-minute windows of `perWindow` predictions spread over 4 partitions.
public struct MonitorScenario: Sendable {
    public var windows = 20
    public var perWindow = 1_000
    public var seed: UInt64 = 1
    /// Windows (by index) in which `age` is shifted by +1 σ.
    public var ageShift: Range<Int> = 0..<0
    /// Windows in which `income` is absent.
    public var incomeMissing: Range<Int> = 0..<0
    /// Windows in which only 3 items are shown.
    public var narrowItems: Range<Int> = 0..<0

    public init(windows: Int = 20, perWindow: Int = 1_000, seed: UInt64 = 1, ageShift: Range<Int> = 0..<0,
                incomeMissing: Range<Int> = 0..<0, narrowItems: Range<Int> = 0..<0) {
        self.windows = windows; self.perWindow = perWindow; self.seed = seed; self.ageShift = ageShift
        self.incomeMissing = incomeMissing; self.narrowItems = narrowItems
    }
    public static let windowMs: Int64 = 5 * 60_000
    public static let start: Int64 = 1_700_000_000_000 / windowMs * windowMs

    /// (partition, event) in partition-major arrival order within each window.
    public func predictions() -> [(Int32, PredictionEvent)] {
        var rng = SplitMix64(seed: seed)
        var out: [(Int32, PredictionEvent)] = []
        for w in 0..<windows {
            for i in 0..<perWindow {
                let t = Self.start + Int64(w) * Self.windowMs + Int64(i) * Self.windowMs / Int64(perWindow)
                let age = 40 + 10 * rng.gaussian() + (ageShift.contains(w) ? 10 : 0)
                var features: [Feature] = [
                    Feature("age", .number(age)),
                    Feature("plan", .string(["free", "pro", "team"][Int(rng.below(3))])),
                ]
                if !incomeMissing.contains(w) { features.append(Feature("income", .number(rng.unit() * 1000))) }
                let score = 1 / (1 + Foundation.exp(-(age - 40) / 10))
                let item = narrowItems.contains(w) ? "item-\(rng.below(3))" : "item-\(rng.below(500))"
                let id = "r\(w)-\(i)"
                let p = PredictionEvent(requestID: id, model: "m", modelVersion: "1", timestamp: EventTime(milliseconds: t),
                                        features: FeatureVector(features), prediction: .score(score), itemID: item)
                out.append((Int32(HyperLogLog.hash(id) % 4), p))
            }
        }
        return out
    }
}


