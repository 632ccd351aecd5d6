import ArgumentParser
import Foundation
import Kafka
import Logging
import Telemetry
import TidelineConfig

/// Options every command that talks to Kafka accepts.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (YAML). Flags override it.")
    var config: String?

    @Option(name: .long, help: "Kafka bootstrap servers, host:port[,host:port…]. Overrides kafka.brokers.")
    var brokers: String?

    @Option(name: .long, help: "Topic name prefix. Overrides kafka.topic_prefix.")
    var topicPrefix: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    @Option(name: .long, help: "Log format on standard error: text, or json (one object per line, metadata as keys).")
    var logFormat: String = "text"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
        guard ["text", "json"].contains(logFormat) else {
            throw ValidationError("--log-format: \"\(logFormat)\" is not one of text, json")
        }
        if let brokers {
            for b in brokers.split(separator: ",") where !b.contains(":") {
                throw ValidationError("--brokers: \"\(b)\" is not host:port")
            }
        }
    }

    /// The configuration file (if any) with flags applied. Exits 78 with the field named on a bad file.
    func resolve() throws -> TidelineConfiguration {
        var configuration = TidelineConfiguration()
        if let config {
            do { configuration = try TidelineConfiguration.load(path: config) } catch {
                printError("configuration error: \(error)")
                throw ExitCodes.configError
            }
        }
        if let brokers { configuration.kafka.brokers = brokers.split(separator: ",").map(String.init) }
        if let topicPrefix { configuration.kafka.topicPrefix = topicPrefix }
        return configuration
    }

    /// A logger at `--log-level` in `--log-format`, writing to standard error.
    func logger(_ label: String) -> Logger {
        var logger = logFormat == "json" ? Logger(label: label) { JSONLogHandler(label: $0) } : Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        return logger
    }
}

/// Where the topic definitions live.
struct TopicsDirectoryOption: ParsableArguments {
    @Option(name: .long, help: "Directory of topic definitions (default: ./topics, or the one beside the binary's repository).")
    var topicsDir: String?

    func load() throws -> TopicCatalog {
        let candidates = topicsDir.map { [$0] } ?? Self.defaultCandidates()
        var lastError: (any Error)?
        for dir in candidates {
            do { return try TopicCatalog.load(directory: dir) } catch { lastError = error }
        }
        printError("topics error: \(lastError.map { "\($0)" } ?? "no topics directory")")
        throw ExitCodes.configError
    }

    static func defaultCandidates() -> [String] {
        var out = ["topics"]
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            out.append(url.appendingPathComponent("topics").path)
            url.deleteLastPathComponent()
        }
        return out
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Buffered writes to standard output.
struct StandardOutput {
    private var buffer: [UInt8] = []

    mutating func write(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func line(_ text: String) {
        write(text.utf8)
        buffer.append(0x0A)
    }

    mutating func flush() {
        if buffer.isEmpty { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Resolves when the process receives SIGINT or SIGTERM.
enum TerminationSignal {
    static func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let box = SignalBox(continuation)
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { box.fire(sig) }
                source.resume()
                box.sources.append(source)
            }
        }
    }

    final class SignalBox: @unchecked Sendable {
        var sources: [any DispatchSourceSignal] = []
        private var continuation: CheckedContinuation<Int32, Never>?
        private let lock = NSLock()
        init(_ c: CheckedContinuation<Int32, Never>) { continuation = c }
        func fire(_ sig: Int32) {
            lock.lock()
            let c = continuation
            continuation = nil
            lock.unlock()
            c?.resume(returning: sig)
        }
    }
}

/// The event contract for a topic's base name.
enum TopicContract: String, CaseIterable {
    case predictions, labels, labeledExamples = "labeled-examples", modelUpdates = "model-updates", alerts

    static func named(_ base: String) throws -> TopicContract {
        guard let c = TopicContract(rawValue: base) else {
            throw ValidationError("--topic: \"\(base)\" is not one of \(allCases.map(\.rawValue).joined(separator: ", ")) (dead-letter is written by Tideline only)")
        }
        return c
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    /// The duration in whole milliseconds (rounded down).
    var milliseconds: Int64 { components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000 }
}
