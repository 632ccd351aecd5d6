public import Events
public import Kafka
import Metrics

/// Decodes consumed records into contract events and turns every record that fails into a dead-letter
/// record, so a stage keeps running on bad input and loses nothing.
///
/// Value type; one per stage and topic. Not thread-safe: use it from the stage's task.
public struct EventDecoder<Event: EventContract> {
    public let stage: String
    public let deadLetterTopic: String
    public let limits: EventLimits
    private let decoded: Counter
    private let rejected: Counter

    public init(stage: String, deadLetterTopic: String, limits: EventLimits = .default) {
        self.stage = stage
        self.deadLetterTopic = deadLetterTopic
        self.limits = limits
        decoded = Counter(label: "tideline_events_decoded_total", dimensions: [("stage", stage), ("event", Event.eventName)])
        rejected = Counter(label: "tideline_dead_letters_total", dimensions: [("stage", stage), ("event", Event.eventName)])
    }

    /// The outcome of decoding a batch: events with their source record, and dead letters to publish.
    public struct Output {
        public var events: [(event: Event, source: KafkaMessage)] = []
        public var deadLetters: [KafkaOutgoingMessage] = []
    }

    public func decode(_ batch: KafkaMessageBatch) -> Output {
        var output = Output()
        output.events.reserveCapacity(batch.count)
        for message in batch {
            do {
                let event = try Event.decode(message.value, limits: limits)
                output.events.append((event, message))
            } catch {
                output.deadLetters.append(DeadLetter.record(
                    for: message, reason: error.description, kind: error.kind.rawValue, field: error.field, stage: stage,
                    deadLetterTopic: deadLetterTopic))
            }
        }
        if !output.events.isEmpty { decoded.increment(by: Int64(output.events.count)) }
        if !output.deadLetters.isEmpty { rejected.increment(by: Int64(output.deadLetters.count)) }
        return output
    }
}
