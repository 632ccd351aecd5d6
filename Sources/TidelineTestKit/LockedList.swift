import Foundation

/// A list that several threads append to (log lines, events in the order they happened) and a test reads. Thread-safe.
public final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []

    public init() {}

    public func append(_ item: Element) { lock.withLock { items.append(item) } }

    /// Everything appended so far, in order.
    public var all: [Element] { lock.withLock { items } }
}
