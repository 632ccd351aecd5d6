import ArgumentParser
import Events
import Foundation
import Kafka
import Logging
import Pipeline
import LabelJoin
import TidelineConfig

/// `tideline demo`: the foundation demo on the embedded broker.
///
/// An embedded cluster with Tideline's topics, a synthetic prediction service and label source publishing
/// through librdkafka, a few malformed events routed to dead-letter, and the label join turning predictions and
/// labels into labeled examples, read back and summarized. Monitoring and training join it as they land.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the embedded broker and stream a synthetic prediction/label sample through it."
    )

    @Option(name: .long, help: "Number of predictions.")
    var events: Int = 20_000

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 7

    @OptionGroup var topics: TopicsDirectoryOption

    func validate() throws {
        guard (1...5_000_000).contains(events) else { throw ValidationError("--events: must be between 1 and 5000000") }
    }

    func run() async throws {
        var logger = Logger(label: "tideline.demo")
        logger.logLevel = .error
        let catalog = try topics.load()
        let cluster = try EmbeddedKafkaCluster(brokers: 3, logger: logger)
        for t in catalog.topics { try cluster.createTopic(t.spec(prefix: "", maxReplication: 3)) }
        print("embedded Kafka cluster: 3 brokers at \(cluster.bootstrapServers)")
        print("topics: \(catalog.topics.map(\.name).joined(separator: ", "))")
        let client = KafkaClientConfiguration(bootstrapServers: [cluster.bootstrapServers], clientID: "tideline-demo")

        var traffic = SyntheticTraffic(seed: seed)
        var predictions: [KafkaOutgoingMessage] = []
        var labels: [(EventTime, KafkaOutgoingMessage)] = []
        for _ in 0..<events {
            let (p, l) = traffic.next()
            predictions.append(KafkaOutgoingMessage(topic: "predictions", key: Array(p.partitionKey.utf8), value: p.encoded()))
            if let l { labels.append((l.timestamp, KafkaOutgoingMessage(topic: "labels", key: Array(l.partitionKey.utf8), value: l.encoded()))) }
        }
        labels.sort { $0.0 < $1.0 }  // labels reach Kafka in the order they are observed
        let malformed = [
            #"{"request_id": "bad-1", "model": "ctr"}"#,
            #"{"request_id": "bad-2", "model": "ctr", "model_version": "1", "timestamp": "yesterday", "features": {}, "prediction": 0.5}"#,
            "not json at all",
        ]
        let producer = try KafkaProducer(configuration: .init(client: client), logger: logger)
        let start = ContinuousClock.now
        let sent = await producer.send(predictions + labels.map(\.1))
        let deliveryFailures = sent.filter { !$0.isDelivered }.count
        // A stage validates what it reads: here the malformed events are validated like `tideline produce` does.
        var deadLetters: [KafkaOutgoingMessage] = []
        for (i, text) in malformed.enumerated() {
            do { _ = try PredictionEvent.decode(json: text) } catch {
                deadLetters.append(DeadLetter.record(key: nil, value: Array(text.utf8), reason: error.description, kind: error.kind.rawValue,
                                                     field: error.field, source: .init(topic: "demo-input", partition: -1, offset: Int64(i + 1)),
                                                     stage: "demo", deadLetterTopic: "dead-letter"))
            }
        }
        _ = await producer.send(deadLetters)
        let produceSeconds = (ContinuousClock.now - start).seconds
        try await producer.close()
        print("published \(predictions.count) predictions and \(labels.count) labels in \(String(format: "%.2f", produceSeconds)) s (\(deliveryFailures) delivery failures)")

        var quiet = logger
        quiet.logLevel = .critical  // the demo tears the cluster down under the stage's clients at the end
        // The label join, as `tideline run --stages join` runs it: window 1 min, idle partitions advanced after 1 s
        // (the sample's event times are in the past, so every window closes once the input is drained).
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-demo-\(UUID().uuidString)/state.sqlite").path
        let policy = JoinPolicy(window: 60_000, backwardWindow: 1_000, grace: 1_000, correctionHorizon: 300_000,
                                defaultLabel: .bool(false), aggregation: .max)
        let stage = try JoinStage(options: JoinStageOptions(
            client: client, group: "tideline-demo-join", join: JoinConfiguration(defaultPolicy: policy), idleTimeout: 1_000,
            idleSlack: 0, checkpointInterval: 1_000, statePath: state), logger: quiet)
        let joinStart = ContinuousClock.now
        let joining = Task { try await stage.run() }

        let consumer = try KafkaConsumer(configuration: .init(client: client), logger: logger)
        var assignment: [TopicPartitionOffset] = []
        for name in ["labeled-examples", "dead-letter"] {
            let partitions = catalog.topic(name)!.partitions
            assignment += (0..<Int32(partitions)).map { TopicPartitionOffset(topic: name, partition: $0, offset: KafkaOffset.beginning) }
        }
        try consumer.assign(assignment)
        var examples: [String: LabeledExample] = [:]
        var dlq: [KafkaMessage] = []
        for await event in consumer.events {
            guard case .messages(let batch) = event else { continue }
            for m in batch {
                if m.topic == "dead-letter" { dlq.append(m) } else if let e = try? LabeledExample.decode(m.value) { examples[e.eventID] = e }
            }
            if (examples.count >= predictions.count && dlq.count >= deadLetters.count) || (ContinuousClock.now - joinStart) > .seconds(90) { break }
        }
        let joinSeconds = (ContinuousClock.now - joinStart).seconds
        joining.cancel()
        _ = try? await joining.value
        await consumer.close()
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: state).deletingLastPathComponent().path)

        let byKind = Dictionary(grouping: examples.values, by: \.labelKind).mapValues(\.count)
        var logLoss = 0.0
        var delays: [Int64] = []
        for e in examples.values {
            guard case .score(let s) = e.prediction, case .bool(let y) = e.label else { continue }
            let p = min(max(s, 1e-6), 1 - 1e-6)
            logLoss -= y ? log(p) : log(1 - p)
            if e.labelKind == .observed, let d = e.labelDelayMilliseconds { delays.append(d) }
        }
        delays.sort()
        print("label join: \(examples.count) labeled examples in \(String(format: "%.1f", joinSeconds)) s including the 3 s group join " +
              "(observed \(byKind[.observed] ?? 0), implicit \(byKind[.implicit] ?? 0), corrections \(byKind[.correction] ?? 0))")
        if !delays.isEmpty {
            print("label delay: median \(delays[delays.count / 2]) ms, p90 \(delays[delays.count * 9 / 10]) ms; " +
                  String(format: "%.1f%% of labels within 10 s", Double(delays.filter { $0 <= 10_000 }.count) * 100 / Double(delays.count)))
        }
        print(String(format: "log loss of the served model on labeled examples: %.4f", examples.isEmpty ? 0 : logLoss / Double(examples.count)))
        print("dead-letter: \(dlq.count) records")
        for m in dlq {
            print("  - \(m.header(DeadLetter.reasonHeader)?.stringValue ?? "?")")
        }
        print("drift monitoring and training build on labeled-examples next (see the README's status table).")
        if examples.count < predictions.count || dlq.count < deadLetters.count {
            printError("demo: expected \(predictions.count) labeled examples and \(deadLetters.count) dead letters, read \(examples.count) and \(dlq.count)")
            throw ExitCodes.runtimeFailure
        }
    }
}
