public import Events
import Foundation
import Statistics

/// The synthetic traffic's random source: `Statistics.SplitMix64`, with the Box–Muller variant the traffic has
/// always used (so a seed keeps producing the same events). Same seed, same sequence, on every platform.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var core: SplitMix64

    public init(seed: UInt64) { core = SplitMix64(seed: seed) }

    public mutating func next() -> UInt64 { core.next() }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double { core.unit() }

    /// A standard normal variate (Box–Muller).
    public mutating func gaussian() -> Double {
        let u1 = Swift.max(unit(), 1e-300)
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// Deterministic synthetic traffic: predictions from a logistic ground truth over 6 numeric and 2
/// categorical features, and labels drawn from that truth with random delays (some never arrive).
///
/// Used by the demo, the benchmarks and the tests. Same seed, same events.
public struct SyntheticTraffic: Sendable {
    public var model: String
    public var modelVersion: String
    /// Event time of the first prediction.
    public var start: EventTime
    /// Milliseconds between consecutive predictions (fractional for rates above 1,000 per second: prediction `i`
    /// is at `start + ⌊i × interval⌋`).
    public var intervalMilliseconds: Double
    /// Share of predictions that never get a label.
    public var missingLabelRate: Double
    /// Mean label delay in milliseconds (exponential).
    public var meanLabelDelayMilliseconds: Double
    /// From this prediction index on, the world changes under the served model: feature `x0` shifts by +1.5 and
    /// the true click weights of `x0`…`x5` flip sign, while the served scores still follow the old weights (a
    /// feature drift the monitor can see and a concept drift only retraining can fix). nil: no drift.
    public var driftAtIndex: Int?
    private var rng: SeededGenerator
    private var index = 0

    public init(seed: UInt64, model: String = "ctr", modelVersion: String = "1", start: EventTime = EventTime(milliseconds: 1_767_225_600_000),
                intervalMilliseconds: Double = 10, missingLabelRate: Double = 0.1, meanLabelDelayMilliseconds: Double = 5_000) {
        self.rng = SeededGenerator(seed: seed)
        self.model = model
        self.modelVersion = modelVersion
        self.start = start
        self.intervalMilliseconds = intervalMilliseconds
        self.missingLabelRate = missingLabelRate
        self.meanLabelDelayMilliseconds = meanLabelDelayMilliseconds
    }

    static let weights: [Double] = [0.8, -0.5, 0.3, 1.2, -0.9, 0.4]
    static let countries = ["us", "de", "fr", "br", "in", "jp"]
    static let devices = ["ios", "android", "web"]

    /// The next prediction and, unless it is one of the missing ones, its label.
    public mutating func next() -> (prediction: PredictionEvent, label: LabelEvent?) { next(servedBy: nil) }

    /// A model serving the traffic in place of the built-in one: its version and its score (probability of a click)
    /// for a prediction's features.
    public typealias ServedModel = (version: String, score: (FeatureVector) -> Double)

    /// The next prediction scored by `served` (the built-in model when nil) and, unless it is one of the missing
    /// ones, its label. The features and labels do not depend on the served model: the same seed gives the same
    /// world whatever serves it.
    public mutating func next(servedBy served: ServedModel?) -> (prediction: PredictionEvent, label: LabelEvent?) {
        let i = index
        index += 1
        var features: [Feature] = []
        features.reserveCapacity(8)
        let drifted = driftAtIndex.map { i >= $0 } ?? false
        var z = -0.5, truth = -0.5
        for (k, w) in Self.weights.enumerated() {
            var x = (rng.gaussian() * 1000).rounded() / 1000
            if drifted && k == 0 { x += 1.5 }
            z += w * x
            truth += (drifted ? -w : w) * x
            features.append(Feature("x\(k)", .number(x)))
        }
        let country = Self.countries[Int(rng.next() % UInt64(Self.countries.count))]
        let device = Self.devices[Int(rng.next() % UInt64(Self.devices.count))]
        if device == "ios" { z += 0.3; truth += 0.3 }
        features.append(Feature("country", .string(country)))
        features.append(Feature("device", .string(device)))
        let p = 1 / (1 + exp(-z))
        let time = EventTime(milliseconds: start.milliseconds + Int64((Double(i) * intervalMilliseconds).rounded(.down)))
        let requestID = "req-\(i)"
        let vector = FeatureVector(features)
        let served = served.map { ($0.version, $0.score(vector)) } ?? (modelVersion, p)
        let prediction = PredictionEvent(
            requestID: requestID, model: model, modelVersion: served.0, timestamp: time, features: vector,
            prediction: .score((served.1 * 10_000).rounded() / 10_000), entityID: "user-\(rng.next() % 1000)", itemID: "item-\(rng.next() % 200)")
        let clicked = rng.unit() < (drifted ? 1 / (1 + exp(-truth)) : p)
        let missing = rng.unit() < missingLabelRate
        let delay = Int64(-meanLabelDelayMilliseconds * log(Swift.max(rng.unit(), 1e-12)))
        if missing { return (prediction, nil) }
        let label = LabelEvent(requestID: requestID, timestamp: EventTime(milliseconds: time.milliseconds + delay), label: .bool(clicked),
                               model: model, source: "click")
        return (prediction, label)
    }

    /// The next labeled example as the join would emit it: the prediction with its label, or an implicit negative
    /// (`false`, no label time) when the label never comes. The event id is `ex-<request id>`.
    public mutating func nextExample() -> LabeledExample {
        let (p, label) = next()
        return LabeledExample(eventID: "ex-\(p.requestID)", requestID: p.requestID, model: p.model, modelVersion: p.modelVersion,
                              entityID: p.entityID, itemID: p.itemID, features: p.features, prediction: p.prediction,
                              label: label?.label ?? .bool(false), labelKind: label == nil ? .implicit : .observed,
                              predictionTime: p.timestamp, labelTime: label?.timestamp)
    }
}
