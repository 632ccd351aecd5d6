import Events
import Foundation
import Kafka
import Pipeline
import Testing
import TidelineTestKit

/// `tideline replay` against the embedded broker: the same events from topics and from files give the same
/// backtest, and two replays of one range give byte-identical reports.
@Suite struct ReplayCommandTests {
    static let tideline = Subprocess.tidelineBinary

    static let config = """
        monitor:
          defaults: {window: 1m, hop: 1m, allowed_lateness: 5s, label_lateness: 1m, min_window_events: 200}
        models:
          ctr:
            task: binary_classification
            join: {window: 30s, default_label: false}
            train:
              model: logistic_regression
              batch_size: 512
              triggers: {examples: 1024, on_drift: true}
              gate: {metric: log_loss, margin: 0.01}
        """

    @Test(.timeLimit(.minutes(6)))
    func replayEqualsTheFileBacktestAndRepeatsByteForByte() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-replay-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let configFile = dir.appendingPathComponent("c.yaml")
        try Data(Self.config.utf8).write(to: configFile)

        // 4,000 predictions 100 ms apart with a drift halfway, and their labels; record timestamps are event times.
        let prefix = TestNames.unique("replay") + "."
        let cluster = SharedBroker.cluster
        try cluster.createTopic(prefix + "predictions", partitions: 6)
        try cluster.createTopic(prefix + "labels", partitions: 6)
        var traffic = SyntheticTraffic(seed: 5, intervalMilliseconds: 100, meanLabelDelayMilliseconds: 2_000)
        traffic.driftAtIndex = 2_000
        var messages: [KafkaOutgoingMessage] = []
        var predictionLines = "", labelLines = ""
        for _ in 0 ..< 4_000 {
            let (p, l) = traffic.next()
            messages.append(KafkaOutgoingMessage(topic: prefix + "predictions", key: Array(p.partitionKey.utf8), value: p.encoded(),
                                                 timestampMilliseconds: p.timestamp.milliseconds))
            predictionLines += p.json + "\n"
            if let l {
                messages.append(KafkaOutgoingMessage(topic: prefix + "labels", key: Array(l.partitionKey.utf8), value: l.encoded(),
                                                     timestampMilliseconds: l.timestamp.milliseconds))
                labelLines += l.json + "\n"
            }
        }
        let start = traffic.start.milliseconds
        // One malformed record inside the range: reported, not fatal.
        messages.append(KafkaOutgoingMessage(topic: prefix + "predictions", key: Array("bad".utf8), value: Array("not an event".utf8),
                                             timestampMilliseconds: start + 1_000))
        let producer = try KafkaProducer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        let reports = await producer.send(messages)
        try await producer.close()
        #expect(reports.filter { !$0.isDelivered }.isEmpty)
        try Data(predictionLines.utf8).write(to: dir.appendingPathComponent("predictions.jsonl"))
        try Data(labelLines.utf8).write(to: dir.appendingPathComponent("labels.jsonl"))

        let files = try await Subprocess.run(Self.tideline, [
            "backtest", "--config", configFile.path, "--input", dir.appendingPathComponent("predictions.jsonl").path,
            "--input", dir.appendingPathComponent("labels.jsonl").path, "--output", dir.appendingPathComponent("files").path, "--quiet",
        ], timeout: .seconds(120))
        #expect(files.status == 0, "\(files.stderr)")
        var replayed: [Data] = []
        var published: [[String]] = []
        for run in ["a", "b"] {
            let outputPrefix = prefix + "replay-\(run)."
            if run == "b" {
                // The output topics must exist: the replay says how to create them before reading anything.
                let refused = try await Subprocess.run(Self.tideline, [
                    "replay", "--brokers", cluster.bootstrapServers, "--topic-prefix", prefix, "--from", "\(start)", "--to", "\(start + 400_000)",
                    "--output", dir.appendingPathComponent("refused").path, "--output-prefix", outputPrefix,
                ], timeout: .seconds(60))
                #expect(refused.status == 78, "\(refused.stderr)")
                #expect(refused.stderr.contains("tideline topics apply --topic-prefix \(outputPrefix)"), "\(refused.stderr)")
            }
            for base in ["labeled-examples", "alerts", "model-updates"] { try cluster.createTopic(outputPrefix + base, partitions: 1) }
            let result = try await Subprocess.run(Self.tideline, [
                "replay", "--brokers", cluster.bootstrapServers, "--topic-prefix", prefix, "--config", configFile.path,
                "--from", EventTime(milliseconds: start).rfc3339, "--to", "\(start + 400_000)",
                "--output", dir.appendingPathComponent(run).path, "--quiet", "--output-prefix", outputPrefix,
            ], timeout: .seconds(120))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("skipped"), "the malformed record is reported: \(result.stderr)")
            replayed.append(try Data(contentsOf: dir.appendingPathComponent(run).appendingPathComponent("report.json")))
            // What it published to the prefixed topics, in topic and offset order.
            let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("published ") }, "\(result.stdout)")
            let counts = line.split(separator: " ").compactMap { Int($0) }
            #expect(counts.count == 3 && counts[0] > 3_000 && counts[2] > 0, "\(line)")
            let reader = try KafkaConsumer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
            try reader.assign(["labeled-examples", "alerts", "model-updates"].map {
                TopicPartitionOffset(topic: outputPrefix + $0, partition: 0, offset: KafkaOffset.beginning)
            })
            let messages = await ConsumerDrain.messages(from: reader, count: counts.reduce(0, +))
            await reader.close()
            #expect(messages.count == counts.reduce(0, +))
            published.append(messages.sorted { ($0.topic.split(separator: ".").last!, $0.offset) < ($1.topic.split(separator: ".").last!, $1.offset) }
                .map { "\($0.topic.split(separator: ".").last!)@\($0.offset) " + String(decoding: $0.value, as: UTF8.self) })
        }
        #expect(replayed[0] == replayed[1], "two replays of one range are byte-identical")
        #expect(published[0] == published[1], "and publish byte-identical topics")
        #expect(published[0].contains { $0.hasPrefix("model-updates@0 ") })

        let fromFiles = try JSONValue.parse(String(decoding: Data(contentsOf: dir.appendingPathComponent("files/report.json")), as: UTF8.self))
        let fromBroker = try JSONValue.parse(String(decoding: replayed[0], as: UTF8.self))
        #expect(fromBroker["configurations"] != nil)
        #expect(fromBroker["configurations"] == fromFiles["configurations"], "the broker replay runs the same events as the file backtest")
        #expect(fromBroker["firstEventTime"] == fromFiles["firstEventTime"])
        #expect(fromBroker["lastEventTime"] == fromFiles["lastEventTime"])
        #expect(fromBroker["input"]?["predictions"] == .number(4_000))
        #expect(fromBroker["input"]?["malformedCount"] == .number(1))
        #expect(fromBroker["input"]?["labels"] == fromFiles["input"]?["labels"])
    }

    @Test func anEmptyRangeSaysSo() async throws {
        let prefix = TestNames.unique("replay-empty") + "."
        try SharedBroker.cluster.createTopic(prefix + "predictions", partitions: 2)
        try SharedBroker.cluster.createTopic(prefix + "labels", partitions: 2)
        let result = try await Subprocess.run(Self.tideline, [
            "replay", "--brokers", SharedBroker.cluster.bootstrapServers, "--topic-prefix", prefix,
            "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-02T00:00:00Z", "--output", "/tmp/unused-\(UUID())",
        ], timeout: .seconds(60))
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("no prediction or label with event time in [2026-01-01T00:00:00.000Z"), "\(result.stderr)")
    }
}
