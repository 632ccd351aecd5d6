import Foundation
import Statistics
import Testing
import TidelineTestKit

/// `tideline drift compare` on files: the report, its verdicts, JSON output and exit codes.
@Suite struct DriftCompareCommandTests {
    static let tideline = Subprocess.tidelineBinary

    /// Writes reference and current datasets: `age` shifts by 0.6 σ in the current one, `country` gains a new
    /// category, `score` is unchanged; the current lines are full prediction events, the reference lines bare
    /// feature objects (both forms are accepted).
    static func datasets() throws -> (URL, URL) {
        var rng = SplitMix64(seed: 17)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("drift-compare-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var reference = "", current = ""
        let countries = ["NL", "DE", "FR"]
        for _ in 0..<3_000 {
            reference += "{\"age\":\(40 + 10 * rng.gaussian()),\"country\":\"\(countries[Int(rng.below(3))])\",\"score\":\(rng.unit())}\n"
        }
        for i in 0..<2_000 {
            let country = rng.unit() < 0.3 ? "BE" : countries[Int(rng.below(3))]
            current += "{\"request_id\":\"r\(i)\",\"model\":\"m\",\"model_version\":\"1\",\"timestamp\":\(1_700_000_000_000 + i),"
                + "\"features\":{\"age\":\(46 + 10 * rng.gaussian()),\"country\":\"\(country)\",\"score\":\(rng.unit())},\"prediction\":0.5}\n"
        }
        let r = dir.appendingPathComponent("reference.jsonl"), c = dir.appendingPathComponent("current.jsonl")
        try reference.write(to: r, atomically: true, encoding: .utf8)
        try current.write(to: c, atomically: true, encoding: .utf8)
        return (r, c)
    }

    @Test func reportsTheDriftedFeaturesAndSchemaFindings() async throws {
        let (r, c) = try Self.datasets()
        let result = try await Subprocess.run(Self.tideline, ["drift", "compare", "--reference", r.path, "--current", c.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("drift: age, country"), "\(result.stdout)")
        #expect(result.stdout.contains("schema: country: unseen_categories"))
        let score = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("score") })
        #expect(score.contains("stable"))

        let gated = try await Subprocess.run(Self.tideline, ["drift", "compare", "--reference", r.path, "--current", c.path, "--fail-on-drift", "--format", "json"])
        #expect(gated.status == 3)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(gated.stdout.utf8)) as? [String: Any])
        let rows = try #require(json["rows"] as? [[String: Any]])
        let age = try #require(rows.first { $0["subject"] as? String == "age" })
        #expect(age["verdict"] as? String == "drift")
        #expect((age["p_value"] as? Double ?? 1) < 1e-10)
        #expect(json["reference_events"] as? Int == 3_000)
    }

    @Test func badInputAndFlagsAreNamed() async throws {
        let (r, _) = try Self.datasets()
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("drift-bad-\(UInt32.random(in: 0...UInt32.max)).jsonl")
        try "{\"age\": 1}\n{\"age\": [1]}\n".write(to: bad, atomically: true, encoding: .utf8)
        let invalid = try await Subprocess.run(Self.tideline, ["drift", "compare", "--reference", r.path, "--current", bad.path])
        #expect(invalid.status == 65)
        #expect(invalid.stderr.contains("\(bad.path):2:"), "\(invalid.stderr)")
        #expect(invalid.stderr.contains("features.age"), "\(invalid.stderr)")
        let flag = try await Subprocess.run(Self.tideline, ["drift", "compare", "--reference", r.path, "--current", r.path, "--min-ks", "1.5"])
        #expect(flag.status == 64)
        #expect(flag.stderr.contains("--min-ks"))
    }
}
