import ArgumentParser
import Events
import Foundation
import Logging
import Kafka
import Pipeline

/// `tideline bench`: throughput benchmarks that print one JSON object each.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks; each prints one JSON object (count, seconds, rate, bytes). Build with -c release.",
        subcommands: [Produce.self, Consume.self, Decode.self, BenchJoin.self, BenchDrift.self, BenchMonitor.self, BenchTrain.self]
    )

    /// How many synthetic events, from which seed.
    struct EventOptions: ParsableArguments {
        @Option(name: .long, help: "Number of events.")
        var count: Int = 1_000_000
        @Option(name: .long, help: "Random seed for the synthetic events.")
        var seed: UInt64 = 42

        func validate() throws {
            guard count >= 1 else { throw ValidationError("--count: must be at least 1") }
        }
    }

    struct Common: ParsableArguments {
        @OptionGroup var events: EventOptions
        var count: Int { events.count }
        var seed: UInt64 { events.seed }
        @Option(name: .long, help: "Use these brokers instead of an in-process embedded cluster.")
        var brokers: String?
        @Option(name: .long, help: "Use this existing topic (with --brokers) instead of a new one.")
        var topic: String?
        @Option(name: .long, help: "Partitions of the benchmark topic (the embedded broker keeps 5 MiB per partition).")
        var partitions: Int = 64

        func validate() throws {
            guard (1...1024).contains(partitions) else { throw ValidationError("--partitions: must be between 1 and 1024") }
        }
    }

    /// Fails fast, naming `flag`, when the file a benchmark will write at `path` cannot be created: its directory
    /// must exist and be writable (checked before any work, not after the run).
    static func validateOutputFile(_ path: String?, flag: String) throws {
        guard let path else { return }
        guard !path.isEmpty, !path.hasSuffix("/") else { throw ValidationError("\(flag): expected a file path, got '\(path)'") }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(flag): directory \(directory) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else { throw ValidationError("\(flag): directory \(directory) is not writable") }
    }

    /// ~200-byte prediction events with 8 features.
    static func events(count: Int, seed: UInt64) -> [[UInt8]] {
        var traffic = SyntheticTraffic(seed: seed)
        return (0..<count).map { _ in
            var p = traffic.next().prediction
            p.entityID = nil
            p.itemID = nil
            return p.encoded()
        }
    }

    static func environment(_ common: Common, topic: String) throws -> (EmbeddedKafkaCluster?, KafkaClientConfiguration) {
        if let brokers = common.brokers {
            // The topic must exist with `--partitions` partitions (e.g. from `tideline broker --topics-dir`).
            return (nil, KafkaClientConfiguration(bootstrapServers: [brokers], clientID: "tideline-bench"))
        }
        var logger = Logger(label: "tideline.bench")
        logger.logLevel = .error
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        try cluster.createTopic(topic, partitions: common.partitions)
        return (cluster, KafkaClientConfiguration(bootstrapServers: [cluster.bootstrapServers], clientID: "tideline-bench"))
    }

    static func produceAll(_ values: [[UInt8]], topic: String, client: KafkaClientConfiguration) async throws -> Double {
        var config = KafkaProducerConfiguration(client: client)
        config.queueMaxMessages = 1_000_000
        config.lingerMilliseconds = 10
        var logger = Logger(label: "tideline.bench")
        logger.logLevel = .error
        let producer = try KafkaProducer(configuration: config, logger: logger)
        let chunk = 20_000
        let start = ContinuousClock.now
        let failures = await withTaskGroup(of: Int.self) { group in
            var inFlight = 0
            var failures = 0
            for offset in stride(from: 0, to: values.count, by: chunk) {
                let messages = values[offset..<min(offset + chunk, values.count)].enumerated().map { i, v in
                    KafkaOutgoingMessage(topic: topic, key: Array("req-\(offset + i)".utf8), value: v)
                }
                if inFlight >= 8, let f = await group.next() { failures += f; inFlight -= 1 }
                group.addTask { await producer.send(messages).reduce(0) { $0 + ($1.isDelivered ? 0 : 1) } }
                inFlight += 1
            }
            for await f in group { failures += f }
            return failures
        }
        let seconds = (ContinuousClock.now - start).seconds
        try await producer.close()
        if failures > 0 { throw ValidationError("\(failures) messages failed delivery") }
        return seconds
    }

    static func report(_ name: String, count: Int, seconds: Double, bytes: Int, extra: [(String, JSONValue)] = []) {
        var members: [(String, JSONValue)] = [
            ("benchmark", .string(name)), ("count", .number(Double(count))), ("seconds", .number((seconds * 1e6).rounded() / 1e6)),
            ("rate", .number((Double(count) / seconds).rounded())), ("bytes", .number(Double(bytes))),
            ("mb_per_s", .number((Double(bytes) / seconds / 1e6 * 100).rounded() / 100)),
        ]
        members += extra
        print(JSONValue.object(members).json)
    }

    struct Produce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Produce N ~200-byte events and wait for every delivery report.")
        @OptionGroup var common: Common

        func run() async throws {
            let topic = common.topic ?? "bench-produce-\(UInt32.random(in: 0...UInt32.max))"
            let (cluster, client) = try BenchCommand.environment(common, topic: topic)
            let values = BenchCommand.events(count: common.count, seed: common.seed)
            let seconds = try await BenchCommand.produceAll(values, topic: topic, client: client)
            BenchCommand.report("produce", count: values.count, seconds: seconds, bytes: values.reduce(0) { $0 + $1.count },
                                extra: [("mean_event_bytes", .number(Double(values.reduce(0) { $0 + $1.count } / values.count)))])
            withExtendedLifetime(cluster) {}
        }
    }

    struct Consume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Produce N events (untimed), then time consuming them all from the beginning.")
        @OptionGroup var common: Common
        @Flag(name: .long, help: "Do not produce: consume what --topic already holds (for profiling the consumer alone).")
        var existing = false

        func validate() throws {
            if existing && (common.topic == nil || common.brokers == nil) {
                throw ValidationError("--existing: needs --topic and --brokers naming a topic that already holds records")
            }
        }

        func run() async throws {
            let topic = common.topic ?? "bench-consume-\(UInt32.random(in: 0...UInt32.max))"
            let (cluster, client) = try BenchCommand.environment(common, topic: topic)
            let values = existing ? [] : BenchCommand.events(count: common.count, seed: common.seed)
            if !existing { _ = try await BenchCommand.produceAll(values, topic: topic, client: client) }
            var logger = Logger(label: "tideline.bench")
            logger.logLevel = .error
            var config = KafkaConsumerConfiguration(client: client)
            config.client.properties["fetch.max.bytes"] = "52428800"
            config.client.properties["queued.max.messages.kbytes"] = "262144"
            let consumer = try KafkaConsumer(configuration: config, logger: logger)
            // The embedded broker keeps only the last 5 MiB of each partition: consume what it retained.
            var retained = 0
            for p in 0..<Int32(common.partitions) {
                let (low, high) = try await consumer.watermarks(TopicPartition(topic: topic, partition: p))
                retained += Int(high - low)
            }
            let start = ContinuousClock.now
            try consumer.assign((0..<Int32(common.partitions)).map { TopicPartitionOffset(topic: topic, partition: $0, offset: KafkaOffset.beginning) })
            var received = 0
            var bytes = 0
            var batches = 0
            var firstBatch: Duration?
            var firstBatchCount = 0
            if retained == 0 {
                printError("bench consume: \(topic) holds no records")
                throw ExitCodes.runtimeFailure
            }
            for await event in consumer.events {
                if case .messages(let batch) = event {
                    if firstBatch == nil { firstBatch = ContinuousClock.now - start; firstBatchCount = batch.count }
                    received += batch.count
                    bytes += batch.payloadBytes
                    batches += 1
                    if received >= retained { break }
                }
            }
            let seconds = (ContinuousClock.now - start).seconds
            await consumer.close()
            BenchCommand.report("consume", count: received, seconds: seconds, bytes: bytes,
                                extra: [("batches", .number(Double(batches))), ("produced", .number(Double(values.count))),
                                        ("first_record_seconds", .number(firstBatch?.seconds ?? 0)),
                                        ("steady_rate", .number(((Double(received - firstBatchCount)) / (seconds - (firstBatch?.seconds ?? 0))).rounded())),
                                        ("partitions", .number(Double(common.partitions)))])
            withExtendedLifetime(cluster) {}
        }
    }

    struct Decode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode N prediction events (~200 bytes, 8 features) with Tideline's codec and with Foundation's JSONDecoder.")
        @OptionGroup var options: EventOptions
        var count: Int { options.count }
        var seed: UInt64 { options.seed }
        @Option(name: .long, help: "Also write the input as JSON Lines to this path (for the Python peer).")
        var writeInput: String?
        @Flag(name: .long, help: "Skip the Foundation JSONDecoder comparison.")
        var skipFoundation = false
        @Option(name: .long, help: "Decode the input this many times and report the fastest pass (for profiling, too).")
        var repeats: Int = 1

        func validate() throws {
            try BenchCommand.validateOutputFile(writeInput, flag: "--write-input")
        }

        func run() async throws {
            let values = BenchCommand.events(count: count, seed: seed)
            let bytes = values.reduce(0) { $0 + $1.count }
            if let writeInput {
                var data = Data(capacity: bytes + values.count)
                for v in values { data.append(contentsOf: v); data.append(0x0A) }
                try data.write(to: URL(fileURLWithPath: writeInput))
            }
            var checksum = 0.0
            var seconds = Double.infinity
            for _ in 0..<max(1, repeats) {
                checksum = 0
                let start = ContinuousClock.now
                for v in values {
                    let event = try PredictionEvent.decode(v)
                    if case .score(let s) = event.prediction { checksum += s }
                }
                seconds = min(seconds, (ContinuousClock.now - start).seconds)
            }
            var extra: [(String, JSONValue)] = [("checksum", .number(checksum)), ("mean_event_bytes", .number(Double(bytes / values.count)))]
            if !skipFoundation {
                let decoder = JSONDecoder()
                let datas = values.map { Data($0) }
                var check2 = 0.0
                let s2 = ContinuousClock.now
                for d in datas { check2 += try decoder.decode(CodablePrediction.self, from: d).prediction }
                let t2 = (ContinuousClock.now - s2).seconds
                extra.append(("foundation_jsondecoder", .object([("seconds", .number(t2)), ("rate", .number((Double(count) / t2).rounded()))])))
                extra.append(("speedup_vs_foundation", .number((t2 / seconds * 10).rounded() / 10)))
                _ = check2
            }
            BenchCommand.report("decode", count: count, seconds: seconds, bytes: bytes, extra: extra)
        }
    }
}

/// The same prediction contract as a Codable type, for the Foundation comparison.
struct CodablePrediction: Decodable {
    enum Value: Decodable {
        case number(Double), string(String), bool(Bool), null
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else { self = .string(try c.decode(String.self)) }
        }
    }
    var request_id: String
    var model: String
    var model_version: String
    var timestamp: String
    var features: [String: Value]
    var prediction: Double
}

