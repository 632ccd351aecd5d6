import ArgumentParser
import Events
import Foundation
import Kafka
import TidelineConfig

/// `tideline consume`: print a topic's events as JSON Lines.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print a topic's events as JSON Lines.",
        discussion: """
            Reads every partition (no consumer group unless --group is given). Starts at the end by default, at the \
            beginning with --from-beginning, or at the first event at or after --from-time (RFC 3339 or epoch ms, \
            using the brokers' offsets-for-times). Stops after --max events, after --timeout seconds without a new \
            event, or on SIGINT.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "Topic base name (the prefix is added), e.g. predictions or dead-letter.")
    var topic: String

    @Flag(name: .long, help: "Start at the earliest retained event.")
    var fromBeginning = false

    @Option(name: .long, help: "Start at the first event at or after this time (RFC 3339 or epoch milliseconds).")
    var fromTime: String?

    @Option(name: .long, help: "Stop after this many events.")
    var max: Int?

    @Option(name: .long, help: "Stop after this many seconds without a new event.")
    var timeout: Double?

    @Option(name: .long, help: "Join this consumer group (and commit offsets) instead of reading all partitions.")
    var group: String?

    @Flag(name: .long, help: "Wrap each event with its topic, partition, offset, key, timestamp and headers.")
    var withMetadata = false

    func validate() throws {
        if fromBeginning && fromTime != nil { throw ValidationError("--from-beginning and --from-time: choose one") }
        if let fromTime, Self.parseTime(fromTime) == nil {
            throw ValidationError("--from-time: \"\(fromTime)\" is neither RFC 3339 (2026-11-23T10:00:00Z) nor epoch milliseconds")
        }
        if let max, max < 1 { throw ValidationError("--max: must be at least 1") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout: must be positive") }
    }

    static func parseTime(_ text: String) -> EventTime? {
        if let ms = Int64(text) { return EventTime(milliseconds: ms) }
        return EventTime(rfc3339: text)
    }

    func run() async throws {
        let config = try connection.resolve()
        let name = config.topic(topic)
        var consumerConfig = KafkaConsumerConfiguration(client: config.kafkaClient, groupID: group)
        consumerConfig.autoOffsetReset = fromBeginning ? "earliest" : "latest"
        let consumer = try KafkaConsumer(configuration: consumerConfig, logger: connection.logger("tideline.consume"))
        let meta: ClusterMetadata
        do { meta = try await consumer.metadata(topic: name) } catch {
            printError("cannot reach Kafka: \(error)")
            throw ExitCodes.runtimeFailure
        }
        guard let t = meta.existingTopic(name) else {
            printError("--topic: \(name) does not exist (run `tideline topics apply`)")
            throw ExitCodes.runtimeFailure
        }
        if let group {
            _ = group
            try consumer.subscribe(topics: [name])
        } else {
            var starts = t.partitions.map { TopicPartitionOffset(topic: name, partition: $0.id, offset: fromBeginning ? KafkaOffset.beginning : KafkaOffset.end) }
            if let fromTime, let time = Self.parseTime(fromTime) {
                let request = Dictionary(uniqueKeysWithValues: t.partitions.map { (TopicPartition(topic: name, partition: $0.id), time.milliseconds) })
                starts = try await consumer.offsets(forTimes: request)
            }
            try consumer.assign(starts)
        }
        let signalTask = Task {
            _ = await TerminationSignal.wait()
            await consumer.close()
        }
        let idle = IdleWatch()
        if let timeout {
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    if idle.secondsSinceLastEvent() >= timeout { await consumer.close(); return }
                }
            }
        }
        var out = StandardOutput()
        var count = 0
        loop: for await event in consumer.events {
            switch event {
            case .messages(let batch):
                idle.touch()
                for message in batch {
                    if withMetadata { out.write(Self.envelope(message)) } else { out.write(message.value) }
                    out.write([0x0A])
                    count += 1
                    if let max, count >= max { break loop }
                }
                out.flush()
                if group != nil { try? consumer.store(batch.nextOffsets); try? await consumer.commit() }
            case .error(let error):
                printError("consumer: \(error)")
            case .partitionsAssigned, .partitionsRevoked, .idle, .endOfPartition:
                break
            }
        }
        out.flush()
        signalTask.cancel()
        await consumer.close()
    }

    static func envelope(_ m: KafkaMessage) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("topic"); w.string(m.topic)
        w.key("partition"); w.int(Int64(m.partition))
        w.key("offset"); w.int(m.offset)
        w.key("key"); if let k = m.key { w.string(String(decoding: k, as: UTF8.self)) } else { w.null() }
        w.key("timestamp"); if let ts = m.timestampMilliseconds { w.time(EventTime(milliseconds: ts)) } else { w.null() }
        w.key("headers"); w.beginObject()
        for h in m.headers { w.key(h.key); if let v = h.stringValue { w.string(v) } else { w.null() } }
        w.endObject()
        w.key("value")
        if let json = try? JSONValue.parse(Array(m.value)) { json.encode(into: &w) } else { w.string(String(decoding: m.value, as: UTF8.self)) }
        w.endObject()
        return w.bytes
    }
}

/// Tracks the time since the last event, for --timeout.
final class IdleWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var last = ContinuousClock.now
    func touch() { lock.withLock { last = ContinuousClock.now } }
    func secondsSinceLastEvent() -> Double {
        let d = lock.withLock { ContinuousClock.now - last }
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
