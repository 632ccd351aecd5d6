import Foundation
import Testing
import TidelineTestKit
@testable import Drift

/// `Fixtures/river_detectors.json`, written by `Benchmarks/peers/drift_reference.py` with River 0.26.
struct RiverDetectorFixtures: Decodable {
    struct Stream: Decodable {
        let kind: String, seed: UInt64, segments: [[Double]]
        var values: [Double] {
            kind == "binary"
                ? SyntheticSamples.bernoulliStream(seed: seed, segments: segments.map { (Int($0[0]), $0[1]) })
                : SyntheticSamples.numericStream(seed: seed, segments: segments.map { (Int($0[0]), Int($0[1]), Int($0[2])) })
        }
    }
    enum Parameter: Decodable {
        case number(Double), text(String)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
        }
        var number: Double { if case .number(let d) = self { return d }; return .nan }
        var text: String { if case .text(let s) = self { return s }; return "" }
    }
    struct Case: Decodable {
        let detector: String, parameters: [String: Parameter], stream: Stream, stream_name: String
        let drifts: [Int], warnings: [Int]?
    }
    let cases: [Case]

    static let shared: RiverDetectorFixtures = {
        let url = Bundle.module.url(forResource: "Fixtures/river_detectors", withExtension: "json")!
        return try! JSONDecoder().decode(RiverDetectorFixtures.self, from: Data(contentsOf: url))
    }()
}

extension RiverDetectorFixtures.Case: CustomTestStringConvertible {
    var testDescription: String { "\(detector) \(parameters.keys.sorted()) on \(stream_name)" }

    func makeDetector() throws -> any DriftDetector {
        func number(_ key: String, _ fallback: Double) -> Double { parameters[key]?.number ?? fallback }
        func int(_ key: String, _ fallback: Int) -> Int { parameters[key].map { Int($0.number) } ?? fallback }
        switch detector {
        case "ADWIN":
            return try ADWIN(delta: number("delta", 0.002), clock: int("clock", 32), maxBuckets: int("max_buckets", 5),
                             minWindowLength: int("min_window_length", 5), gracePeriod: int("grace_period", 10))
        case "DDM":
            return try DDM(warmStart: int("warm_start", 30), warningThreshold: number("warning_threshold", 2),
                           driftThreshold: number("drift_threshold", 3))
        case "EDDM":
            return try EDDM(warmStart: int("warm_start", 30), alpha: number("alpha", 0.95), beta: number("beta", 0.9))
        case "PageHinkley":
            return try PageHinkley(minInstances: int("min_instances", 30), delta: number("delta", 0.005),
                                   threshold: number("threshold", 50), alpha: number("alpha", 1 - 0.0001),
                                   mode: PageHinkley.Mode(rawValue: parameters["mode"]?.text ?? "both")!)
        case "KSWIN":
            return try KSWIN(alpha: number("alpha", 0.005), windowSize: int("window_size", 100),
                             statSize: int("stat_size", 30), seed: UInt64(int("seed", 42)))
        default:
            throw DetectorConfigurationError("detector", "unknown \(detector)")
        }
    }
}

@Suite struct RiverDetectorTests {
    @Test(arguments: RiverDetectorFixtures.shared.cases)
    func detectsAtRiversIndices(_ c: RiverDetectorFixtures.Case) throws {
        var detector = try c.makeDetector()
        var drifts: [Int] = [], warnings: [Int] = []
        for (i, x) in c.stream.values.enumerated() {
            detector.update(x)
            if detector.driftDetected { drifts.append(i) }
            if let w = detector as? any DriftAndWarningDetector, w.warningDetected { warnings.append(i) }
        }
        #expect(drifts == c.drifts)
        if let expected = c.warnings { #expect(warnings == expected) }
    }

    @Test func fixturesCoverEveryDetectorAndDrift() {
        let cases = RiverDetectorFixtures.shared.cases
        #expect(Set(cases.map(\.detector)) == ["ADWIN", "DDM", "EDDM", "PageHinkley", "KSWIN"])
        #expect(cases.filter { !$0.drifts.isEmpty }.count > 40, "fixtures must contain detections to compare")
    }
}
