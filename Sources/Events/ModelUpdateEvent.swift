/// A new model version (or a rejected candidate, or a rollback): the `model-updates` topic, keyed by model.
public struct ModelUpdateEvent: EventContract, Hashable {
    public static let eventName = "model-update"

    public enum Kind: String, Sendable, CaseIterable, Hashable { case stateful, stateless, rollback }
    public enum Decision: String, Sendable, CaseIterable, Hashable { case promoted, rejected }

    /// What caused the update (`time`, `volume`, `performance`, `drift`, `manual`) and its detail.
    public struct Trigger: Sendable, Hashable {
        public var kind: String
        public var detail: String?
        public init(kind: String, detail: String? = nil) { self.kind = kind; self.detail = detail }
    }

    /// A consumed offset range `[from, to)` of one source partition.
    public struct OffsetRange: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var from: Int64
        public var to: Int64
        public init(topic: String, partition: Int32, from: Int64, to: Int64) {
            self.topic = topic; self.partition = partition; self.from = from; self.to = to
        }
    }

    /// The training data behind the version.
    public struct DataLineage: Sendable, Hashable {
        public var exampleCount: Int64
        public var eventTimeFrom: EventTime?
        public var eventTimeTo: EventTime?
        public var sourceOffsets: [OffsetRange]
        public init(exampleCount: Int64, eventTimeFrom: EventTime? = nil, eventTimeTo: EventTime? = nil, sourceOffsets: [OffsetRange] = []) {
            self.exampleCount = exampleCount; self.eventTimeFrom = eventTimeFrom; self.eventTimeTo = eventTimeTo; self.sourceOffsets = sourceOffsets
        }
    }

    /// Candidate and champion metrics on one evaluation set (e.g. `static_holdout`, `recent`).
    public struct Evaluation: Sendable, Hashable {
        public var set: String
        public var candidate: [String: Double]
        public var champion: [String: Double]
        public init(set: String, candidate: [String: Double], champion: [String: Double] = [:]) {
            self.set = set; self.candidate = candidate; self.champion = champion
        }
    }

    public struct Checkpoint: Sendable, Hashable {
        public var uri: String
        public var sha256: String
        public var bytes: Int64
        public init(uri: String, sha256: String, bytes: Int64) { self.uri = uri; self.sha256 = sha256; self.bytes = bytes }
    }

    public var model: String
    public var version: String
    public var parentVersion: String?
    public var kind: Kind
    public var trigger: Trigger
    public var data: DataLineage
    public var metrics: [Evaluation]
    public var decision: Decision
    public var reason: String?
    public var checkpoint: Checkpoint?
    /// Model parameters inline when small (the format is documented with the trainers).
    public var parameters: JSONValue?
    public var createdAt: EventTime

    public init(model: String, version: String, parentVersion: String?, kind: Kind, trigger: Trigger, data: DataLineage,
                metrics: [Evaluation], decision: Decision, reason: String?, checkpoint: Checkpoint?, parameters: JSONValue?, createdAt: EventTime) {
        self.model = model; self.version = version; self.parentVersion = parentVersion; self.kind = kind; self.trigger = trigger
        self.data = data; self.metrics = metrics; self.decision = decision; self.reason = reason; self.checkpoint = checkpoint
        self.parameters = parameters; self.createdAt = createdAt
    }

    public var partitionKey: String { model }

    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: EventLimits) throws(EventDecodingError) -> ModelUpdateEvent {
        try decodeDocument(buffer, event: eventName, limits: limits) { (r) throws(EventDecodingError) in
            let trigger = try r.object("trigger")
            let data = try r.object("data")
            var ranges: [OffsetRange] = []
            for (i, item) in try data.array("source_offsets").enumerated() {
                let o = try FieldReader(item, path: "data.source_offsets[\(i)]", event: eventName)
                ranges.append(OffsetRange(topic: try o.string("topic"), partition: Int32(clamping: try o.integer("partition")),
                                          from: try o.integer("from"), to: try o.integer("to")))
            }
            var evaluations: [Evaluation] = []
            if let m = try r.optionalObject("metrics") {
                for (set, _) in m.members {
                    let e = try m.object(set)
                    evaluations.append(Evaluation(set: set, candidate: try e.numbers("candidate"), champion: try e.numbers("champion")))
                }
            }
            let decision = try r.object("decision")
            var checkpoint: Checkpoint?
            if let c = try r.optionalObject("checkpoint") {
                checkpoint = Checkpoint(uri: try c.string("uri"), sha256: try c.string("sha256"), bytes: try c.integer("bytes"))
            }
            let range = try data.optionalObject("event_time_range")
            return ModelUpdateEvent(
                model: try r.string("model"), version: try r.version("version"), parentVersion: try r.optionalVersion("parent_version"),
                kind: try r.enumeration("kind", Kind.self),
                trigger: Trigger(kind: try trigger.string("kind"), detail: try trigger.optionalString("detail")),
                data: DataLineage(exampleCount: try data.integer("example_count"), eventTimeFrom: try range?.optionalTime("from"),
                                  eventTimeTo: try range?.optionalTime("to"), sourceOffsets: ranges),
                metrics: evaluations, decision: try decision.enumeration("outcome", Decision.self), reason: try decision.optionalString("reason"),
                checkpoint: checkpoint, parameters: r.optional("parameters"), createdAt: try r.time("created_at"))
        }
    }

    public func encode(into w: inout JSONWriter) {
        w.beginObject()
        w.key("model"); w.string(model)
        w.key("version"); w.string(version)
        w.key("parent_version"); if let parentVersion { w.string(parentVersion) } else { w.null() }
        w.key("kind"); w.string(kind.rawValue)
        w.key("trigger"); w.beginObject(); w.key("kind"); w.string(trigger.kind); w.optionalString("detail", trigger.detail); w.endObject()
        w.key("data"); w.beginObject()
        w.key("example_count"); w.int(data.exampleCount)
        w.key("event_time_range"); w.beginObject()
        if let f = data.eventTimeFrom { w.key("from"); w.time(f) }
        if let t = data.eventTimeTo { w.key("to"); w.time(t) }
        w.endObject()
        w.key("source_offsets"); w.beginArray()
        for r in data.sourceOffsets {
            w.element(); w.beginObject()
            w.key("topic"); w.string(r.topic); w.key("partition"); w.int(Int64(r.partition))
            w.key("from"); w.int(r.from); w.key("to"); w.int(r.to)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.key("metrics"); w.beginObject()
        for e in metrics {
            w.key(e.set); w.beginObject()
            w.key("candidate"); Self.writeNumbers(e.candidate, &w)
            if !e.champion.isEmpty { w.key("champion"); Self.writeNumbers(e.champion, &w) }
            w.endObject()
        }
        w.endObject()
        w.key("decision"); w.beginObject(); w.key("outcome"); w.string(decision.rawValue); w.optionalString("reason", reason); w.endObject()
        if let checkpoint {
            w.key("checkpoint"); w.beginObject()
            w.key("uri"); w.string(checkpoint.uri); w.key("sha256"); w.string(checkpoint.sha256); w.key("bytes"); w.int(checkpoint.bytes)
            w.endObject()
        }
        if let parameters { w.key("parameters"); parameters.encode(into: &w) }
        w.key("created_at"); w.time(createdAt)
        w.endObject()
    }

    static func writeNumbers(_ values: [String: Double], _ w: inout JSONWriter) {
        w.beginObject()
        for (k, v) in values.sorted(by: { $0.key < $1.key }) { w.key(k); w.number(v) }
        w.endObject()
    }
}
