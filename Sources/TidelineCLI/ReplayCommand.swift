import ArgumentParser
import Backtest
import Events
import Foundation
import Kafka
import Logging
import TidelineConfig

/// `tideline replay`: a backtest over a time range of the broker's `predictions` and `labels` topics.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Backtest an event-time range of the predictions and labels topics: join, monitor and train per sweep configuration; write report.json and report.html.",
        discussion: """
            Each partition is read from the offset for time FROM − slack − the longest backward window to the offset \
            for time TO + the longest attribution window + grace + slack (Kafka's offsets for times, on record \
            timestamps), fixed when the replay starts. Predictions with event time in [FROM, TO) and the labels that \
            can attribute to them are kept and run in event-time order, exactly as `tideline backtest` runs files, so \
            two replays of the same range give byte-identical reports, and a replay equals a backtest of the same \
            events exported to files. No consumer group is used. With --output-prefix P (one configuration only) the             replay's labeled examples, alerts and model updates are also published to P+labeled-examples, P+alerts             and P+model-updates (created when missing), byte-identical for two replays of the same range.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .long, help: "Start of the event-time range: RFC 3339 or epoch milliseconds.")
    var from: String
    @Option(name: .long, help: "End of the event-time range (exclusive): RFC 3339 or epoch milliseconds.")
    var to: String
    @Option(name: .long, help: "Topics to read, by base name: predictions, labels (comma-separated).")
    var topics: String = "predictions,labels"
    @Option(name: .long, help: "How far record timestamps may lag or lead event times (a duration).")
    var slack: String = "5m"
    @Option(name: .long, help: "Give up when a topic's range is not read within this long (a duration).")
    var readTimeout: String = "60s"
    @Option(name: .long, help: "Also publish the labeled examples, alerts and model updates to topics with this prefix (one configuration only).")
    var outputPrefix: String?
    @OptionGroup var options: BacktestRunOptions

    static func time(_ text: String) -> Int64? {
        if let ms = Int64(text) { return ms }
        return EventTime(rfc3339: text)?.milliseconds
    }

    var baseTopics: [String] { topics.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func validate() throws {
        guard let a = Self.time(from) else { throw ValidationError("--from: \"\(from)\" is not an RFC 3339 time or epoch milliseconds") }
        guard let b = Self.time(to) else { throw ValidationError("--to: \"\(to)\" is not an RFC 3339 time or epoch milliseconds") }
        guard a < b else { throw ValidationError("--to: must be after --from") }
        let names = baseTopics
        guard !names.isEmpty, names.allSatisfy({ ["predictions", "labels"].contains($0) }), Set(names).count == names.count else {
            throw ValidationError("--topics: \"\(topics)\" must name predictions and optionally labels (comma-separated)")
        }
        guard names.contains("predictions") else { throw ValidationError("--topics: must include predictions") }
        guard DurationText.milliseconds(slack) != nil else { throw ValidationError("--slack: \"\(slack)\" is not a duration such as 30s or 5m") }
        guard let t = DurationText.milliseconds(readTimeout), t > 0 else { throw ValidationError("--read-timeout: \"\(readTimeout)\" is not a positive duration") }
        if let outputPrefix {
            guard !outputPrefix.isEmpty else { throw ValidationError("--output-prefix: must not be empty (the replay would write into the live topics)") }
            guard outputPrefix != (connection.topicPrefix ?? "") else {
                throw ValidationError("--output-prefix: must differ from --topic-prefix (the replay would write into the topics it reads)")
            }
        }
    }

    func run() async throws {
        let config = try connection.resolve()
        let resolved = try options.resolve(configPath: connection.config)
        if let outputPrefix {
            guard resolved.count == 1 else {
                printError("--output-prefix: publishes one configuration's output; this sweep has \(resolved.count)")
                throw ExitCode.validationFailure
            }
            guard outputPrefix != config.kafka.topicPrefix else {
                printError("--output-prefix: must differ from kafka.topic_prefix (\"\(config.kafka.topicPrefix)\"): the replay would write into the topics it reads")
                throw ExitCode.validationFailure
            }
            // Checked before the (possibly long) read, like `tideline run`'s start-up checks.
            let (_, metadata) = try await describeOrExit(config, timeout: .seconds(15), context: "replay")
            let missing = Self.outputTopics.map { outputPrefix + $0 }.filter { metadata.existingTopic($0) == nil }
            if !missing.isEmpty {
                printError("replay: \(missing.joined(separator: ", ")) \(missing.count == 1 ? "does" : "do") not exist; create the replay's topics with `tideline topics apply --topic-prefix \(outputPrefix)`")
                throw ExitCodes.configError
            }
        }
        let start = Self.time(from)!, end = Self.time(to)!
        let slackMs = DurationText.milliseconds(slack)!
        // Labels may precede their prediction by the backward window and follow it by the window and grace.
        let policies = [config.joinConfiguration.defaultPolicy] + resolved.flatMap { Array($0.1.joinConfiguration.models.values) }
            + Array(config.joinConfiguration.models.values)
        let before = policies.map(\.backwardWindow).max() ?? 0
        let after = policies.map { $0.window + $0.grace }.max() ?? 0

        var contents = EventLogFile.Contents()
        let names = baseTopics
        do {
            let reader = TopicRangeReader(client: config.kafkaClient, logger: connection.logger("tideline.replay"),
                                          readTimeout: .milliseconds(DurationText.milliseconds(readTimeout)!))
            for (rank, base) in names.enumerated() {
                let topic = config.topic(base)
                let isPrediction = base == "predictions"
                let keep: ClosedRange<Int64> = isPrediction ? start ... end - 1 : start - before ... end - 1 + after
                let records = try await reader.read(topic: topic, fromTime: keep.lowerBound - slackMs, toTime: keep.upperBound + 1 + slackMs)
                for r in records {
                    let payload: BacktestEvent.Payload
                    do {
                        payload = try r.value.withUnsafeBytes { (buffer) throws(EventDecodingError) -> BacktestEvent.Payload in
                            isPrediction ? .prediction(try PredictionEvent.decode(buffer, limits: config.eventLimits))
                                         : .label(try LabelEvent.decode(buffer, limits: config.eventLimits))
                        }
                    } catch let error as EventDecodingError {
                        contents.malformed.append(EventLogFile.MalformedLine(file: "\(topic)/\(r.partition)", line: Int(r.offset), error: error.description))
                        continue
                    }
                    let event = BacktestEvent(payload, source: Int32(rank) << 16 | r.partition, position: r.offset)
                    if keep.contains(event.time) { contents.events.append(event) }
                }
            }
        } catch {
            printError("replay: cannot read the range from Kafka: \(error)")
            throw ExitCodes.runtimeFailure
        }
        contents.events.sort(by: BacktestEvent.inReplayOrder)
        let input = BacktestReport.Input(sources: names.map { config.topic($0) }, from: EventTime(milliseconds: start).rfc3339,
                                         to: EventTime(milliseconds: end).rfc3339)
        guard !contents.events.isEmpty else {
            printError("replay: no prediction or label with event time in [\(input.from!), \(input.to!)) on \(input.sources.joined(separator: ", "))")
            throw ExitCodes.dataError
        }
        let results = try options.execute(contents, input: input, configurations: resolved, keepExamples: outputPrefix != nil)
        if let outputPrefix, let result = results.first {
            do { try await publish(result, prefix: outputPrefix, config: config) } catch {
                printError("replay: cannot publish to \(outputPrefix)*: \(error)")
                throw ExitCodes.runtimeFailure
            }
        }
    }

    static let outputTopics = ["labeled-examples", "alerts", "model-updates"]

    /// Publishes a replay's output to `prefix` + labeled-examples, alerts and model-updates, keyed by model as
    /// the stages key them.
    func publish(_ result: BacktestResult, prefix: String, config: TidelineConfiguration) async throws {
        let logger = connection.logger("tideline.replay")
        var messages: [KafkaOutgoingMessage] = []
        messages.reserveCapacity(result.labeledExamples.count + result.alerts.count + result.updates.count)
        for e in result.labeledExamples { messages.append(KafkaOutgoingMessage(topic: prefix + "labeled-examples", key: Array(e.partitionKey.utf8), value: e.encoded())) }
        for a in result.alerts { messages.append(KafkaOutgoingMessage(topic: prefix + "alerts", key: Array(a.partitionKey.utf8), value: a.encoded())) }
        for u in result.updates { messages.append(KafkaOutgoingMessage(topic: prefix + "model-updates", key: Array(u.partitionKey.utf8), value: u.encoded())) }
        let producer = try KafkaProducer(configuration: .init(client: config.kafkaClient), logger: logger)
        do { try await producer.sendAll(messages) } catch {
            try? await producer.close()
            throw error
        }
        try await producer.close()
        print("published \(result.labeledExamples.count) labeled examples, \(result.alerts.count) alerts and \(result.updates.count) model updates to \(prefix)labeled-examples, \(prefix)alerts, \(prefix)model-updates")
    }
}

struct ReplayError: Error, CustomStringConvertible {
    var description: String
}

/// Reads the records of every partition of a topic between the offsets for two times, as they stand when asked.
struct TopicRangeReader {
    struct Record {
        var partition: Int32
        var offset: Int64
        var value: [UInt8]
    }

    var client: KafkaClientConfiguration
    var logger: Logger
    var readTimeout: Duration

    /// Records of `topic` from the first at or after `fromTime` to the last before the first at or after `toTime`
    /// (record timestamps, ms), by partition then offset.
    func read(topic: String, fromTime: Int64, toTime: Int64) async throws -> [Record] {
        let consumer = try KafkaConsumer(configuration: .init(client: client), logger: logger)
        do {
            let partitions = try await consumer.metadata(topic: topic).existingTopic(topic)?.partitions.count ?? 0
            guard partitions > 0 else { throw ReplayError(description: "topic \(topic) does not exist") }
            let all = (0 ..< Int32(partitions)).map { TopicPartition(topic: topic, partition: $0) }
            let starts = try await consumer.offsets(forTimes: Dictionary(uniqueKeysWithValues: all.map { ($0, fromTime) }))
            let ends = try await consumer.offsets(forTimes: Dictionary(uniqueKeysWithValues: all.map { ($0, toTime) }))
            var range: [Int32: (Int64, Int64)] = [:]
            for p in all {
                let (low, high) = try await consumer.watermarks(p)
                let s = starts.first { $0.partition == p.partition }.map { $0.offset == KafkaOffset.end ? high : $0.offset } ?? high
                let e = ends.first { $0.partition == p.partition }.map { $0.offset == KafkaOffset.end ? high : $0.offset } ?? high
                if max(s, low) < e { range[p.partition] = (max(s, low), e) }
            }
            var records: [Record] = []
            if !range.isEmpty {
                try consumer.assign(range.map { TopicPartitionOffset(topic: topic, partition: $0.key, offset: $0.value.0) })
                var open = Set(range.keys)
                let watchdog = Task { [consumer, readTimeout] in
                    try await Task.sleep(for: readTimeout)
                    await consumer.close()
                }
                for await event in consumer.events {
                    guard case .messages(let batch) = event else { continue }
                    for m in batch where open.contains(m.partition) {
                        let (_, e) = range[m.partition]!
                        if m.offset < e { records.append(Record(partition: m.partition, offset: m.offset, value: Array(m.value))) }
                        if m.offset + 1 >= e { open.remove(m.partition) }
                    }
                    if open.isEmpty { break }
                }
                watchdog.cancel()
                if !open.isEmpty {
                    throw ReplayError(description: "\(topic): partitions \(open.sorted().map(String.init).joined(separator: ", ")) were not read to the end of the range within \(readTimeout)")
                }
            }
            await consumer.close()
            records.sort { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
            return records
        } catch {
            await consumer.close()
            throw error
        }
    }
}
