import CRdKafka
import CRdKafkaShim
import Foundation
public import Logging
import Metrics

/// A message to publish.
public struct KafkaOutgoingMessage: Sendable {
    public var topic: String
    /// The record key. Its murmur2 hash picks the partition unless `partition` is set.
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// An explicit partition, or nil to let the partitioner choose.
    public var partition: Int32?
    /// The record timestamp in epoch milliseconds, or nil for the producer's clock.
    public var timestampMilliseconds: Int64?

    public init(
        topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [],
        partition: Int32? = nil, timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
        self.timestampMilliseconds = timestampMilliseconds
    }

    public init(topic: String, key: String?, value: String, headers: [KafkaHeader] = []) {
        self.init(topic: topic, key: key.map { Array($0.utf8) }, value: Array(value.utf8), headers: headers)
    }
}

/// The outcome of one message: where it was written, or why it was not.
public struct KafkaDeliveryReport: Sendable {
    public var topic: String
    public var partition: Int32
    /// The offset assigned by the broker, or -1 when the message failed.
    public var offset: Int64
    public var error: KafkaError?

    public var isDelivered: Bool { error == nil }
}

/// Publishes messages through librdkafka.
///
/// - `send(_:)` enqueues a batch and awaits all of its delivery reports with one continuation for the
///   whole batch. When librdkafka's local queue is full, `send` waits for room: it never drops a message
///   and never throws for a full queue.
/// - Delivery reports are served by a dedicated poll thread that blocks in `rd_kafka_poll` (woken by
///   librdkafka when reports arrive).
/// - Thread safety: all methods may be called from any task or thread concurrently.
/// - Call `close()` to flush and stop; `deinit` flushes for up to 10 s if `close()` was not called.
public final class KafkaProducer: @unchecked Sendable {
    public let configuration: KafkaProducerConfiguration
    let client: NativeClient
    private let logger: Logger
    private var pollThread: ServiceThread!
    private let topicsLock = NSLock()
    private var topicHandles: [String: OpaquePointer] = [:]
    private let spaceLock = NSLock()
    private var spaceWaiters: [CheckedContinuation<Void, Never>] = []
    private let closeLock = NSLock()
    private var closed = false
    private var queueFullCount = 0

    private let producedMessages: Counter
    private let producedBytes: Counter
    private let deliveryErrors: Counter
    private let queueFullWaits: Counter
    private let queueDepth: Gauge

    public init(configuration: KafkaProducerConfiguration, logger: Logger = Logger(label: "tideline.kafka.producer")) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        self.client = try NativeClient(kind: RD_KAFKA_PRODUCER, properties: configuration.nativeProperties(), logger: logger) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, producerDeliveryCallback)
        }
        let dims = [("client", configuration.client.clientID)]
        producedMessages = Counter(label: "tideline_kafka_produced_messages_total", dimensions: dims)
        producedBytes = Counter(label: "tideline_kafka_produced_bytes_total", dimensions: dims)
        deliveryErrors = Counter(label: "tideline_kafka_delivery_errors_total", dimensions: dims)
        queueFullWaits = Counter(label: "tideline_kafka_producer_queue_full_waits_total", dimensions: dims)
        queueDepth = Gauge(label: "tideline_kafka_producer_queue_depth", dimensions: dims)
        let native = client
        pollThread = ServiceThread(name: "tideline-producer-poll") { [weak self] thread in
            let rk = native.pointer
            var iterations = 0
            while !thread.shouldStop {
                let served = rd_kafka_poll(rk, 100)
                iterations &+= 1
                guard let self else { continue }
                if served > 0 || iterations % 4 == 0 { self.wakeSpaceWaiters() }
                if iterations % 16 == 0 { self.queueDepth.record(Int(rd_kafka_outq_len(rk))) }
            }
        }
    }

    deinit {
        pollThread.stopAndJoin()
        _ = rd_kafka_flush(client.pointer, 10_000)
        while rd_kafka_poll(client.pointer, 0) > 0 {}
        for handle in topicHandles.values { rd_kafka_topic_destroy(handle) }
    }

    /// How many times `send` found librdkafka's queue full and waited for room (backpressure events).
    public var queueFullWaitCount: Int { spaceLock.withLock { queueFullCount } }

    /// Messages and requests waiting in librdkafka's queue (not yet acknowledged).
    public var outstanding: Int { Int(rd_kafka_outq_len(client.pointer)) }

    /// Publishes `messages` and returns one report per message, in order, once every report has arrived.
    ///
    /// Waits (without blocking a thread) while the local queue is full. A message that fails is reported
    /// with its error; the others are still delivered.
    public func send(_ messages: [KafkaOutgoingMessage]) async -> [KafkaDeliveryReport] {
        if messages.isEmpty { return [] }
        let batch = DeliveryBatch(messages: messages)
        var lastTopic = ""
        var lastHandle: OpaquePointer?
        var bytes = 0
        var index = 0
        while index < messages.count {
            let message = messages[index]
            if message.topic != lastTopic || lastHandle == nil {
                lastTopic = message.topic
                lastHandle = topicHandle(message.topic)
            }
            let err = produce(message, handle: lastHandle!, opaque: batch.slot(index))
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                queueFullWaits.increment()
                await waitForSpace()
                continue
            }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                batch.record(index: index, partition: message.partition ?? -1, offset: -1, error: err)
            }
            bytes &+= message.value.count
            index += 1
        }
        return await reports(of: batch, messages: messages.count, bytes: bytes)
    }

    /// Counts an enqueued batch and waits for its delivery reports.
    private func reports(of batch: DeliveryBatch, messages: Int, bytes: Int) async -> [KafkaDeliveryReport] {
        producedMessages.increment(by: Int64(messages))
        producedBytes.increment(by: Int64(bytes))
        let reports = await batch.seal()
        let failures = reports.reduce(0) { $0 + ($1.error == nil ? 0 : 1) }
        if failures > 0 { deliveryErrors.increment(by: Int64(failures)) }
        return reports
    }

    /// Publishes `records` (one topic, keys and values in one buffer) and returns one report per record, in order,
    /// once every report has arrived. Waits like `send(_ messages:)` while the local queue is full.
    public func send(_ records: KafkaOutgoingRecords) async -> [KafkaDeliveryReport] {
        if records.isEmpty { return [] }
        let batch = DeliveryBatch(topic: records.topic, count: records.count)
        let handle = topicHandle(records.topic)
        var index = 0
        while index < records.count {
            // Enqueue until the end or a full queue (no `await` while the buffer is borrowed).
            let stopped: (index: Int, queueFull: Bool) = records.bytes.withUnsafeBytes { bytes in
                var i = index
                while i < records.count {
                    let span = records.spans[i]
                    let err = produce(handle: handle, partition: RD_KAFKA_PARTITION_UA,
                                      key: span.keyLength < 0 ? nil : UnsafeRawBufferPointer(rebasing: bytes[span.keyStart ..< span.keyStart + span.keyLength]),
                                      value: UnsafeRawBufferPointer(rebasing: bytes[span.valueStart ..< span.valueStart + span.valueLength]),
                                      headers: nil, timestampMilliseconds: 0, opaque: batch.slot(i))
                    if err == RD_KAFKA_RESP_ERR__QUEUE_FULL { return (i, true) }
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR { batch.record(index: i, partition: -1, offset: -1, error: err) }
                    i += 1
                }
                return (i, false)
            }
            index = stopped.index
            if stopped.queueFull {
                queueFullWaits.increment()
                await waitForSpace()
            }
        }
        return await reports(of: batch, messages: records.count, bytes: records.spans.reduce(0) { $0 + $1.valueLength })
    }

    /// Publishes `messages` and throws the first delivery error, if any.
    public func sendAll(_ messages: [KafkaOutgoingMessage]) async throws(KafkaError) {
        for report in await send(messages) {
            if let error = report.error { throw error }
        }
    }

    /// Waits until every queued message is acknowledged or `timeout` passes.
    public func flush(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        let native = client
        let ms = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let err = await Blocking.run { rd_kafka_flush(native.pointer, ms) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, "flush (\(outstanding) messages outstanding)") }
    }

    /// Flushes outstanding messages and stops the poll thread. Further sends report an error.
    public func close(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        let wasClosed = closeLock.withLock {
            let was = closed
            closed = true
            return was
        }
        if wasClosed { return }
        defer { wakeSpaceWaiters() }
        try await flush(timeout: timeout)
    }

    /// The partition count of `topic` as the brokers report it.
    public func partitionCount(topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> Int {
        let client = self.client
        let meta = try await Blocking.run { () throws(KafkaError) in try client.metadata(topic: topic, timeoutMilliseconds: Int32(timeout.components.seconds * 1000)) }
        guard let t = meta.topic(topic) else { throw KafkaError.invalidArgument("topic \(topic) not in metadata") }
        if let error = t.error { throw error }
        return t.partitions.count
    }

    // MARK: - Internals

    private func topicHandle(_ name: String) -> OpaquePointer {
        topicsLock.lock()
        defer { topicsLock.unlock() }
        if let handle = topicHandles[name] { return handle }
        let handle = rd_kafka_topic_new(client.pointer, name, nil)!
        topicHandles[name] = handle
        return handle
    }

    private func produce(_ message: KafkaOutgoingMessage, handle: OpaquePointer, opaque: UnsafeMutableRawPointer) -> rd_kafka_resp_err_t {
        var headers: OpaquePointer?
        if !message.headers.isEmpty {
            headers = rd_kafka_headers_new(message.headers.count)
            for header in message.headers {
                if let value = header.value {
                    value.withUnsafeBytes { _ = rd_kafka_header_add(headers, header.key, -1, $0.baseAddress, $0.count) }
                } else {
                    _ = rd_kafka_header_add(headers, header.key, -1, nil, 0)
                }
            }
        }
        let partition = message.partition ?? RD_KAFKA_PARTITION_UA
        let err = message.value.withUnsafeBytes { value in
            if let key = message.key {
                return key.withUnsafeBytes { key in
                    produce(handle: handle, partition: partition, key: key, value: value, headers: headers,
                            timestampMilliseconds: message.timestampMilliseconds ?? 0, opaque: opaque)
                }
            }
            return produce(handle: handle, partition: partition, key: nil, value: value, headers: headers,
                           timestampMilliseconds: message.timestampMilliseconds ?? 0, opaque: opaque)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR, let headers { rd_kafka_headers_destroy(headers) }
        return err
    }

    /// Enqueues one record (librdkafka copies key and value); `opaque` comes back with its delivery report.
    private func produce(handle: OpaquePointer, partition: Int32, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer,
                         headers: OpaquePointer?, timestampMilliseconds: Int64, opaque: UnsafeMutableRawPointer) -> rd_kafka_resp_err_t {
        closeLock.lock()
        let isClosed = closed
        closeLock.unlock()
        if isClosed { return RD_KAFKA_RESP_ERR__DESTROY }
        return tideline_produce(client.pointer, handle, partition, key?.baseAddress, key?.count ?? 0, value.baseAddress, value.count,
                                headers, timestampMilliseconds, opaque)
    }

    private func waitForSpace() async {
        await withCheckedContinuation { continuation in
            spaceLock.lock()
            queueFullCount += 1
            spaceWaiters.append(continuation)
            spaceLock.unlock()
        }
    }

    private func wakeSpaceWaiters() {
        spaceLock.lock()
        let waiters = spaceWaiters
        spaceWaiters.removeAll()
        spaceLock.unlock()
        for waiter in waiters { waiter.resume() }
    }
}

private let RD_KAFKA_PARTITION_UA: Int32 = -1

/// Collects the delivery reports of one `send` call and resumes its single continuation when the last arrives.
final class DeliveryBatch: @unchecked Sendable {
    struct Slot {
        unowned(unsafe) var batch: DeliveryBatch
        var index: Int
    }

    private let topics: [String]
    private let slots: UnsafeMutablePointer<Slot>
    private let partitions: UnsafeMutablePointer<Int32>
    private let offsets: UnsafeMutablePointer<Int64>
    private let errors: UnsafeMutablePointer<Int32>
    private let count: Int
    private let lock = NSLock()
    private var reported = 0
    private var sealed = false
    private var continuation: CheckedContinuation<Void, Never>?

    convenience init(messages: [KafkaOutgoingMessage]) {
        self.init(topics: messages.map(\.topic))
    }

    /// Every record to one topic.
    convenience init(topic: String, count: Int) {
        self.init(topics: [String](repeating: topic, count: count))
    }

    private init(topics: [String]) {
        count = topics.count
        self.topics = topics
        slots = .allocate(capacity: count)
        partitions = .allocate(capacity: count)
        offsets = .allocate(capacity: count)
        errors = .allocate(capacity: count)
        for i in 0..<count {
            (slots + i).initialize(to: Slot(batch: self, index: i))
        }
    }

    deinit {
        slots.deallocate()
        partitions.deallocate()
        offsets.deallocate()
        errors.deallocate()
    }

    func slot(_ index: Int) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(slots + index) }

    /// Records one report. Called on the poll thread (or by `send` for a message that failed to enqueue).
    func record(index: Int, partition: Int32, offset: Int64, error: rd_kafka_resp_err_t) {
        partitions[index] = partition
        offsets[index] = offset
        errors[index] = error.rawValue
        lock.lock()
        reported += 1
        let done = sealed && reported == count
        let continuation = done ? self.continuation : nil
        if done { self.continuation = nil }
        lock.unlock()
        continuation?.resume()
    }

    /// Waits for all reports and returns them in message order.
    func seal() async -> [KafkaDeliveryReport] {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            sealed = true
            if reported == count {
                lock.unlock()
                continuation.resume()
            } else {
                self.continuation = continuation
                lock.unlock()
            }
        }
        return (0..<count).map { i in
            let err = rd_kafka_resp_err_t(errors[i])
            return KafkaDeliveryReport(
                topic: topics[i], partition: partitions[i], offset: offsets[i],
                error: err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.from(err, "delivery to \(topics[i])"))
        }
    }
}

private let producerDeliveryCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    _, message, _ in
    guard let message, let opaque = message.pointee._private else { return }
    let slot = opaque.assumingMemoryBound(to: DeliveryBatch.Slot.self).pointee
    slot.batch.record(index: slot.index, partition: message.pointee.partition, offset: message.pointee.offset,
                      error: message.pointee.err)
}
