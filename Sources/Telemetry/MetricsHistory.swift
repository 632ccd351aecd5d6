import Foundation

/// The last `capacity` readings of every series in the metrics registry, for the dashboard's charts.
///
/// Each `record` takes one reading of the same text `/metrics` serves (histogram `_bucket` series are left out;
/// their `_sum` and `_count` stay), so a chart and a scrape never disagree. Thread-safe.
public final class MetricsHistory: @unchecked Sendable {
    /// One series over the readings kept: `values[i]` was read at `times[i]` (nil: the series did not exist yet).
    public struct Series: Sendable, Hashable, Codable {
        public var name: String
        public var labels: [String: String]
        public var values: [Double?]
    }

    /// Readings after a point in time.
    public struct Window: Sendable, Codable {
        /// Unix time of each reading, milliseconds.
        public var times: [Int64]
        public var series: [Series]
    }

    public let capacity: Int
    private let lock = NSLock()
    private var times: [Int64] = []
    private var series: [String: Series] = [:]

    /// Keeps `capacity` readings (at one reading every 2 s, 600 is 20 minutes).
    public init(capacity: Int = 600) {
        precondition(capacity > 0, "MetricsHistory capacity must be positive")
        self.capacity = capacity
    }

    /// Reads the registry now.
    public func record() {
        record(exposition: MetricsSystem.exposition(), at: Int64(Date().timeIntervalSince1970 * 1000))
    }

    /// Adds one reading of `exposition` (Prometheus text) taken at `time` (Unix milliseconds).
    public func record(exposition: String, at time: Int64) {
        let samples = PrometheusText.parse(exposition).filter { !$0.name.hasSuffix("_bucket") }
        lock.withLock {
            let index = times.count
            times.append(time)
            for sample in samples {
                let key = sample.seriesKey
                var s = series[key] ?? Series(name: sample.name, labels: Dictionary(sample.labels.map { ($0.name, $0.value) }) { a, _ in a },
                                              values: Array(repeating: nil, count: index))
                if s.values.count < index { s.values += Array(repeating: nil, count: index - s.values.count) }
                s.values.append(sample.value.isFinite ? sample.value : nil)
                series[key] = s
            }
            for key in series.keys where series[key]!.values.count <= index { series[key]!.values.append(nil) }
            if times.count > capacity {
                let drop = times.count - capacity
                times.removeFirst(drop)
                for key in series.keys {
                    series[key]!.values.removeFirst(drop)
                    if series[key]!.values.allSatisfy({ $0 == nil }) { series.removeValue(forKey: key) }
                }
            }
        }
    }

    /// Readings taken after `after` (Unix milliseconds; nil: all), series sorted by key.
    public func window(after: Int64? = nil) -> Window {
        lock.withLock {
            let start = after.map { t in times.firstIndex { $0 > t } ?? times.count } ?? 0
            let kept = series.sorted { $0.key < $1.key }.map { _, s in
                Series(name: s.name, labels: s.labels, values: Array(s.values[start...]))
            }
            return Window(times: Array(times[start...]), series: kept.filter { $0.values.contains { $0 != nil } })
        }
    }
}
