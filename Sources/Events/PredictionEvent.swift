/// One prediction served (or shadowed) by a model: the `predictions` topic, keyed by request id.
public struct PredictionEvent: EventContract, Hashable {
    public static let eventName = "prediction"

    public var requestID: String
    public var model: String
    public var modelVersion: String
    /// When the prediction was made (event time).
    public var timestamp: EventTime
    /// The features, validated, stored compactly and parsed on iteration.
    public var features: FeatureVector
    /// The score or class. Setting it drops the score's decoded text (see `writePrediction(into:)`).
    public var prediction: PredictionValue {
        get { storedPrediction }
        set { storedPrediction = newValue; scoreText = JSONNumberText() }
    }
    private var storedPrediction: PredictionValue
    /// The score's JSON number text as decoded (empty for a class, an event built in code, or once `prediction`
    /// was set): written back verbatim, like the features' bytes, instead of formatting the number again.
    private var scoreText = JSONNumberText()
    /// The experiment arm, if any.
    public var variant: String?
    /// The user or source the prediction was made for.
    public var entityID: String?
    /// What was shown (for output-diversity and feedback-loop monitoring).
    public var itemID: String?
    /// False for shadow predictions that were not shown to anyone.
    public var served: Bool

    public init(
        requestID: String, model: String, modelVersion: String, timestamp: EventTime, features: FeatureVector,
        prediction: PredictionValue, variant: String? = nil, entityID: String? = nil, itemID: String? = nil, served: Bool = true
    ) {
        self.requestID = requestID
        self.model = model
        self.modelVersion = modelVersion
        self.timestamp = timestamp
        self.features = features
        self.storedPrediction = prediction
        self.variant = variant
        self.entityID = entityID
        self.itemID = itemID
        self.served = served
    }

    public var partitionKey: String { requestID }

    /// Equality of every field's value; a score's decoded text is not compared (`0.50` and `0.5` are equal).
    public static func == (a: PredictionEvent, b: PredictionEvent) -> Bool {
        a.requestID == b.requestID && a.model == b.model && a.modelVersion == b.modelVersion && a.timestamp == b.timestamp
            && a.features == b.features && a.storedPrediction == b.storedPrediction && a.variant == b.variant
            && a.entityID == b.entityID && a.itemID == b.itemID && a.served == b.served
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(requestID)
        hasher.combine(model)
        hasher.combine(modelVersion)
        hasher.combine(timestamp)
        hasher.combine(features)
        hasher.combine(storedPrediction)
        hasher.combine(variant)
        hasher.combine(entityID)
        hasher.combine(itemID)
        hasher.combine(served)
    }

    /// Writes the prediction as a JSON value. A score decoded from JSON is written as the text it was read from
    /// (a valid JSON number of the same value, not necessarily the shortest: `0.50` stays `0.50`), as the features
    /// are; formatting a 17-digit number again took 5 % of the label join's operator.
    public func writePrediction(into w: inout JSONWriter) {
        if scoreText.isEmpty {
            w.prediction(storedPrediction)
        } else {
            scoreText.withBytes { text in w.withBytes { $0.append(contentsOf: text) } }
        }
    }

    /// Whether the score's text as decoded is kept (`writeDecodedScoreText(to:)` writes it).
    public var hasDecodedScoreText: Bool { !scoreText.isEmpty }

    /// The most bytes `writeDecodedScoreText(to:)` writes.
    public static let maxDecodedScoreTextBytes = JSONNumberText.capacity

    /// Writes the score's JSON number text as decoded (what `writePrediction(into:)` writes for it) at
    /// `destination`, which has room for `maxDecodedScoreTextBytes`, and returns its length; writes nothing and
    /// returns 0 when there is none (a class, an event built in code, or a score set since decoding).
    public func writeDecodedScoreText(to destination: UnsafeMutablePointer<UInt8>) -> Int {
        scoreText.withBytes { text in
            if let base = text.baseAddress { UnsafeMutableRawPointer(destination).copyMemory(from: base, byteCount: text.count) }
            return text.count
        }
    }

    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: EventLimits) throws(EventDecodingError) -> PredictionEvent {
        var d = try ObjectDecoding(buffer, event: eventName, limits: limits)
        var requestID = "", model = "", modelVersion = ""
        var timestamp = EventTime(milliseconds: 0)
        var features = FeatureVector.empty
        var prediction = PredictionValue.score(0)
        var scoreText = JSONNumberText()
        var variant: String?, entityID: String?, itemID: String?
        var served = true
        var first = true
        while let key = try d.scanner.nextKey(first: &first) {
            if d.scanner.bytes(key, equal: "request_id") {
                try d.mark(0, "request_id"); requestID = try d.scanner.readID(field: "request_id")
            } else if d.scanner.bytes(key, equal: "model") {
                try d.mark(1, "model"); model = try d.scanner.readID(field: "model")
            } else if d.scanner.bytes(key, equal: "model_version") {
                try d.mark(2, "model_version"); modelVersion = try d.scanner.readVersion(field: "model_version")
            } else if d.scanner.bytes(key, equal: "timestamp") {
                try d.mark(3, "timestamp"); timestamp = try d.scanner.readTime(field: "timestamp")
            } else if d.scanner.bytes(key, equal: "features") {
                try d.mark(4, "features"); features = try d.scanner.readFeatureVector(field: "features")
            } else if d.scanner.bytes(key, equal: "prediction") {
                try d.mark(5, "prediction")
                _ = d.scanner.peek()
                let start = d.scanner.position
                prediction = try d.scanner.readPrediction(field: "prediction")
                if case .score(let v) = prediction, v.isFinite {
                    scoreText = JSONNumberText(UnsafeRawBufferPointer(start: d.scanner.base + start, count: d.scanner.position - start))
                }
            } else if d.scanner.bytes(key, equal: "variant") {
                try d.mark(6, "variant"); variant = try d.scanner.readOptionalString(field: "variant")
            } else if d.scanner.bytes(key, equal: "entity_id") {
                try d.mark(7, "entity_id"); entityID = try d.scanner.readOptionalString(field: "entity_id")
            } else if d.scanner.bytes(key, equal: "item_id") {
                try d.mark(8, "item_id"); itemID = try d.scanner.readOptionalString(field: "item_id")
            } else if d.scanner.bytes(key, equal: "served") {
                try d.mark(9, "served")
                if d.scanner.peek() == UInt8(ascii: "n"), d.scanner.readLiteral() == .null { served = true } else {
                    served = try d.scanner.readBool(field: "served")
                }
            } else {
                try d.scanner.skipValue()
            }
        }
        try d.finish()
        try d.require(0b111111, [(0, "request_id"), (1, "model"), (2, "model_version"), (3, "timestamp"), (4, "features"), (5, "prediction")])
        var event = PredictionEvent(requestID: requestID, model: model, modelVersion: modelVersion, timestamp: timestamp,
                                    features: features, prediction: prediction, variant: variant, entityID: entityID,
                                    itemID: itemID, served: served)
        event.scoreText = scoreText
        return event
    }

    public func encode(into w: inout JSONWriter) {
        w.beginObject()
        w.key("request_id"); w.string(requestID)
        w.key("model"); w.string(model)
        w.key("model_version"); w.string(modelVersion)
        w.key("timestamp"); w.time(timestamp)
        w.key("features"); w.features(features)
        w.key("prediction"); writePrediction(into: &w)
        w.optionalString("variant", variant)
        w.optionalString("entity_id", entityID)
        w.optionalString("item_id", itemID)
        if !served { w.key("served"); w.bool(false) }
        w.endObject()
    }
}
