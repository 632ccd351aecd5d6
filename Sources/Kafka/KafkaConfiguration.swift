import CRdKafka

/// Settings shared by every Kafka client: where the brokers are, who the client is, and any raw
/// librdkafka property (security, tuning) passed through unchanged.
///
/// Raw `properties` are applied last, so they override the typed fields. That is how SASL and TLS reach
/// librdkafka: `security.protocol`, `sasl.mechanism`, `sasl.username`, `sasl.password`, `ssl.ca.location`, ….
public struct KafkaClientConfiguration: Sendable, Equatable {
    /// `host:port` pairs for the initial connection (`bootstrap.servers`).
    public var bootstrapServers: [String]
    /// `client.id`, shown in broker logs and quotas.
    public var clientID: String
    /// Raw librdkafka properties, applied after the typed fields.
    public var properties: [String: String]

    public init(bootstrapServers: [String], clientID: String = "tideline", properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.properties = properties
    }

    /// Property names whose values are secrets and must never be logged or printed.
    public static func isSecret(_ property: String) -> Bool {
        let lower = property.lowercased()
        return lower.contains("password") || lower.contains("secret") || lower.hasSuffix(".key.pem")
            || lower == "ssl.key.location" || lower.contains("oauthbearer.config") || lower.contains("token")
    }

    /// The properties with secret values replaced by `[redacted]`, for logs and error messages.
    public var redactedProperties: [String: String] {
        properties.reduce(into: [:]) { $0[$1.key] = Self.isSecret($1.key) ? "[redacted]" : $1.value }
    }

    var baseProperties: [(String, String)] {
        [("bootstrap.servers", bootstrapServers.joined(separator: ",")), ("client.id", clientID)]
    }
}

/// Producer settings. Defaults favour safety: idempotence on, `acks=all`, the Java-compatible murmur2
/// partitioner so that Java, librdkafka and Tideline agree on where a key goes.
public struct KafkaProducerConfiguration: Sendable, Equatable {
    public var client: KafkaClientConfiguration
    /// `enable.idempotence`: no duplicates or reordering from retries within one producer session.
    public var idempotent: Bool = true
    /// `linger.ms`: how long to wait to fill a batch. Small values cut latency, larger ones raise throughput.
    public var lingerMilliseconds: Int = 5
    /// `queue.buffering.max.messages`: the local queue bound. When it is full, `send` waits (backpressure).
    public var queueMaxMessages: Int = 100_000
    /// `queue.buffering.max.kbytes`.
    public var queueMaxKilobytes: Int = 1_048_576
    /// `compression.codec`: none, gzip, snappy, lz4, zstd.
    public var compression: String = "none"
    /// `partitioner`. `murmur2_random` is Java's default for keyed messages.
    public var partitioner: String = "murmur2_random"
    /// `message.timeout.ms`: how long librdkafka retries a message before reporting it failed. 0 = forever.
    public var messageTimeoutMilliseconds: Int = 300_000

    public init(client: KafkaClientConfiguration) {
        self.client = client
    }

    func nativeProperties() -> [(String, String)] {
        var p = client.baseProperties
        p += [
            ("enable.idempotence", idempotent ? "true" : "false"),
            ("linger.ms", String(lingerMilliseconds)),
            ("queue.buffering.max.messages", String(queueMaxMessages)),
            ("queue.buffering.max.kbytes", String(queueMaxKilobytes)),
            ("compression.codec", compression),
            ("partitioner", partitioner),
            ("message.timeout.ms", String(messageTimeoutMilliseconds)),
        ]
        if idempotent { p.append(("acks", "all")) }
        return p + client.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

/// Consumer settings. Offsets are stored and committed by the caller (`enable.auto.offset.store=false`),
/// so a stage commits only what its saved state reflects.
public struct KafkaConsumerConfiguration: Sendable, Equatable {
    public var client: KafkaClientConfiguration
    /// `group.id`. Nil for a consumer that only uses `assign` (no group membership, no 3 s join).
    public var groupID: String?
    /// `auto.offset.reset`: where to start without a committed offset (`earliest` or `latest`).
    public var autoOffsetReset: String = "earliest"
    /// `enable.auto.commit`: commit stored offsets in the background. Off by default: call `commit()`.
    public var autoCommit: Bool = false
    /// `isolation.level`.
    public var isolationLevel: String = "read_committed"
    /// `partition.assignment.strategy`, e.g. `range,roundrobin` (eager) or `cooperative-sticky`.
    public var assignmentStrategy: String = "range,roundrobin"
    /// `session.timeout.ms`.
    public var sessionTimeoutMilliseconds: Int = 10_000
    /// The most messages in one delivered batch.
    public var maxBatchSize: Int = 2048
    /// How many batches may wait between the poll thread and the reader before polling pauses (backpressure).
    public var bufferedBatches: Int = 16
    /// When set, the consumer delivers `.idle` after this long without a record.
    public var idleEventInterval: Duration?
    /// Deliver `.endOfPartition` each time the consumer catches up with a partition's last record
    /// (`enable.partition.eof`).
    public var reportsEndOfPartition = false
    /// `queued.min.messages`: how many fetched messages librdkafka keeps ready. librdkafka 2.0 compares it with
    /// the length of the consumer's *shared* queue (every partition forwards into it), so its default of 100,000
    /// stops fetching for all partitions whenever that many wait, and fetching resumes only on the next fetch
    /// decision: the reader then waits on the broker although data is there. Measured with the join stage on
    /// 128 partitions: 0.16 M events/s at 100,000, 0.35 M at 1,000,000. Memory stays bounded by
    /// `queued.max.messages.kbytes` (librdkafka's default 64 MiB), which is checked the same way.
    public var prefetchMessages: Int = 1_000_000

    public init(client: KafkaClientConfiguration, groupID: String? = nil) {
        self.client = client
        self.groupID = groupID
    }

    func nativeProperties() -> [(String, String)] {
        var p = client.baseProperties
        p += [
            ("auto.offset.reset", autoOffsetReset),
            ("enable.auto.commit", autoCommit ? "true" : "false"),
            ("enable.auto.offset.store", "false"),
            ("isolation.level", isolationLevel),
            ("partition.assignment.strategy", assignmentStrategy),
            ("session.timeout.ms", String(sessionTimeoutMilliseconds)),
            ("enable.partition.eof", reportsEndOfPartition ? "true" : "false"),
            ("queued.min.messages", String(prefetchMessages)),
        ]
        if let groupID { p.append(("group.id", groupID)) } else { p.append(("group.id", "tideline-unused")) }
        return p + client.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

/// Builds a librdkafka configuration object, naming the property that librdkafka rejects.
/// The returned pointer is owned by the caller (passed to `rd_kafka_new`, or destroyed).
/// The text librdkafka wrote into an error buffer: its bytes up to the first NUL, as UTF-8.
func errorBufferText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func makeNativeConfiguration(_ properties: [(String, String)]) throws(KafkaError) -> OpaquePointer {
    let conf = rd_kafka_conf_new()!
    var errbuf = [CChar](repeating: 0, count: 512)
    for (key, value) in properties {
        let res = rd_kafka_conf_set(conf, key, value, &errbuf, errbuf.count)
        if res != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            let shown = KafkaClientConfiguration.isSecret(key) ? "[redacted]" : value
            throw KafkaError.invalidArgument("invalid Kafka property \(key)=\(shown): \(errorBufferText(errbuf))")
        }
    }
    return conf
}
