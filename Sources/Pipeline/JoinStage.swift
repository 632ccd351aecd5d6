public import Events
import Foundation
public import Kafka
public import LabelJoin
public import Logging
import Metrics
import StateStore

/// Settings of a label-join stage process.
public struct JoinStageOptions: Sendable {
    public var client: KafkaClientConfiguration
    public var predictionsTopic: String
    public var labelsTopic: String
    public var outputTopic: String
    public var deadLetterTopic: String
    /// Consumer group; instances in one group share partitions (and must share `statePath`).
    public var group: String
    public var join: JoinConfiguration
    /// Wall-clock quiet time (ms) after which a partition's clock is advanced; 0 disables punctuation.
    public var idleTimeout: Int64
    /// An idle partition's clock is advanced to wall clock minus this (ms).
    public var idleSlack: Int64
    /// Wall-clock interval (ms) between checkpoints.
    public var checkpointInterval: Int64
    /// The SQLite checkpoint database.
    public var statePath: String
    public var limits: EventLimits

    public init(client: KafkaClientConfiguration, predictionsTopic: String = "predictions", labelsTopic: String = "labels",
                outputTopic: String = "labeled-examples", deadLetterTopic: String = "dead-letter", group: String = "tideline-join",
                join: JoinConfiguration = JoinConfiguration(), idleTimeout: Int64 = 30_000, idleSlack: Int64 = 5_000,
                checkpointInterval: Int64 = 5_000, statePath: String = "tideline-state.sqlite", limits: EventLimits = .default) {
        self.client = client
        self.predictionsTopic = predictionsTopic
        self.labelsTopic = labelsTopic
        self.outputTopic = outputTopic
        self.deadLetterTopic = deadLetterTopic
        self.group = group
        self.join = join
        self.idleTimeout = idleTimeout
        self.idleSlack = idleSlack
        self.checkpointInterval = checkpointInterval
        self.statePath = statePath
        self.limits = limits
    }

    /// The key under which this stage's checkpoints are stored.
    public var stateKey: String { "join/\(group)" }
}

/// Why a stage (join, monitor) refuses to start or stops.
public struct StageError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The join's name for `StageError`.
public typealias JoinStageError = StageError

/// The label-join stage: consumes `predictions` and `labels` (co-partitioned), runs one `LabelJoinOperator`
/// per partition pair, publishes `labeled-examples` keyed by model, and sends undecodable records to
/// `dead-letter`.
///
/// ## Exactly-once effects without transactions
/// The operator's output depends only on the order of records within each input partition (see
/// `LabelJoinOperator`), and `event_id` is a function of model, request id, prediction time and example
/// sequence. So:
/// 1. A checkpoint stores, in one SQLite transaction, each partition's snapshot and the input offsets it
///    reflects; it is saved only after every example emitted before the snapshot has been acknowledged by
///    Kafka. Only the snapshot stops the stage: the wait and the save run in the background (`StageOutput`).
/// 2. A punctuation (idle-partition clock advance, driven by wall clock) is written to the same database,
///    with the input position it applies at, *before* it takes effect. A checkpoint forgets only the
///    punctuations its snapshot reflects: at or before its offsets, and recorded before the snapshot.
/// 3. On assignment (a restart, or a partition moving from another instance) the stage restores the
///    snapshot, starts each input at the checkpointed offset, and re-applies recorded punctuations at their
///    positions. Everything after the checkpoint is recomputed identically: examples published before a
///    crash are published again with the same `event_id` and the same content, and downstream dedup by
///    `event_id` yields exactly the output of an uninterrupted run. Nothing is lost, because nothing past
///    a checkpoint is acknowledged as done.
/// Kafka's committed offsets are advisory (lag monitoring); the checkpoint's offsets are authoritative.
/// (Kafka transactions would remove the duplicates too; the embedded broker cannot prove them, see README.)
///
/// ## Threading
/// `run()` is one task: it owns the operators; Kafka I/O happens on the clients' own threads.
public final class JoinStage: @unchecked Sendable {
    /// Ready for `/readyz`: partitions assigned and their state restored.
    public let readiness = StageReadiness()
    public let options: JoinStageOptions
    private let logger: Logger
    private let store: CheckpointStore
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private var tasks: [Int32: PartitionState] = [:]
    /// Output handed to the producer, and the checkpoint save that waits for it.
    private let outbox: StageOutput
    /// The last punctuation recorded (or read back) by this instance: a checkpoint reflects those up to it.
    private var lastPunctuationID: Int64 = 0
    /// Per-record accesses skip the runtime exclusivity check (`@exclusivity(unchecked)`): only the stage's task
    /// touches the output and the partition states, one access at a time.
    @exclusivity(unchecked) private var output = JoinOutput()
    private var lastCheckpoint = ContinuousClock.now
    private var lastMetrics = ContinuousClock.now
    private let metrics: JoinStageMetrics
    /// Same names and dimensions as `EventDecoder`'s, per event: decoded records and dead letters.
    private let decodedCounters: [Counter]
    private let deadLetterCounters: [Counter]
    private var stageMetrics = StageMetrics(stage: "join")
    private let progressLock = NSLock()
    private var _firstRecordAt: ContinuousClock.Instant?

    /// When this instance processed its first record (for benchmarks and readiness). Thread-safe.
    public var firstRecordAt: ContinuousClock.Instant? { progressLock.withLock { _firstRecordAt } }

    /// A class so that the hot path mutates it in place (a struct in a dictionary is copied on every access).
    final class PartitionState {
        @exclusivity(unchecked) var op: LabelJoinOperator
        /// Next offset per stream; -1 until known.
        @exclusivity(unchecked) var next: [Int64] = [-1, -1]
        var lastActivity: [ContinuousClock.Instant]
        var lastPunctuation: [ContinuousClock.Instant]
        /// Recorded punctuations not yet re-applied, per stream, in recorded order.
        var pending: [[CheckpointStore.Punctuation]] = [[], []]
        var dirty = false
        var predictionsPaused = false

        /// Whether recorded punctuations still wait for their position (only after a restore).
        var hasRecordedPunctuations: Bool { !pending[0].isEmpty || !pending[1].isEmpty }

        /// Whether the operator takes an event naming `model` (`LabelJoinOperator.admits(model:)`). The call goes
        /// through `inout`: called on this object's property directly, it copied the whole operator out for the call
        /// (retaining and releasing each of its buffers): about 12 % of the stage task's samples end to end.
        func admits(_ model: String) -> Bool { Self.admits(&op, model) }

        private static func admits(_ op: inout LabelJoinOperator, _ model: String) -> Bool { op.admits(model: model) }

        init(op: LabelJoinOperator, lastActivity: [ContinuousClock.Instant], lastPunctuation: [ContinuousClock.Instant]) {
            self.op = op
            self.lastActivity = lastActivity
            self.lastPunctuation = lastPunctuation
        }
    }

    public init(options: JoinStageOptions, logger: Logger = Logger(label: "tideline.join")) throws {
        try options.join.validate()
        self.options = options
        self.logger = logger
        store = try CheckpointStore(path: options.statePath)
        var consumerConfig = KafkaConsumerConfiguration(client: options.client, groupID: options.group)
        consumerConfig.assignmentStrategy = "range"  // gives one member partition p of both topics
        consumerConfig.idleEventInterval = .milliseconds(200)
        consumerConfig.isolationLevel = "read_uncommitted"
        consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)
        var producerConfig = KafkaProducerConfiguration(client: options.client)
        producerConfig.messageTimeoutMilliseconds = 0  // retry until delivered; a checkpoint waits for it
        producer = try KafkaProducer(configuration: producerConfig, logger: logger)
        outbox = StageOutput(producer: producer, maxInFlight: 64, saveDuration: stageMetrics.checkpointSave)
        metrics = JoinStageMetrics()
        let events = [PredictionEvent.eventName, LabelEvent.eventName]
        decodedCounters = events.map { Counter(label: "tideline_events_decoded_total", dimensions: [("stage", "join"), ("event", $0)]) }
        deadLetterCounters = events.map { Counter(label: "tideline_dead_letters_total", dimensions: [("stage", "join"), ("event", $0)]) }
    }

    /// Runs until the task is cancelled (then checkpoints and leaves the group) or a fatal error.
    public func run() async throws {
        defer { readiness.stop() }
        var quiet = logger
        quiet.logLevel = .warning
        let admin = try KafkaAdmin(configuration: options.client, logger: quiet)
        if let problem = try await admin.coPartitioningProblem([options.predictionsTopic, options.labelsTopic]) {
            throw JoinStageError("cannot join \(options.predictionsTopic) with \(options.labelsTopic): \(problem)")
        }
        let store = self.store, key = options.stateKey, topics = [options.predictionsTopic, options.labelsTopic]
        let log = logger
        consumer.startingOffsets = { partitions in
            var result: [TopicPartition: Int64] = [:]
            for tp in partitions {
                guard let stream = topics.firstIndex(of: tp.topic) else { continue }
                do {
                    if let offset = try store.offsets(stage: key, partition: tp.partition)[JoinStream.allCases[stream].name] {
                        result[tp] = offset
                    }
                } catch {
                    log.error("cannot read checkpoint for \(tp): \(error)")
                }
            }
            return result
        }
        try consumer.subscribe(topics: topics)
        do {
            for await event in consumer.events {
                if Task.isCancelled { break }
                switch event {
                case .partitionsAssigned(let partitions):
                    try assign(partitions)
                    readiness.assigned(partitions)
                case .partitionsRevoked(let partitions):
                    readiness.revoked(partitions)
                    try await revoke(partitions)
                case .messages(let batch):
                    let started = ContinuousClock.now
                    try await handle(batch)
                    stageMetrics.processed(batch, startedAt: started)
                case .error(let error):
                    if error.classification == .fatal { throw error }
                    logger.warning("kafka: \(error)")
                case .idle, .endOfPartition: break
                }
                try await punctuateIdlePartitions()
                try await flushOutput()
                applyBackpressure()
                try await outbox.collectFinishedCheckpoint()
                if !outbox.isSavingCheckpoint && ContinuousClock.now - lastCheckpoint >= .milliseconds(options.checkpointInterval) {
                    try await checkpoint()
                }
                if ContinuousClock.now - lastMetrics >= .seconds(1) { publishMetrics() }
            }
            try await checkpoint()
            try await outbox.awaitCheckpoint()
        } catch {
            logger.error("join stage stopping: \(error)")
            await consumer.close()
            try? await producer.close(timeout: .seconds(5))
            throw error
        }
        await consumer.close()
        try await producer.close()
    }

    /// Totals over the partitions this instance holds.
    public var statistics: JoinStatistics {
        var s = JoinStatistics()
        for t in tasks.values { s.add(t.op.statistics) }
        return s
    }

    // MARK: Assignment

    private func assign(_ partitions: [TopicPartition]) throws {
        var byPartition: [Int32: Set<String>] = [:]
        for tp in partitions { byPartition[tp.partition, default: []].insert(tp.topic) }
        for (p, topics) in byPartition.sorted(by: { $0.key < $1.key }) {
            guard topics.count == 2 else {
                throw JoinStageError("partition \(p) of only \(topics.sorted().joined()) was assigned; the join needs the same partition of both topics (use the range assignor)")
            }
            let now = ContinuousClock.now
            let state = PartitionState(op: LabelJoinOperator(configuration: options.join), lastActivity: [now, now], lastPunctuation: [now, now])
            if let checkpoint = try store.load(stage: options.stateKey, partition: p) {
                state.op = try LabelJoinOperator(configuration: options.join, snapshot: checkpoint.state)
                for stream in JoinStream.allCases { state.next[Int(stream.rawValue)] = checkpoint.offsets[stream.name] ?? -1 }
                logger.info("partition \(p): restored \(state.op.heldPredictions) predictions, \(state.op.heldLabels) labels at offsets \(state.next)")
            }
            // Punctuations recorded since the checkpoint, or since the start when a crash came before the first one.
            for punctuation in try store.punctuations(stage: options.stateKey, partition: p) {
                lastPunctuationID = max(lastPunctuationID, punctuation.id)
                guard let stream = JoinStream(name: punctuation.stream) else { continue }
                state.pending[Int(stream.rawValue)].append(punctuation)
            }
            // Punctuations recorded exactly at the checkpoint position apply before any new record.
            for stream in JoinStream.allCases where state.next[Int(stream.rawValue)] >= 0 {
                applyPunctuations(state, stream, upTo: state.next[Int(stream.rawValue)])
            }
            tasks[p] = state
        }
    }

    private func revoke(_ partitions: [TopicPartition]) async throws {
        let numbers = Set(partitions.map(\.partition))
        try await checkpoint(only: numbers)
        try await outbox.awaitCheckpoint()  // saved before another instance may restore them
        for p in numbers { tasks[p] = nil }
    }

    // MARK: Records

    /// A record decoded ahead of the join.
    enum Decoded {
        case prediction(PredictionEvent)
        case label(LabelEvent)
        case invalid(JoinStream, EventDecodingError)

        /// The stream the record came from.
        var stream: JoinStream {
            switch self {
            case .prediction: .predictions
            case .label: .labels
            case .invalid(let stream, _): stream
            }
        }

        /// The model the event names, if any.
        var model: String? {
            switch self {
            case .prediction(let p): p.model
            case .label(let l): l.model
            case .invalid: nil
            }
        }
    }

    /// Decodes a batch; large batches are split across cores (decoding is independent per record, the join
    /// then runs in order on this task, taking each record out of the slots).
    private func decode(_ batch: KafkaMessageBatch) -> DecodedSlots {
        let predictionsTopic = options.predictionsTopic, limits = options.limits
        let n = batch.count
        let results = DecodedSlots(count: n)
        // Each event's request key is computed here too, on all cores, for the join's lookahead (`handle`).
        @Sendable func one(_ i: Int) {
            let message = batch[i]
            let isPrediction = message.topic == predictionsTopic
            do {
                if isPrediction {
                    let event = try PredictionEvent.decode(message.value, limits: limits)
                    results.set(i, .prediction(event), key: RequestKey(requestID: event.requestID))
                } else {
                    let event = try LabelEvent.decode(message.value, limits: limits)
                    results.set(i, .label(event), key: RequestKey(requestID: event.requestID))
                }
            } catch {
                results.set(i, .invalid(isPrediction ? .predictions : .labels, error), key: nil)
            }
        }
        let chunks = n >= 512 ? min(4, ProcessInfo.processInfo.activeProcessorCount) : 1
        if chunks <= 1 {
            for i in 0..<n { one(i) }
            return results
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for i in stride(from: c * n / chunks, to: (c + 1) * n / chunks, by: 1) { one(i) }
        }
        return results
    }

    /// How many records ahead the join hints the operator (`LabelJoinOperator.prefetch(_:)`).
    static let joinLookahead = 8

    private func handle(_ batch: KafkaMessageBatch) async throws {
        var deadLetterMessages: [KafkaOutgoingMessage] = []
        let now = ContinuousClock.now
        if _firstRecordAt == nil { progressLock.withLock { _firstRecordAt = now } }
        let decoded = decode(batch)
        let tracing = logger.isTracing
        var decodedCounts = [0, 0], deadCounts = [0, 0]
        // Records come in runs of one partition and topic: the partition's state is looked up, and its activity
        // marked, once per run. Only records that go to the dead-letter topic (or a trace) build a `KafkaMessage`.
        var runPartition: Int32 = -1, runTask: PartitionState?, runHasPunctuations = false
        var marked: (task: PartitionState, stream: Int)?
        for index in batch.indices {
            let partition = batch.partition(at: index)
            if partition != runPartition {
                runPartition = partition
                runTask = tasks[partition]
                runHasPunctuations = runTask?.hasRecordedPunctuations ?? false
            }
            guard let task = runTask, var item = decoded.take(index) else { continue }
            // The record `joinLookahead` ahead, when it is for this operator: its index slot starts loading now.
            let ahead = index + Self.joinLookahead
            if ahead < batch.count, batch.partition(at: ahead) == partition, let key = decoded.key(ahead) { task.op.prefetch(key) }
            let stream = item.stream
            let s = Int(stream.rawValue)
            let offset = batch.offset(at: index)
            let next = task.next[s]
            if next >= 0 && offset < next { continue }  // already reflected in the restored state
            if runHasPunctuations { applyPunctuations(task, stream, upTo: offset) }
            let record = batch.timestampMilliseconds(at: index)
            if let model = item.model, !task.admits(model) {
                item = .invalid(stream, EventDecodingError(
                    kind: .limitExceeded, event: stream == .predictions ? "prediction" : "label", field: "model",
                    message: "one more distinct model than the join holds per partition (\(LabelJoinOperator.maxModels))", byteOffset: 0))
            }
            switch item {
            case .prediction(let event):
                if tracing { logger.traceEvent("prediction read", requestID: event.requestID, model: event.model, message: batch[index]) }
                task.op.process(event, key: decoded.key(index)!, recordTimestamp: record, into: &output)
                decodedCounts[s] += 1
            case .label(let event):
                if tracing { logger.traceEvent("label read", requestID: event.requestID, model: nil, message: batch[index]) }
                task.op.process(event, key: decoded.key(index)!, recordTimestamp: record, into: &output)
                decodedCounts[s] += 1
            case .invalid(_, let error):
                let message = batch[index]
                logger.deadLetter(message, kind: error.kind.rawValue, field: error.field, reason: error.description)
                deadCounts[s] += 1
                deadLetterMessages.append(DeadLetter.record(
                    for: message, reason: error.description, kind: error.kind.rawValue, field: error.field, stage: "join",
                    deadLetterTopic: options.deadLetterTopic))
            }
            task.next[s] = offset + 1
            if marked?.task !== task || marked?.stream != s {
                task.lastActivity[s] = now  // `now` is the batch's: once per run is the same
                task.dirty = true
                marked = (task, s)
            }
            if runHasPunctuations {
                applyPunctuations(task, stream, upTo: offset + 1)
                runHasPunctuations = task.hasRecordedPunctuations
            }
        }
        for i in 0..<2 {
            if decodedCounts[i] > 0 { decodedCounters[i].increment(by: Int64(decodedCounts[i])) }
            if deadCounts[i] > 0 { deadLetterCounters[i].increment(by: Int64(deadCounts[i])) }
        }
        if !deadLetterMessages.isEmpty {
            stageMetrics.published(deadLetterMessages.count, to: options.deadLetterTopic)
            try await outbox.send(deadLetterMessages)
        }
    }

    /// Applies recorded punctuations whose position is at or before `position` (all records before it done).
    private func applyPunctuations(_ state: PartitionState, _ stream: JoinStream, upTo position: Int64) {
        let s = Int(stream.rawValue)
        while let first = state.pending[s].first, first.position <= position {
            state.op.advance(stream, to: first.time, into: &output)
            state.pending[s].removeFirst()
        }
    }

    /// Advances the clock of every input partition that has been quiet for `idleTimeout`, recording the
    /// punctuation first so a recovery applies it at the same position.
    private func punctuateIdlePartitions() async throws {
        // Recording waits for SQLite's writer: not while a checkpoint is being saved (the next pass comes soon).
        guard options.idleTimeout > 0, !outbox.isSavingCheckpoint else { return }
        let now = ContinuousClock.now
        let wall = Int64(Date().timeIntervalSince1970 * 1000)
        let timeout = Duration.milliseconds(options.idleTimeout)
        let every = Duration.milliseconds(max(1_000, options.idleTimeout / 10))
        for p in tasks.keys.sorted() {
            for stream in JoinStream.allCases {
                let s = Int(stream.rawValue)
                let state = tasks[p]!
                guard now - state.lastActivity[s] >= timeout, now - state.lastPunctuation[s] >= every,
                      state.next[s] >= 0, state.pending[s].isEmpty else { continue }
                let target = wall - options.idleSlack
                let clock = stream == .predictions ? state.op.predictionClock : state.op.labelClock
                guard target > clock else { continue }
                lastPunctuationID = try store.record(stage: options.stateKey, partition: p,
                                                     .init(stream: stream.name, position: state.next[s], time: target))
                state.op.advance(stream, to: target, into: &output)
                state.lastPunctuation[s] = now
                state.dirty = true
            }
        }
    }

    // MARK: Output, checkpoints

    private func flushOutput() async throws {
        guard !output.isEmpty else { return }
        // Keys (the model) and values packed in one buffer: no array per example.
        var records = KafkaOutgoingRecords(topic: options.outputTopic, reservingBytes: output.byteCount + 16 * output.count, records: output.count)
        output.withBytes { bytes in
            for r in output.records { records.append(key: r.model, value: UnsafeRawBufferPointer(rebasing: bytes[r.start ..< r.start + r.length])) }
        }
        if logger.isTracing {
            for (i, r) in output.records.enumerated() {
                guard let example = try? LabeledExample.decode(records.value(at: i)) else { continue }
                logger.trace("labeled example published", metadata: [
                    "request_id": "\(example.requestID)", "model": "\(example.model)", "kind": "\(r.kind.rawValue)",
                    "event_id": "\(example.eventID)", "topic": "\(options.outputTopic)"])
            }
        }
        metrics.emitted(output.records)
        stageMetrics.published(records.count, to: options.outputTopic)
        output.removeAll()
        try await outbox.send(records)
    }

    /// Snapshots every dirty partition (or those in `only`) and saves them in the background, once all output so far
    /// is acknowledged (`StageOutput`). The stage goes on meanwhile; callers that need the save done (a revocation,
    /// the shutdown) await `outbox.awaitCheckpoint()`.
    private func checkpoint(only: Set<Int32>? = nil) async throws {
        try await flushOutput()
        try await outbox.awaitCheckpoint()  // saves stay in order
        let started = ContinuousClock.now
        var items: [(partition: Int32, checkpoint: CheckpointStore.Checkpoint)] = []
        var commits: [TopicPartitionOffset] = []
        for (p, state) in tasks where (only.map { $0.contains(p) } ?? state.dirty) {
            var offsets: [String: Int64] = [:]
            for stream in JoinStream.allCases where state.next[Int(stream.rawValue)] >= 0 {
                offsets[stream.name] = state.next[Int(stream.rawValue)]
                commits.append(TopicPartitionOffset(topic: stream == .predictions ? options.predictionsTopic : options.labelsTopic,
                                                    partition: p, offset: state.next[Int(stream.rawValue)]))
            }
            items.append((p, .init(state: state.op.snapshot(), offsets: offsets)))
            state.dirty = false
        }
        lastCheckpoint = ContinuousClock.now
        guard !items.isEmpty else { return try await outbox.awaitDeliveries() }  // nothing to save: collect the reports
        stageMetrics.checkpointPause.recordNanoseconds(StageMetrics.nanoseconds(lastCheckpoint - started))
        stageMetrics.checkpointBytes.record(items.reduce(0) { $0 + $1.checkpoint.state.count })
        let store = self.store, key = options.stateKey, punctuationsThrough = lastPunctuationID
        let snapshots = items, offsets = commits, consumer = self.consumer, logger = self.logger, saved = metrics.checkpoints
        try await outbox.saveCheckpoint({
            try store.save(stage: key, snapshots, punctuationsThrough: punctuationsThrough)
        }, then: {
            saved.increment()
            await consumer.commitCheckpointed(offsets, logger: logger)
        })
    }

    private func applyBackpressure() {
        guard options.join.overflow == .backpressure else { return }
        for p in tasks.keys {
            let state = tasks[p]!
            let tp = TopicPartition(topic: options.predictionsTopic, partition: p)
            if !state.predictionsPaused && state.op.isOverBound {
                try? consumer.pause([tp])
                state.predictionsPaused = true
                metrics.backpressurePauses.increment()
            } else if state.predictionsPaused && state.op.pendingBytes < options.join.maxPendingBytes * 9 / 10 {
                try? consumer.resume([tp])
                state.predictionsPaused = false
            }
        }
    }

    private func publishMetrics() {
        lastMetrics = ContinuousClock.now
        var open = 0, held = 0, labels = 0, bytes = 0
        var oldestAge: Int64 = 0
        var stats = JoinStatistics()
        for state in tasks.values {
            open += state.op.openPredictions
            held += state.op.heldPredictions
            labels += state.op.heldLabels
            bytes += state.op.pendingBytes
            if let oldest = state.op.oldestOpenPredictionTime { oldestAge = max(oldestAge, state.op.predictionClock - oldest) }
            stats.add(state.op.statistics)
        }
        metrics.publish(open: open, held: held, labels: labels, bytes: bytes, oldestAge: oldestAge, statistics: stats)
    }
}

/// Per-index result slots written by parallel decoders (each index by exactly one of them).
final class DecodedSlots: @unchecked Sendable {
    private let base: UnsafeMutablePointer<JoinStage.Decoded?>
    /// Each decoded event's request key (nil for a record that did not decode).
    private let keys: UnsafeMutablePointer<RequestKey?>
    init(count: Int) {
        base = .allocate(capacity: count)
        base.initialize(repeating: nil, count: count)
        keys = .allocate(capacity: count)
        keys.initialize(repeating: nil, count: count)
        self.count = count
    }
    let count: Int
    deinit {
        base.deinitialize(count: count)
        base.deallocate()
        keys.deinitialize(count: count)
        keys.deallocate()
    }
    /// Stores record `i`; each index is set once, by one thread.
    func set(_ i: Int, _ value: JoinStage.Decoded, key: RequestKey?) {
        base[i] = value
        keys[i] = key
    }
    /// The request key of record `i`, if it decoded.
    func key(_ i: Int) -> RequestKey? { keys[i] }
    /// Moves record `i` out, leaving nil: the join takes each record once, without copying it (a copy retained
    /// and released every string and array of the event).
    func take(_ i: Int) -> JoinStage.Decoded? { base[i].take() }
}

extension JoinStream {
    /// The name used in checkpoints: `predictions` or `labels`.
    public var name: String { self == .predictions ? "predictions" : "labels" }
    init?(name: String) {
        switch name {
        case "predictions": self = .predictions
        case "labels": self = .labels
        default: return nil
        }
    }
}

/// The join stage's Prometheus metrics.
struct JoinStageMetrics {
    let examples: [LabelKind: Counter]
    let checkpoints = Counter(label: "tideline_join_checkpoints_total")
    let backpressurePauses = Counter(label: "tideline_join_backpressure_pauses_total")
    let openPredictions = Gauge(label: "tideline_join_open_predictions")
    let heldPredictions = Gauge(label: "tideline_join_held_predictions")
    let heldLabels = Gauge(label: "tideline_join_held_labels")
    let pendingBytes = Gauge(label: "tideline_join_pending_bytes")
    let oldestPendingAge = Gauge(label: "tideline_join_oldest_pending_age_ms")
    let counts: [(String, Gauge)]
    let completeness: [(Int64, Gauge)]
    /// Delay from prediction to label of every example with an observed label or a correction (seconds).
    let labelDelay = Timer(label: "tideline_join_label_delay_seconds")

    init() {
        var e: [LabelKind: Counter] = [:]
        for kind in LabelKind.allCases { e[kind] = Counter(label: "tideline_join_examples_total", dimensions: [("kind", kind.rawValue)]) }
        examples = e
        counts = ["duplicate_predictions", "duplicate_labels", "expired_predictions", "dropped", "too_late_labels",
                  "unattributed_labels", "mismatched_labels", "future_clamped", "evicted_early"].map {
            ($0, Gauge(label: "tideline_join_events", dimensions: [("outcome", $0)]))
        }
        completeness = JoinStatistics.delayBuckets.map { ($0, Gauge(label: "tideline_join_label_completeness", dimensions: [("within_ms", String($0))])) }
    }

    func emitted(_ records: [JoinOutput.Record]) {
        var byKind: [LabelKind: Int64] = [:]
        for r in records {
            byKind[r.kind, default: 0] += 1
            if r.labelDelayMilliseconds >= 0 { labelDelay.recordMilliseconds(r.labelDelayMilliseconds) }
        }
        for (kind, n) in byKind { examples[kind]?.increment(by: n) }
    }

    func publish(open: Int, held: Int, labels: Int, bytes: Int, oldestAge: Int64, statistics s: JoinStatistics) {
        openPredictions.record(open)
        heldPredictions.record(held)
        heldLabels.record(labels)
        pendingBytes.record(bytes)
        oldestPendingAge.record(oldestAge)
        let values = [s.duplicatePredictions, s.duplicateLabels, s.expiredPredictions, s.dropped, s.tooLateLabels,
                      s.unattributedLabels, s.mismatchedLabels, s.futureClamped, s.evictedEarly]
        for (i, (_, gauge)) in counts.enumerated() { gauge.record(values[i]) }
        for (bound, gauge) in completeness { gauge.record(s.completeness(within: bound)) }
    }
}
