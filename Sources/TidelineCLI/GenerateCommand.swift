import ArgumentParser
import Events
import Foundation
import Pipeline

/// `tideline generate`: writes a synthetic prediction and label log (JSON Lines) for backtests and trials.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a synthetic log: predictions.jsonl and labels.jsonl (labels in the order they are observed), optionally with a drift.",
        discussion: """
            Model ctr, 6 numeric features x0…x5 and 2 categorical ones (country, device); clicks follow a logistic \
            truth; labels come after a random delay (exponential), some never. With --drift-at N, from the Nth \
            prediction on x0 shifts by +1.5 and the truth's weights flip sign while the served scores do not: a \
            feature drift the monitor sees and a concept drift only retraining fixes.
            """
    )

    @Option(name: .long, help: "Number of predictions.")
    var events: Int = 100_000
    @Option(name: .long, help: "Event-time milliseconds between predictions.")
    var intervalMs: Int64 = 1_000
    @Option(name: .long, help: "Index of the first drifted prediction (default: no drift).")
    var driftAt: Int?
    @Option(name: .long, help: "Mean label delay in seconds.")
    var labelDelay: Double = 60
    @Option(name: .long, help: "Share of predictions that never get a label.")
    var missingLabels: Double = 0.1
    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 7
    @Option(name: .long, help: "Directory for predictions.jsonl and labels.jsonl.")
    var output: String = "."

    func validate() throws {
        guard (1...50_000_000).contains(events) else { throw ValidationError("--events: must be between 1 and 50000000") }
        guard intervalMs >= 1 else { throw ValidationError("--interval-ms: must be at least 1") }
        if let driftAt, !(0..<events).contains(driftAt) { throw ValidationError("--drift-at: must be between 0 and --events − 1") }
        guard labelDelay >= 0 else { throw ValidationError("--label-delay: must not be negative") }
        guard (0...1).contains(missingLabels) else { throw ValidationError("--missing-labels: must be between 0 and 1") }
    }

    func run() throws {
        var traffic = SyntheticTraffic(seed: seed, intervalMilliseconds: Double(intervalMs), missingLabelRate: missingLabels,
                                       meanLabelDelayMilliseconds: labelDelay * 1000)
        traffic.driftAtIndex = driftAt
        var predictions: [UInt8] = [], labels: [(Int64, Int, [UInt8])] = []
        for i in 0 ..< events {
            let (p, l) = traffic.next()
            predictions += p.encoded()
            predictions.append(UInt8(ascii: "\n"))
            if let l { labels.append((l.timestamp.milliseconds, i, l.encoded() + [UInt8(ascii: "\n")])) }
        }
        labels.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try Data(predictions).write(to: URL(fileURLWithPath: output + "/predictions.jsonl"))
            try Data(labels.flatMap(\.2)).write(to: URL(fileURLWithPath: output + "/labels.jsonl"))
        } catch {
            printError("cannot write to \(output): \(error)")
            throw ExitCodes.runtimeFailure
        }
        print("wrote \(events) predictions and \(labels.count) labels to \(output)/predictions.jsonl and \(output)/labels.jsonl")
    }
}
