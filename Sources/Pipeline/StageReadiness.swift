import Foundation
public import Kafka

/// Whether a stage is ready to serve (`/readyz`): its consumer group has given it partitions (possibly none, when
/// the group has more instances than partitions) and it has restored their state. Not ready before the first
/// assignment, between a revocation and the next assignment, and after the stage stopped. Thread-safe.
public final class StageReadiness: @unchecked Sendable {
    private let lock = NSLock()
    private var assignedOnce = false
    private var rebalancing = false
    private var stopped = false
    private var held: Set<TopicPartition> = []

    public init() {}

    /// True when the stage holds its assignment with state restored and is running.
    public var isReady: Bool { lock.withLock { assignedOnce && !rebalancing && !stopped } }

    /// The partitions the stage holds now.
    public var partitions: Set<TopicPartition> { lock.withLock { held } }

    /// Call after the state of `partitions` is restored.
    public func assigned(_ partitions: [TopicPartition]) {
        lock.withLock {
            held.formUnion(partitions)
            assignedOnce = true
            rebalancing = false
        }
    }

    /// Call when `partitions` are taken away (before their state is saved).
    public func revoked(_ partitions: [TopicPartition]) {
        lock.withLock {
            held.subtract(partitions)
            rebalancing = true
        }
    }

    /// Call when the stage stops.
    public func stop() { lock.withLock { stopped = true } }
}
