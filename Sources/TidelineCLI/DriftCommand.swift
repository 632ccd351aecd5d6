import ArgumentParser
import Drift
import Events
import Foundation
import Monitoring
import Statistics

/// `tideline drift`: ad-hoc drift checks on datasets.
struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Check datasets for drift by hand.",
        subcommands: [Compare.self])

    /// `tideline drift compare --reference A.jsonl --current B.jsonl`.
    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two JSON Lines datasets feature by feature (test, statistic, p-value, verdict).",
            discussion: """
                Each line is a prediction event (its features and prediction are compared) or a bare object of \
                feature name to value. Numeric features get the two-sample Kolmogorov–Smirnov test (PSI and \
                Wasserstein reported beside it), categorical ones chi-square (with Jensen–Shannon distance); p-values \
                are adjusted across features (Benjamini–Hochberg by default). A feature drifts when its adjusted \
                p-value is below --alpha and its effect (KS D, or JS distance) reaches the minimum. Schema findings \
                (missing, new, type changed, null rate, unseen categories) are listed after the table.
                Exit codes: 0 compared (drift or not, unless --fail-on-drift); 3 drift found with --fail-on-drift; \
                64 bad flag; 65 an unreadable or invalid line (its file, line and field are named).
                """)

        @Option(name: .long, help: "Reference dataset (JSON Lines).")
        var reference: String
        @Option(name: .long, help: "Current dataset (JSON Lines).")
        var current: String
        @Option(name: .long, help: "Output: table or json.")
        var format: OutputFormat = .table
        @Option(name: .long, help: "Significance level for adjusted p-values.")
        var alpha: Double = 0.01
        @Option(name: .long, help: "Minimum KS statistic D for numeric drift (0-1).")
        var minKs: Double = 0.1
        @Option(name: .long, help: "Minimum Jensen-Shannon distance for categorical drift (0-1).")
        var minJs: Double = 0.1
        @Option(name: .long, help: "Multiple-testing correction: bh, bonferroni or none.")
        var correction: CorrectionOption = .bh
        @Option(name: .long, help: "Values kept per feature and side for the tests (hash sample; exact KS up to 10000).")
        var sample: Int = 10_000
        @Flag(name: .long, help: "Exit 3 when any feature drifts or a schema problem is found.")
        var failOnDrift = false

        enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json }
        enum CorrectionOption: String, ExpressibleByArgument, CaseIterable {
            case bh, bonferroni, none
            var correction: DriftPolicy.Correction {
                switch self {
                case .bh: .benjaminiHochberg
                case .bonferroni: .bonferroni
                case .none: .none
                }
            }
        }

        func validate() throws {
            guard alpha > 0 && alpha < 1 else { throw ValidationError("--alpha: must be in (0, 1), got \(alpha)") }
            guard (0...1).contains(minKs) else { throw ValidationError("--min-ks: must be in [0, 1], got \(minKs)") }
            guard (0...1).contains(minJs) else { throw ValidationError("--min-js: must be in [0, 1], got \(minJs)") }
            guard sample >= 100 else { throw ValidationError("--sample: must be at least 100, got \(sample)") }
        }

        func run() async throws {
            var policy = DriftPolicy()
            policy.alpha = alpha
            policy.minimumKS = minKs
            policy.minimumJensenShannon = minJs
            policy.correction = correction.correction
            let referenceWindow: FeatureWindow, currentWindow: FeatureWindow
            do {
                referenceWindow = try Self.load(reference, sample: sample)
                currentWindow = try Self.load(current, sample: sample)
            } catch let error as DatasetError {
                FileHandle.standardError.write(Data("drift compare: \(error)\n".utf8))
                throw ExitCodes.dataError
            }
            let report = DriftComparison.compare(reference: referenceWindow, current: currentWindow, policy: policy)
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            case .table:
                print(Self.table(report, policy: policy))
            }
            if failOnDrift && (!report.drifted.isEmpty || !report.schema.isEmpty) { throw ExitCode(3) }
        }

        struct DatasetError: Error, CustomStringConvertible {
            let description: String
        }

        /// Reads a JSON Lines file into a window: prediction events, or bare feature objects.
        static func load(_ path: String, sample: Int) throws -> FeatureWindow {
            do { return try PredictionWindow.load(path: path, sampleCapacity: sample).features } catch let error as ReferenceDatasetError {
                throw DatasetError(description: error.description)
            }
        }

        static func table(_ report: DriftReport, policy: DriftPolicy) -> String {
            func number(_ x: Double) -> String {
                if x == 0 { return "0" }
                if abs(x) < 1e-3 || abs(x) >= 1e5 {
                    let exponent = Int((log10(abs(x))).rounded(.down))
                    let mantissa = x / pow(10, Double(exponent))
                    return "\((mantissa * 100).rounded() / 100)e\(exponent)"
                }
                return String((x * 10_000).rounded() / 10_000)
            }
            var lines: [[String]] = [["subject", "type", "test", "statistic", "p_value", "adj_p", "effect", "min", "verdict", "psi", "detail"]]
            for r in report.rows {
                lines.append([r.subject, r.type, r.test, number(r.statistic), number(r.pValue), number(r.adjustedPValue),
                              number(r.effect), number(r.effectThreshold), r.verdict.rawValue, r.psi.map(number) ?? "-", r.detail])
            }
            let widths = (0..<lines[0].count).map { c in lines.map { $0[c].count }.max() ?? 0 }
            var out = "reference: \(report.referenceEvents) events, current: \(report.currentEvents) events; "
                + "drift = adjusted p < \(policy.alpha) (\(policy.correction.rawValue)) and effect >= min\n"
            for line in lines {
                out += line.enumerated().map { i, cell in i == line.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ") + "\n"
            }
            let drifted = report.drifted.map(\.subject)
            out += drifted.isEmpty ? "no drift\n" : "drift: \(drifted.joined(separator: ", "))\n"
            for f in report.schema { out += "schema: \(f.subject): \(f.problem.rawValue): \(f.detail)\n" }
            return out
        }
    }
}

