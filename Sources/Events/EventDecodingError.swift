/// Why an event was rejected: which event type, which field (a dotted path such as `features.age`), what
/// was wrong, and where in the input. Its `description` is what goes into the dead-letter `reason` header.
public struct EventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The bytes are not valid JSON (or not valid UTF-8).
        case malformedJSON = "malformed_json"
        /// A required field is absent.
        case missingField = "missing_field"
        /// A field has the wrong JSON type or an invalid value.
        case invalidField = "invalid_field"
        /// A field appears twice.
        case duplicateField = "duplicate_field"
        /// The event exceeds a configured limit (size, feature count, string length, nesting).
        case limitExceeded = "limit_exceeded"
    }

    public var kind: Kind
    /// The event type, e.g. `prediction`.
    public var event: String
    /// The dotted path of the offending field, or nil when the problem is not tied to one field.
    public var field: String?
    public var message: String
    /// The byte offset in the input where the problem was found.
    public var byteOffset: Int

    public init(kind: Kind, event: String, field: String?, message: String, byteOffset: Int) {
        self.kind = kind
        self.event = event
        self.field = field
        self.message = message
        self.byteOffset = byteOffset
    }

    public var description: String {
        if let field { return "invalid \(event) event: field \"\(field)\": \(message) (at byte \(byteOffset))" }
        return "invalid \(event) event: \(message) (at byte \(byteOffset))"
    }
}

/// Bounds on what a decoder accepts, so one huge or deeply nested event cannot exhaust memory or time.
public struct EventLimits: Sendable, Equatable {
    /// Largest accepted event, in bytes.
    public var maxEventBytes: Int = 1 << 20
    /// Most features in one prediction.
    public var maxFeatures: Int = 1024
    /// Longest accepted string (id, feature name or value), in UTF-8 bytes.
    public var maxStringBytes: Int = 65_536
    /// Deepest accepted nesting of objects and arrays (including skipped unknown fields).
    public var maxDepth: Int = 32

    public init() {}

    public static let `default` = EventLimits()
}
