import ArgumentParser
import Events
import Foundation
import Kafka
import Pipeline
import TidelineConfig

/// `tideline produce`: validated JSONL in, keyed events out; invalid lines to dead-letter.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Publish JSON Lines events, validated against the topic's contract and keyed as it prescribes.",
        discussion: """
            Each non-empty line must be one event of the topic's contract (see topics/). Valid lines are published \
            unchanged, keyed by request_id (predictions, labels) or model (others). Invalid lines are reported on \
            standard error with their line number and sent to the dead-letter topic with the error in headers; the \
            command then exits 65.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "Topic base name: predictions, labels, labeled-examples, model-updates or alerts.")
    var topic: String

    @Option(name: .long, help: "Read from this file instead of standard input.")
    var file: String?

    func validate() throws {
        _ = try TopicContract.named(topic)
        if let file, !FileManager.default.isReadableFile(atPath: file) { throw ValidationError("--file: cannot read \(file)") }
    }

    func run() async throws {
        let config = try connection.resolve()
        let contract = try TopicContract.named(topic)
        var limits = EventLimits()
        limits.maxEventBytes = config.limits.maxEventBytes
        limits.maxFeatures = config.limits.maxFeatures
        let validate: ([UInt8]) throws(EventDecodingError) -> String
        switch contract {
        case .predictions: validate = { (b) throws(EventDecodingError) in try PredictionEvent.decode(b, limits: limits).partitionKey }
        case .labels: validate = { (b) throws(EventDecodingError) in try LabelEvent.decode(b, limits: limits).partitionKey }
        case .labeledExamples: validate = { (b) throws(EventDecodingError) in try LabeledExample.decode(b, limits: limits).partitionKey }
        case .modelUpdates: validate = { (b) throws(EventDecodingError) in try ModelUpdateEvent.decode(b, limits: limits).partitionKey }
        case .alerts: validate = { (b) throws(EventDecodingError) in try AlertEvent.decode(b, limits: limits).partitionKey }
        }
        let producer = try KafkaProducer(configuration: .init(client: config.kafkaClient), logger: connection.logger("tideline.produce"))
        let target = config.topic(contract.rawValue)
        let deadLetterTopic = config.topic("dead-letter")
        let source = file ?? "stdin"
        let handle = file.map { FileHandle(forReadingAtPath: $0)! } ?? FileHandle.standardInput
        var reader = LineReader(handle: handle)
        var pending: [KafkaOutgoingMessage] = []
        var produced = 0, invalid = 0, failed = 0, lineNumber = 0
        func flush() async {
            let reports = await producer.send(pending)
            for (report, message) in zip(reports, pending) where !report.isDelivered {
                failed += 1
                printError("delivery to \(message.topic) failed: \(report.error!)")
            }
            pending.removeAll(keepingCapacity: true)
        }
        while let line = reader.next() {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                let key = try validate(line)
                pending.append(KafkaOutgoingMessage(topic: target, key: Array(key.utf8), value: line))
                produced += 1
            } catch {
                invalid += 1
                printError("\(source):\(lineNumber): \(error)")
                pending.append(DeadLetter.record(
                    key: nil, value: line, reason: error.description, kind: error.kind.rawValue, field: error.field,
                    source: .init(topic: source, partition: -1, offset: Int64(lineNumber)), stage: "cli-produce", deadLetterTopic: deadLetterTopic))
            }
            if pending.count >= 10_000 { await flush() }
        }
        await flush()
        try? await producer.close()
        printError("produced \(produced) events to \(target); \(invalid) invalid lines sent to \(deadLetterTopic); \(failed) delivery failures")
        if failed > 0 { throw ExitCodes.runtimeFailure }
        if invalid > 0 { throw ExitCodes.dataError }
    }
}

/// Reads lines (without the newline) from a file handle in 1 MiB chunks.
struct LineReader {
    let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false

    init(handle: FileHandle) { self.handle = handle }

    mutating func next() -> [UInt8]? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                return line
            }
            if eof {
                if start < buffer.count {
                    let line = Array(buffer[start...])
                    start = buffer.count
                    return line
                }
                return nil
            }
            buffer.removeFirst(start)
            start = 0
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { eof = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
