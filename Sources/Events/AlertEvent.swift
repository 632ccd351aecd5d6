/// A monitoring incident, first `firing` then `resolved`, under one stable `alertID`:
/// the `alerts` topic, keyed by model.
public struct AlertEvent: EventContract, Hashable {
    public static let eventName = "alert"

    public enum Status: String, Sendable, CaseIterable, Hashable { case firing, resolved }
    public enum Kind: String, Sendable, CaseIterable, Hashable {
        case featureDrift = "feature_drift", predictionDrift = "prediction_drift", labelDrift = "label_drift"
        case performance, schema, feedbackLoop = "feedback_loop", pipeline
    }
    public enum Severity: String, Sendable, CaseIterable, Hashable { case info, warning, critical }

    /// An event-time range and how many events it held.
    public struct Window: Sendable, Hashable {
        public var from: EventTime
        public var to: EventTime
        public var count: Int64
        public init(from: EventTime, to: EventTime, count: Int64) { self.from = from; self.to = to; self.count = count }
    }

    public var alertID: String
    public var status: Status
    public var model: String
    public var kind: Kind
    public var severity: Severity
    /// The feature or metric concerned.
    public var subject: String
    public var detector: String
    public var statistic: Double?
    public var pValue: Double?
    public var threshold: Double?
    public var window: Window?
    public var reference: Window?
    /// What happened, how bad it is, and what to check first.
    public var description: String
    public var firstSeen: EventTime
    public var lastSeen: EventTime
    public var occurrences: Int64

    public init(alertID: String, status: Status, model: String, kind: Kind, severity: Severity, subject: String, detector: String,
                statistic: Double?, pValue: Double?, threshold: Double?, window: Window?, reference: Window?, description: String,
                firstSeen: EventTime, lastSeen: EventTime, occurrences: Int64) {
        self.alertID = alertID; self.status = status; self.model = model; self.kind = kind; self.severity = severity
        self.subject = subject; self.detector = detector; self.statistic = statistic; self.pValue = pValue; self.threshold = threshold
        self.window = window; self.reference = reference; self.description = description; self.firstSeen = firstSeen
        self.lastSeen = lastSeen; self.occurrences = occurrences
    }

    public var partitionKey: String { model }

    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: EventLimits) throws(EventDecodingError) -> AlertEvent {
        try decodeDocument(buffer, event: eventName, limits: limits) { (r) throws(EventDecodingError) in
            func window(_ key: String) throws(EventDecodingError) -> Window? {
                guard let w = try r.optionalObject(key) else { return nil }
                return Window(from: try w.time("from"), to: try w.time("to"), count: try w.integer("count"))
            }
            return AlertEvent(
                alertID: try r.string("alert_id"), status: try r.enumeration("status", Status.self), model: try r.string("model"),
                kind: try r.enumeration("kind", Kind.self), severity: try r.enumeration("severity", Severity.self),
                subject: try r.string("subject"), detector: try r.string("detector"), statistic: try r.optionalNumber("statistic"),
                pValue: try r.optionalNumber("p_value"), threshold: try r.optionalNumber("threshold"), window: try window("window"),
                reference: try window("reference"), description: try r.string("description"), firstSeen: try r.time("first_seen"),
                lastSeen: try r.time("last_seen"), occurrences: try r.integer("occurrences"))
        }
    }

    public func encode(into w: inout JSONWriter) {
        func number(_ key: StaticString, _ v: Double?) {
            w.key(key)
            if let v, v.isFinite { w.number(v) } else { w.null() }
        }
        func writeWindow(_ key: StaticString, _ v: Window?) {
            guard let v else { return }
            w.key(key); w.beginObject()
            w.key("from"); w.time(v.from); w.key("to"); w.time(v.to); w.key("count"); w.int(v.count)
            w.endObject()
        }
        w.beginObject()
        w.key("alert_id"); w.string(alertID)
        w.key("status"); w.string(status.rawValue)
        w.key("model"); w.string(model)
        w.key("kind"); w.string(kind.rawValue)
        w.key("severity"); w.string(severity.rawValue)
        w.key("subject"); w.string(subject)
        w.key("detector"); w.string(detector)
        number("statistic", statistic)
        number("p_value", pValue)
        number("threshold", threshold)
        writeWindow("window", self.window)
        writeWindow("reference", reference)
        w.key("description"); w.string(description)
        w.key("first_seen"); w.time(firstSeen)
        w.key("last_seen"); w.time(lastSeen)
        w.key("occurrences"); w.int(occurrences)
        w.endObject()
    }
}

// Codable so that operator state holding alert fields (windows, kinds) can be checkpointed.
extension AlertEvent.Kind: Codable {}
extension AlertEvent.Severity: Codable {}
extension AlertEvent.Window: Codable {
    enum CodingKeys: String, CodingKey { case from, to, count }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(from: EventTime(milliseconds: try c.decode(Int64.self, forKey: .from)),
                  to: EventTime(milliseconds: try c.decode(Int64.self, forKey: .to)), count: try c.decode(Int64.self, forKey: .count))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(from.milliseconds, forKey: .from)
        try c.encode(to.milliseconds, forKey: .to)
        try c.encode(count, forKey: .count)
    }
}
