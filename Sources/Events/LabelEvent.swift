/// An observed outcome for an earlier request: the `labels` topic, keyed by request id.
public struct LabelEvent: EventContract, Hashable {
    public static let eventName = "label"

    public var requestID: String
    /// When the outcome was observed (event time).
    public var timestamp: EventTime
    public var label: LabelValue
    /// The model the label is for, when the producer knows it.
    public var model: String?
    /// Where the label came from, e.g. `click`, `purchase`.
    public var source: String?

    public init(requestID: String, timestamp: EventTime, label: LabelValue, model: String? = nil, source: String? = nil) {
        self.requestID = requestID
        self.timestamp = timestamp
        self.label = label
        self.model = model
        self.source = source
    }

    public var partitionKey: String { requestID }

    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: EventLimits) throws(EventDecodingError) -> LabelEvent {
        var d = try ObjectDecoding(buffer, event: eventName, limits: limits)
        var requestID = ""
        var timestamp = EventTime(milliseconds: 0)
        var label = LabelValue.number(0)
        var model: String?, source: String?
        var first = true
        while let key = try d.scanner.nextKey(first: &first) {
            if d.scanner.bytes(key, equal: "request_id") {
                try d.mark(0, "request_id"); requestID = try d.scanner.readID(field: "request_id")
            } else if d.scanner.bytes(key, equal: "timestamp") {
                try d.mark(1, "timestamp"); timestamp = try d.scanner.readTime(field: "timestamp")
            } else if d.scanner.bytes(key, equal: "label") {
                try d.mark(2, "label"); label = try d.scanner.readLabel(field: "label")
            } else if d.scanner.bytes(key, equal: "model") {
                try d.mark(3, "model"); model = try d.scanner.readOptionalString(field: "model")
            } else if d.scanner.bytes(key, equal: "source") {
                try d.mark(4, "source"); source = try d.scanner.readOptionalString(field: "source")
            } else {
                try d.scanner.skipValue()
            }
        }
        try d.finish()
        try d.require(0b111, [(0, "request_id"), (1, "timestamp"), (2, "label")])
        return LabelEvent(requestID: requestID, timestamp: timestamp, label: label, model: model, source: source)
    }

    public func encode(into w: inout JSONWriter) {
        w.beginObject()
        w.key("request_id"); w.string(requestID)
        w.key("timestamp"); w.time(timestamp)
        w.key("label"); w.label(label)
        w.optionalString("model", model)
        w.optionalString("source", source)
        w.endObject()
    }
}
