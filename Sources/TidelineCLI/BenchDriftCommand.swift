import ArgumentParser
import Drift
import Foundation
import Statistics

/// `tideline bench drift`: the change detectors' update rate and the two-sample KS test's latency, on inputs it
/// can write for the Python peer (River, scipy) to read, so both measure the same data in the same run.
struct BenchDrift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Benchmark drift detectors (updates/s) and the KS test (ms per 2 x n). Prints JSON lines.")

    @Option(name: .long, help: "Values in the detector stream.")
    var updates: Int = 10_000_000
    @Option(name: .long, help: "Size of each KS sample.")
    var ksSize: Int = 10_000
    @Option(name: .long, help: "KS tests to time (the median is reported).")
    var ksRepeats: Int = 300
    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 42
    @Option(name: .long, help: "Write the detector stream here (float64, little-endian) for the peer.")
    var writeStream: String?
    @Option(name: .long, help: "Write the two KS samples here (float64, little-endian, first then second) for the peer.")
    var writeSamples: String?

    func validate() throws {
        guard updates >= 1 else { throw ValidationError("--updates: must be at least 1") }
        guard ksSize >= 1 else { throw ValidationError("--ks-size: must be at least 1") }
        guard ksRepeats >= 1 else { throw ValidationError("--ks-repeats: must be at least 1") }
    }

    /// Errors (1) and successes (0) with an error rate that alternates between 0.2 and 0.4 every 1 M values,
    /// so detectors detect, reset and continue as they would in production.
    static func errorStream(count: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let p = (i / 1_000_000) % 2 == 0 ? 0.2 : 0.4
            return rng.unit() < p ? 1 : 0
        }
    }

    func run() async throws {
        let stream = Self.errorStream(count: updates, seed: seed)
        if let writeStream { try write(stream, to: writeStream) }
        func time<D: DriftDetector>(_ name: String, _ make: () throws -> D, limit: Int = .max, note: String) throws {
            let stream = stream.count > limit ? Array(stream[0..<limit]) : stream
            var best = Double.infinity
            var detections = 0
            for _ in 0..<3 {
                let (seconds, found) = try Self.measure(make(), stream)
                if seconds < best { best = seconds; detections = found }
            }
            BenchCommand.report(name, count: stream.count, seconds: best, bytes: 0,
                                extra: [("detections", .number(Double(detections))), ("note", .string(note))])
        }
        try time("drift-adwin", { try ADWIN(delta: 0.002) }, note: "ADWIN(delta=0.002, clock=32), error stream 0.2/0.4 alternating every 1M")
        try time("drift-ddm", { try DDM() }, note: "DDM defaults")
        try time("drift-page-hinkley", { try PageHinkley() }, note: "PageHinkley defaults")
        try time("drift-kswin", { try KSWIN(seed: 42) }, limit: 1_000_000, note: "KSWIN(alpha=0.005, window 100, stat 30, seed 42), first 1M values")

        var rng = SplitMix64(seed: seed &+ 1)
        let a = (0..<ksSize).map { _ in rng.gaussian() }
        let b = (0..<ksSize).map { _ in rng.gaussian() * 1.05 + 0.02 }
        if let writeSamples { try write(a + b, to: writeSamples) }
        var times: [Double] = []
        var result = KolmogorovSmirnov.test(a, b)
        for _ in 0..<ksRepeats {
            let start = ContinuousClock.now
            result = KolmogorovSmirnov.test(a, b)
            times.append((ContinuousClock.now - start).seconds)
        }
        times.sort()
        let median = times[times.count / 2]
        BenchCommand.report("drift-ks-2samp", count: ksRepeats, seconds: times.reduce(0, +), bytes: 0, extra: [
            ("n", .number(Double(ksSize))), ("median_ms", .number((median * 1e6).rounded() / 1e3)),
            ("min_ms", .number((times[0] * 1e6).rounded() / 1e3)),
            ("statistic", .number(result.statistic)), ("p_value", .number(result.pValue)),
            ("method", .string(result.method.rawValue)),
            ("note", .string("two unsorted samples of n, sort included, method auto (exact at n <= 10000)")),
        ])
    }

    /// One timed pass; specialized per detector type so that `update` is a direct, inlinable call.
    @_specialize(where D == ADWIN)
    @_specialize(where D == DDM)
    @_specialize(where D == PageHinkley)
    @_specialize(where D == KSWIN)
    @inline(never)
    static func measure<D: DriftDetector>(_ detector: D, _ stream: [Double]) -> (Double, Int) {
        var detector = detector
        var found = 0
        let start = ContinuousClock.now
        stream.withUnsafeBufferPointer { values in
            for x in values {
                detector.update(x)
                if detector.driftDetected { found += 1 }
            }
        }
        return ((ContinuousClock.now - start).seconds, found)
    }

    private func write(_ values: [Double], to path: String) throws {
        let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
