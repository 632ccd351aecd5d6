import Events
import Foundation
import Kafka
import Pipeline
import Testing
import TidelineConfig
import TidelineTestKit
import Training

/// `tideline run --stages train` as a subprocess, killed with SIGKILL at random points and restarted each time:
/// the model versions published (deduplicated by version) must be exactly those of one uninterrupted pass over
/// the same input, byte for byte, parameters included; then `tideline models` reads the catalog it left.
@Suite(.serialized) struct TrainCrashTests {
    static func yaml(modelDirectory: String) -> String {
        """
        train:
          checkpoint_interval: 200ms
          model_directory: \(modelDirectory)
        metrics:
          enabled: false
        kafka:
          properties:
            session.timeout.ms: "3000"
            heartbeat.interval.ms: "300"
        models:
          ctr:
            train:
              batch_size: 256
              features: {hash_bits: 12}
              static_holdout_size: 300
              recent_holdout_size: 300
              reservoir_size: 2000
              recent_buffer_size: 2000
              triggers: {examples: 2000, error_change_delta: off}
              gate: {min_examples: 50, bootstrap_samples: 200}
              rollback: {enabled: false}
        """
    }

    final class UpdateLog: @unchecked Sendable {
        private let lock = NSLock()
        private var order: [String] = []
        private var byVersion: [String: [UInt8]] = [:]
        private(set) var conflicts: [String] = []
        private var received = 0
        func add(_ batch: KafkaMessageBatch) {
            lock.withLock {
                for m in batch {
                    received += 1
                    guard let u = try? ModelUpdateEvent.decode(m.value) else { conflicts.append("undecodable update at offset \(m.offset)"); continue }
                    if let previous = byVersion[u.version] {
                        if previous != Array(m.value) { conflicts.append(u.version) }
                    } else {
                        order.append(u.version)
                        byVersion[u.version] = Array(m.value)
                    }
                }
            }
        }
        var versions: [String] { lock.withLock { order } }
        var events: [[UInt8]] { lock.withLock { order.map { byVersion[$0]! } } }
        var conflictList: [String] { lock.withLock { conflicts } }
        var total: Int { lock.withLock { received } }
    }

    static func startStage(config: URL, brokers: String, state: String, group: String, prefix: String, log: URL) throws -> Process {
        try Subprocess.startTideline(["run", "--stages", "train", "--config", config.path, "--brokers", brokers, "--state", state,
                                      "--group", group, "--topic-prefix", prefix, "--log-level", "warning"], appendingOutputTo: log)
    }

    @Test(.timeLimit(.minutes(8)))
    func killNineAtRandomPointsGivesTheVersionsOfAnUninterruptedRun() async throws {
        let cluster = SharedBroker.cluster
        let prefix = TestNames.unique("crash-train") + "."
        try cluster.createTopic(prefix + "labeled-examples", partitions: 4)
        for t in ["alerts", "model-commands", "model-updates", "dead-letter"] { try cluster.createTopic(prefix + t, partitions: 1) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-crash-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let yaml = Self.yaml(modelDirectory: dir.appendingPathComponent("models").path)
        let configURL = dir.appendingPathComponent("tideline.yaml")
        try yaml.write(to: configURL, atomically: true, encoding: .utf8)
        let state = dir.appendingPathComponent("state.sqlite").path
        let logURL = dir.appendingPathComponent("stage.log")

        var traffic = SyntheticTraffic(seed: 23)
        let examples = (0..<40_000).map { _ in traffic.nextExample() }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try await producer.sendAll(examples.map { KafkaOutgoingMessage(topic: prefix + "labeled-examples", key: Array($0.requestID.utf8), value: $0.encoded()) })
        try await producer.close()

        // The reference: one uninterrupted pass, with the configuration as `tideline run` reads it.
        let models = try TidelineConfiguration.parse(yaml).trainConfigurations
        let reader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try reader.assign((0..<4).map { TopicPartitionOffset(topic: prefix + "labeled-examples", partition: $0, offset: -2) })
        let stored = await ConsumerDrain.messages(from: reader, count: examples.count)
        await reader.close()
        #expect(stored.count == examples.count)
        let expected = ReferenceTrainer.updates(models: models, examples: stored)
        #expect(expected.count >= 15, "\(expected.count) versions expected")

        let log = UpdateLog()
        let watcher = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try watcher.assign([TopicPartitionOffset(topic: prefix + "model-updates", partition: 0, offset: -2)])
        let watching = Task {
            for await event in watcher.events { if case .messages(let batch) = event { log.add(batch) } }
        }

        var rng = SeededGenerator(seed: UInt64(UInt32.random(in: 0 ... .max)))
        var kills = 0
        let group = TestNames.unique("crash-train")
        while kills < 6 && log.versions.count < expected.count {
            let stage = try Self.startStage(config: configURL, brokers: cluster.bootstrapServers, state: state, group: group, prefix: prefix, log: logURL)
            // Kill at a random moment once it has published something new (or had time to).
            let before = log.total
            let deadline = ContinuousClock.now + .seconds(30)
            while log.total == before && ContinuousClock.now < deadline && stage.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(Int(rng.next() % 1_500)))
            #expect(stage.isRunning, "the stage exited by itself; see \(logURL.path)")
            kill(stage.processIdentifier, SIGKILL)
            await Subprocess.waitForExit(stage)
            kills += 1
        }
        // The last run goes to the end.
        let final = try Self.startStage(config: configURL, brokers: cluster.bootstrapServers, state: state, group: group, prefix: prefix, log: logURL)
        let deadline = ContinuousClock.now + .seconds(180)
        while log.versions.count < expected.count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        try await Task.sleep(for: .seconds(1))
        final.terminate()
        await Subprocess.waitForExit(final)
        watching.cancel()
        await watcher.close()

        #expect(kills >= 3, "killed \(kills) times")
        #expect(log.conflictList.isEmpty, "versions published twice with different content: \(log.conflictList.prefix(5))")
        #expect(log.versions == expected.map(\.version))
        let published = log.events.compactMap { try? ModelUpdateEvent.decode($0) }
        #expect(published == expected, "the versions, their lineage, metrics, decisions and parameters equal the uninterrupted run's")
        print("train crash test: \(kills) kills, \(log.total) updates received, \(log.versions.count) versions, \(expected.count) expected")

        // The catalog the stage left, through the CLI.
        let catalog = dir.appendingPathComponent("models/catalog.sqlite").path
        let list = try await Subprocess.run(Self.tideline, ["models", "list", "--catalog", catalog])
        let champion = expected.last { $0.decision == .promoted }!
        #expect(list.status == 0 && list.stdout.contains("ctr\tversions=\(expected.count)\tchampion=\(champion.version)"), "\(list.stdout)\(list.stderr)")
        let lineage = try await Subprocess.run(Self.tideline, ["models", "lineage", "ctr", "--config", configURL.path])
        #expect(lineage.status == 0 && lineage.stdout.hasPrefix(champion.version), "\(lineage.stdout)\(lineage.stderr)")
        #expect(lineage.stdout.split(separator: "\n").count == expected.filter { $0.decision == .promoted }.count, "every promoted version descends from the one before")
        let show = try await Subprocess.run(Self.tideline, ["models", "show", "ctr", "--version", "v1", "--catalog", catalog])
        #expect(show.status == 0 && show.stdout.contains("static_holdout") && show.stdout.contains("checkpoint:"), "\(show.stdout)\(show.stderr)")
        let input = dir.appendingPathComponent("score.jsonl")
        try examples.prefix(5).map { String(decoding: $0.encoded(), as: UTF8.self) }.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        let score = try await Subprocess.run(Self.tideline, ["models", "score", "ctr", "--catalog", catalog, "--file", input.path])
        let scorer = try ModelScorer(parameters: try #require(champion.parameters))
        #expect(score.status == 0 && score.stdout.split(separator: "\n").compactMap { Double($0) } == examples.prefix(5).map { scorer.score($0.features) }, "\(score.stdout)\(score.stderr)")
        // A line that is neither an event nor a feature object: named by number, the others still scored, exit 65.
        let garbage = dir.appendingPathComponent("garbage.jsonl")
        try "{\"x0\": 1}\nnot json\n{\"x1\": 2}\n".write(to: garbage, atomically: true, encoding: .utf8)
        let bad = try await Subprocess.run(Self.tideline, ["models", "score", "ctr", "--catalog", catalog, "--file", garbage.path])
        #expect(bad.status == 65 && bad.stderr.contains("line 2") && bad.stdout.split(separator: "\n").count == 2, "\(bad.stdout)\(bad.stderr)")
        let missing = try await Subprocess.run(Self.tideline, ["models", "show", "ctr", "--version", "v999", "--catalog", catalog])
        #expect(missing.status == 78 && missing.stderr.contains("no version v999"))

        // retrain and rollback publish commands the stage reads.
        let retrain = try await Subprocess.run(Self.tideline, ["models", "retrain", "ctr", "--reason", "test", "--brokers", cluster.bootstrapServers, "--topic-prefix", prefix])
        let rollback = try await Subprocess.run(Self.tideline, ["models", "rollback", "ctr", "--to", "v1", "--brokers", cluster.bootstrapServers, "--topic-prefix", prefix])
        #expect(retrain.status == 0 && retrain.stdout.contains("command_id="), "\(retrain.stdout)\(retrain.stderr)")
        #expect(rollback.status == 0, "\(rollback.stderr)")
        let commandReader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try commandReader.assign([TopicPartitionOffset(topic: prefix + "model-commands", partition: 0, offset: -2)])
        let commands = await ConsumerDrain.messages(from: commandReader, count: 2).compactMap { try? ModelCommand.decode($0.value) }
        await commandReader.close()
        #expect(commands.map(\.action) == [.retrain, .rollback] && commands.last?.toVersion == "v1" && commands.first?.reason == "test")
        #expect(Set(commands.map(\.commandID)).count == 2)
        try? FileManager.default.removeItem(at: dir)
    }

    static let tideline = Subprocess.tidelineBinary
}
