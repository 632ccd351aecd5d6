import Foundation
import Kafka
import Logging
import Metrics

/// What a stage has handed to its producer and not yet seen acknowledged, and the checkpoint saves that wait for it.
///
/// A checkpoint may be saved only once every record the stage published before its snapshot is acknowledged:
/// otherwise a crash after the save would lose them. `saveCheckpoint` takes the sends in flight with it and
/// finishes in the background: it awaits their delivery reports, saves (blocking: snapshot files and a SQLite
/// transaction, on this stage's own serial dispatch queue, off the cooperative pool), then runs the follow-up (the
/// advisory offset commit). The stage keeps processing meanwhile; what it publishes after the snapshot is not waited
/// for. At most one save is in flight. A failed delivery or save is thrown by `collectFinishedCheckpoint` or
/// `awaitCheckpoint`, so the stage stops and a restart resumes from the last saved checkpoint.
///
/// Threading: owned by one stage task, not thread-safe. The background save runs in its own task.
final class StageOutput {
    private let producer: KafkaProducer
    private let maxInFlight: Int
    private let onDelivered: (@Sendable ([KafkaDeliveryReport]) -> Void)?
    private let saveDuration: Timer?
    private var inFlight: [Task<[KafkaDeliveryReport], Never>] = []
    private var saving: (task: Task<Void, any Error>, done: Flag)?
    /// This stage's saves, one at a time; another stage's slow save (an fsync) never delays them.
    private let saveQueue = DispatchQueue(label: "tideline.checkpoint-save")

    /// - Parameters:
    ///   - maxInFlight: how many sends (batches) may be unacknowledged; past it, `send` waits for the oldest until
    ///     half that many remain.
    ///   - saveDuration: records how long each background save took, from its start to its transaction's end.
    ///   - onDelivered: called with each acknowledged send's reports, on any thread.
    init(producer: KafkaProducer, maxInFlight: Int, saveDuration: Timer? = nil, onDelivered: (@Sendable ([KafkaDeliveryReport]) -> Void)? = nil) {
        self.producer = producer
        self.maxInFlight = maxInFlight
        self.saveDuration = saveDuration
        self.onDelivered = onDelivered
    }

    /// Whether a checkpoint is being saved in the background.
    var isSavingCheckpoint: Bool { saving != nil }

    /// Hands messages to the producer; waits for the oldest sends when more than `maxInFlight` are unacknowledged.
    func send(_ messages: [KafkaOutgoingMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await track(Task { [producer] in await producer.send(messages) })
    }

    /// Hands records to the producer, like `send(_ messages:)`.
    func send(_ records: KafkaOutgoingRecords) async throws {
        guard !records.isEmpty else { return }
        try await track(Task { [producer] in await producer.send(records) })
    }

    private func track(_ send: Task<[KafkaDeliveryReport], Never>) async throws {
        inFlight.append(send)
        if inFlight.count > maxInFlight { try await awaitDeliveries(keep: maxInFlight / 2) }
    }

    /// Waits until at most `keep` sends are unacknowledged.
    func awaitDeliveries(keep: Int = 0) async throws {
        while inFlight.count > keep { try Self.check(await inFlight.removeFirst().value, onDelivered) }
    }

    /// Saves a checkpoint once every send so far is acknowledged, in the background. Waits first for the previous
    /// save, if one is still running (check `isSavingCheckpoint` to avoid waiting).
    /// - Parameters:
    ///   - save: the blocking save of snapshots taken now; runs on a dispatch queue.
    ///   - then: runs after the save succeeded (the offset commit).
    func saveCheckpoint(_ save: @escaping @Sendable () throws -> Void, then: @escaping @Sendable () async -> Void) async throws {
        try await awaitCheckpoint()
        let sends = inFlight, onDelivered = self.onDelivered, saveDuration = self.saveDuration, queue = saveQueue, done = Flag()
        inFlight = []
        let task = Task {
            defer { done.set() }
            let started = ContinuousClock.now
            try await StageOutput.deliverThenSave(sends, onDelivered, save, on: queue)  // (`Self.` here trips the isolation checker)
            saveDuration?.recordNanoseconds(StageMetrics.nanoseconds(ContinuousClock.now - started))
            await then()
        }
        saving = (task, done)
    }

    /// Waits for the checkpoint being saved, if any; throws its failure.
    func awaitCheckpoint() async throws {
        guard let (task, _) = saving else { return }
        saving = nil
        try await task.value
    }

    /// Without waiting: if the background save has finished, clears it and throws its failure.
    func collectFinishedCheckpoint() async throws {
        guard let (_, done) = saving, done.isSet else { return }
        try await awaitCheckpoint()
    }

    private static func deliverThenSave(_ sends: [Task<[KafkaDeliveryReport], Never>], _ onDelivered: (@Sendable ([KafkaDeliveryReport]) -> Void)?,
                                        _ save: @escaping @Sendable () throws -> Void, on queue: DispatchQueue) async throws {
        for send in sends { try check(await send.value, onDelivered) }
        let saved: Result<Void, any Error> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result { try save() }) }
        }
        try saved.get()
    }

    private static func check(_ reports: [KafkaDeliveryReport], _ onDelivered: (@Sendable ([KafkaDeliveryReport]) -> Void)?) throws {
        if let failed = reports.first(where: { !$0.isDelivered }) {
            throw StageError("could not publish to \(failed.topic): \(failed.error.map { "\($0)" } ?? "unknown error"); stopping so that a restart resumes from the last checkpoint")
        }
        onDelivered?(reports)
    }

    /// A flag set once, read from another thread.
    private final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }
}

extension KafkaConsumer {
    /// Stores and commits the offsets a saved checkpoint reflects. Kafka's committed offsets are advisory (lag
    /// reporting; the checkpoint's are authoritative), so a failure is logged, not thrown.
    func commitCheckpointed(_ offsets: [TopicPartitionOffset], logger: Logger) async {
        guard !offsets.isEmpty else { return }
        do {
            try store(offsets)
            try await commit(offsets)
        } catch {
            logger.warning("offset commit failed (checkpoint is saved; only lag reporting is affected): \(error)")
        }
    }
}

/// A count added to from any thread (acknowledged records of one topic, say).
final class DeliveredCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add(_ n: Int) { if n > 0 { lock.withLock { count += n } } }
    var value: Int { lock.withLock { count } }
}
