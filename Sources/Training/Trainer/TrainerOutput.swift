public import Events

/// What a trainer step produced: model-update events to publish and the checkpoint files they name.
/// Write the files before publishing the events.
public struct TrainerOutput: Sendable {
    public struct CheckpointFile: Sendable, Hashable {
        public var model: String
        public var version: String
        /// Absolute or relative file path (the `file://` URI without its scheme).
        public var path: String
        public var bytes: [UInt8]
        public var sha256: String
    }

    public var updates: [ModelUpdateEvent] = []
    public var checkpoints: [CheckpointFile] = []
    public init() {}

    public var isEmpty: Bool { updates.isEmpty && checkpoints.isEmpty }
    public mutating func removeAll() { updates.removeAll(); checkpoints.removeAll() }
}
