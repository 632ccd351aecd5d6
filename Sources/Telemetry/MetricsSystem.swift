import CoreMetrics
import Foundation
public import Prometheus

/// Installs the Prometheus backend for swift-metrics once per process and exposes its text format.
///
/// Every `Counter`, `Gauge` and `Timer` created through swift-metrics anywhere in Tideline (Kafka layer,
/// codec, stages) lands in `registry` and is served by `MetricsServer` on `/metrics`.
public enum MetricsSystem {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var bootstrapped: PrometheusCollectorRegistry?

    /// The registry, bootstrapping swift-metrics with it on first use. Safe to call many times.
    @discardableResult
    public static func bootstrap() -> PrometheusCollectorRegistry {
        lock.lock()
        defer { lock.unlock() }
        if let bootstrapped { return bootstrapped }
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50),
            .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        // Label delays run from sub-second clicks to day-long purchases; record ages from milliseconds to hours.
        factory.durationHistogramBuckets["tideline_join_label_delay_seconds"] = [
            .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
            .seconds(300), .seconds(900), .seconds(1800), .seconds(3600), .seconds(21_600), .seconds(86_400),
        ]
        factory.durationHistogramBuckets["tideline_stage_record_age_seconds"] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
        ]
        MetricsSystemBootstrap.install(factory)
        bootstrapped = registry
        return registry
    }

    /// The current metrics in Prometheus text exposition format.
    public static func exposition() -> String {
        var buffer: [UInt8] = []
        bootstrap().emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

enum MetricsSystemBootstrap {
    static func install(_ factory: PrometheusMetricsFactory) {
        CoreMetrics.MetricsSystem.bootstrap(factory)
    }
}
