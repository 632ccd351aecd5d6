import Foundation
import Testing
import TidelineTestKit
@testable import Drift

/// The conformance suite every detector passes: a snapshot taken mid-stream and restored continues exactly as
/// the uninterrupted detector does, and bad parameters are refused with the parameter named.
@Suite struct DetectorSnapshotTests {
    static func detectors() throws -> [any DriftDetector] {
        [try ADWIN(), try ADWIN(delta: 0.1, clock: 1), try DDM(), try EDDM(), try PageHinkley(), try KSWIN(seed: 3)]
    }

    @Test func snapshotRestoreContinuesIdentically() throws {
        let stream = SyntheticSamples.bernoulliStream(seed: 11, segments: [(3000, 0.1), (3000, 0.4)])
        for original in try Self.detectors() {
            func run<D: DriftDetector>(_ d: D) throws -> ([Int], [Int]) {
                var straight = d
                var interrupted = d
                var a: [Int] = [], b: [Int] = []
                for (i, x) in stream.enumerated() {
                    straight.update(x)
                    if straight.driftDetected { a.append(i) }
                    if i % 997 == 0 {
                        let bytes = try DetectorState.snapshot(interrupted)
                        interrupted = try DetectorState.restore(D.self, from: bytes)
                    }
                    interrupted.update(x)
                    if interrupted.driftDetected { b.append(i) }
                }
                return (a, b)
            }
            let (a, b) = try run(original)
            #expect(a == b, "\(type(of: original))")
            #expect(!a.isEmpty, "\(type(of: original)) should detect the jump from 10 % to 40 % errors")
        }
    }

    @Test func badParametersNameTheParameter() {
        #expect(throws: DetectorConfigurationError("delta", "must be in (0, 1), got 2.0")) { try ADWIN(delta: 2) }
        #expect((try? KSWIN(windowSize: 10, statSize: 10)) == nil)
        #expect((try? EDDM(alpha: 0.5, beta: 0.9)) == nil)
        #expect((try? PageHinkley(threshold: 0)) == nil)
    }
}
