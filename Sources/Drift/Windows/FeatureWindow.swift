public import Events

/// A window of events summarized per feature, plus the prediction as pseudo-feature `prediction`: what the
/// drift comparison tests against a reference window. Mergeable (partitions, time buckets). Value type; not
/// thread-safe.
public struct FeatureWindow: Sendable, Codable {
    /// Events in the window.
    public private(set) var count = 0
    /// Event-time range covered, epoch milliseconds (min and max seen).
    public private(set) var firstEventTime = Int64.max
    public private(set) var lastEventTime = Int64.min
    public private(set) var features: [String: FeatureStatistics] = [:]
    public private(set) var predictions: FeatureStatistics
    public let sampleCapacity: Int

    public init(sampleCapacity: Int = 10_000) {
        self.sampleCapacity = sampleCapacity
        predictions = FeatureStatistics(sampleCapacity: sampleCapacity)
    }

    /// Adds one event's features. `hash` identifies the event (a hash of its request id) for sampling.
    public mutating func add(_ vector: FeatureVector, prediction: PredictionValue?, eventTime: Int64, hash: UInt64) {
        count += 1
        firstEventTime = min(firstEventTime, eventTime)
        lastEventTime = max(lastEventTime, eventTime)
        for feature in vector {
            let capacity = sampleCapacity
            features[feature.name, default: FeatureStatistics(sampleCapacity: capacity)].add(feature.value, hash: hash)
        }
        switch prediction {
        case .score(let x)?: predictions.addNumber(x, hash: hash)
        case .label(let s)?: predictions.addCategory(s)
        case nil: break
        }
    }

    public mutating func merge(_ other: FeatureWindow) {
        count += other.count
        firstEventTime = min(firstEventTime, other.firstEventTime)
        lastEventTime = max(lastEventTime, other.lastEventTime)
        for (name, stats) in other.features {
            if features[name] == nil { features[name] = stats } else { features[name]!.merge(stats) }
        }
        predictions.merge(other.predictions)
    }
}

extension FeatureStatistics {
    public mutating func add(_ value: FeatureValue, hash: UInt64) {
        switch value {
        case .number(let x): addNumber(x, hash: hash)
        case .string(let s): addCategory(s)
        case .bool(let b): addCategory(b ? "true" : "false", isBoolean: true)
        case .null: addNull()
        }
    }
}
