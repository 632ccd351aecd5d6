import ArgumentParser
import Events
import Foundation
import Kafka
import LabelJoin
import Logging
import Pipeline

/// `tideline bench join`: the label join in process (one core), its memory per pending prediction, and the
/// stage end to end through the embedded broker (throughput, and latency from label to labeled example).
struct BenchJoin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Benchmark the label join: operator (in process), memory, end to end, latency. Prints JSON lines.")

    /// `--count`: predictions in the operator and end-to-end runs (labels: ~90% of them); `--seed`.
    @OptionGroup var events: BenchCommand.EventOptions
    var count: Int { events.count }
    var seed: UInt64 { events.seed }
    @Option(name: .long, help: "Pending predictions for the memory measurement (0: skip).")
    var pending: Int = 1_000_000
    @Flag(name: .long, help: "Also run the stage end to end through an embedded broker.")
    var endToEnd = false
    @Option(name: .long, help: "Also measure latency at this many events/s (predictions + labels) end to end (0: skip).")
    var latencyRate: Int = 0
    @Option(name: .long, help: "Seconds of paced traffic for the latency run.")
    var latencySeconds: Int = 10
    @Option(name: .long, help: "Partitions of the input topics in end-to-end runs.")
    var partitions: Int = 8
    @Option(name: .long, help: "Use this broker (e.g. from `tideline broker`) for end-to-end runs and keep the topics, for the Python peer.")
    var brokers: String?
    @Option(name: .long, help: "Topic prefix for end-to-end runs (with --brokers).")
    var topicPrefix: String?
    @Option(name: .long, help: "Write the operator input (arrival order) as JSON Lines here, for the Python peer.")
    var writeInput: String?
    @Option(name: .long, help: "Repeat the operator run and report the fastest pass.")
    var repeats: Int = 3

    func validate() throws {
        guard pending >= 0 else { throw ValidationError("--pending: must not be negative") }
        guard (1...256).contains(partitions) else { throw ValidationError("--partitions: must be between 1 and 256") }
        guard latencyRate >= 0 else { throw ValidationError("--latency-rate: must not be negative") }
        try BenchCommand.validateOutputFile(writeInput, flag: "--write-input")
    }

    static let policy = JoinPolicy(window: 30_000, backwardWindow: 1_000, grace: 1_000, correctionHorizon: 60_000,
                                   defaultLabel: .bool(false), aggregation: .max)

    /// Predictions every 1 ms of event time for 64 models (so that `labeled-examples`, keyed by model, spreads
    /// over partitions: the embedded broker keeps only 5 MiB per partition); labels (90%) after an exponential
    /// delay (mean 5 s); both in the order they would arrive (by their own event time).
    static func arrivals(count: Int, seed: UInt64) -> [Arrival] {
        var traffic = SyntheticTraffic(seed: seed, intervalMilliseconds: 1, missingLabelRate: 0.1, meanLabelDelayMilliseconds: 5_000)
        var out: [(Int64, Arrival)] = []
        out.reserveCapacity(count * 2)
        for i in 0..<count {
            var (p, l) = traffic.next()
            p.entityID = nil
            p.model = "model-\(i % 64)"
            l?.model = p.model
            out.append((p.timestamp.milliseconds, .prediction(p)))
            if let l { out.append((l.timestamp.milliseconds, .label(l))) }
        }
        return out.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1)
    }

    enum Arrival {
        case prediction(PredictionEvent)
        case label(LabelEvent)
        var requestID: String {
            switch self {
            case .prediction(let p): p.requestID
            case .label(let l): l.requestID
            }
        }
    }

    func run() async throws {
        // Memory first, in a clean process: later phases free memory that the allocator would reuse, and the
        // resident-size difference would then undercount.
        if pending > 0 { memoryRun() }
        let input = Self.arrivals(count: count, seed: seed)
        if let writeInput {
            var data = Data()
            for a in input {
                switch a {
                case .prediction(let p): data.append(contentsOf: Array(#"{"t":"p","e":"#.utf8) + p.encoded() + Array("}\n".utf8))
                case .label(let l): data.append(contentsOf: Array(#"{"t":"l","e":"#.utf8) + l.encoded() + Array("}\n".utf8))
                }
            }
            try data.write(to: URL(fileURLWithPath: writeInput))
        }
        try operatorRun(input)
        if endToEnd { try await endToEndRun(input) }
        if latencyRate > 0 { try await latencyRun() }
    }

    // MARK: Operator, one core

    func operatorRun(_ input: [Arrival]) throws {
        let config = JoinConfiguration(defaultPolicy: Self.policy)
        var best = Double.infinity
        var passSeconds: [Double] = []
        var examples = 0
        var stats = JoinStatistics()
        let encoded: [(Bool, [UInt8])] = input.map {
            switch $0 {
            case .prediction(let p): (true, p.encoded())
            case .label(let l): (false, l.encoded())
            }
        }
        // Decoded from their JSON before timing, as the stage hands them over (a decoded score keeps its text, see
        // `PredictionEvent.writePrediction`), and split by kind. Handed to the operator from the array, each event is
        // copied first (a reference count per string) and destroyed after, about what the stage pays for destroying
        // each event it decoded: moving them out of a buffer filled before timing measured the same (BENCHMARKS.md,
        // session 22).
        var predictions: [PredictionEvent] = [], labels: [LabelEvent] = [], isPrediction: [Bool] = []
        isPrediction.reserveCapacity(input.count)
        for (isP, bytes) in encoded {
            if isP { predictions.append(try PredictionEvent.decode(bytes)) } else { labels.append(try LabelEvent.decode(bytes)) }
            isPrediction.append(isP)
        }
        for _ in 0..<max(1, repeats) {
            var op = LabelJoinOperator(configuration: config)
            var out = JoinOutput()
            var emitted = 0
            var (nextPrediction, nextLabel) = (0, 0)
            // As the stage does: the request keys of a batch of 1,024 events are computed first, then the events are
            // joined in order, the operator hinted `lookahead` events ahead (`prefetch`). Both are timed.
            let lookahead = 8
            var keys: [RequestKey] = []
            keys.reserveCapacity(1024)
            let start = ContinuousClock.now
            var batchStart = 0
            while batchStart < isPrediction.count {
                let batchEnd = min(batchStart + 1024, isPrediction.count)
                keys.removeAll(keepingCapacity: true)
                var (p, l) = (nextPrediction, nextLabel)
                for i in batchStart ..< batchEnd {
                    if isPrediction[i] {
                        keys.append(RequestKey(requestID: predictions[p].requestID))
                        p += 1
                    } else {
                        keys.append(RequestKey(requestID: labels[l].requestID))
                        l += 1
                    }
                }
                for k in keys.indices {
                    if k + lookahead < keys.count { op.prefetch(keys[k + lookahead]) }
                    if isPrediction[batchStart + k] {
                        op.process(predictions[nextPrediction], key: keys[k], recordTimestamp: nil, into: &out)
                        nextPrediction += 1
                    } else {
                        op.process(labels[nextLabel], key: keys[k], recordTimestamp: nil, into: &out)
                        nextLabel += 1
                    }
                }
                emitted += out.count
                out.removeAll()
                batchStart = batchEnd
            }
            op.advance(.labels, to: .max / 2, into: &out)
            emitted += out.count
            let seconds = (ContinuousClock.now - start).seconds
            passSeconds.append(seconds)
            if seconds < best { best = seconds; examples = emitted; stats = op.statistics }
        }
        // The same from JSON bytes: decode + join, the work the Python peer does per record.
        var bestDecoded = Double.infinity
        for _ in 0..<max(1, repeats) {
            var op = LabelJoinOperator(configuration: config)
            var out = JoinOutput()
            let start = ContinuousClock.now
            for (i, (isPrediction, bytes)) in encoded.enumerated() {
                if isPrediction { op.process(try PredictionEvent.decode(bytes), recordTimestamp: nil, into: &out) } else {
                    op.process(try LabelEvent.decode(bytes), recordTimestamp: nil, into: &out)
                }
                if i & 1023 == 1023 { out.removeAll() }
            }
            bestDecoded = min(bestDecoded, (ContinuousClock.now - start).seconds)
        }
        BenchCommand.report("join-decode-operator", count: input.count, seconds: bestDecoded,
                            bytes: encoded.reduce(0) { $0 + $1.1.count }, extra: [
            ("note", .string("JSON bytes decoded and joined on one core (what the Python peer measures)")),
        ])
        // `rate` is the fastest pass; every pass's rate and their median (the upper one for an even count) too, so that a
        // noisy machine shows as a spread.
        let passRates = passSeconds.map { (Double(input.count) / $0).rounded() }
        BenchCommand.report("join-operator", count: input.count, seconds: best, bytes: 0, extra: [
            ("median_rate", .number(passRates.sorted()[passRates.count / 2])),
            ("pass_rates", .array(passRates.map { .number($0) })),
            ("examples", .number(Double(examples))), ("observed", .number(Double(stats.observed))),
            ("implicit", .number(Double(stats.implicit))), ("corrections", .number(Double(stats.corrections))),
            ("note", .string("pre-decoded events through one LabelJoinOperator on one core, including encoding every labeled example")),
        ])
    }

    // MARK: Memory per pending prediction

    func memoryRun() {
        var traffic = SyntheticTraffic(seed: seed, intervalMilliseconds: 1)
        var op = LabelJoinOperator(configuration: JoinConfiguration(defaultPolicy: Self.policy, maxPendingBytes: 1 << 40 / 1024))
        var out = JoinOutput()
        var messageBytes = 0
        let rssBefore = Self.residentBytes()
        for _ in 0..<pending {
            var p = traffic.next().prediction
            p.entityID = nil
            messageBytes += p.encoded().count
            op.process(p, recordTimestamp: nil, into: &out)
        }
        let rssAfter = Self.residentBytes()
        let n = Double(pending)
        let payload = Double(op.pendingBytes - pending * LabelJoinOperator.entryOverhead) / n
        BenchCommand.report("join-memory", count: pending, seconds: 1, bytes: op.allocatedBytes, extra: [
            ("open_predictions", .number(Double(op.openPredictions))),
            ("mean_message_bytes", .number((Double(messageBytes) / n * 10).rounded() / 10)),
            ("mean_stored_payload_bytes", .number((payload * 10).rounded() / 10)),
            ("fixed_bytes_per_pending", .number(Double(LabelJoinOperator.entryOverhead))),
            ("allocated_bytes_per_pending", .number((Double(op.allocatedBytes) / n * 10).rounded() / 10)),
            ("allocated_overhead_over_payload", .number(((Double(op.allocatedBytes) / n - payload) * 10).rounded() / 10)),
            ("rss_bytes_per_pending", .number((Double(rssAfter - rssBefore) / n * 10).rounded() / 10)),
            ("rss_overhead_over_payload", .number(((Double(rssAfter - rssBefore) / n - payload) * 10).rounded() / 10)),
            ("note", .string("rss: resident growth while inserting; allocated: capacity of every structure, including untouched array slack")),
        ])
        withExtendedLifetime(op) {}
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    // MARK: End to end

    struct Broker {
        var cluster: EmbeddedKafkaCluster?
        var client: KafkaClientConfiguration
        var prefix: String
    }

    func broker(partitions: Int) throws -> Broker {
        let prefix = topicPrefix ?? "bench-join-\(UInt32.random(in: 0 ... .max))."
        var quiet = Logger(label: "tideline.bench")
        quiet.logLevel = .critical
        let cluster: EmbeddedKafkaCluster? = brokers == nil ? try EmbeddedKafkaCluster(brokers: 1, logger: quiet) : nil
        let servers = brokers ?? cluster!.bootstrapServers
        let client = KafkaClientConfiguration(bootstrapServers: [servers], clientID: "tideline-bench")
        if let cluster {
            for (name, n) in [("predictions", partitions), ("labels", partitions), ("labeled-examples", 64), ("dead-letter", 1)] {
                try cluster.createTopic(prefix + name, partitions: n)
            }
        }
        return Broker(cluster: cluster, client: client, prefix: prefix)
    }

    /// Removes a benchmark's checkpoint database with its log, shared-memory file and snapshot files.
    static func removeState(at path: String) {
        for suffix in ["", "-wal", "-shm", ".snapshots"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// A consumer (no group) for reading the labeled examples back. It asks for 1 ms fetch waits: the embedded
    /// broker holds a fetch that found nothing for the whole `fetch.wait.max.ms` (librdkafka's default 500 ms), even
    /// when examples arrive meanwhile, where a Kafka broker answers at the first byte; both runs end, or time an
    /// example, when the reader sees it.
    func exampleReader(_ b: Broker, logger: Logger) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(client: b.client)
        configuration.client.properties["fetch.wait.max.ms"] = "1"
        return try KafkaConsumer(configuration: configuration, logger: logger)
    }

    final class Watch: @unchecked Sendable {
        let lock = NSLock()
        var count = 0
        var last = ContinuousClock.now
        /// Per observed example (ms): label produced → read back, label produced → handed to the stage's
        /// producer (the output record's timestamp), and handed to the producer → read back.
        var latencies: [Int64] = []
        var toPublish: [Int64] = []
        var publishToRead: [Int64] = []
        func add(_ n: Int) { lock.withLock { count += n; last = ContinuousClock.now } }
    }

    func endToEndRun(_ input: [Arrival]) async throws {
        let b = try broker(partitions: partitions)
        var quiet = Logger(label: "tideline.bench")
        quiet.logLevel = .critical
        // Produce the input first (not timed), keyed by request id with the murmur2 partitioner.
        var producerConfig = KafkaProducerConfiguration(client: b.client)
        producerConfig.queueMaxMessages = 1_000_000
        producerConfig.lingerMilliseconds = 20
        let producer = try KafkaProducer(configuration: producerConfig, logger: quiet)
        var bytes = 0
        for chunk in stride(from: 0, to: input.count, by: 50_000) {
            let messages = input[chunk..<min(chunk + 50_000, input.count)].map { a -> KafkaOutgoingMessage in
                switch a {
                case .prediction(let p): KafkaOutgoingMessage(topic: b.prefix + "predictions", key: Array(p.requestID.utf8), value: p.encoded())
                case .label(let l): KafkaOutgoingMessage(topic: b.prefix + "labels", key: Array(l.requestID.utf8), value: l.encoded())
                }
            }
            bytes += messages.reduce(0) { $0 + $1.value.count }
            try await producer.sendAll(messages)
        }
        try await producer.close()

        // Expected output: the operator per partition on the same records.
        var operators = (0..<partitions).map { _ in LabelJoinOperator(configuration: JoinConfiguration(defaultPolicy: Self.policy)) }
        var out = JoinOutput()
        var expected = 0
        for a in input {
            let p = Int(Murmur2Partitioner.partition(key: Array(a.requestID.utf8), partitions: partitions))
            switch a {
            case .prediction(let e): operators[p].process(e, recordTimestamp: nil, into: &out)
            case .label(let e): operators[p].process(e, recordTimestamp: nil, into: &out)
            }
            expected += out.count
            out.removeAll()
        }

        let watch = Watch()
        let watcher = try exampleReader(b, logger: quiet)
        try watcher.assign((0..<64).map { TopicPartitionOffset(topic: b.prefix + "labeled-examples", partition: $0, offset: -2) })
        let watching = Task {
            for await event in watcher.events { if case .messages(let batch) = event { watch.add(batch.count) } }
        }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-bench-\(UUID().uuidString).sqlite").path
        let options = JoinStageOptions(
            client: b.client, predictionsTopic: b.prefix + "predictions", labelsTopic: b.prefix + "labels",
            outputTopic: b.prefix + "labeled-examples", deadLetterTopic: b.prefix + "dead-letter", group: b.prefix + "join",
            join: JoinConfiguration(defaultPolicy: Self.policy), idleTimeout: 0, checkpointInterval: 5_000, statePath: state)
        let stage = try JoinStage(options: options, logger: quiet)
        let running = Task { try await stage.run() }
        let deadline = ContinuousClock.now + .seconds(600)
        while stage.firstRecordAt == nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        while watch.lock.withLock({ watch.count }) < expected && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let start = stage.firstRecordAt ?? ContinuousClock.now
        let end = watch.lock.withLock { watch.last }
        running.cancel()
        _ = try? await running.value
        watching.cancel()
        await watcher.close()
        let seconds = (end - start).seconds
        BenchCommand.report("join-end-to-end", count: input.count, seconds: seconds, bytes: bytes, extra: [
            ("examples", .number(Double(watch.lock.withLock { watch.count }))), ("expected_examples", .number(Double(expected))),
            ("partitions", .number(Double(partitions))),
            ("note", .string("from the stage's first consumed record to the last labeled example read back; input produced beforehand")),
        ])
        Self.removeState(at: state)
    }

    // MARK: Latency

    /// Paced traffic in real time: each prediction is followed ~1 ms later by its label (event time = wall
    /// clock); with a 5 ms window, an example is due about when its label arrives. Latency is measured from
    /// the label's event time (when it was produced) to when the example is read back from Kafka.
    func latencyRun() async throws {
        let b = try broker(partitions: partitions)
        var quiet = Logger(label: "tideline.bench")
        quiet.logLevel = .critical
        let policy = JoinPolicy(window: 5, backwardWindow: 0, grace: 0, correctionHorizon: 0, defaultLabel: .bool(false), aggregation: .max)
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-bench-\(UUID().uuidString).sqlite").path
        // Low-latency client settings. A Kafka broker answers a fetch as soon as `fetch.min.bytes` (1) is there;
        // the embedded broker holds a fetch that found nothing for the whole `fetch.wait.max.ms` (librdkafka's
        // default 500 ms), even when records arrive meanwhile. At 1 ms it comes closest to a Kafka broker: p99
        // 23–41 ms against 32–52 at 5 ms, six alternating pairs (BENCHMARKS.md, session 18).
        var lowLatency = b.client
        lowLatency.properties["fetch.wait.max.ms"] = "1"
        lowLatency.properties["linger.ms"] = "1"
        let options = JoinStageOptions(
            client: lowLatency, predictionsTopic: b.prefix + "predictions", labelsTopic: b.prefix + "labels",
            outputTopic: b.prefix + "labeled-examples", deadLetterTopic: b.prefix + "dead-letter", group: b.prefix + "join-latency",
            join: JoinConfiguration(defaultPolicy: policy), idleTimeout: 0, checkpointInterval: 2_000, statePath: state)
        let stage = try JoinStage(options: options, logger: quiet)
        let running = Task { try await stage.run() }

        let watch = Watch()
        let watcher = try exampleReader(b, logger: quiet)
        try watcher.assign((0..<64).map { TopicPartitionOffset(topic: b.prefix + "labeled-examples", partition: $0, offset: -1) })
        let watching = Task {
            for await event in watcher.events {
                guard case .messages(let batch) = event else { continue }
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                var lat: [Int64] = [], toPublish: [Int64] = [], publishToRead: [Int64] = []
                for m in batch {
                    guard let e = try? LabeledExample.decode(m.value), e.labelKind == .observed, let t = e.labelTime else { continue }
                    lat.append(now - t.milliseconds)
                    if let published = m.timestampMilliseconds {
                        toPublish.append(published - t.milliseconds)
                        publishToRead.append(now - published)
                    }
                }
                watch.lock.withLock {
                    watch.latencies += lat; watch.toPublish += toPublish; watch.publishToRead += publishToRead
                    watch.count += batch.count
                }
            }
        }
        // Wait for the stage to join its group before pacing traffic.
        try await Task.sleep(for: .seconds(5))
        // The load generator batches like a service left at librdkafka's default `linger.ms` (5 ms). The
        // embedded broker finds a fetch's position by walking the partition's list of message sets from the
        // oldest, so with 1 ms batches (one message set per partition per ms, five times as many) its walks
        // took a third of the machine's samples and the p99 rose by 9–17 ms in every one of six alternating
        // pairs (BENCHMARKS.md, session 18). The 5 ms a label may wait in this producer still counts: latency
        // is measured from the label's event time, set before it is produced.
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: b.client), logger: quiet)
        let pairsPerMs = max(1, latencyRate / 2 / 1000)
        var traffic = SyntheticTraffic(seed: seed)
        let start = ContinuousClock.now
        var sent = 0
        var inFlight: [Task<[KafkaDeliveryReport], Never>] = []
        let warmup = start + .seconds(2)
        var tick = 0
        while ContinuousClock.now - start < .seconds(latencySeconds) {
            tick += 1
            let due = start + .milliseconds(tick)
            if due > ContinuousClock.now { try await Task.sleep(until: due, clock: .continuous) }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            var messages: [KafkaOutgoingMessage] = []
            for _ in 0..<pairsPerMs {
                var (p, _) = traffic.next()
                p.timestamp = EventTime(milliseconds: now - 1)
                let l = LabelEvent(requestID: p.requestID, timestamp: EventTime(milliseconds: now), label: .bool(true), model: p.model)
                messages.append(KafkaOutgoingMessage(topic: b.prefix + "predictions", key: Array(p.requestID.utf8), value: p.encoded()))
                messages.append(KafkaOutgoingMessage(topic: b.prefix + "labels", key: Array(l.requestID.utf8), value: l.encoded()))
            }
            sent += messages.count
            inFlight.append(Task { [messages] in await producer.send(messages) })
            if inFlight.count > 64 { _ = await inFlight.removeFirst().value }
            if ContinuousClock.now < warmup {
                watch.lock.withLock { watch.latencies.removeAll(); watch.toPublish.removeAll(); watch.publishToRead.removeAll() }
            }
        }
        for t in inFlight { _ = await t.value }
        let elapsed = (ContinuousClock.now - start).seconds
        try await Task.sleep(for: .seconds(2))
        running.cancel()
        _ = try? await running.value
        watching.cancel()
        await watcher.close()
        try await producer.close()
        let (lat, toPublish, publishToRead) = watch.lock.withLock { (watch.latencies.sorted(), watch.toPublish.sorted(), watch.publishToRead.sorted()) }
        func q(_ sorted: [Int64], _ p: Double) -> Double {
            sorted.isEmpty ? .nan : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
        }
        BenchCommand.report("join-latency", count: sent, seconds: elapsed, bytes: 0, extra: [
            ("target_rate", .number(Double(latencyRate))), ("measured_examples", .number(Double(lat.count))),
            ("p50_ms", .number(q(lat, 0.5))), ("p90_ms", .number(q(lat, 0.9))), ("p99_ms", .number(q(lat, 0.99))),
            ("max_ms", .number(lat.last.map(Double.init) ?? .nan)),
            ("to_publish_p50_ms", .number(q(toPublish, 0.5))), ("to_publish_p99_ms", .number(q(toPublish, 0.99))),
            ("publish_to_read_p50_ms", .number(q(publishToRead, 0.5))), ("publish_to_read_p99_ms", .number(q(publishToRead, 0.99))),
            ("note", .string("label produced -> labeled example read back, through the embedded broker; 5 ms window; after 2 s warm-up; to_publish: label produced -> the stage hands the example to its producer (the record's timestamp); publish_to_read: from there -> read back")),
        ])
        Self.removeState(at: state)
    }
}
