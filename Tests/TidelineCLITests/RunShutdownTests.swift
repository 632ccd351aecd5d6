import Events
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Kafka
import Pipeline
import Testing
import TidelineTestKit

/// `tideline run` with every stage in one process, stopped with SIGTERM in the middle of its input and started
/// again on the same state: it exits 0 after checkpointing, and the restart continues where it stopped — every
/// prediction becomes exactly one labeled example (a repeat carries the same bytes), model versions continue
/// without a gap or a rewrite.
@Suite struct RunShutdownTests {
    static func yaml(prefix: String, dir: URL) -> String {
        """
        metrics: {enabled: false}
        kafka:
          properties: {session.timeout.ms: "3000", heartbeat.interval.ms: "300"}
        join: {group: \(prefix)join, idle_timeout: 0s, checkpoint_interval: 300ms}
        monitor:
          group: \(prefix)monitor
          idle_timeout: 0s
          checkpoint_interval: 300ms
          defaults: {window: 1m, hop: 1m, allowed_lateness: 5s, label_lateness: 1m, min_window_events: 200}
        train: {group: \(prefix)train, checkpoint_interval: 300ms, model_directory: \(dir.appendingPathComponent("models").path)}
        state: {path: \(dir.appendingPathComponent("state.sqlite").path)}
        models:
          ctr:
            task: binary_classification
            join: {window: 30s, default_label: false}
            train:
              batch_size: 256
              triggers: {examples: 1500, error_change_delta: off}
              rollback: {enabled: false}
        """
    }

    /// What arrived on an output topic, by id, with conflicting repeats.
    final class Arrivals: @unchecked Sendable {
        private let lock = NSLock()
        private var byID: [String: [UInt8]] = [:]
        private var order: [String] = []
        private var requests: [String] = []
        private(set) var conflicts: [String] = []
        func add(id: String, bytes: [UInt8], request: String? = nil) {
            lock.withLock {
                if let request, byID[id] == nil { requests.append(request) }
                if let previous = byID[id] {
                    if previous != bytes { conflicts.append(id) }
                } else {
                    byID[id] = bytes
                    order.append(id)
                }
            }
        }
        var count: Int { lock.withLock { order.count } }
        var requestIDs: [String] { lock.withLock { requests } }
        var ids: [String] { lock.withLock { order } }
        var conflictList: [String] { lock.withLock { conflicts } }
    }

    @Test(.timeLimit(.minutes(6)))
    func sigtermMidRunLosesNothingAndARestartContinues() async throws {
        let cluster = SharedBroker.cluster
        let prefix = TestNames.unique("sigterm") + "."
        for t in ["predictions", "labels", "labeled-examples"] { try cluster.createTopic(prefix + t, partitions: 4) }
        for t in ["alerts", "model-commands", "model-updates", "dead-letter"] { try cluster.createTopic(prefix + t, partitions: 1) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-sigterm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("tideline.yaml")
        try Self.yaml(prefix: prefix, dir: dir).write(to: config, atomically: true, encoding: .utf8)
        let log = dir.appendingPathComponent("run.log")

        var traffic = SyntheticTraffic(seed: 31, intervalMilliseconds: 20, meanLabelDelayMilliseconds: 2_000)
        traffic.driftAtIndex = 6_000
        var halves: [[KafkaOutgoingMessage]] = [[], []]
        let total = 10_000
        for i in 0 ..< total {
            let (p, l) = traffic.next()
            halves[i < total / 2 ? 0 : 1].append(KafkaOutgoingMessage(topic: prefix + "predictions", key: Array(p.partitionKey.utf8), value: p.encoded()))
            if let l { halves[i < total / 2 ? 0 : 1].append(KafkaOutgoingMessage(topic: prefix + "labels", key: Array(l.partitionKey.utf8), value: l.encoded())) }
        }
        // Sentinels 10 minutes after the traffic, on every partition, move event time past the last window (the
        // stages advance on event time only here: idle_timeout 0); they are not counted.
        let end = traffic.start.milliseconds + Int64(total) * 20 + 600_000
        for k in 0 ..< 64 {
            let id = "sentinel-\(k)", at = EventTime(milliseconds: end + Int64(k))
            let p = PredictionEvent(requestID: id, model: "ctr", modelVersion: "1", timestamp: at, features: [Feature("x0", .number(0))],
                                    prediction: .score(0.5), entityID: nil, itemID: nil)
            let l = LabelEvent(requestID: id, timestamp: at, label: .bool(false), model: "ctr", source: "click")
            halves[1].append(KafkaOutgoingMessage(topic: prefix + "predictions", key: Array(id.utf8), value: p.encoded()))
            halves[1].append(KafkaOutgoingMessage(topic: prefix + "labels", key: Array(id.utf8), value: l.encoded()))
        }
        let producer = try KafkaProducer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        try await producer.sendAll(halves[0])

        let examples = Arrivals(), updates = Arrivals()
        let watcher = try KafkaConsumer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        try watcher.assign((0 ..< 4).map { TopicPartitionOffset(topic: prefix + "labeled-examples", partition: $0, offset: KafkaOffset.beginning) }
                           + [TopicPartitionOffset(topic: prefix + "model-updates", partition: 0, offset: KafkaOffset.beginning)])
        let watching = Task {
            for await event in watcher.events {
                guard case .messages(let batch) = event else { continue }
                for m in batch {
                    if m.topic.hasSuffix("labeled-examples"), let e = try? LabeledExample.decode(m.value) {
                        examples.add(id: e.eventID, bytes: Array(m.value), request: e.labelKind == .correction ? nil : e.requestID)
                    } else if let u = try? ModelUpdateEvent.decode(m.value) {
                        updates.add(id: u.version, bytes: Array(m.value))
                    }
                }
            }
        }
        let arguments = ["run", "--stages", "join", "monitor", "train", "--config", config.path, "--brokers", cluster.bootstrapServers,
                         "--topic-prefix", prefix, "--log-level", "error", "--metrics-port", "0"]

        // First run: SIGTERM once it is well into the first half.
        let first = try Subprocess.startTideline(arguments, appendingOutputTo: log)
        var deadline = ContinuousClock.now + .seconds(60)
        while examples.count < 2_000 && ContinuousClock.now < deadline && first.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(first.isRunning, "the run exited by itself: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        // While it runs: alive, ready (every stage holds its partitions with state restored), and its metrics.
        let logText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let address = try #require(logText.split(separator: "\n").first { $0.hasPrefix("metrics=") }.map { String($0.dropFirst("metrics=".count).dropLast("/metrics".count)) },
                                   "\(logText)")
        func get(_ path: String) async throws -> (Int, String) {
            let (data, response) = try await URLSession.shared.data(from: URL(string: address + path)!)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        #expect(try await get("/healthz").0 == 200)
        var ready = try await get("/readyz")
        deadline = ContinuousClock.now + .seconds(120)
        while ready.0 != 200 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            ready = try await get("/readyz")
        }
        #expect(ready.0 == 200, "ready once every stage holds its partitions: \(ready)")
        let metrics = try await get("/metrics")
        #expect(metrics.0 == 200)
        for name in ["tideline_join_examples_total", "tideline_kafka_consumed_messages_total", "tideline_train_examples_total"] {
            #expect(metrics.1.contains(name), "\(name) in /metrics")
        }
        kill(first.processIdentifier, SIGTERM)
        await Subprocess.waitForExit(first)
        let firstLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(first.terminationStatus == 0, "SIGTERM is a clean stop: \(firstLog)")
        #expect(firstLog.contains("received signal \(SIGTERM), checkpointing and stopping"))
        #expect(firstLog.contains("join stopped") && firstLog.contains("monitor stopped") && firstLog.contains("train stopped"), "\(firstLog)")
        let examplesBeforeRestart = examples.count
        let versionsBeforeRestart = updates.ids

        // The rest of the input arrives while it is down; the restart picks up from its checkpoints.
        try await producer.sendAll(halves[1])
        try await producer.close()
        let second = try Subprocess.startTideline(arguments, appendingOutputTo: log)
        deadline = ContinuousClock.now + .seconds(150)
        func realExamples() -> Int { examples.requestIDs.count { !$0.hasPrefix("sentinel-") } }
        while realExamples() < total && ContinuousClock.now < deadline && second.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .seconds(2))
        kill(second.processIdentifier, SIGTERM)
        await Subprocess.waitForExit(second)
        watching.cancel()
        await watcher.close()
        let fullLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""

        #expect(second.terminationStatus == 0, "\(fullLog)")
        #expect(examplesBeforeRestart < total, "the first run was stopped mid-input")
        let joined = examples.requestIDs.filter { !$0.hasPrefix("sentinel-") }
        #expect(joined.count == total, "every prediction is joined exactly once across the restart: \(joined.count) of \(total)")
        #expect(Set(joined) == Set((0 ..< total).map { "req-\($0)" }))
        #expect(examples.conflictList.isEmpty, "an example published twice with different content: \(examples.conflictList.prefix(3))")
        #expect(updates.conflictList.isEmpty, "a model version published twice with different content: \(updates.conflictList.prefix(3))")
        let versions = updates.ids
        #expect(versions.count > versionsBeforeRestart.count, "training continued after the restart")
        #expect(Array(versions.prefix(versionsBeforeRestart.count)) == versionsBeforeRestart)
        #expect(versions == (1 ... versions.count).map { "v\($0)" }, "versions continue without a gap: \(versions)")
    }
}
