import CRdKafka
public import Foundation
public import Logging
import Metrics

/// What a consumer delivers, in order.
public enum KafkaConsumerEvent: Sendable {
    /// Records fetched from assigned partitions.
    case messages(KafkaMessageBatch)
    /// The group gave this consumer these partitions. Load their state before processing their messages,
    /// which follow this event.
    case partitionsAssigned([TopicPartition])
    /// These partitions are being taken away. librdkafka does not complete the revocation until the reader
    /// asks for the next event (or `revocationTimeout` passes): save state and commit before that.
    case partitionsRevoked([TopicPartition])
    /// A non-fatal error reported by the client or for a partition; the consumer keeps running.
    case error(KafkaError)
    /// No record arrived for `KafkaConsumerConfiguration.idleEventInterval` (only when that is set): a tick for
    /// work that depends on quiet time, such as advancing idle partitions' clocks.
    case idle
    /// The consumer has read everything in this partition up to `offset` (the next offset to be written); only
    /// with `KafkaConsumerConfiguration.reportsEndOfPartition`. Follows the partition's last delivered record; a
    /// record produced later still arrives, and the event repeats when the consumer catches up again.
    case endOfPartition(TopicPartitionOffset)
}

/// Consumes records through librdkafka, as an `AsyncSequence` of `KafkaConsumerEvent`.
///
/// - A dedicated OS thread blocks on librdkafka's consumer queue itself (its condition variable, via
///   `rd_kafka_consume_batch_queue` for one record), then drains everything else queued without waiting:
///   records are delivered as soon as they arrive, in batches, with no sleep-polling and no timer.
/// - Events pass through a bounded buffer (`bufferedBatches`); when the reader falls behind, the poll thread
///   waits, librdkafka's prefetch queue fills, and fetching pauses: backpressure, not memory growth.
/// - Offsets are never stored automatically: call `store(_:)` and `commit()` for what your state reflects.
/// - One task iterates `events`; the other methods may be called from any task.
public final class KafkaConsumer: @unchecked Sendable {
    public let configuration: KafkaConsumerConfiguration
    /// How long a revocation waits for the reader to acknowledge it before librdkafka proceeds.
    public var revocationTimeout: TimeInterval = 30
    /// Called on the poll thread when the group assigns partitions, before fetching starts: returns where to
    /// start reading each partition (e.g. the offsets a stage's checkpoint reflects). Partitions it leaves out
    /// start at their committed offset. Set it before `subscribe`.
    public var startingOffsets: (@Sendable ([TopicPartition]) -> [TopicPartition: Int64])? {
        get { stateLock.withLock { _startingOffsets } }
        set { stateLock.withLock { _startingOffsets = newValue } }
    }
    private var _startingOffsets: (@Sendable ([TopicPartition]) -> [TopicPartition: Int64])?
    let client: NativeClient
    private let logger: Logger
    private let queue: OpaquePointer
    private let channel: BoundedEventChannel<KafkaConsumerEvent>
    private var pollThread: ServiceThread?
    private let stateLock = NSLock()
    private var subscribed = false
    private var closing = false
    private var closed = false

    private let consumedMessages: Counter
    private let consumedBytes: Counter
    private let consumerErrors: Counter
    private let rebalances: Counter
    private let bufferedEvents: Gauge
    /// Consumer lag per partition (poll thread only): the last offset handed out, and when the gauges were last set.
    private var lastConsumed: [TopicPartition: Int64] = [:]
    private var lagGauges: [TopicPartition: Gauge] = [:]
    private var lagReportedAt = ContinuousClock.now - .seconds(10)
    private let lagDimensions: [(String, String)]

    public init(configuration: KafkaConsumerConfiguration, logger: Logger = Logger(label: "tideline.kafka.consumer")) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        self.channel = BoundedEventChannel(capacity: configuration.bufferedBatches)
        self.client = try NativeClient(kind: RD_KAFKA_CONSUMER, properties: configuration.nativeProperties(), logger: logger) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, consumerRebalanceCallback)
        }
        rd_kafka_poll_set_consumer(client.pointer)
        queue = rd_kafka_queue_get_consumer(client.pointer)
        let dims = [("client", configuration.client.clientID)]
        consumedMessages = Counter(label: "tideline_kafka_consumed_messages_total", dimensions: dims)
        consumedBytes = Counter(label: "tideline_kafka_consumed_bytes_total", dimensions: dims)
        consumerErrors = Counter(label: "tideline_kafka_consumer_errors_total", dimensions: dims)
        rebalances = Counter(label: "tideline_kafka_rebalances_total", dimensions: dims)
        bufferedEvents = Gauge(label: "tideline_kafka_consumer_buffered_events", dimensions: dims)
        lagDimensions = [("client", configuration.client.clientID), ("group", configuration.groupID ?? "")]
        client.context.onRebalance = { [weak self] rk, err, list in self?.handleRebalance(rk, err, list) }
        let maxBatch = configuration.maxBatchSize
        // The thread holds the consumer only for one iteration at a time, so a consumer dropped without
        // `close()` is still released (and its deinit stops the thread).
        pollThread = ServiceThread(name: "tideline-consumer-poll") { [weak self] thread in
            let buffer = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: maxBatch)
            defer { buffer.deallocate() }
            var topicNames: [OpaquePointer: String] = [:]
            while !thread.shouldStop {
                guard let consumer = self else { return }
                consumer.pollOnce(buffer, maxBatch: maxBatch, topicNames: &topicNames)
            }
            self?.closeGroupMembership()
        }
    }

    deinit {
        shutDown()
        rd_kafka_queue_destroy(queue)
        // The group was left (if subscribed) by the poll thread before it stopped; do not close again.
        client.destroyFlags = Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
    }

    /// The stream of consumer events. Iterate it from one task.
    public var events: Events { Events(channel: channel) }

    public struct Events: AsyncSequence, Sendable {
        let channel: BoundedEventChannel<KafkaConsumerEvent>
        public typealias Element = KafkaConsumerEvent
        public struct AsyncIterator: AsyncIteratorProtocol {
            let channel: BoundedEventChannel<KafkaConsumerEvent>
            public mutating func next() async -> KafkaConsumerEvent? { await channel.next() }
        }
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: channel) }
    }

    /// Joins the consumer group and subscribes to `topics`. Requires `groupID`.
    public func subscribe(topics: [String]) throws(KafkaError) {
        guard configuration.groupID != nil else { throw KafkaError.invalidArgument("subscribe needs a consumer group id") }
        let list = PartitionList.make(topics.map { TopicPartitionOffset(topic: $0, partition: -1, offset: KafkaOffset.invalid) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_subscribe(client.pointer, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "subscribe to \(topics)") }
        stateLock.lock(); subscribed = true; stateLock.unlock()
    }

    /// Reads exactly these partitions from these offsets, without group membership.
    public func assign(_ partitions: [TopicPartitionOffset]) throws(KafkaError) {
        let list = PartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_assign(client.pointer, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.from(err, "assign \(partitions)") }
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() throws(KafkaError) -> [TopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let err = rd_kafka_assignment(client.pointer, &list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw KafkaError.from(err, "assignment") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return PartitionList.read(list).map(\.topicPartition)
    }

    /// Marks offsets (the next offset to read, i.e. last processed + 1) for the next commit.
    public func store(_ offsets: [TopicPartitionOffset]) throws(KafkaError) {
        if offsets.isEmpty { return }
        let list = PartitionList.make(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_offsets_store(client.pointer, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, "store offsets") }
        if let error = PartitionList.firstError(list, "store offset") { throw error }
    }

    /// Commits `offsets` (or all stored offsets when nil) and waits for the broker's answer.
    public func commit(_ offsets: [TopicPartitionOffset]? = nil) async throws(KafkaError) {
        guard configuration.groupID != nil else { throw KafkaError.invalidArgument("commit needs a consumer group id") }
        let native = client
        try await Blocking.run { () throws(KafkaError) in
            let list = offsets.map { PartitionList.make($0) }
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            let err = rd_kafka_commit(native.pointer, list, 0)
            if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }  // nothing stored since the last commit
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, "commit") }
            if let list, let error = PartitionList.firstError(list, "commit") { throw error }
        }
    }

    /// The committed offsets of the group for these partitions (`KafkaOffset.invalid` where none).
    public func committed(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [TopicPartitionOffset] {
        let native = client
        let ms = Self.milliseconds(timeout)
        return try await Blocking.run { () throws(KafkaError) in
            let list = PartitionList.make(partitions.map { TopicPartitionOffset($0, offset: KafkaOffset.invalid) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(native.pointer, list, ms)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, "committed offsets") }
            return PartitionList.read(list)
        }
    }

    /// For each partition, the earliest offset whose timestamp is at or after the given epoch milliseconds
    /// (`KafkaOffset.end` when there is none), as Kafka's ListOffsets defines it.
    ///
    /// The broker is asked first. When it answers "none" for a non-empty partition whose last record is at or
    /// after the time (librdkafka's embedded mock broker answers "none" to every time lookup), the answer is
    /// found by reading the partition instead: exact, and only as slow as the partition is long.
    public func offsets(forTimes times: [TopicPartition: Int64], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [TopicPartitionOffset] {
        let answer = try await brokerOffsets(forTimes: times, timeout: timeout)
        var result: [TopicPartitionOffset] = []
        for entry in answer {
            guard entry.offset == KafkaOffset.end, let time = times[entry.topicPartition] else {
                result.append(entry)
                continue
            }
            let (low, high) = try await watermarks(entry.topicPartition, timeout: timeout)
            if high <= low {
                result.append(entry)
                continue
            }
            let offset = try await TimestampScan.firstOffset(
                in: entry.topicPartition, atOrAfter: time, low: low, high: high, client: configuration.client, logger: logger)
            result.append(TopicPartitionOffset(entry.topicPartition, offset: offset ?? KafkaOffset.end))
        }
        return result
    }

    /// The broker's ListOffsets answer for times, unverified.
    func brokerOffsets(forTimes times: [TopicPartition: Int64], timeout: Duration) async throws(KafkaError) -> [TopicPartitionOffset] {
        let native = client
        let ms = Self.milliseconds(timeout)
        let request = times.map { TopicPartitionOffset($0.key, offset: $0.value) }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
        return try await Blocking.run { () throws(KafkaError) in
            let list = PartitionList.make(request)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_offsets_for_times(native.pointer, list, ms)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, "offsets for times") }
            if let error = PartitionList.firstError(list, "offsets for times") { throw error }
            return PartitionList.read(list)
        }
    }

    /// The low and high watermarks (first offset, offset after the last) of a partition, asked of the broker.
    public func watermarks(_ partition: TopicPartition, timeout: Duration = .seconds(10)) async throws(KafkaError) -> (low: Int64, high: Int64) {
        let native = client
        let ms = Self.milliseconds(timeout)
        return try await Blocking.run { () throws(KafkaError) in
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(native.pointer, partition.topic, partition.partition, &low, &high, ms)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, "watermarks of \(partition)") }
            return (low, high)
        }
    }

    /// Moves the fetch position of assigned partitions.
    public func seek(_ positions: [TopicPartitionOffset], timeout: Duration = .seconds(10)) async throws(KafkaError) {
        let native = client
        let ms = Self.milliseconds(timeout)
        try await Blocking.run { () throws(KafkaError) in
            let list = PartitionList.make(positions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let error = rd_kafka_seek_partitions(native.pointer, list, ms) { throw KafkaError.consuming(error, "seek") }
            if let error = PartitionList.firstError(list, "seek") { throw error }
        }
    }

    /// Stops fetching from these partitions until `resume`.
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        let list = PartitionList.make(partitions.map { TopicPartitionOffset($0, offset: KafkaOffset.invalid) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_pause_partitions(client.pointer, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, "pause") }
    }

    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        let list = PartitionList.make(partitions.map { TopicPartitionOffset($0, offset: KafkaOffset.invalid) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_resume_partitions(client.pointer, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, "resume") }
    }

    /// Topic metadata as this consumer's brokers report it.
    public func metadata(topic: String? = nil, timeout: Duration = .seconds(10)) async throws(KafkaError) -> ClusterMetadata {
        let client = self.client
        let ms = Self.milliseconds(timeout)
        return try await Blocking.run { () throws(KafkaError) in try client.metadata(topic: topic, timeoutMilliseconds: ms) }
    }

    /// Leaves the group (revoking partitions without waiting for the reader) and ends `events`.
    /// Commit what you need before calling it.
    public func close() async {
        await Blocking.run { self.shutDown() }
    }

    // MARK: - Poll thread

    private func shutDown() {
        stateLock.lock()
        if closed { stateLock.unlock(); return }
        closed = true
        closing = true
        stateLock.unlock()
        channel.finish()
        pollThread?.requestStop()
        rd_kafka_queue_yield(queue)  // interrupts a blocked consume call
        pollThread?.stopAndJoin()
    }

    /// Waits on librdkafka's queue for the first record (serving rebalance callbacks meanwhile), then takes
    /// whatever else is queued without waiting, and delivers the batch. The timeout only bounds how long a
    /// stop request can go unnoticed if `rd_kafka_queue_yield` is missed.
    private func pollOnce(_ buffer: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>, maxBatch: Int,
                          topicNames: inout [OpaquePointer: String]) {
        let idleAfter = configuration.idleEventInterval.map { Self.milliseconds($0) }
        let first = rd_kafka_consume_batch_queue(queue, idleAfter ?? 1000, buffer, 1)
        if first <= 0 {
            if idleAfter != nil && first == 0 && !channel.isFinished { _ = channel.send(.idle) }
            reportLag()
            return
        }
        let rest = maxBatch > 1 ? rd_kafka_consume_batch_queue(queue, 0, buffer + 1, maxBatch - 1) : 0
        deliver(buffer, count: 1 + Swift.max(0, rest), topicNames: &topicNames)
        reportLag()
    }

    /// Sets `tideline_kafka_consumer_lag_messages{client, group, topic, partition}` at most once a second: the
    /// partition's high watermark (librdkafka's cached value from the last fetch, no broker round trip) minus the
    /// next offset this consumer hands out. Poll thread only.
    private func reportLag() {
        let now = ContinuousClock.now
        guard now - lagReportedAt >= .seconds(1), !lastConsumed.isEmpty else { return }
        lagReportedAt = now
        for (tp, offset) in lastConsumed {
            var low: Int64 = -1, high: Int64 = -1
            guard rd_kafka_get_watermark_offsets(client.pointer, tp.topic, tp.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                  high >= 0 else { continue }
            let gauge = lagGauges[tp] ?? {
                let g = Gauge(label: "tideline_kafka_consumer_lag_messages",
                              dimensions: lagDimensions + [("topic", tp.topic), ("partition", String(tp.partition))])
                lagGauges[tp] = g
                return g
            }()
            gauge.record(Swift.max(0, high - (offset + 1)))
        }
    }

    /// Leaves the group (on the poll thread, where librdkafka serves the final revocation).
    private func closeGroupMembership() {
        stateLock.lock()
        let wasSubscribed = subscribed
        stateLock.unlock()
        if wasSubscribed {
            let err = rd_kafka_consumer_close(client.pointer)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { logger.warning("consumer close: \(KafkaError.from(err, "close"))") }
        }
    }

    private func deliver(_ buffer: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>, count n: Int, topicNames: inout [OpaquePointer: String]) {
        var total = 0
        for i in 0..<n {
            let m = buffer[i]!.pointee
            if m.err == RD_KAFKA_RESP_ERR_NO_ERROR { total += m.len + (m.key == nil ? 0 : m.key_len) }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(total)
        var records = [KafkaMessageBatch.Record]()
        records.reserveCapacity(n)
        var topics: [String] = []
        var headerSets: [[KafkaHeader]] = []
        var errors: [KafkaError] = []
        var ends: [TopicPartitionOffset] = []
        // Records come in runs of one topic and partition: the topic's name and index are looked up, and the
        // partition's last consumed offset written, once per run (hashing per record cost ~1.5 % of a stage).
        var runTopic: OpaquePointer?, runName = "", runTopicIndex = 0
        var runPartition: Int32 = -1, runOffset: Int64 = -1
        for i in 0..<n {
            let message = buffer[i]!
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF, let rkt = m.rkt {
                ends.append(TopicPartitionOffset(topic: String(cString: rd_kafka_topic_name(rkt)), partition: m.partition, offset: m.offset))
                continue
            }
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "-"
                var detail = "consume \(topic)[\(m.partition)]"
                if let payload = m.payload, m.len > 0 {
                    detail += ": " + String(decoding: UnsafeRawBufferPointer(start: payload, count: m.len), as: UTF8.self)
                }
                errors.append(KafkaError.from(m.err, detail))
                continue
            }
            let rkt = m.rkt!
            if rkt != runTopic || m.partition != runPartition {
                if runOffset >= 0 { lastConsumed[TopicPartition(topic: runName, partition: runPartition)] = runOffset }
                if rkt != runTopic {
                    let name: String
                    if let cached = topicNames[rkt] { name = cached } else {
                        name = String(cString: rd_kafka_topic_name(rkt))
                        topicNames[rkt] = name
                    }
                    if let last = topics.lastIndex(of: name) { runTopicIndex = last } else { topics.append(name); runTopicIndex = topics.count - 1 }
                    runTopic = rkt
                    runName = name
                }
                runPartition = m.partition
            }
            runOffset = m.offset
            let keyStart = bytes.count
            var keyLength: Int32 = -1
            if let key = m.key {
                bytes.append(contentsOf: UnsafeRawBufferPointer(start: key, count: m.key_len))
                keyLength = Int32(m.key_len)
            }
            let valueStart = bytes.count
            if let payload = m.payload, m.len > 0 {
                bytes.append(contentsOf: UnsafeRawBufferPointer(start: payload, count: m.len))
            }
            var headersIndex: Int32 = -1
            var hdrs: OpaquePointer?
            if rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
                var list: [KafkaHeader] = []
                var idx = 0
                var namePtr: UnsafePointer<CChar>?
                var valuePtr: UnsafeRawPointer?
                var size = 0
                while rd_kafka_header_get_all(hdrs, idx, &namePtr, &valuePtr, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                    let value = valuePtr.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                    list.append(KafkaHeader(key: String(cString: namePtr!), value: value))
                    idx += 1
                }
                if !list.isEmpty {
                    headerSets.append(list)
                    headersIndex = Int32(headerSets.count - 1)
                }
            }
            var tstype = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let ts = rd_kafka_message_timestamp(message, &tstype)
            records.append(.init(
                topicIndex: Int32(runTopicIndex), partition: m.partition, offset: m.offset,
                timestamp: tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts,
                keyStart: Int32(keyStart), keyLength: keyLength, valueStart: Int32(valueStart),
                valueLength: Int32(bytes.count - valueStart), headersIndex: headersIndex))
        }
        if runOffset >= 0 { lastConsumed[TopicPartition(topic: runName, partition: runPartition)] = runOffset }
        for error in errors {
            consumerErrors.increment()
            channel.send(.error(error))
        }
        if !records.isEmpty {
            consumedMessages.increment(by: Int64(records.count))
            consumedBytes.increment(by: Int64(bytes.count))
            channel.send(.messages(KafkaMessageBatch(topics: topics, records: records, bytes: bytes, headers: headerSets)))
            bufferedEvents.record(channel.count)
        }
        // After the records: an end-of-partition marker follows the partition's last record in librdkafka's queue.
        for end in ends { channel.send(.endOfPartition(end)) }
    }

    /// Runs on the poll thread, inside `rd_kafka_consume_batch_queue` or `rd_kafka_consumer_close`.
    fileprivate func handleRebalance(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        rebalances.increment()
        let partitions = PartitionList.read(list).map(\.topicPartition)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            logger.info("partitions assigned: \(partitions.map(\.description).joined(separator: ","))")
            if let starting = startingOffsets?(partitions) {
                for i in 0..<Int(list.pointee.cnt) {
                    let element = list.pointee.elems[i]
                    let tp = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
                    if let offset = starting[tp] { list.pointee.elems[i].offset = offset }
                }
            }
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, list) { logger.error("\(KafkaError.consuming(error, "incremental assign"))") }
            } else {
                let e = rd_kafka_assign(rk, list)
                if e != RD_KAFKA_RESP_ERR_NO_ERROR { logger.error("\(KafkaError.from(e, "assign"))") }
            }
            channel.send(.partitionsAssigned(partitions))
        } else {
            logger.info("partitions revoked: \(partitions.map(\.description).joined(separator: ","))")
            for tp in partitions {
                lastConsumed[tp] = nil
                lagGauges[tp]?.record(0)  // another member reports it now
            }
            stateLock.lock()
            let isClosing = closing
            stateLock.unlock()
            channel.send(.partitionsRevoked(partitions))
            if !isClosing && !channel.waitUntilAcknowledged(timeout: revocationTimeout) {
                logger.warning("revocation of \(partitions.count) partitions not acknowledged within \(revocationTimeout) s; proceeding")
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, list) { logger.error("\(KafkaError.consuming(error, "incremental unassign"))") }
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
        }
    }

    static func milliseconds(_ d: Duration) -> Int32 {
        Int32(clamping: d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }
}

private let consumerRebalanceCallback: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = {
    rk, err, list, _ in
    guard let rk, let list, let context = NativeClient.context(of: rk) else { return }
    if let handler = context.onRebalance {
        handler(rk, err, list)
    } else {
        _ = rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? list : nil)
    }
}
