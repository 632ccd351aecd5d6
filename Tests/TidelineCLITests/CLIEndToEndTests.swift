import Events
import Foundation
import Pipeline
import Testing
import TidelineTestKit

/// The `tideline` binary as a user runs it, against `tideline broker` in another process.
@Suite(.serialized) struct CLIEndToEndTests {
    static let tideline = Subprocess.tidelineBinary

    @Test(.timeLimit(.minutes(6)))
    func produceThenConsumeRoundTripWithInvalidLinesToDeadLetter() async throws {
        let broker = try await BrokerProcess()
        defer { _ = broker.terminate() }
        var traffic = SyntheticTraffic(seed: 3)
        var lines = (0..<100).map { _ in traffic.next().prediction.json }
        lines.insert(#"{"request_id":"x","model":"m"}"#, at: 10)         // line 11: missing fields
        lines.insert("{not json", at: 51)                                 // line 52
        let input = (lines.joined(separator: "\n") + "\n\n").data(using: .utf8)!
        let produced = try await Subprocess.run(Self.tideline, ["produce", "--brokers", broker.bootstrapServers, "--topic", "predictions"], stdin: input)
        #expect(produced.status == 65, "invalid lines make the exit status 65: \(produced.stderr)")
        #expect(produced.stderr.contains("stdin:11: invalid prediction event: field \"model_version\""))
        #expect(produced.stderr.contains("stdin:52: invalid prediction event"))
        #expect(produced.stderr.contains("produced 100 events"))

        let consumed = try await Subprocess.run(Self.tideline, ["consume", "--brokers", broker.bootstrapServers, "--topic", "predictions",
                                                                 "--from-beginning", "--max", "100", "--timeout", "10"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let got = consumed.stdout.split(separator: "\n").map(String.init)
        let valid = lines.filter { (try? PredictionEvent.decode(json: $0)) != nil }
        #expect(got.count == 100)
        #expect(Set(got) == Set(valid), "published unchanged")

        let letters = try await Subprocess.run(Self.tideline, ["consume", "--brokers", broker.bootstrapServers, "--topic", "dead-letter",
                                                                "--from-beginning", "--max", "2", "--timeout", "10", "--with-metadata"])
        #expect(letters.status == 0)
        let envelopes = try letters.stdout.split(separator: "\n").map { try JSONValue.parse(String($0)) }
        #expect(envelopes.count == 2)
        let reasons = envelopes.compactMap { $0["headers"]?["tideline.error.reason"] }
        #expect(reasons.count == 2)
        #expect(Set(envelopes.compactMap { $0["headers"]?["tideline.source.offset"] }) == [.string("11"), .string("52")])
        #expect(broker.terminate() == 0, "the broker exits cleanly on SIGTERM")
    }

    @Test(.timeLimit(.minutes(6)))
    func kcatProducesAndConsumesThroughTidelineBroker() async throws {
        let kcat = try #require(Subprocess.which("kcat"), "kcat is installed by scripts/bootstrap.sh")
        let broker = try await BrokerProcess(arguments: ["--port", "0", "--brokers", "2"])
        defer { _ = broker.terminate() }
        let label = #"{"request_id":"r-kcat","timestamp":"2026-11-23T10:00:00Z","label":true,"source":"kcat"}"#
        let put = try await Subprocess.run(kcat, ["-P", "-b", broker.bootstrapServers, "-t", "labels", "-k", "r-kcat"], stdin: (label + "\n").data(using: .utf8))
        #expect(put.status == 0, "\(put.stderr)")
        let list = try await Subprocess.run(kcat, ["-L", "-b", broker.bootstrapServers])
        #expect(list.stdout.contains("2 brokers"))
        #expect(list.stdout.contains("topic \"predictions\" with 6 partitions"))
        // tideline reads what kcat wrote, and kcat reads it back with the key tideline's partitioner expects.
        let viaTideline = try await Subprocess.run(Self.tideline, ["consume", "--brokers", broker.bootstrapServers, "--topic", "labels",
                                                                    "--from-beginning", "--max", "1", "--timeout", "10"])
        #expect(viaTideline.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == label)
        let viaKcat = try await Subprocess.run(kcat, ["-C", "-b", broker.bootstrapServers, "-t", "labels", "-o", "beginning", "-c", "1", "-f", "%k %s"])
        #expect(viaKcat.stdout == "r-kcat \(label)")
    }

    @Test func topicsCheckAndApplyAgainstTheEmbeddedBroker() async throws {
        let broker = try await BrokerProcess(arguments: ["--topic-prefix", "demo."])
        defer { _ = broker.terminate() }
        let check = try await Subprocess.run(Self.tideline, ["topics", "check", "--brokers", broker.bootstrapServers, "--topic-prefix", "demo."])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("ok      demo.predictions (6 partitions)"))
        let apply = try await Subprocess.run(Self.tideline, ["topics", "apply", "--brokers", broker.bootstrapServers, "--topic-prefix", "demo."])
        #expect(apply.status == 0)
        #expect(apply.stdout.contains("exists  demo.labels"))
        let missing = try await Subprocess.run(Self.tideline, ["topics", "check", "--brokers", broker.bootstrapServers, "--topic-prefix", "other."])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("other.predictions does not exist; run `tideline topics apply`"))
    }

    @Test(arguments: [
        (["consume", "--topic", "predictions", "--max", "0"], Int32(64), "--max"),
        (["consume", "--topic", "predictions", "--from-time", "tomorrow"], 64, "--from-time"),
        (["consume", "--topic", "predictions", "--from-beginning", "--from-time", "0"], 64, "choose one"),
        (["produce", "--topic", "nonsense"], 64, "--topic"),
        (["produce", "--topic", "predictions", "--file", "/nonexistent.jsonl"], 64, "--file"),
        (["broker", "--brokers", "0"], 64, "--brokers"),
        (["consume", "--topic", "predictions", "--log-level", "loud"], 64, "--log-level"),
        (["consume", "--topic", "predictions", "--log-format", "xml"], 64, "--log-format"),
        (["topics", "list", "--brokers", "nohostport"], 64, "--brokers"),
        (["bench", "decode", "--count", "x"], 64, "--count"),
        (["bench", "consume", "--existing"], 64, "--existing"),
        (["run", "--stages", "training"], 64, "--stages"),
        (["run", "--metrics-port", "70000"], 64, "--metrics-port"),
        (["run", "--startup-timeout", "soon"], 64, "--startup-timeout"),
        (["models", "list", "--catalog", "/nonexistent/catalog.sqlite"], 78, "--catalog"),
        (["models", "rollback", "ctr", "--to", ""], 64, "--to"),
        (["models", "show", "ctr", "--all", "--version", "v1"], 64, "--all"),
        (["bench", "join", "--partitions", "0"], 64, "--partitions"),
        (["bench", "join", "--count", "0"], 64, "--count"),
        (["bench", "drift", "--ks-size", "0"], 64, "--ks-size"),
        (["bench", "drift", "--updates", "-1"], 64, "--updates"),
        (["bench", "train", "--rows", "10"], 64, "--rows"),
        (["bench", "train", "--batch-size", "0"], 64, "--batch-size"),
        (["bench", "monitor", "--count", "5"], 64, "--count"),
        (["bench", "monitor", "--per-window", "10"], 64, "--per-window"),
        (["bench", "monitor", "--write-input", "/nonexistent-tideline-dir/p.jsonl"], 64, "--write-input"),
        (["bench", "join", "--write-input", "/nonexistent-tideline-dir/in.jsonl"], 64, "--write-input"),
        (["bench", "decode", "--write-input", "/tmp/"], 64, "--write-input"),
        (["bench", "monitor", "--ks-method", "fast"], 64, "--ks-method"),
        (["drift", "compare", "--reference", "a.jsonl"], 64, "--current"),
        (["drift", "compare", "--reference", "a", "--current", "b", "--correction", "holm"], 64, "--correction"),
        (["backtest"], 64, "--input"),
        (["backtest", "--input", "p.jsonl", "--bucket", "soon"], 64, "--bucket"),
        (["backtest", "--input", "p.jsonl", "--bucket", "0s"], 64, "--bucket"),
        (["backtest", "--input", "/nonexistent/p.jsonl"], 65, "--input /nonexistent/p.jsonl: cannot read"),
        (["backtest", "--input", "/nonexistent/p.jsonl", "--sweep", "trigger=weekly"], 78, "\"weekly\" is not volume:N"),
        (["backtest", "--input", "/nonexistent/p.jsonl", "--sweep", "trainer.batch_size"], 78, "expected key=value1,value2"),
        (["backtest", "--input", "/nonexistent/p.jsonl", "--config", "/nonexistent/c.yaml"], 78, "/nonexistent/c.yaml"),
        (["generate", "--events", "0"], 64, "--events"),
        (["generate", "--events", "10", "--drift-at", "10"], 64, "--drift-at"),
        (["generate", "--missing-labels", "2"], 64, "--missing-labels"),
        (["generate", "--interval-ms", "0"], 64, "--interval-ms"),
        (["demo", "--duration", "60", "--drift-at", "58"], 64, "--drift-at"),
        (["demo", "--rate", "5"], 64, "--rate"),
        (["demo", "--dashboard-port", "70000"], 64, "--dashboard-port"),
        (["demo", "--linger", "-1"], 64, "--linger"),
        (["replay", "--from", "yesterday", "--to", "0"], 64, "--from"),
        (["replay", "--from", "10", "--to", "5"], 64, "--to"),
        (["replay", "--from", "0", "--to", "5", "--topics", "labels"], 64, "--topics"),
        (["replay", "--from", "0", "--to", "5", "--slack", "soon"], 64, "--slack"),
        (["replay", "--from", "0", "--to", "5", "--topic-prefix", "x.", "--output-prefix", "x."], 64, "--output-prefix"),
        (["demo", "--duration", "5000"], 64, "--duration"),
    ])
    func badFlagsFailFastNamingTheFlag(arguments: [String], status: Int32, mention: String) async throws {
        let result = try await Subprocess.run(Self.tideline, arguments, timeout: .seconds(120))
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains(mention), "\(result.stderr)")
    }

    @Test func badConfigFileExits78NamingTheField() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).yaml").path
        try "kafka:\n  brokers: [ok:1]\nmetrics:\n  port: 99999\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await Subprocess.run(Self.tideline, ["topics", "list", "--config", path])
        #expect(result.status == 78)
        #expect(result.stderr.contains("metrics.port"))
        #expect(result.stderr.contains(":4:"), "names the line")
    }

    @Test(arguments: [
        ("models:\n  ctr:\n    train:\n      model: random_forest\n", "models.ctr.train.model", ":4:"),
        ("models:\n  ctr:\n    train:\n      optimizer: adagrad\n      power: 0.5\n", "models.ctr.train.power", ":5:"),
        ("models:\n  ctr:\n    train:\n      model: hoeffding_tree\n      l2: 0.1\n", "models.ctr.train.l2", ":5:"),
        ("models:\n  ctr:\n    train:\n      triggers: {examples: lots}\n", "models.ctr.train.triggers.examples", ":4:"),
        ("models:\n  ctr:\n    monitor: {}\n", "models.<name>.train", "no model has a train section"),
    ])
    func runTrainWithABadOrMissingTrainSectionExits78(yaml: String, mention: String, line: String) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-train-\(UUID()).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await Subprocess.run(Self.tideline, ["run", "--stages", "train", "--config", path])
        #expect(result.status == 78)
        #expect(result.stderr.contains(mention), "\(result.stderr)")
        #expect(result.stderr.contains(line), "names the line")
    }

    @Test func runWithABadJoinSectionExits78NamingTheField() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-join-\(UUID()).yaml").path
        try "models:\n  ctr:\n    join:\n      window: soon\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await Subprocess.run(Self.tideline, ["run", "--stages", "join", "--config", path])
        #expect(result.status == 78)
        #expect(result.stderr.contains("models.ctr.join.window"), "\(result.stderr)")
        #expect(result.stderr.contains(":4:"), "names the line")
    }

    @Test func runWithABadMonitorSectionExits78NamingTheField() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-monitor-\(UUID()).yaml").path
        try "monitor:\n  defaults:\n    min_ks: 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await Subprocess.run(Self.tideline, ["run", "--stages", "monitor", "--config", path])
        #expect(result.status == 78)
        #expect(result.stderr.contains("monitor.defaults.min_ks"), "\(result.stderr)")
        let both = try await Subprocess.run(Self.tideline, ["run", "--stages", "join", "monitor", "--group", "g"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("--group"))
    }

    @Test(.timeLimit(.minutes(5)))
    func runAgainstAnUnreachableBrokerFailsTheStartupCheckQuickly() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-\(UUID())/state.sqlite").path
        let started = ContinuousClock.now
        let result = try await Subprocess.run(Self.tideline, ["run", "--stages", "join", "--brokers", "127.0.0.1:1", "--state", state,
                                                              "--metrics-port", "0", "--startup-timeout", "2s"], timeout: .seconds(120))
        #expect(result.status == 1)
        #expect(result.stderr.contains("start-up check: cannot reach Kafka at 127.0.0.1:1"), "\(result.stderr)")
        #expect(result.stderr.contains("check kafka.brokers (or --brokers)"))
        #expect(ContinuousClock.now - started < .seconds(20), "fails within the start-up timeout, not after a stage's retries")
    }

    @Test(.timeLimit(.minutes(5)))
    func runWithMissingOrMismatchedTopicsSaysWhatToFix() async throws {
        let cluster = SharedBroker.cluster
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-\(UUID())/state.sqlite").path
        // No topics at all under this prefix.
        let missing = TestNames.unique("startup-missing") + "."
        let none = try await Subprocess.run(Self.tideline, ["run", "--stages", "join", "monitor", "train", "--brokers", cluster.bootstrapServers,
                                                            "--topic-prefix", missing, "--state", state, "--metrics-port", "0",
                                                            "--config", Self.trainConfig()], timeout: .seconds(120))
        #expect(none.status == 78, "\(none.stderr)")
        #expect(none.stderr.contains("start-up check: topic \(missing)predictions does not exist (used by join, monitor)"), "\(none.stderr)")
        #expect(none.stderr.contains("`tideline topics apply --topic-prefix \(missing)`"))
        #expect(none.stderr.contains("\(missing)model-updates does not exist (used by train)"))
        // Predictions and labels with different partition counts cannot be joined.
        let skewed = TestNames.unique("startup-skewed") + "."
        try cluster.createTopic(skewed + "predictions", partitions: 4)
        try cluster.createTopic(skewed + "labels", partitions: 2)
        try cluster.createTopic(skewed + "labeled-examples", partitions: 2)
        try cluster.createTopic(skewed + "dead-letter", partitions: 1)
        let result = try await Subprocess.run(Self.tideline, ["run", "--stages", "join", "--brokers", cluster.bootstrapServers,
                                                              "--topic-prefix", skewed, "--state", state, "--metrics-port", "0"], timeout: .seconds(120))
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("start-up check:") && result.stderr.contains("partition"), "\(result.stderr)")
    }

    /// A configuration with a trained model (for `run --stages train`).
    static func trainConfig() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("train-\(UUID()).yaml").path
        // The model catalog goes to a temporary directory, not into the working directory of the test run.
        let models = FileManager.default.temporaryDirectory.appendingPathComponent("train-models-\(UUID())").path
        try "train: {model_directory: \(models)}\nmodels:\n  ctr:\n    train: {batch_size: 256}\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }


    @Test func unreachableBrokerIsARuntimeFailure() async throws {
        let result = try await Subprocess.run(Self.tideline, ["topics", "list", "--brokers", "127.0.0.1:1"], timeout: .seconds(120))
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot reach Kafka"))
    }
}
