public import Events

/// An event a stage published, for watchers in the same process (the dashboard of `tideline run`).
public enum PublishedEvent: Sendable, Hashable {
    /// An alert the monitor stage handed to Kafka (firing or resolved).
    case alert(AlertEvent)
    /// A model update the train stage published (promoted, rejected or a rollback).
    case modelUpdate(ModelUpdateEvent)
}

/// Receives what a stage published, in order, on the stage's task right after the events were handed to Kafka.
/// Keep it fast and non-blocking: the stage waits for it.
public typealias PublishedEventHandler = @Sendable ([PublishedEvent]) -> Void
