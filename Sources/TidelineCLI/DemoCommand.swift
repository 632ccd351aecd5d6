import ArgumentParser
import Events
import Foundation
import Kafka
import Logging
import Pipeline
import TidelineConfig

/// `tideline demo`: the foundation demo on the embedded broker.
///
/// Until the label-join, monitoring and training stages exist, it shows the base they stand on: an embedded
/// cluster with Tideline's topics, a synthetic prediction service and label source publishing through
/// librdkafka, a few malformed events routed to dead-letter, and everything read back and validated.
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

        let consumer = try KafkaConsumer(configuration: .init(client: client), logger: logger)
        var assignment: [TopicPartitionOffset] = []
        for name in ["predictions", "labels", "dead-letter"] {
            let partitions = catalog.topic(name)!.partitions
            assignment += (0..<Int32(partitions)).map { TopicPartitionOffset(topic: name, partition: $0, offset: KafkaOffset.beginning) }
        }
        try consumer.assign(assignment)
        let predictionDecoder = EventDecoder<PredictionEvent>(stage: "demo", deadLetterTopic: "dead-letter")
        let labelDecoder = EventDecoder<LabelEvent>(stage: "demo", deadLetterTopic: "dead-letter")
        var seenPredictions: [String: Double] = [:]
        var labelOutcomes: [String: Bool] = [:]
        var dlq: [KafkaMessage] = []
        let expected = predictions.count + labels.count + deadLetters.count
        var received = 0
        let readStart = ContinuousClock.now
        for await event in consumer.events {
            guard case .messages(let batch) = event else { continue }
            received += batch.count
            let byTopic = Dictionary(grouping: Array(batch), by: \.topic)
            for (topic, messages) in byTopic {
                switch topic {
                case "predictions":
                    for (p, _) in predictionDecoder.decode(KafkaMessageBatch(messages: messages)).events {
                        if case .score(let s) = p.prediction { seenPredictions[p.requestID] = s }
                    }
                case "labels":
                    for (l, _) in labelDecoder.decode(KafkaMessageBatch(messages: messages)).events {
                        if case .bool(let b) = l.label { labelOutcomes[l.requestID] = b }
                    }
                default:
                    dlq += messages
                }
            }
            if received >= expected || (ContinuousClock.now - readStart) > .seconds(60) { break }
        }
        await consumer.close()
        let readSeconds = (ContinuousClock.now - readStart).seconds
        let joined = labelOutcomes.keys.filter { seenPredictions[$0] != nil }
        var logLoss = 0.0
        for id in joined {
            let p = min(max(seenPredictions[id]!, 1e-6), 1 - 1e-6)
            logLoss -= labelOutcomes[id]! ? log(p) : log(1 - p)
        }
        print("read back \(received) records in \(String(format: "%.2f", readSeconds)) s")
        print("predictions with a label: \(joined.count) of \(seenPredictions.count) (\(seenPredictions.count - joined.count) never labeled)")
        print(String(format: "log loss of the served model on labeled requests: %.4f", joined.isEmpty ? 0 : logLoss / Double(joined.count)))
        print("dead-letter: \(dlq.count) records")
        for m in dlq {
            print("  - \(m.header(DeadLetter.reasonHeader)?.stringValue ?? "?")")
        }
        print("the label join, drift monitoring and training stages build on this base (see the README's roadmap).")
        if received < expected {
            printError("demo: expected \(expected) records, read \(received)")
            throw ExitCodes.runtimeFailure
        }
    }
}
