public import Events
import Foundation
public import Kafka
public import Logging
import Metrics
public import ModelStore
import StateStore
public import Training

/// Settings of a train stage process.
public struct TrainStageOptions: Sendable {
    public var client: KafkaClientConfiguration
    public var examplesTopic: String
    public var alertsTopic: String
    public var commandsTopic: String
    public var updatesTopic: String
    public var deadLetterTopic: String
    /// Consumer group. Run one instance per group: its state covers every trained model.
    public var group: String
    /// The trained models and their settings, by model name.
    public var models: [String: TrainerConfiguration]
    /// Wall-clock interval (ms) between checkpoints (there is also one after every published update and control event).
    public var checkpointInterval: Int64
    /// The SQLite file of stage state (trainer state with input offsets).
    public var statePath: String
    /// The SQLite catalog of model versions (`tideline models` reads it).
    public var catalogPath: String
    public var limits: EventLimits
    /// Told about every model update this stage publishes (the dashboard's version timeline).
    public var onPublished: PublishedEventHandler?

    public init(client: KafkaClientConfiguration, examplesTopic: String = "labeled-examples", alertsTopic: String = "alerts",
                commandsTopic: String = "model-commands", updatesTopic: String = "model-updates", deadLetterTopic: String = "dead-letter",
                group: String = "tideline-train", models: [String: TrainerConfiguration], checkpointInterval: Int64 = 5_000,
                statePath: String = "tideline-state.sqlite", catalogPath: String = "tideline-models/catalog.sqlite", limits: EventLimits = .default) {
        self.client = client; self.examplesTopic = examplesTopic; self.alertsTopic = alertsTopic; self.commandsTopic = commandsTopic
        self.updatesTopic = updatesTopic; self.deadLetterTopic = deadLetterTopic; self.group = group; self.models = models
        self.checkpointInterval = checkpointInterval; self.statePath = statePath; self.catalogPath = catalogPath; self.limits = limits
    }

    /// The key under which this stage's checkpoint is stored.
    public var stateKey: String { "train/\(group)" }
}

/// The train stage: consumes `labeled-examples` (plus `alerts` for drift triggers and `model-commands` for manual
/// retrain and rollback), runs one `ModelTrainer` per configured model, and publishes `model-updates` keyed by model.
///
/// ## Order
/// Examples from all partitions are merged by (event time, partition, offset) with `EventTimeMerge`, waiting for
/// every partition until it has a record or has been read to its end; the trainers therefore see one order that
/// depends only on the topic's contents. Control events (alerts, commands) apply when they are read, and the state is
/// checkpointed right after each.
///
/// ## Crash consistency
/// For every update: the checkpoint file is written atomically and recorded in the catalog, then the event is
/// published and acknowledged, then trainer state and input offsets are saved in one SQLite transaction. A crash
/// anywhere replays from the last saved state and makes the same versions with the same bytes: files are rewritten
/// identically, the catalog is idempotent by (model, version), and a re-published event repeats (model, version)
/// with the same content, which consumers deduplicate on.
///
/// ## Threading
/// `run()` is one task that owns the trainers; Kafka I/O happens on the clients' own threads.
public final class TrainStage: @unchecked Sendable {
    /// Ready for `/readyz`: partitions assigned and their state restored.
    public let readiness = StageReadiness()
    public let options: TrainStageOptions
    private let logger: Logger
    private let state: CheckpointStore
    public let catalog: ModelStore
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private var trainers: [String: ModelTrainer] = [:]
    private var merge = EventTimeMerge<LabeledExample>()
    /// The next offset to read per input partition ("examples/0", "alerts/0", "commands/0").
    private var read: [String: Int64] = [:]
    private var lastCheckpoint = ContinuousClock.now
    private var dirty = false
    private var released: [EventTimeMerge<LabeledExample>.Entry] = []
    private let updatesCounter = Counter(label: "tideline_train_updates_total")
    private let examplesCounter = Counter(label: "tideline_train_examples_total")
    private let decoded = Counter(label: "tideline_events_decoded_total", dimensions: [("stage", "train"), ("event", LabeledExample.eventName)])
    private let deadLetters = Counter(label: "tideline_dead_letters_total", dimensions: [("stage", "train")])
    private var stageMetrics = StageMetrics(stage: "train")
    private let trainMetrics = TrainStageMetrics()
    /// Per model: the trainer's `trained` count at its last published update, and the champion's `created_at` (ms).
    private var trainedAtLastUpdate: [String: Int64] = [:]
    private var championCreatedAt: [String: Int64] = [:]
    private let lock = NSLock()
    private var _updates: [ModelUpdateEvent] = []
    private var _statistics: [String: TrainerStatistics] = [:]

    /// Updates acknowledged by Kafka so far, in order. Thread-safe.
    public var updatesPublished: [ModelUpdateEvent] { lock.withLock { _updates } }
    /// Each trainer's counters as of the last processed batch. Thread-safe.
    public var statistics: [String: TrainerStatistics] { lock.withLock { _statistics } }

    public init(options: TrainStageOptions, logger: Logger = Logger(label: "tideline.train")) throws {
        guard !options.models.isEmpty else { throw StageError("train: no model has a train section (models.<name>.train)") }
        self.options = options
        self.logger = logger
        state = try CheckpointStore(path: options.statePath)
        catalog = try ModelStore(path: options.catalogPath)
        if let checkpoint = try state.load(stage: options.stateKey, partition: 0) {
            let restored = try TrainStageSnapshot.decode(checkpoint.state)
            for (name, bytes) in restored {
                guard let configuration = options.models[name] else {
                    logger.notice("train: model \(name) is in the checkpoint but no longer configured; its state is dropped")
                    continue
                }
                let trainer = try ModelTrainer.restore(from: bytes)
                guard trainer.configuration == configuration else {
                    throw StageError("models.\(name).train changed since the checkpoint in \(options.statePath) (train.group \(options.group)); "
                                     + "a trainer continues with the settings it started with: restore the old settings, or use a new train.group to start over")
                }
                trainers[name] = trainer
            }
            read = checkpoint.offsets
            logger.info("train: restored \(trainers.count) trainer(s) at \(checkpoint.offsets.count) input positions")
        }
        for (name, configuration) in options.models where trainers[name] == nil {
            trainers[name] = ModelTrainer(model: name, configuration: configuration)
        }
        var consumerConfig = KafkaConsumerConfiguration(client: options.client, groupID: options.group)
        consumerConfig.idleEventInterval = .milliseconds(500)
        consumerConfig.reportsEndOfPartition = true
        consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)
        var producerConfig = KafkaProducerConfiguration(client: options.client)
        producerConfig.messageTimeoutMilliseconds = 0
        producer = try KafkaProducer(configuration: producerConfig, logger: logger)
        for (name, trainer) in trainers {
            for decision in ModelUpdateEvent.Decision.allCases { trainMetrics.decided(model: name, decision: decision, count: 0) }
            trainedAtLastUpdate[name] = trainer.statistics.trained
            if let champion = try? catalog.champion(model: name) { championCreatedAt[name] = champion.createdAt.milliseconds }
        }
        publishStatistics()
    }

    private enum Input: String { case examples, alerts, commands }

    private func input(of topic: String) -> Input? {
        switch topic {
        case options.examplesTopic: .examples
        case options.alertsTopic: .alerts
        case options.commandsTopic: .commands
        default: nil
        }
    }

    private func topic(of input: Input) -> String {
        switch input {
        case .examples: options.examplesTopic
        case .alerts: options.alertsTopic
        case .commands: options.commandsTopic
        }
    }

    /// Runs until the task is cancelled (then checkpoints and leaves the group) or a fatal error.
    public func run() async throws {
        defer { readiness.stop() }
        let positions = read
        let inputs = [options.examplesTopic: "examples", options.alertsTopic: "alerts", options.commandsTopic: "commands"]
        consumer.startingOffsets = { partitions in
            var result: [TopicPartition: Int64] = [:]
            for tp in partitions {
                if let name = inputs[tp.topic], let offset = positions["\(name)/\(tp.partition)"] { result[tp] = offset }
            }
            return result
        }
        try consumer.subscribe(topics: [options.examplesTopic, options.alertsTopic, options.commandsTopic])
        do {
            for await event in consumer.events {
                if Task.isCancelled { break }
                switch event {
                case .messages(let batch):
                    let started = ContinuousClock.now
                    try await handle(batch)
                    stageMetrics.processed(batch, startedAt: started)
                case .endOfPartition(let end):
                    if end.topic == options.examplesTopic { merge.markExhausted(end.partition) }
                case .partitionsAssigned(let partitions):
                    merge.assign(partitions.filter { $0.topic == options.examplesTopic }.map(\.partition))
                    readiness.assigned(partitions)
                case .partitionsRevoked(let partitions):
                    readiness.revoked(partitions)
                    try await train()
                    try await checkpoint()
                    merge.unassign(partitions.filter { $0.topic == options.examplesTopic }.map(\.partition))
                case .error(let error):
                    if error.classification == .fatal { throw error }
                    logger.warning("kafka: \(error)")
                case .idle: publishStatistics()  // the champion's age grows while nothing arrives
                }
                try await train()
                if ContinuousClock.now - lastCheckpoint >= .milliseconds(options.checkpointInterval) { try await checkpoint() }
            }
            try await checkpoint()
        } catch {
            logger.error("train stage stopping: \(error)")
            await consumer.close()
            try? await producer.close(timeout: .seconds(5))
            throw error
        }
        await consumer.close()
        try await producer.close()
    }

    private func handle(_ batch: KafkaMessageBatch) async throws {
        var letters: [KafkaOutgoingMessage] = []
        let tracing = logger.isTracing
        func reject(_ message: KafkaMessage, _ reason: String, kind: String, field: String?) {
            logger.deadLetter(message, kind: kind, field: field, reason: reason)
            deadLetters.increment()
            letters.append(DeadLetter.record(for: message, reason: reason, kind: kind, field: field, stage: "train", deadLetterTopic: options.deadLetterTopic))
        }
        for message in batch {
            guard let input = input(of: message.topic) else { continue }
            let key = "\(input.rawValue)/\(message.partition)"
            if let n = read[key], message.offset < n { continue }  // already reflected in the restored state
            read[key] = message.offset + 1
            switch input {
            case .examples:
                do {
                    let example = try LabeledExample.decode(message.value, limits: options.limits)
                    if tracing { logger.traceEvent("labeled example read", requestID: example.requestID, model: example.model, message: message) }
                    decoded.increment()
                    merge.push(example, time: (example.labelTime ?? example.predictionTime).milliseconds, partition: message.partition, offset: message.offset)
                } catch {
                    reject(message, error.description, kind: error.kind.rawValue, field: error.field)
                }
            case .alerts:
                // Alerts are read for drift triggers; ones this stage cannot read are another stage's concern.
                guard let alert = try? AlertEvent.decode(message.value, limits: options.limits) else { continue }
                guard var trainer = trainers[alert.model] else { continue }
                trainer.process(alert)
                trainers[alert.model] = trainer
                dirty = true
                try await checkpoint()
            case .commands:
                let command: ModelCommand
                do { command = try ModelCommand.decode(message.value, limits: options.limits) } catch {
                    reject(message, error.description, kind: error.kind.rawValue, field: error.field)
                    continue
                }
                // Examples released before the command are trained first, so the command sees the state as of now.
                try await train()
                if let problem = try await apply(command) {
                    logger.warning("model command \(command.commandID) (\(command.action.rawValue) \(command.model)) not applied: \(problem)")
                    reject(message, "command not applied: \(problem)", kind: "command_rejected", field: nil)
                }
                dirty = true
                try await checkpoint()
            }
        }
        if !letters.isEmpty {
            stageMetrics.published(letters.count, to: options.deadLetterTopic)
            let reports = await producer.send(letters)
            if let failed = reports.first(where: { !$0.isDelivered }) {
                throw StageError("could not publish to \(failed.topic): \(failed.error.map { "\($0)" } ?? "unknown error")")
            }
        }
    }

    /// Applies a model command; returns why it could not act, if it could not.
    private func apply(_ command: ModelCommand) async throws -> String? {
        guard var trainer = trainers[command.model] else {
            return "model \(command.model) is not trained by this stage (configured: \(trainers.keys.sorted().joined(separator: ", ")))"
        }
        var restoring: TrainableModel?
        if command.action == .rollback, let to = command.toVersion, to != trainer.parentVersion {
            do {
                let artifact = try catalog.loadArtifact(model: command.model, version: to)
                restoring = artifact.learner
            } catch {
                return "cannot load \(command.model) \(to): \(error)"
            }
        }
        var output = TrainerOutput()
        let problem = trainer.process(command, restoring: restoring, into: &output)
        trainers[command.model] = trainer
        try await publish(output)
        return problem
    }

    /// Feeds the examples the merge can release to their trainers, and publishes what they produce.
    private func train() async throws {
        merge.popReady(into: &released)
        guard !released.isEmpty else { return }
        var output = TrainerOutput()
        let started = ContinuousClock.now
        let before = trainers.mapValues(\.statistics)
        for entry in released {
            guard var trainer = trainers[entry.element.model] else { continue }
            trainer.process(entry.element, source: .init(topic: options.examplesTopic, partition: entry.partition, offset: entry.offset), into: &output)
            trainers[entry.element.model] = trainer
        }
        let elapsed = ContinuousClock.now - started
        for (name, trainer) in trainers {
            guard let b = before[name] else { continue }
            trainMetrics.trained(model: name, rows: trainer.statistics.trained - b.trained, batches: trainer.statistics.batches - b.batches, in: elapsed)
        }
        examplesCounter.increment(by: Int64(released.count))
        released.removeAll(keepingCapacity: true)
        dirty = true
        let hadUpdates = !output.updates.isEmpty
        try await publish(output)
        publishStatistics()
        if hadUpdates { try await checkpoint() }
    }

    /// Files and catalog first, then Kafka: an event never names a checkpoint that is not on disk.
    private func publish(_ output: TrainerOutput) async throws {
        guard !output.isEmpty else { return }
        for file in output.checkpoints { try catalog.write(file) }
        for update in output.updates { try catalog.record(update) }
        guard !output.updates.isEmpty else { return }
        let messages = output.updates.map { KafkaOutgoingMessage(topic: options.updatesTopic, key: Array($0.model.utf8), value: $0.encoded()) }
        let reports = await producer.send(messages)
        if let failed = reports.first(where: { !$0.isDelivered }) {
            throw StageError("could not publish to \(failed.topic): \(failed.error.map { "\($0)" } ?? "unknown error"); stopping so that a restart resumes from the last checkpoint")
        }
        for u in output.updates {
            logger.notice("model-update \(u.model) \(u.version) \(u.kind.rawValue) \(u.decision.rawValue) (\(u.trigger.kind)): \(u.reason ?? "")",
                          metadata: ["model": "\(u.model)", "version": "\(u.version)", "decision": "\(u.decision.rawValue)"])
        }
        updatesCounter.increment(by: Int64(output.updates.count))
        stageMetrics.published(output.updates.count, to: options.updatesTopic)
        for u in output.updates {
            trainMetrics.decided(model: u.model, decision: u.decision)
            trainedAtLastUpdate[u.model] = trainers[u.model]?.statistics.trained ?? 0
            if u.decision == .promoted { championCreatedAt[u.model] = u.createdAt.milliseconds }
        }
        lock.withLock { _updates += output.updates }
        options.onPublished?(output.updates.map { .modelUpdate($0) })
    }

    private func publishStatistics() {
        let snapshot = trainers.mapValues(\.statistics)
        lock.withLock { _statistics = snapshot }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for (name, statistics) in snapshot {
            trainMetrics.progress(model: name, examplesSinceUpdate: statistics.trained - (trainedAtLastUpdate[name] ?? 0),
                                  championAgeMilliseconds: championCreatedAt[name].map { now - $0 })
        }
    }

    /// Saves every trainer with the offsets to resume from: for examples, the oldest record still waiting in the
    /// merge (it was read but not trained on), else the next to read.
    private func checkpoint() async throws {
        lastCheckpoint = ContinuousClock.now
        guard dirty else { return }
        var offsets = read
        for p in merge.assigned { if let first = merge.firstBufferedOffset(p) { offsets["examples/\(p)"] = first } }
        let snapshot = try TrainStageSnapshot.encode(trainers.map { ($0.key, try $0.value.snapshot()) })
        try state.save(stage: options.stateKey, [(0, .init(state: snapshot, offsets: offsets))])
        dirty = false
        var commits: [TopicPartitionOffset] = []
        for (key, offset) in offsets {
            let parts = key.split(separator: "/")
            guard parts.count == 2, let input = Input(rawValue: String(parts[0])), let p = Int32(parts[1]) else { continue }
            commits.append(TopicPartitionOffset(topic: topic(of: input), partition: p, offset: offset))
        }
        do {
            try consumer.store(commits)
            try await consumer.commit(commits)
        } catch {
            logger.warning("offset commit failed (checkpoint is saved; only lag reporting is affected): \(error)")
        }
    }
}

/// The train stage's Prometheus metrics, labelled `model`:
///
/// - `tideline_train_rows_per_second`: training speed of the last processing pass that ran a micro-batch (rows
///   trained divided by the wall time of the pass, which includes evaluation and checkpoint files);
/// - `tideline_train_micro_batch_duration_seconds`: histogram of the average micro-batch time of each such pass;
/// - `tideline_train_examples_since_update`: examples trained since the model's last published update;
/// - `tideline_train_champion_age_seconds`: wall-clock time since the champion's `created_at` (the event time of the
///   newest example it trained on), i.e. how old the serving model's knowledge is;
/// - `tideline_train_gate_decisions_total{model, decision}`: published updates by decision (promoted, rejected).
struct TrainStageMetrics {
    func trained(model: String, rows: Int64, batches: Int64, in elapsed: Duration) {
        guard batches > 0, rows > 0 else { return }
        let nanoseconds = StageMetrics.nanoseconds(elapsed)
        guard nanoseconds > 0 else { return }
        Gauge(label: "tideline_train_rows_per_second", dimensions: [("model", model)]).record(Double(rows) * 1e9 / Double(nanoseconds))
        Timer(label: "tideline_train_micro_batch_duration_seconds", dimensions: [("model", model)]).recordNanoseconds(nanoseconds / batches)
    }

    func decided(model: String, decision: ModelUpdateEvent.Decision, count: Int64 = 1) {
        Counter(label: "tideline_train_gate_decisions_total", dimensions: [("model", model), ("decision", decision.rawValue)]).increment(by: count)
    }

    func progress(model: String, examplesSinceUpdate: Int64, championAgeMilliseconds: Int64?) {
        Gauge(label: "tideline_train_examples_since_update", dimensions: [("model", model)]).record(examplesSinceUpdate)
        if let age = championAgeMilliseconds {
            Gauge(label: "tideline_train_champion_age_seconds", dimensions: [("model", model)]).record(Double(max(0, age)) / 1000)
        }
    }
}

/// The train stage's saved state: each trainer's snapshot by model name, framed as
/// `[name length u32][name][state length u64][state]` in name order.
enum TrainStageSnapshot {
    static func encode(_ trainers: [(String, [UInt8])]) throws -> [UInt8] {
        var out: [UInt8] = []
        for (name, bytes) in trainers.sorted(by: { $0.0 < $1.0 }) {
            let n = Array(name.utf8)
            withUnsafeBytes(of: UInt32(n.count).littleEndian) { out += $0 }
            out += n
            withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { out += $0 }
            out += bytes
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) throws -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        var i = 0
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, i + n <= bytes.count else { throw StageError("train checkpoint is truncated at byte \(i) of \(bytes.count)") }
            defer { i += n }
            return bytes[i ..< i + n]
        }
        func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
            T(littleEndian: try take(MemoryLayout<T>.size).withUnsafeBytes { $0.loadUnaligned(as: T.self) })
        }
        while i < bytes.count {
            let nameLength = Int(try integer(UInt32.self))
            let name = String(decoding: try take(nameLength), as: UTF8.self)
            let length = try integer(UInt64.self)
            guard length <= UInt64(bytes.count) else { throw StageError("train checkpoint: state of \(name) claims \(length) bytes") }
            out.append((name, Array(try take(Int(length)))))
        }
        return out
    }
}
