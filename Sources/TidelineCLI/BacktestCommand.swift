import ArgumentParser
import Backtest
import Foundation
import Monitoring
import TidelineConfig
import Training

/// `tideline backtest`: runs the pipeline's operators (join → monitor → train) over exported event logs on event
/// time only, once per sweep configuration, and writes `report.json` and `report.html`.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay exported predictions and labels through join, monitor and train, per sweep configuration; write report.json and report.html.",
        discussion: """
            Events are read in event-time order (then predictions before labels, then request id), so two runs over \
            the same files give byte-identical reports. Each --sweep adds an axis; every combination runs over the \
            same events. Keys: a dotted config path (models.ctr.train.batch_size, monitor.defaults.window; * matches \
            every key at its level), trainer.KEY (= models.*.train.KEY), or trigger=volume:N|time:DURATION|drift|never \
            (replaces each trained model's triggers with that one schedule).
            Example: tideline backtest --config tideline.yaml --input predictions.jsonl --input labels.jsonl \
            --sweep trainer.batch_size=512,1024 --sweep trigger=volume:1024,time:1h,never
            """
    )

    @Option(name: .long, help: "Configuration file (models, join, monitor and train sections).")
    var config: String?
    @Option(name: .long, help: "A JSON Lines file of prediction or label events; prefix predictions: or labels: to say which (repeatable).")
    var input: [String] = []
    @OptionGroup var options: BacktestRunOptions

    func validate() throws {
        if input.isEmpty { throw ValidationError("--input: give at least one JSON Lines file of predictions or labels") }
    }

    func run() throws {
        let resolved = try options.resolve(configPath: config)
        let contents: EventLogFile.Contents
        do { contents = try EventLogFile.read(input) } catch {
            printError("\(error)")
            throw ExitCodes.dataError
        }
        try options.execute(contents, input: BacktestReport.Input(sources: input), configurations: resolved)
    }
}

/// What `tideline backtest` and `tideline replay` share: sweeps, the report, the progress bar.
struct BacktestRunOptions: ParsableArguments {
    @Option(name: .long, help: "A sweep axis key=value1,value2,… (repeatable).")
    var sweep: [String] = []
    @Option(name: .long, help: "Directory for report.json and report.html.")
    var output: String = "backtest-report"
    @Option(name: .long, help: "Width of the report's event-time buckets (e.g. 10m, 1h); default: about 60 buckets over the input.")
    var bucket: String?
    @Flag(name: .long, help: "Do not run the monitor (no alerts, no drift trigger).")
    var noMonitor = false
    @Flag(name: .long, help: "No progress bar.")
    var quiet = false

    func validate() throws {
        if let bucket, Self.milliseconds(bucket) == nil { throw ValidationError("--bucket: \"\(bucket)\" is not a duration such as 30s, 10m, 1h or 1d") }
    }

    /// The `--bucket` width in ms (positive), or nil.
    static func milliseconds(_ text: String) -> Int64? { DurationText.milliseconds(text).flatMap { $0 > 0 ? $0 : nil } }

    /// The configuration file with each sweep combination applied. Exits 78 naming the field on a bad one.
    func resolve(configPath config: String?) throws -> [(BacktestSweep.Configuration, TidelineConfiguration)] {
        let yaml: String
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                printError("configuration error: \(config): cannot read the configuration file")
                throw ExitCodes.configError
            }
            yaml = String(decoding: data, as: UTF8.self)
        } else {
            yaml = ""
        }
        let configurations: [BacktestSweep.Configuration]
        var resolved: [(BacktestSweep.Configuration, TidelineConfiguration)] = []
        do {
            configurations = try BacktestSweep(sweep).configurations()
            for c in configurations {
                resolved.append((c, try TidelineConfiguration.parse(yaml, file: config ?? "(no --config)", overrides: c.overrides)))
            }
        } catch {
            printError("configuration error: \(error)")
            throw ExitCodes.configError
        }
        return resolved
    }

    /// Runs every configuration over `contents`, writes the report and returns each configuration's result
    /// (with its labeled examples when `keepExamples`).
    @discardableResult
    func execute(_ contents: EventLogFile.Contents, input: BacktestReport.Input,
                 configurations resolved: [(BacktestSweep.Configuration, TidelineConfiguration)], keepExamples: Bool = false) throws -> [BacktestResult] {
        var results: [BacktestResult] = []
        for m in contents.malformed.prefix(5) { printError("\(m.file):\(m.line): skipped: \(m.error)") }
        if contents.malformed.count > 5 { printError("… \(contents.malformed.count - 5) more malformed lines (listed in report.json)") }

        var input = input
        for e in contents.events { if case .prediction = e.payload { input.predictions += 1 } else { input.labels += 1 } }
        input.malformedCount = contents.malformed.count
        input.malformed = Array(contents.malformed.prefix(100))
        let times = contents.events.map(\.time)
        let span = (times.max() ?? 0) - (times.min() ?? 0)
        var report = BacktestReport(input: input, bucketMilliseconds: bucket.flatMap(Self.milliseconds) ?? BacktestReport.bucket(forSpan: span),
                                    firstEventTime: times.min(), lastEventTime: times.max())
        let showProgress = !quiet && isatty(2) != 0
        for (index, (sweep, config)) in resolved.enumerated() {
            let references: [String: PredictionWindow]
            do { references = try config.monitorConfiguration.loadReferences(models: config.models.map(\.name)) } catch {
                printError("configuration error: monitor reference snapshot: \(error)")
                throw ExitCodes.configError
            }
            var tasks: [String: LearningTask] = [:]
            for m in config.models { tasks[m.name] = m.task == .regression ? .regression : .binaryClassification }
            var setup = BacktestSetup(join: config.joinConfiguration, monitor: config.monitorConfiguration, references: references,
                                      trainers: config.trainConfigurations, tasks: tasks, monitoring: !noMonitor)
            setup.keepExamples = keepExamples
            let label = "[\(index + 1)/\(resolved.count)] \(sweep.name)"
            let result: BacktestResult
            do {
                result = try BacktestPipeline(setup: setup).run(contents.events) { done, total in
                    guard showProgress else { return }
                    let width = 30, filled = total > 0 ? done * width / total : width
                    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
                    FileHandle.standardError.write(Data("\r\(label) \(bar) \(done)/\(total) events".utf8))
                }
            } catch {
                printError("\n\(label): \(error)")
                throw ExitCodes.runtimeFailure
            }
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
            report.add(result, name: sweep.name, overrides: sweep.assignments)
            results.append(result)
            var out = StandardOutput()
            for m in report.configurations.last!.models {
                let served = m.served.map { String(format: "%.4f", $0) } ?? "-", champion = m.champion.map { String(format: "%.4f", $0) } ?? "-"
                out.line("\(sweep.name): \(m.model) \(m.metric) served=\(served) champion=\(champion) (\(m.championExamples)/\(m.examples) scored) retrains=\(m.retrains) promoted=\(m.promoted) rejected=\(m.rejected) rollbacks=\(m.rollbacks) alerts=\(report.configurations.last!.alerts.filter { $0.status == "firing" && $0.model == m.model }.count)")
            }
            out.flush()
        }
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try report.json().write(to: URL(fileURLWithPath: output + "/report.json"))
            try Data(BacktestHTML.render(report).utf8).write(to: URL(fileURLWithPath: output + "/report.html"))
        } catch {
            printError("cannot write the report to \(output): \(error)")
            throw ExitCodes.runtimeFailure
        }
        var out = StandardOutput()
        out.line("report: \(output)/report.json \(output)/report.html")
        out.flush()
        return results
    }
}
