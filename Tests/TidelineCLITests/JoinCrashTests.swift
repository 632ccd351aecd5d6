import Events
import Foundation
import Kafka
import LabelJoin
import Pipeline
import Testing
import TidelineConfig
import TidelineTestKit

/// `tideline run --stages join` as a subprocess, killed with SIGKILL at random points, restarted each time;
/// the deduplicated output must equal the reference join of the inputs exactly.
@Suite(.serialized) struct JoinCrashTests {
    static let models = (0 ..< 24).map { "model-\($0)" }

    /// 200 K predictions over 24 models, ~90% labeled with exponential delays (mean 5 s, some beyond the
    /// window), labels arriving in event-time order with jitter, 1% duplicate labels.
    static func traffic(count: Int, seed: UInt64) -> (predictions: [PredictionEvent], labels: [LabelEvent]) {
        var generator = SyntheticTraffic(seed: seed, intervalMilliseconds: 2, missingLabelRate: 0.1, meanLabelDelayMilliseconds: 5_000)
        var rng = SeededGenerator(seed: seed ^ 0xABCD)
        var predictions: [PredictionEvent] = []
        var labels: [(Int64, LabelEvent)] = []
        predictions.reserveCapacity(count)
        for i in 0 ..< count {
            var (p, l) = generator.next()
            p.model = models[i % models.count]
            p.features = [Feature("x", .number(Double(i % 100))), Feature("d", .string(i % 2 == 0 ? "ios" : "web"))]
            p.entityID = nil
            p.itemID = nil
            predictions.append(p)
            if var l {
                l.model = rng.next() % 3 == 0 ? nil : p.model
                let arrival = l.timestamp.milliseconds + Int64(rng.next() % 3_000)
                labels.append((arrival, l))
                if rng.next() % 100 == 0 { labels.append((arrival + Int64(rng.next() % 30_000), l)) }
            }
        }
        labels.sort { $0.0 < $1.0 }
        return (predictions, labels.map(\.1))
    }

    static let yaml = """
        join:
          idle_timeout: 0
          checkpoint_interval: 300ms
          defaults:
            window: 8s
            backward_window: 1s
            grace: 1s
            correction_horizon: 20s
            default_label: false
            aggregation: max
        metrics:
          enabled: false
        kafka:
          properties:
            session.timeout.ms: "3000"
            heartbeat.interval.ms: "300"
        """

    /// The output as it arrives. The consumer's task only copies bytes (the embedded broker keeps the last 5 MiB of
    /// a partition, and a partition here holds up to four models' examples: the reader must never fall behind);
    /// decoding and deduplication happen on the test's side, on demand.
    final class OutputLog: @unchecked Sendable {
        private let lock = NSLock()
        private var arrived: [(offset: Int64, value: [UInt8])] = []
        private let digestLock = NSLock()
        private var digested = 0
        private var byID: [String: [UInt8]] = [:]
        private var conflicts: [String] = []
        func add(_ batch: KafkaMessageBatch) {
            var copies: [(offset: Int64, value: [UInt8])] = []
            copies.reserveCapacity(batch.count)
            for m in batch { copies.append((m.offset, Array(m.value))) }
            lock.withLock { arrived.append(contentsOf: copies) }
        }
        /// Decodes what arrived since the last call.
        private func digest() {
            digestLock.withLock {
                let fresh = lock.withLock { arrived[digested...] }
                for (offset, value) in fresh {
                    guard let example = try? LabeledExample.decode(value) else {
                        conflicts.append("undecodable output at offset \(offset)")
                        continue
                    }
                    if let previous = byID[example.eventID], previous != value { conflicts.append(example.eventID) }
                    byID[example.eventID] = value
                }
                digested += fresh.count
            }
        }
        var unique: Int { digest(); return digestLock.withLock { byID.count } }
        var snapshot: [String: [UInt8]] { digest(); return digestLock.withLock { byID } }
        var conflictList: [String] { digest(); return digestLock.withLock { conflicts } }
        var total: Int { lock.withLock { arrived.count } }
    }

    static func startStage(config: URL, brokers: String, state: String, group: String, prefix: String, log: URL) throws -> Process {
        try Subprocess.startTideline(["run", "--stages", "join", "--config", config.path, "--brokers", brokers, "--state", state,
                                      "--group", group, "--topic-prefix", prefix, "--log-level", "warning"], appendingOutputTo: log)
    }

    @Test(.timeLimit(.minutes(10)))
    func killNineAtRandomPointsLosesAndChangesNothing() async throws {
        let cluster = SharedBroker.cluster
        let prefix = TestNames.unique("crash") + "."
        let partitions = 16
        try cluster.createTopic(prefix + "predictions", partitions: partitions)
        try cluster.createTopic(prefix + "labels", partitions: partitions)
        try cluster.createTopic(prefix + "labeled-examples", partitions: 16)
        try cluster.createTopic(prefix + "dead-letter", partitions: 1)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let configURL = dir.appendingPathComponent("tideline.yaml")
        try Self.yaml.write(to: configURL, atomically: true, encoding: .utf8)
        let state = dir.appendingPathComponent("state.sqlite").path
        let logURL = dir.appendingPathComponent("stage.log")

        let (predictions, labels) = Self.traffic(count: 200_000, seed: 7)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        // The input arrives in ten parts, one per run of the stage, as traffic would. The first half of a part is
        // there when the stage starts; the second half trickles in, in ten slices 150 ms apart, while it runs, and the
        // kill falls just after a random slice. So every kill finds the stage mid-stream with output published since
        // its last checkpoint (300 ms), however fast the machine: the restart must re-publish some of it.
        let parts = 10, slices = 10
        var predictionCursor = 0, labelCursor = 0
        func produce(upTo end: Int) async throws {
            guard end > predictionCursor else { return }
            let until = end == predictions.count ? Int64.max : predictions[end].timestamp.milliseconds
            var labelEnd = labelCursor
            while labelEnd < labels.count && labels[labelEnd].timestamp.milliseconds < until { labelEnd += 1 }
            try await producer.sendAll(predictions[predictionCursor ..< end].map {
                KafkaOutgoingMessage(topic: prefix + "predictions", key: Array($0.requestID.utf8), value: $0.encoded())
            })
            try await producer.sendAll(labels[labelCursor ..< labelEnd].map {
                KafkaOutgoingMessage(topic: prefix + "labels", key: Array($0.requestID.utf8), value: $0.encoded())
            })
            predictionCursor = end
            labelCursor = labelEnd
        }

        // Watch the output the whole time (the embedded broker keeps only 5 MiB per partition).
        let log = OutputLog()
        let watcher = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try watcher.assign((0 ..< 16).map { TopicPartitionOffset(topic: prefix + "labeled-examples", partition: $0, offset: -2) })
        let watching = Task {
            for await event in watcher.events { if case .messages(let batch) = event { log.add(batch) } }
        }

        var rng = SeededGenerator(seed: UInt64(UInt32.random(in: 0 ... .max)))
        var kills = 0
        var republished: [Int] = []  // examples each restart published a second time, as seen at its kill
        let group = TestNames.unique("crash-join")
        while kills < parts {
            let partEnd = (kills + 1) * predictions.count / parts
            let half = (kills * predictions.count / parts + partEnd) / 2
            try await produce(upTo: half)
            let stage = try Self.startStage(config: configURL, brokers: cluster.bootstrapServers, state: state, group: group, prefix: prefix, log: logURL)
            // Once it has joined the group and published something, the rest of the part trickles in.
            let before = log.total
            let deadline = ContinuousClock.now + .seconds(30)
            while log.total == before && ContinuousClock.now < deadline && stage.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            let killAfter = Int(rng.next() % UInt64(slices))
            for slice in 0 ... killAfter {
                try await produce(upTo: half + (slice + 1) * (partEnd - half) / slices)
                try await Task.sleep(for: .milliseconds(slice == killAfter ? Int(rng.next() % 100) : 150))
            }
            #expect(stage.isRunning, "the stage exited by itself; see \(logURL.path)")
            kill(stage.processIdentifier, SIGKILL)
            await Subprocess.waitForExit(stage)
            kills += 1
            republished.append(log.total - log.unique - republished.reduce(0, +))
            try await produce(upTo: partEnd)  // the rest of the part arrives while the stage is down
        }
        try await produce(upTo: predictions.count)
        try await producer.close()
        #expect(labelCursor == labels.count)

        // The reference: the plain join of exactly what is in the input partitions.
        let config = try TidelineConfiguration.parse(Self.yaml).joinConfiguration  // as `tideline run` reads it
        let expected = try await ReferenceJoin.expected(config, predictions: prefix + "predictions", labels: prefix + "labels",
                                                        partitions: partitions)
        #expect(expected.count > 150_000)
        #expect(Set(expected.values.map(\.labelKind)) == Set(LabelKind.allCases))

        // The last run goes to the end.
        let final = try Self.startStage(config: configURL, brokers: cluster.bootstrapServers, state: state, group: group, prefix: prefix, log: logURL)
        let deadline = ContinuousClock.now + .seconds(300)
        while log.unique < expected.count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        try await Task.sleep(for: .seconds(1))
        final.terminate()
        await Subprocess.waitForExit(final)
        watching.cancel()
        await watcher.close()

        #expect(kills >= 10)
        #expect(log.conflictList.isEmpty, "event_ids published with different content: \(log.conflictList.prefix(5))")
        let actual = log.snapshot
        let missing = expected.keys.filter { actual[$0] == nil }
        let extra = actual.keys.filter { expected[$0] == nil }
        #expect(missing.isEmpty, "\(missing.count) examples lost, e.g. \(missing.prefix(3).compactMap { expected[$0] })")
        #expect(extra.isEmpty, "\(extra.count) unexpected examples")
        var differing = 0
        for (id, bytes) in actual {
            guard let reference = expected[id] else { continue }
            if try LabeledExample.decode(bytes) != reference { differing += 1 }
        }
        #expect(differing == 0)
        #expect(log.total > log.unique, "the kills should have caused some re-publication (\(log.total) received)")
        print("join crash test: \(kills) kills, \(log.total) examples received, \(log.unique) unique, \(expected.count) expected; re-published by each restart as seen at its kill: \(republished.dropFirst())")
    }

    /// Punctuations (idle-partition clock advances, taken from the wall clock) are recorded before they take effect;
    /// after `kill -9` the restart must apply each at the same input position, or the examples it re-publishes differ.
    /// Here the predictions' windows close by punctuation alone (`implicit`), and their labels, produced afterwards,
    /// come as `correction`s. A restart that ignored the recorded punctuations would join the same labels on time
    /// (`observed`, with other event ids). No checkpoint is taken, so the restart replays everything from the start.
    @Test(.timeLimit(.minutes(5)))
    func recordedPunctuationsAreReplayedAfterKillNine() async throws {
        let cluster = SharedBroker.cluster
        let prefix = TestNames.unique("punctuation") + "."
        for topic in ["predictions", "labels", "labeled-examples", "dead-letter"] { try cluster.createTopic(prefix + topic, partitions: 1) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-punctuation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let configURL = dir.appendingPathComponent("tideline.yaml")
        try """
            join:
              idle_timeout: 500ms
              idle_slack: 0ms
              checkpoint_interval: 10m
              defaults: {window: 2s, backward_window: 0ms, grace: 500ms, correction_horizon: 10m, default_label: false}
            metrics: {enabled: false}
            kafka:
              properties: {session.timeout.ms: "3000", heartbeat.interval.ms: "300"}
            """.write(to: configURL, atomically: true, encoding: .utf8)
        let state = dir.appendingPathComponent("state.sqlite").path
        let logURL = dir.appendingPathComponent("stage.log")
        let group = TestNames.unique("punctuation-join")

        // Event times 60 s in the past: a punctuation (wall clock minus no slack) closes every window at once.
        let count = 50
        let start = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        let predictions = (0 ..< count).map { i in
            PredictionEvent(requestID: "r\(i)", model: "m", modelVersion: "1", timestamp: EventTime(milliseconds: start + Int64(i)),
                            features: [Feature("x", .number(Double(i)))], prediction: .score(0.5))
        }
        let labels = (0 ..< count).map { LabelEvent(requestID: "r\($0)", timestamp: EventTime(milliseconds: start + 1_000 + Int64($0)), label: .bool(true)) }
        // A label no prediction matches, so that the labels partition has a position before it goes quiet.
        let unmatched = LabelEvent(requestID: "unmatched", timestamp: EventTime(milliseconds: start), label: .bool(true))
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        func send(_ topic: String, _ values: [[UInt8]]) async throws {
            try await producer.sendAll(values.map { KafkaOutgoingMessage(topic: prefix + topic, key: nil, value: $0) })
        }

        let log = OutputLog()
        let watcher = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try watcher.assign([TopicPartitionOffset(topic: prefix + "labeled-examples", partition: 0, offset: -2)])
        let watching = Task { for await event in watcher.events { if case .messages(let batch) = event { log.add(batch) } } }
        func waitFor(total: Int, _ stage: Process) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while log.total < total && ContinuousClock.now < deadline && stage.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        }

        try await send("predictions", predictions.map { $0.encoded() })
        try await send("labels", [unmatched.encoded()])
        let first = try Self.startStage(config: configURL, brokers: cluster.bootstrapServers, state: state, group: group, prefix: prefix, log: logURL)
        try await waitFor(total: count, first)  // the punctuation closed every window
        try await send("labels", labels.map { $0.encoded() })
        try await waitFor(total: 2 * count, first)  // every label came as a correction
        #expect(first.isRunning, "the stage exited by itself; see \(logURL.path)")
        kill(first.processIdentifier, SIGKILL)
        await Subprocess.waitForExit(first)
        let beforeRestart = log.snapshot
        let kinds = beforeRestart.values.compactMap { try? LabeledExample.decode($0).labelKind }
        #expect(kinds.filter { $0 == .implicit }.count == count && kinds.filter { $0 == .correction }.count == count,
                "the first run should close every window by punctuation, then correct each: \(kinds.count) examples")

        let second = try Self.startStage(config: configURL, brokers: cluster.bootstrapServers, state: state, group: group, prefix: prefix, log: logURL)
        try await waitFor(total: 4 * count, second)  // the restart re-published everything (no checkpoint was taken)
        try await Task.sleep(for: .seconds(1))  // and nothing else
        second.terminate()
        await Subprocess.waitForExit(second)
        watching.cancel()
        await watcher.close()
        try await producer.close()

        #expect(log.total == 4 * count, "\(log.total) examples received")
        #expect(log.conflictList.isEmpty, "event ids re-published with different content: \(log.conflictList.prefix(3))")
        let afterRestart = log.snapshot
        #expect(afterRestart.count == beforeRestart.count && afterRestart.allSatisfy { beforeRestart[$0.key] == $0.value },
                "the restart published \(afterRestart.count - beforeRestart.count) examples the first run did not")
    }
}
