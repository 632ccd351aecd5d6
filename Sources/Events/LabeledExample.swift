/// A prediction joined with its label: the `labeled-examples` topic, keyed by model.
public struct LabeledExample: EventContract, Hashable {
    public static let eventName = "labeled-example"

    /// Deterministic id (same inputs, same id) so that consumers deduplicate replays and retries.
    public var eventID: String
    public var requestID: String
    public var model: String
    public var modelVersion: String
    public var variant: String?
    public var entityID: String?
    public var itemID: String?
    public var features: FeatureVector
    public var prediction: PredictionValue
    public var label: LabelValue
    public var labelKind: LabelKind
    public var predictionTime: EventTime
    /// When the label was observed; nil for implicit labels.
    public var labelTime: EventTime?

    public init(
        eventID: String, requestID: String, model: String, modelVersion: String, variant: String? = nil, entityID: String? = nil,
        itemID: String? = nil, features: FeatureVector, prediction: PredictionValue, label: LabelValue, labelKind: LabelKind,
        predictionTime: EventTime, labelTime: EventTime?
    ) {
        self.eventID = eventID
        self.requestID = requestID
        self.model = model
        self.modelVersion = modelVersion
        self.variant = variant
        self.entityID = entityID
        self.itemID = itemID
        self.features = features
        self.prediction = prediction
        self.label = label
        self.labelKind = labelKind
        self.predictionTime = predictionTime
        self.labelTime = labelTime
    }

    public var partitionKey: String { model }

    /// Milliseconds from prediction to label, or nil for implicit labels.
    public var labelDelayMilliseconds: Int64? { labelTime.map { $0.milliseconds - predictionTime.milliseconds } }

    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: EventLimits) throws(EventDecodingError) -> LabeledExample {
        var d = try ObjectDecoding(buffer, event: eventName, limits: limits)
        var eventID = "", requestID = "", model = "", modelVersion = ""
        var variant: String?, entityID: String?, itemID: String?
        var features = FeatureVector.empty
        var prediction = PredictionValue.score(0)
        var label = LabelValue.number(0)
        var kind = LabelKind.observed
        var predictionTime = EventTime(milliseconds: 0)
        var labelTime: EventTime?
        var first = true
        while let key = try d.scanner.nextKey(first: &first) {
            if d.scanner.bytes(key, equal: "event_id") {
                try d.mark(0, "event_id"); eventID = try d.scanner.readID(field: "event_id")
            } else if d.scanner.bytes(key, equal: "request_id") {
                try d.mark(1, "request_id"); requestID = try d.scanner.readID(field: "request_id")
            } else if d.scanner.bytes(key, equal: "model") {
                try d.mark(2, "model"); model = try d.scanner.readID(field: "model")
            } else if d.scanner.bytes(key, equal: "model_version") {
                try d.mark(3, "model_version"); modelVersion = try d.scanner.readVersion(field: "model_version")
            } else if d.scanner.bytes(key, equal: "features") {
                try d.mark(4, "features"); features = try d.scanner.readFeatureVector(field: "features")
            } else if d.scanner.bytes(key, equal: "prediction") {
                try d.mark(5, "prediction"); prediction = try d.scanner.readPrediction(field: "prediction")
            } else if d.scanner.bytes(key, equal: "label") {
                try d.mark(6, "label"); label = try d.scanner.readLabel(field: "label")
            } else if d.scanner.bytes(key, equal: "label_kind") {
                try d.mark(7, "label_kind")
                let start = d.scanner.position
                let text = try d.scanner.readString(field: "label_kind")
                guard let k = LabelKind(rawValue: text) else {
                    d.scanner.position = start
                    throw d.scanner.error(.invalidField, "label_kind", "expected one of observed, implicit, correction, found \"\(text.prefix(40))\"")
                }
                kind = k
            } else if d.scanner.bytes(key, equal: "prediction_time") {
                try d.mark(8, "prediction_time"); predictionTime = try d.scanner.readTime(field: "prediction_time")
            } else if d.scanner.bytes(key, equal: "label_time") {
                try d.mark(9, "label_time")
                if d.scanner.peek() == UInt8(ascii: "n"), d.scanner.readLiteral() == .null { labelTime = nil } else {
                    labelTime = try d.scanner.readTime(field: "label_time")
                }
            } else if d.scanner.bytes(key, equal: "variant") {
                try d.mark(10, "variant"); variant = try d.scanner.readOptionalString(field: "variant")
            } else if d.scanner.bytes(key, equal: "entity_id") {
                try d.mark(11, "entity_id"); entityID = try d.scanner.readOptionalString(field: "entity_id")
            } else if d.scanner.bytes(key, equal: "item_id") {
                try d.mark(12, "item_id"); itemID = try d.scanner.readOptionalString(field: "item_id")
            } else {
                try d.scanner.skipValue()  // label_delay_ms is derived; unknown fields are tolerated
            }
        }
        try d.finish()
        try d.require(0b111111111, [(0, "event_id"), (1, "request_id"), (2, "model"), (3, "model_version"), (4, "features"), (5, "prediction"),
                       (6, "label"), (7, "label_kind"), (8, "prediction_time")])
        return LabeledExample(eventID: eventID, requestID: requestID, model: model, modelVersion: modelVersion, variant: variant,
                              entityID: entityID, itemID: itemID, features: features, prediction: prediction, label: label,
                              labelKind: kind, predictionTime: predictionTime, labelTime: labelTime)
    }

    public func encode(into w: inout JSONWriter) {
        w.beginObject()
        w.key("event_id"); w.string(eventID)
        w.key("request_id"); w.string(requestID)
        w.key("model"); w.string(model)
        w.key("model_version"); w.string(modelVersion)
        w.optionalString("variant", variant)
        w.optionalString("entity_id", entityID)
        w.optionalString("item_id", itemID)
        w.key("features"); w.features(features)
        w.key("prediction"); w.prediction(prediction)
        w.key("label"); w.label(label)
        w.key("label_kind"); w.string(labelKind.rawValue)
        w.key("prediction_time"); w.time(predictionTime)
        w.key("label_time"); if let labelTime { w.time(labelTime) } else { w.null() }
        w.key("label_delay_ms"); if let delay = labelDelayMilliseconds { w.int(delay) } else { w.null() }
        w.endObject()
    }
}
