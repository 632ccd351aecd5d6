import Events
import Foundation
import Kafka
import LabelJoin
import Logging
import Pipeline
import Testing
import TidelineTestKit

/// The join stage in process on the shared embedded broker: group rebalancing with state moving between
/// instances, dead letters, co-partitioning.
@Suite(.serialized) struct JoinStageTests {
    static let policy = JoinPolicy(window: 5_000, backwardWindow: 500, grace: 500, correctionHorizon: 10_000, defaultLabel: .bool(false), aggregation: .max)

    struct Topics {
        let prefix = TestNames.unique("join") + "."
        let partitions: Int
        var predictions: String { prefix + "predictions" }
        var labels: String { prefix + "labels" }
        var output: String { prefix + "labeled-examples" }
        var deadLetter: String { prefix + "dead-letter" }

        init(partitions: Int, labelPartitions: Int? = nil) throws {
            self.partitions = partitions
            let cluster = SharedBroker.cluster
            try cluster.createTopic(predictions, partitions: partitions)
            try cluster.createTopic(labels, partitions: labelPartitions ?? partitions)
            try cluster.createTopic(output, partitions: 4)
            try cluster.createTopic(deadLetter, partitions: 1)
        }

        func options(group: String, state: String) -> JoinStageOptions {
            JoinStageOptions(client: SharedBroker.client(), predictionsTopic: predictions, labelsTopic: labels, outputTopic: output,
                             deadLetterTopic: deadLetter, group: group, join: JoinConfiguration(defaultPolicy: JoinStageTests.policy),
                             idleTimeout: 0, checkpointInterval: 200, statePath: state)
        }
    }

    static func statePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tideline-join-\(UUID().uuidString)/state.sqlite").path
    }

    /// Collects a topic from the beginning, deduplicated by event id.
    final class Collector: @unchecked Sendable {
        let lock = NSLock()
        var values: [String: LabeledExample] = [:]
        var raw: [KafkaMessage] = []
        var task: Task<Void, Never>?
        let consumer: KafkaConsumer

        init(topic: String, partitions: Int) throws {
            consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
            try consumer.assign((0 ..< Int32(partitions)).map { TopicPartitionOffset(topic: topic, partition: $0, offset: -2) })
            task = Task { [consumer, weak self] in
                for await event in consumer.events {
                    guard case .messages(let batch) = event, let self else { continue }
                    self.lock.withLock {
                        for m in batch {
                            self.raw.append(m)
                            if let e = try? LabeledExample.decode(m.value) { self.values[e.eventID] = e }
                        }
                    }
                }
            }
        }
        var count: Int { lock.withLock { values.count } }
        var messages: [KafkaMessage] { lock.withLock { raw } }
        func waitFor(_ n: Int, timeout: Duration = .seconds(60)) async {
            let deadline = ContinuousClock.now + timeout
            while count < n && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        }
        func stop() async {
            task?.cancel()
            await consumer.close()
        }
    }

    static func produce(_ topics: Topics, predictions: [PredictionEvent], labels: [LabelEvent]) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try await producer.sendAll(predictions.map { KafkaOutgoingMessage(topic: topics.predictions, key: Array($0.requestID.utf8), value: $0.encoded()) })
        try await producer.sendAll(labels.map { KafkaOutgoingMessage(topic: topics.labels, key: Array($0.requestID.utf8), value: $0.encoded()) })
        try await producer.close()
    }

    static func traffic(_ range: Range<Int>, seed: UInt64) -> ([PredictionEvent], [LabelEvent]) {
        var generator = SyntheticTraffic(seed: seed, intervalMilliseconds: 3, meanLabelDelayMilliseconds: 2_000)
        var predictions: [PredictionEvent] = [], labels: [LabelEvent] = []
        for i in 0 ..< range.upperBound {
            var (p, l) = generator.next()
            guard range.contains(i) else { continue }
            // Eight models, so that the output (keyed by model) spreads over the output topic's partitions: the
            // embedded broker keeps only the last 5 MiB of a partition, and one model's ~30 K examples would
            // overflow it before a slow reader has read them.
            p.model = "model-\(i % 8)"
            if l?.model != nil { l?.model = p.model }
            predictions.append(p)
            if let l { labels.append(l) }
        }
        return (predictions, labels.sorted { $0.timestamp < $1.timestamp })
    }

    static func reference(_ topics: Topics, options: JoinStageOptions) async throws -> [String: LabeledExample] {
        try await ReferenceJoin.expected(options.join, predictions: topics.predictions, labels: topics.labels, partitions: topics.partitions)
    }

    @Test(.timeLimit(.minutes(5)))
    func secondInstanceTakesOverPartitionsWithTheirState() async throws {
        let topics = try Topics(partitions: 8)
        let state = Self.statePath()
        let group = TestNames.unique("join-group")
        let options = topics.options(group: group, state: state)
        let collector = try Collector(topic: topics.output, partitions: 4)

        let a = try JoinStage(options: options, logger: quietLogger())
        let runA = Task { try await a.run() }
        let chunks = 6, perChunk = 4_000
        var b: JoinStage?
        var runB: Task<Void, any Error>?
        for chunk in 0 ..< chunks {
            let (p, l) = Self.traffic(chunk * perChunk ..< (chunk + 1) * perChunk, seed: 3)
            try await Self.produce(topics, predictions: p, labels: l)
            if chunk == 1 {
                // A second instance joins: the group rebalances, A checkpoints what it gives up, B restores it.
                await collector.waitFor(1)
                b = try JoinStage(options: options, logger: quietLogger())
                runB = Task { [b] in try await b!.run() }
                try await Task.sleep(for: .seconds(4))
            }
            if chunk == 3 {
                // A stops mid-stream: its partitions (and their pending state) move to B.
                runA.cancel()
                try await runA.value
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        let expected = try await Self.reference(topics, options: options)
        #expect(expected.count > 15_000)
        await collector.waitFor(expected.count, timeout: .seconds(60))
        runB?.cancel()
        try await runB?.value
        await collector.stop()

        let actual = collector.lock.withLock { collector.values }
        #expect(actual.count == expected.count)
        let lost = expected.keys.filter { actual[$0] == nil }.count, extra = actual.keys.filter { expected[$0] == nil }.count
        #expect(lost == 0 && extra == 0, "\(lost) expected examples missing, \(extra) unexpected")
        #expect(actual.filter { expected[$0.key] != $0.value }.isEmpty)
        #expect(b != nil && b!.statistics.predictions > 0, "the second instance did work")
    }

    @Test(.timeLimit(.minutes(6)))
    func malformedRecordsGoToDeadLetterAndTheStageKeepsRunning() async throws {
        let topics = try Topics(partitions: 2)
        let options = topics.options(group: TestNames.unique("join-dlq"), state: Self.statePath())
        let collector = try Collector(topic: topics.output, partitions: 4)
        let dead = try Collector(topic: topics.deadLetter, partitions: 1)
        // At trace level the stage logs every event with its request id (and dead letters at debug).
        let lines = CapturedLog.Lines()
        var logger = Logger(label: "test.join") { _ in CapturedLog(lines: lines) }
        logger.logLevel = .trace
        let stage = try JoinStage(options: options, logger: logger)
        let run = Task { try await stage.run() }

        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        let bad: [KafkaOutgoingMessage] = [
            KafkaOutgoingMessage(topic: topics.predictions, key: "r-bad-1", value: "not json"),
            KafkaOutgoingMessage(topic: topics.predictions, key: "r-bad-2", value: #"{"request_id":"r-bad-2","model":"ctr","model_version":"1","timestamp":"yesterday","features":{},"prediction":0.5}"#),
            KafkaOutgoingMessage(topic: topics.labels, key: "r-bad-3", value: #"{"request_id":"r-bad-3","timestamp":1}"#),
        ]
        try await producer.sendAll(bad)
        try await producer.close()
        let (p, l) = Self.traffic(0 ..< 2_000, seed: 9)
        try await Self.produce(topics, predictions: p, labels: l)

        let deadline = ContinuousClock.now + .seconds(120)
        while dead.messages.count < 3 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        await collector.waitFor(1_000)
        run.cancel()
        try await run.value
        await collector.stop()
        await dead.stop()

        let letters = dead.messages
        #expect(letters.count == 3)
        let fields = Set(letters.compactMap { $0.header(DeadLetter.fieldHeader)?.stringValue })
        #expect(fields == ["timestamp", "label"])
        for letter in letters {
            #expect(letter.header(DeadLetter.stageHeader)?.stringValue == "join")
            #expect(letter.header(DeadLetter.sourceOffsetHeader) != nil)
            #expect(letter.header(DeadLetter.reasonHeader)?.stringValue?.isEmpty == false)
        }
        #expect(Set(letters.map { String(decoding: $0.value, as: UTF8.self) }).contains("not json"), "the original bytes are kept")
        #expect(collector.count >= 1_000, "valid events after the bad ones were joined")

        // One request followed end to end in the logs: prediction read, label read, labeled example published.
        let logged = lines.all
        let deadLine = try #require(logged.first { $0.message.hasPrefix("dead letter:") && $0.metadata["key"] == "r-bad-1" }, "\(logged.filter { $0.message.hasPrefix("dead") }.map { "\($0.message) \($0.metadata)" })")
        #expect(deadLine.level == .debug)
        #expect(deadLine.metadata["topic"] == topics.predictions && deadLine.metadata["offset"] != nil && deadLine.metadata["error_kind"] != nil)
        let published = try #require(logged.first { $0.message == "labeled example published" && $0.metadata["kind"] == "observed" })
        let request = try #require(published.metadata["request_id"])
        let trail = logged.filter { $0.metadata["request_id"] == request }.map(\.message)
        #expect(trail.contains("prediction read") && trail.contains("label read") && trail.contains("labeled example published"), "\(trail)")
        let read = try #require(logged.first { $0.message == "prediction read" && $0.metadata["request_id"] == request })
        #expect(read.level == .trace && read.metadata["partition"] != nil && read.metadata["offset"] != nil && read.metadata["model"] != nil)
    }

    /// A partition whose events name more distinct models than one operator holds: the extra events are
    /// dead-lettered (`limit_exceeded`, field `model`), the rest are joined, the stage keeps running.
    @Test(.timeLimit(.minutes(6)))
    func eventsNamingOneModelTooManyAreDeadLettered() async throws {
        let topics = try Topics(partitions: 1)
        let options = topics.options(group: TestNames.unique("join-models"), state: Self.statePath())
        let collector = try Collector(topic: topics.output, partitions: 4)
        let dead = try Collector(topic: topics.deadLetter, partitions: 1)
        let stage = try JoinStage(options: options, logger: quietLogger())
        let run = Task { try await stage.run() }
        let t0: Int64 = 1_763_900_000_000
        let limit = LabelJoinOperator.maxModels, extra = 3
        let predictions = (0 ..< limit + extra).map { i in
            PredictionEvent(requestID: "r\(i)", model: "m\(i)", modelVersion: "1", timestamp: EventTime(milliseconds: t0 + Int64(i)),
                            features: [Feature("x", .number(1))], prediction: .score(0.5))
        }
        // Labels far enough ahead to close every window: implicit examples for the admitted predictions.
        let labels = [LabelEvent(requestID: "r0", timestamp: EventTime(milliseconds: t0 + 500), label: .bool(true)),
                      LabelEvent(requestID: "z", timestamp: EventTime(milliseconds: t0 + 60_000), label: .bool(true))]
        try await Self.produce(topics, predictions: predictions, labels: labels)

        let deadline = ContinuousClock.now + .seconds(60)
        while dead.messages.count < extra && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        await collector.waitFor(limit)
        run.cancel()
        try await run.value
        await collector.stop()
        await dead.stop()

        let letters = dead.messages
        #expect(letters.count == extra)
        for letter in letters {
            #expect(letter.header(DeadLetter.kindHeader)?.stringValue == "limit_exceeded")
            #expect(letter.header(DeadLetter.fieldHeader)?.stringValue == "model")
        }
        #expect(Set(letters.compactMap { String(decoding: $0.value, as: UTF8.self).split(separator: "\"").dropFirst(3).first.map(String.init) })
                == Set((limit ..< limit + extra).map { "r\($0)" }))
        #expect(collector.count == limit, "every admitted prediction was joined")
    }

    @Test func refusesTopicsThatAreNotCoPartitioned() async throws {
        let topics = try Topics(partitions: 4, labelPartitions: 3)
        let stage = try JoinStage(options: topics.options(group: TestNames.unique("join-cp"), state: Self.statePath()), logger: quietLogger())
        await #expect(throws: JoinStageError.self) { try await stage.run() }
        do { try await stage.run() } catch let error as JoinStageError {
            #expect(error.message.contains("not co-partitioned"))
            #expect(error.message.contains("4") && error.message.contains("3"))
        }
    }
}

/// A log handler that keeps every line (level, message, metadata as strings) in a shared `Lines` box, for tests of
/// what a stage logs. A value type, as swift-log expects: copies of a logger set their own level.
struct CapturedLog: LogHandler {
    struct Entry: Sendable { var level: Logger.Level; var message: String; var metadata: [String: String] }
    typealias Lines = LockedList<Entry>
    let lines: Lines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        var all = metadata
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        lines.append(Entry(level: event.level, message: event.message.description, metadata: all.mapValues(\.description)))
    }
}
