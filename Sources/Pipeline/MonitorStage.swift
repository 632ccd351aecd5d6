public import Events
import Foundation
public import Kafka
public import Logging
import Metrics
public import Monitoring
import StateStore

/// Settings of a monitor stage process.
public struct MonitorStageOptions: Sendable {
    public var client: KafkaClientConfiguration
    public var predictionsTopic: String
    public var examplesTopic: String
    public var alertsTopic: String
    public var deadLetterTopic: String
    /// Consumer group. Run one instance per group: the state covers every model.
    public var group: String
    public var monitor: MonitorConfiguration
    /// Wall-clock quiet time (ms) after which a partition stops holding windows open; 0 disables it.
    public var idleTimeout: Int64
    /// Wall-clock interval (ms) between checkpoints.
    public var checkpointInterval: Int64
    public var statePath: String
    public var limits: EventLimits
    /// Stored reference windows for models with `reference: snapshot` (used when no checkpoint exists yet).
    public var references: [String: PredictionWindow] = [:]
    /// Told about every alert this stage publishes (the dashboard's incident list).
    public var onPublished: PublishedEventHandler?

    public init(client: KafkaClientConfiguration, predictionsTopic: String = "predictions", examplesTopic: String = "labeled-examples",
                alertsTopic: String = "alerts", deadLetterTopic: String = "dead-letter", group: String = "tideline-monitor",
                monitor: MonitorConfiguration = MonitorConfiguration(), idleTimeout: Int64 = 60_000, checkpointInterval: Int64 = 5_000,
                statePath: String = "tideline-state.sqlite", limits: EventLimits = .default) {
        self.client = client; self.predictionsTopic = predictionsTopic; self.examplesTopic = examplesTopic
        self.alertsTopic = alertsTopic; self.deadLetterTopic = deadLetterTopic; self.group = group; self.monitor = monitor
        self.idleTimeout = idleTimeout; self.checkpointInterval = checkpointInterval; self.statePath = statePath; self.limits = limits
    }

    /// The key under which this stage's checkpoint is stored.
    public var stateKey: String { "monitor/\(group)" }
}

/// The monitor stage: consumes `predictions` and `labeled-examples`, runs one `MonitorOperator`, publishes
/// `alerts` keyed by model, and sends undecodable records to `dead-letter`.
///
/// Crash safety follows the join's design: the checkpoint (operator state plus the next offset of every input
/// partition, in one SQLite transaction) is written only after every alert emitted before it is acknowledged;
/// a restart resumes from it and recomputes the rest identically, so alerts published again carry the same
/// `alert_id` and status (consumers deduplicate on the pair). Idle-partition handling is driven by wall clock
/// and is the one input not replayed exactly (see README).
///
/// ## Threading
/// `run()` is one task that owns the operator; Kafka I/O happens on the clients' own threads.
public final class MonitorStage: @unchecked Sendable {
    /// Ready for `/readyz`: partitions assigned and their state restored.
    public let readiness = StageReadiness()
    public let options: MonitorStageOptions
    private let logger: Logger
    private let store: CheckpointStore
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private var op: MonitorOperator
    private var next: [String: Int64] = [:]
    private var lastActivity: [String: ContinuousClock.Instant] = [:]
    private var idle: Set<String> = []
    private var output = MonitorOperator.Output()
    /// Output handed to the producer, and the checkpoint save that waits for it.
    private let outbox: StageOutput
    private var lastCheckpoint = ContinuousClock.now
    private var dirty = false
    private let alertsCounter = Counter(label: "tideline_monitor_alerts_total")
    private let windowsCounter = Counter(label: "tideline_monitor_windows_total")
    private let lateCounter = Counter(label: "tideline_monitor_late_events_total")
    private var stageMetrics = StageMetrics(stage: "monitor")
    /// Models that had an open incident at the last report, so that their gauge returns to 0.
    private var incidentModels: Set<String> = []
    private let decoded = [Counter(label: "tideline_events_decoded_total", dimensions: [("stage", "monitor"), ("event", PredictionEvent.eventName)]),
                           Counter(label: "tideline_events_decoded_total", dimensions: [("stage", "monitor"), ("event", LabeledExample.eventName)])]
    private let deadLetters = [Counter(label: "tideline_dead_letters_total", dimensions: [("stage", "monitor"), ("event", PredictionEvent.eventName)]),
                               Counter(label: "tideline_dead_letters_total", dimensions: [("stage", "monitor"), ("event", LabeledExample.eventName)])]
    private let lock = NSLock()
    private let alertsDelivered = DeliveredCount()
    private var _summaries: [WindowSummary] = []

    /// Alerts acknowledged by Kafka so far. Thread-safe.
    public var alertsPublished: Int { alertsDelivered.value }
    /// The window summaries so far (for tests and logs). Thread-safe.
    public var summaries: [WindowSummary] { lock.withLock { _summaries } }

    public init(options: MonitorStageOptions, logger: Logger = Logger(label: "tideline.monitor")) throws {
        self.options = options
        self.logger = logger
        store = try CheckpointStore(path: options.statePath)
        if let checkpoint = try store.load(stage: options.stateKey, partition: 0) {
            op = try MonitorOperator.restore(from: Data(checkpoint.state))
            next = checkpoint.offsets
            logger.info("monitor: restored state at \(checkpoint.offsets.count) input positions")
        } else {
            op = MonitorOperator(configuration: options.monitor, references: options.references)
        }
        var consumerConfig = KafkaConsumerConfiguration(client: options.client, groupID: options.group)
        consumerConfig.idleEventInterval = .milliseconds(500)
        consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)
        var producerConfig = KafkaProducerConfiguration(client: options.client)
        producerConfig.messageTimeoutMilliseconds = 0
        producer = try KafkaProducer(configuration: producerConfig, logger: logger)
        let alertsTopic = options.alertsTopic, alertsDelivered = self.alertsDelivered
        outbox = StageOutput(producer: producer, maxInFlight: 16, saveDuration: stageMetrics.checkpointSave) { reports in
            alertsDelivered.add(reports.lazy.filter { $0.topic == alertsTopic }.count)
        }
    }

    private func positionKey(_ topic: String, _ partition: Int32) -> String {
        "\(topic == options.predictionsTopic ? "predictions" : "examples")/\(partition)"
    }

    /// Runs until the task is cancelled (then checkpoints and leaves the group) or a fatal error.
    public func run() async throws {
        defer { readiness.stop() }
        let positions = next, predictions = options.predictionsTopic
        consumer.startingOffsets = { partitions in
            var result: [TopicPartition: Int64] = [:]
            for tp in partitions {
                let key = "\(tp.topic == predictions ? "predictions" : "examples")/\(tp.partition)"
                if let offset = positions[key] { result[tp] = offset }
            }
            return result
        }
        try consumer.subscribe(topics: [options.predictionsTopic, options.examplesTopic])
        publishOpenIncidents()
        do {
            for await event in consumer.events {
                if Task.isCancelled { break }
                switch event {
                case .messages(let batch):
                    let started = ContinuousClock.now
                    try await handle(batch)
                    stageMetrics.processed(batch, startedAt: started)
                case .partitionsAssigned(let partitions):
                    for (topic, input) in [(options.predictionsTopic, MonitorOperator.Input.predictions), (options.examplesTopic, .examples)] {
                        let ps = partitions.filter { $0.topic == topic }.map(\.partition)
                        op.assign(input, partitions: ps)
                        // An assigned partition that never delivers becomes idle after the timeout like any other.
                        for p in ps where lastActivity[positionKey(topic, p)] == nil { lastActivity[positionKey(topic, p)] = ContinuousClock.now }
                    }
                    readiness.assigned(partitions)
                case .partitionsRevoked(let partitions):
                    readiness.revoked(partitions)
                    for (topic, input) in [(options.predictionsTopic, MonitorOperator.Input.predictions), (options.examplesTopic, .examples)] {
                        op.unassign(input, partitions: partitions.filter { $0.topic == topic }.map(\.partition), into: &output)
                    }
                case .error(let error):
                    if error.classification == .fatal { throw error }
                    logger.warning("kafka: \(error)")
                case .idle, .endOfPartition: break
                }
                markIdlePartitions()
                try await flushOutput()
                try await outbox.collectFinishedCheckpoint()
                if !outbox.isSavingCheckpoint && ContinuousClock.now - lastCheckpoint >= .milliseconds(options.checkpointInterval) {
                    try await checkpoint()
                }
            }
            try await checkpoint()
            try await outbox.awaitCheckpoint()
        } catch {
            logger.error("monitor stage stopping: \(error)")
            await consumer.close()
            try? await producer.close(timeout: .seconds(5))
            throw error
        }
        await consumer.close()
        try await producer.close()
    }

    private func handle(_ batch: KafkaMessageBatch) async throws {
        var deadLetterMessages: [KafkaOutgoingMessage] = []
        let now = ContinuousClock.now
        let before = op.statistics
        for message in batch {
            let key = positionKey(message.topic, message.partition)
            if let n = next[key], message.offset < n { continue }  // already reflected in the restored state
            let isPrediction = message.topic == options.predictionsTopic
            let i = isPrediction ? 0 : 1
            do {
                if isPrediction {
                    op.process(try PredictionEvent.decode(message.value, limits: options.limits), partition: message.partition, into: &output)
                } else {
                    op.process(try LabeledExample.decode(message.value, limits: options.limits), partition: message.partition, into: &output)
                }
                decoded[i].increment()
            } catch {
                logger.deadLetter(message, kind: error.kind.rawValue, field: error.field, reason: error.description)
                deadLetters[i].increment()
                deadLetterMessages.append(DeadLetter.record(for: message, reason: error.description, kind: error.kind.rawValue, field: error.field,
                                                            stage: "monitor", deadLetterTopic: options.deadLetterTopic))
            }
            next[key] = message.offset + 1
            lastActivity[key] = now
            idle.remove(key)
            dirty = true
        }
        let late = (op.statistics.latePredictions - before.latePredictions) + (op.statistics.lateExamples - before.lateExamples)
        if late > 0 { lateCounter.increment(by: Int64(late)) }
        if !deadLetterMessages.isEmpty {
            stageMetrics.published(deadLetterMessages.count, to: options.deadLetterTopic)
            try await outbox.send(deadLetterMessages)
        }
    }

    private func markIdlePartitions() {
        guard options.idleTimeout > 0 else { return }
        let now = ContinuousClock.now
        for (key, last) in lastActivity where !idle.contains(key) && now - last >= .milliseconds(options.idleTimeout) {
            idle.insert(key)
            let parts = key.split(separator: "/")
            guard let partition = Int32(parts[1]) else { continue }
            op.markIdle(parts[0] == "predictions" ? .predictions : .examples, partition: partition, into: &output)
            dirty = true
        }
    }

    private func flushOutput() async throws {
        if !output.summaries.isEmpty {
            windowsCounter.increment(by: Int64(output.summaries.count))
            for summary in output.summaries { publishMetrics(summary) }
            for s in output.summaries where !s.breaches.isEmpty {
                logger.info("monitor: \(s.model) \(s.input.rawValue) window \(EventTime(milliseconds: s.start).rfc3339) (\(s.count) events): \(s.breaches.joined(separator: ", "))")
            }
            lock.withLock { _summaries.append(contentsOf: output.summaries) }
        }
        if !output.alerts.isEmpty {
            let messages = output.alerts.map {
                KafkaOutgoingMessage(topic: options.alertsTopic, key: Array($0.model.utf8), value: $0.encoded())
            }
            for a in output.alerts {
                logger.notice("alert \(a.status.rawValue): \(a.kind.rawValue) \(a.model)/\(a.subject) [\(a.alertID)]",
                              metadata: ["model": "\(a.model)", "alert_id": "\(a.alertID)", "status": "\(a.status.rawValue)"])
            }
            alertsCounter.increment(by: Int64(messages.count))
            stageMetrics.published(messages.count, to: options.alertsTopic)
            try await outbox.send(messages)
            options.onPublished?(output.alerts.map { .alert($0) })
            publishOpenIncidents()
        }
        output.removeAll()
    }

    private func publishMetrics(_ summary: WindowSummary) {
        for g in Self.gauges(for: summary) { Gauge(label: g.label, dimensions: g.dimensions).record(g.value) }
    }

    /// `tideline_monitor_open_incidents{model}`: incidents firing now, per model.
    private func publishOpenIncidents() {
        let open = op.openIncidents
        for model in incidentModels.union(open.keys) {
            Gauge(label: "tideline_monitor_open_incidents", dimensions: [("model", model)]).record(open[model] ?? 0)
        }
        incidentModels.formUnion(open.keys)
    }

    /// A closed window's metrics as gauges: `tideline_monitor_metric{model, input, metric}`, realized accuracy per
    /// model version and variant as `tideline_monitor_accuracy{model, version, variant}`, and each drift test as
    /// `tideline_monitor_drift_statistic`, `tideline_monitor_drift_p_value` and `tideline_monitor_drift_threshold`
    /// labelled `{model, feature, test}` (feature: a feature name, `prediction` or `label`).
    public static func gauges(for summary: WindowSummary) -> [(label: String, dimensions: [(String, String)], value: Double)] {
        var out: [(label: String, dimensions: [(String, String)], value: Double)] = []
        for d in summary.drift {
            let dims = [("model", summary.model), ("feature", d.subject), ("test", d.test)]
            out.append(("tideline_monitor_drift_statistic", dims, d.statistic))
            out.append(("tideline_monitor_drift_p_value", dims, d.pValue))
            out.append(("tideline_monitor_drift_threshold", dims, d.threshold))
        }
        for (name, value) in summary.metrics.sorted(by: { $0.key < $1.key }) {
            if name.hasPrefix("accuracy["), name.hasSuffix("]") {
                let group = name.dropFirst("accuracy[".count).dropLast().split(separator: "/", maxSplits: 1).map(String.init)
                guard group.count == 2 else { continue }
                out.append(("tideline_monitor_accuracy", [("model", summary.model), ("version", group[0]), ("variant", group[1])], value))
            } else {
                out.append(("tideline_monitor_metric", [("model", summary.model), ("input", summary.input.rawValue), ("metric", name)], value))
            }
        }
        return out
    }

    /// Snapshots the operator and saves it in the background once all output so far is acknowledged (`StageOutput`).
    private func checkpoint() async throws {
        try await flushOutput()
        try await outbox.awaitCheckpoint()  // saves stay in order
        lastCheckpoint = ContinuousClock.now
        guard dirty else { return try await outbox.awaitDeliveries() }  // nothing to save: collect the reports
        let snapshot = try op.snapshot()
        dirty = false
        stageMetrics.checkpointPause.recordNanoseconds(StageMetrics.nanoseconds(ContinuousClock.now - lastCheckpoint))
        stageMetrics.checkpointBytes.record(snapshot.count)
        var commits: [TopicPartitionOffset] = []
        for (key, offset) in next {
            let parts = key.split(separator: "/")
            guard let p = Int32(parts[1]) else { continue }
            commits.append(TopicPartitionOffset(topic: parts[0] == "predictions" ? options.predictionsTopic : options.examplesTopic, partition: p, offset: offset))
        }
        let store = self.store, key = options.stateKey, offsets = next, consumer = self.consumer, logger = self.logger
        try await outbox.saveCheckpoint({
            try store.save(stage: key, [(0, .init(state: Array(snapshot), offsets: offsets))])
        }, then: { [commits] in
            await consumer.commitCheckpointed(commits, logger: logger)
        })
    }
}
