import CRdKafka
import Logging

/// Owns one `rd_kafka_t` and the context its C callbacks reach through the opaque pointer.
///
/// C callbacks cannot capture Swift state; librdkafka hands back the opaque set with
/// `rd_kafka_conf_set_opaque`, which points at this object's `CallbackContext`.
final class NativeClient: @unchecked Sendable {
    let pointer: OpaquePointer
    let context: CallbackContext
    private let retainedContext: Unmanaged<CallbackContext>
    /// Flags for `rd_kafka_destroy_flags` (consumers set `RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE`: they leave their
    /// group themselves, on their poll thread, and a second close inside destroy could wait forever for a queue
    /// nobody serves any more).
    var destroyFlags: Int32 = 0

    /// Creates the client. `configure` may install callbacks on the conf before the handle exists.
    init(
        kind: rd_kafka_type_t,
        properties: [(String, String)],
        logger: Logger,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        let conf = try makeNativeConfiguration(properties)
        let context = CallbackContext(logger: logger)
        let retained = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, retained.toOpaque())
        rd_kafka_conf_set_log_cb(conf, nativeLogCallback)
        rd_kafka_conf_set_error_cb(conf, nativeErrorCallback)
        configure(conf)
        var errbuf = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(kind, conf, &errbuf, errbuf.count) else {
            rd_kafka_conf_destroy(conf)
            retained.release()
            throw KafkaError.invalidArgument("could not create Kafka client: \(errorBufferText(errbuf))")
        }
        self.pointer = handle
        self.context = context
        self.retainedContext = retained
    }

    deinit {
        rd_kafka_destroy_flags(pointer, destroyFlags)
        retainedContext.release()
    }

    static func context(of rk: OpaquePointer?) -> CallbackContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<CallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// Broker and topic metadata, for one topic or all.
    func metadata(topic: String?, timeoutMilliseconds: Int32) throws(KafkaError) -> ClusterMetadata {
        var meta: UnsafePointer<rd_kafka_metadata>?
        var rkt: OpaquePointer?
        if let topic { rkt = rd_kafka_topic_new(pointer, topic, nil) }
        defer { if let rkt { rd_kafka_topic_destroy(rkt) } }
        let err = rd_kafka_metadata(pointer, topic == nil ? 1 : 0, rkt, &meta, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let meta else { throw KafkaError.from(err, "metadata request") }
        defer { rd_kafka_metadata_destroy(meta) }
        var brokers: [ClusterMetadata.Broker] = []
        for i in 0..<Int(meta.pointee.broker_cnt) {
            let b = meta.pointee.brokers[i]
            brokers.append(.init(id: b.id, host: String(cString: b.host), port: Int(b.port)))
        }
        var topics: [ClusterMetadata.Topic] = []
        for i in 0..<Int(meta.pointee.topic_cnt) {
            let t = meta.pointee.topics[i]
            var partitions: [ClusterMetadata.Partition] = []
            for j in 0..<Int(t.partition_cnt) {
                let p = t.partitions[j]
                partitions.append(.init(id: p.id, leader: p.leader, replicas: Int(p.replica_cnt), inSyncReplicas: Int(p.isr_cnt)))
            }
            let error = t.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.from(t.err, "topic \(String(cString: t.topic))")
            topics.append(.init(name: String(cString: t.topic), partitions: partitions.sorted { $0.id < $1.id }, error: error))
        }
        return ClusterMetadata(brokers: brokers, topics: topics)
    }
}

/// State reachable from librdkafka's C callbacks.
final class CallbackContext: @unchecked Sendable {
    let logger: Logger
    /// Set by the producer: receives delivery reports.
    var onDelivery: (@Sendable (UnsafePointer<rd_kafka_message_t>) -> Void)?
    /// Set by the consumer: receives rebalance callbacks.
    var onRebalance: (@Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)?

    init(logger: Logger) {
        self.logger = logger
    }
}

private let nativeLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    rk, level, facility, message in
    guard let context = NativeClient.context(of: rk) else { return }
    let fac = facility.map { String(cString: $0) } ?? "-"
    let text = message.map { String(cString: $0) } ?? ""
    let swiftLevel: Logger.Level
    switch level {
    case 0...3: swiftLevel = .error
    case 4: swiftLevel = .warning
    case 5, 6: swiftLevel = .info
    default: swiftLevel = .debug
    }
    context.logger.log(level: swiftLevel, "\(text)", metadata: ["librdkafka.facility": "\(fac)"])
}

private let nativeErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    rk, err, reason, _ in
    guard let context = NativeClient.context(of: rk) else { return }
    let text = reason.map { String(cString: $0) } ?? ""
    let error = KafkaError.from(rd_kafka_resp_err_t(err), text)
    // Transport errors against the embedded broker's downed brokers are expected and retried by librdkafka.
    let level: Logger.Level = error.classification == .fatal ? .error : .warning
    context.logger.log(level: level, "kafka client error: \(error)")
}

/// What the brokers say about the cluster: brokers, topics, partitions and leaders.
public struct ClusterMetadata: Sendable {
    public struct Broker: Sendable, Equatable {
        public var id: Int32
        public var host: String
        public var port: Int
    }
    public struct Partition: Sendable, Equatable {
        public var id: Int32
        public var leader: Int32
        public var replicas: Int
        public var inSyncReplicas: Int
    }
    public struct Topic: Sendable {
        public var name: String
        public var partitions: [Partition]
        /// Set when the broker reports an error for the topic (e.g. it does not exist).
        public var error: KafkaError?
    }
    public var brokers: [Broker]
    public var topics: [Topic]

    public func topic(_ name: String) -> Topic? { topics.first { $0.name == name } }

    /// The topic when it exists: known to the brokers, without error, with at least one partition.
    public func existingTopic(_ name: String) -> Topic? {
        topic(name).flatMap { $0.error == nil && !$0.partitions.isEmpty ? $0 : nil }
    }
}
