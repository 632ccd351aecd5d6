import CRdKafka
public import Logging

/// An in-process Kafka cluster: librdkafka's mock cluster, reachable over TCP on 127.0.0.1 by any Kafka
/// client (librdkafka, Java, kcat) through `bootstrapServers`.
///
/// Limits to design around (they are librdkafka's): each partition keeps the last 100,000 message sets or
/// 5 MiB; a consumer group takes about 3 s to receive its first message; `read_committed` still sees
/// aborted transactions; idempotent producers are not deduplicated by the broker. Two more shape latency:
/// a fetch that finds nothing is answered only after the consumer's whole `fetch.wait.max.ms` (a Kafka broker
/// answers at the first byte), and a fetch finds its position by walking the partition's message sets from the
/// oldest, so many small batches (a 1 ms `linger.ms`, many partitions) cost the broker's thread CPU in
/// proportion to the log's length.
///
/// Fault injection for tests: take brokers down and up, add round-trip latency, push request errors.
/// Thread safety: all methods may be called from any thread.
public final class EmbeddedKafkaCluster: @unchecked Sendable {
    /// Kafka protocol API keys, for `pushRequestErrors`.
    public enum ApiKey: Int16, Sendable {
        case produce = 0, fetch = 1, listOffsets = 2, metadata = 3, offsetCommit = 8, offsetFetch = 9
        case findCoordinator = 10, joinGroup = 11, heartbeat = 12, leaveGroup = 13, syncGroup = 14
        case apiVersions = 18, createTopics = 19, initProducerId = 22
    }

    private let host: NativeClient
    private let cluster: OpaquePointer
    /// Comma-separated `host:port` addresses of the brokers.
    public let bootstrapServers: String
    public let brokerCount: Int

    public init(brokers: Int = 1, logger: Logger = Logger(label: "tideline.kafka.embedded")) throws(KafkaError) {
        guard brokers >= 1 else { throw KafkaError.invalidArgument("an embedded cluster needs at least one broker, got \(brokers)") }
        host = try NativeClient(kind: RD_KAFKA_PRODUCER, properties: [("client.id", "tideline-embedded-broker")], logger: logger)
        guard let cluster = rd_kafka_mock_cluster_new(host.pointer, Int32(brokers)) else {
            throw KafkaError.invalidArgument("could not start the embedded Kafka cluster")
        }
        self.cluster = cluster
        self.brokerCount = brokers
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    /// Creates a topic (idempotent: an existing topic is left as is).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(min(replicationFactor, brokerCount)))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
            throw KafkaError.from(err, "create topic \(name)")
        }
    }

    public func createTopic(_ spec: KafkaTopicSpec) throws(KafkaError) {
        try createTopic(spec.name, partitions: spec.partitions, replicationFactor: spec.replicationFactor)
    }

    /// Takes a broker down: its connections are closed and it accepts none until `setBrokerUp`.
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_down(cluster, id), "broker \(id) down")
    }

    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_up(cluster, id), "broker \(id) up")
    }

    /// Adds round-trip latency to every response of a broker.
    public func setBrokerRoundTripTime(_ id: Int32, milliseconds: Int) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_rtt(cluster, id, Int32(milliseconds)), "broker \(id) rtt")
    }

    /// Makes the next requests of `api` fail with these errors, one per request, in order (any broker).
    public func pushRequestErrors(_ api: ApiKey, errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t($0) }
        codes.withUnsafeBufferPointer { buf in
            rd_kafka_mock_push_request_errors_array(cluster, api.rawValue, buf.count, buf.baseAddress)
        }
    }

    public func clearRequestErrors(_ api: ApiKey) {
        rd_kafka_mock_clear_request_errors(cluster, api.rawValue)
    }

    /// Moves the leadership of a partition to a broker (-1 for no leader).
    public func setPartitionLeader(topic: String, partition: Int32, broker: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker), "leader of \(topic)[\(partition)]")
    }

    private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws(KafkaError) {
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, what) }
    }
}
