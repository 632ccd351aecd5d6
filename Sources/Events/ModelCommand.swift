/// An operator's request to a trainer: the `model-commands` topic, keyed by model, written by
/// `tideline models retrain|rollback`.
public struct ModelCommand: EventContract, Hashable {
    public static let eventName = "model-command"

    public enum Action: String, Sendable, CaseIterable, Hashable {
        /// Evaluate the current candidate now (a `manual` trigger).
        case retrain
        /// Restore an earlier version (the champion's parent unless `toVersion` is given).
        case rollback
    }

    /// Unique per request, so a command delivered twice acts once.
    public var commandID: String
    public var model: String
    public var action: Action
    public var toVersion: String?
    public var reason: String?
    public var requestedAt: EventTime

    public init(commandID: String, model: String, action: Action, toVersion: String? = nil, reason: String? = nil, requestedAt: EventTime) {
        self.commandID = commandID; self.model = model; self.action = action; self.toVersion = toVersion; self.reason = reason
        self.requestedAt = requestedAt
    }

    public var partitionKey: String { model }

    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: EventLimits) throws(EventDecodingError) -> ModelCommand {
        try decodeDocument(buffer, event: eventName, limits: limits) { (r) throws(EventDecodingError) in
            ModelCommand(commandID: try r.string("command_id"), model: try r.string("model"), action: try r.enumeration("action", Action.self),
                         toVersion: try r.optionalVersion("to_version"), reason: try r.optionalString("reason"), requestedAt: try r.time("requested_at"))
        }
    }

    public func encode(into w: inout JSONWriter) {
        w.beginObject()
        w.key("command_id"); w.string(commandID)
        w.key("model"); w.string(model)
        w.key("action"); w.string(action.rawValue)
        w.optionalString("to_version", toVersion)
        w.optionalString("reason", reason)
        w.key("requested_at"); w.time(requestedAt)
        w.endObject()
    }
}
