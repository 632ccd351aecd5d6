public import Events

/// One input event of a backtest, with where it came from (for error messages and tie-breaks).
public struct BacktestEvent: Sendable {
    public enum Payload: Sendable {
        case prediction(PredictionEvent)
        case label(LabelEvent)
    }

    public var payload: Payload
    /// Position in its source: the line number in a file, or the offset in a partition.
    public var position: Int64
    /// The source's rank among the inputs (file index, or partition), the last tie-break.
    public var source: Int32

    public init(_ payload: Payload, source: Int32, position: Int64) {
        self.payload = payload
        self.source = source
        self.position = position
    }

    /// Event time in ms since the epoch.
    public var time: Int64 {
        switch payload {
        case .prediction(let p): p.timestamp.milliseconds
        case .label(let l): l.timestamp.milliseconds
        }
    }

    var streamRank: Int { if case .prediction = payload { 0 } else { 1 } }

    var requestID: String {
        switch payload {
        case .prediction(let p): p.requestID
        case .label(let l): l.requestID
        }
    }

    /// The order a backtest reads events in: event time, then predictions before labels, then request id, then
    /// source and position. It depends only on the events, not on how they were partitioned or exported, so the
    /// same events from files or from a broker give the same run.
    public static func inReplayOrder(_ a: BacktestEvent, _ b: BacktestEvent) -> Bool {
        if a.time != b.time { return a.time < b.time }
        if a.streamRank != b.streamRank { return a.streamRank < b.streamRank }
        let ra = a.requestID, rb = b.requestID
        if ra != rb { return ra.utf8.lexicographicallyPrecedes(rb.utf8) }
        if a.source != b.source { return a.source < b.source }
        return a.position < b.position
    }
}
