import CRdKafka
public import Logging

/// A topic to create: name, partitions, replication and topic-level configuration (retention, cleanup policy).
public struct KafkaTopicSpec: Sendable, Equatable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Topic configuration, e.g. `retention.ms`, `cleanup.policy`.
    public var config: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int = 1, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}

/// The result of creating one topic.
public enum KafkaTopicCreation: Sendable, Equatable {
    case created
    case alreadyExists
    case failed(KafkaError)
}

/// Administrative operations: create topics, describe partitions, check co-partitioning.
/// Methods may be called from any task; blocking requests run off the cooperative pool.
public final class KafkaAdmin: @unchecked Sendable {
    let client: NativeClient

    public init(configuration: KafkaClientConfiguration, logger: Logger = Logger(label: "tideline.kafka.admin")) throws(KafkaError) {
        client = try NativeClient(kind: RD_KAFKA_PRODUCER, properties: configuration.baseProperties + configuration.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, logger: logger)
    }

    /// Creates topics; existing topics are reported as `.alreadyExists`, not as errors.
    public func createTopics(_ specs: [KafkaTopicSpec], timeout: Duration = .seconds(30)) async throws(KafkaError) -> [String: KafkaTopicCreation] {
        let native = client
        let ms = KafkaConsumer.milliseconds(timeout)
        return try await Blocking.run { () throws(KafkaError) in
            var errbuf = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
            for spec in specs {
                guard let t = rd_kafka_NewTopic_new(spec.name, Int32(spec.partitions), Int32(spec.replicationFactor), &errbuf, errbuf.count) else {
                    throw KafkaError.invalidArgument("topic \(spec.name): \(errorBufferText(errbuf))")
                }
                for (key, value) in spec.config.sorted(by: { $0.key < $1.key }) {
                    let err = rd_kafka_NewTopic_set_config(t, key, value)
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, "topic \(spec.name) config \(key)") }
                }
                newTopics.append(t)
            }
            let queue = rd_kafka_queue_new(native.pointer)!
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(native.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_request_timeout(options, ms, &errbuf, errbuf.count)
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, ms, &errbuf, errbuf.count)
            newTopics.withUnsafeMutableBufferPointer { buf in
                rd_kafka_CreateTopics(native.pointer, buf.baseAddress, buf.count, options, queue)
            }
            guard let event = rd_kafka_queue_poll(queue, ms + 5000) else {
                throw KafkaError(code: RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue, name: "_TIMED_OUT", message: "create topics: no answer", classification: .retriable)
            }
            defer { rd_kafka_event_destroy(event) }
            let err = rd_kafka_event_error(event)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.from(err, "create topics (\(String(cString: rd_kafka_event_error_string(event))))")
            }
            guard let result = rd_kafka_event_CreateTopics_result(event) else { throw KafkaError.invalidArgument("create topics: unexpected event") }
            var count = 0
            guard let topics = rd_kafka_CreateTopics_result_topics(result, &count) else { return [:] }
            var outcome: [String: KafkaTopicCreation] = [:]
            for i in 0..<count {
                let t = topics[i]
                let name = String(cString: rd_kafka_topic_result_name(t))
                let e = rd_kafka_topic_result_error(t)
                switch e {
                case RD_KAFKA_RESP_ERR_NO_ERROR: outcome[name] = .created
                case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: outcome[name] = .alreadyExists
                default:
                    let text = rd_kafka_topic_result_error_string(t).map { String(cString: $0) } ?? ""
                    outcome[name] = .failed(KafkaError.from(e, "create topic \(name) (\(text))"))
                }
            }
            return outcome
        }
    }

    /// Broker and topic metadata (all topics when `topic` is nil).
    public func describe(topic: String? = nil, timeout: Duration = .seconds(10)) async throws(KafkaError) -> ClusterMetadata {
        let client = self.client
        let ms = KafkaConsumer.milliseconds(timeout)
        return try await Blocking.run { () throws(KafkaError) in try client.metadata(topic: topic, timeoutMilliseconds: ms) }
    }

    /// Checks that the topics exist and have the same partition count, which keyed joins rely on.
    /// Returns nil when they are co-partitioned, or a sentence saying what is wrong and how to fix it.
    public func coPartitioningProblem(_ topics: [String], timeout: Duration = .seconds(10)) async throws(KafkaError) -> String? {
        let meta = try await describe(timeout: timeout)
        var counts: [(String, Int)] = []
        for name in topics {
            guard let t = meta.topic(name), t.error == nil, !t.partitions.isEmpty else {
                return "topic \(name) does not exist; create it with `tideline topics apply`"
            }
            counts.append((name, t.partitions.count))
        }
        let distinct = Set(counts.map(\.1))
        if distinct.count <= 1 { return nil }
        let shown = counts.map { "\($0.0) has \($0.1)" }.joined(separator: ", ")
        return "topics are not co-partitioned (\(shown) partitions): records with the same key would land on different partitions; give them the same partition count and partitioner (murmur2)"
    }
}
