import Events
import Kafka
import Logging

/// Per-event log lines with structured metadata, for following one request end to end: at `debug`, every record
/// sent to dead-letter (topic, partition, offset, key, error kind and field); at `trace`, every prediction and label
/// the join reads and every labeled example it publishes or the trainer reads (`request_id`, `model`, topic,
/// partition, offset). Off the hot path unless the level is enabled: callers check `isTracing` once per batch.
extension Logger {
    /// Whether per-event `trace` lines are enabled.
    var isTracing: Bool { logLevel <= .trace }

    func traceEvent(_ what: String, requestID: String, model: String?, message: KafkaMessage) {
        var metadata: Logger.Metadata = ["request_id": "\(requestID)", "topic": "\(message.topic)", "partition": "\(message.partition)",
                                         "offset": "\(message.offset)"]
        if let model { metadata["model"] = "\(model)" }
        trace("\(what)", metadata: metadata)
    }

    func deadLetter(_ message: KafkaMessage, kind: String, field: String?, reason: String) {
        guard logLevel <= .debug else { return }
        var metadata: Logger.Metadata = ["topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
                                         "error_kind": "\(kind)"]
        if let key = message.key { metadata["key"] = "\(String(decoding: key, as: UTF8.self))" }
        if let field { metadata["field"] = "\(field)" }
        debug("dead letter: \(reason)", metadata: metadata)
    }
}
