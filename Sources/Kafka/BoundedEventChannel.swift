import Foundation

/// A bounded single-consumer channel from a blocking OS thread to an async reader.
///
/// - `send` is called from an OS thread and blocks while the buffer is full: that is how a slow reader
///   slows librdkafka's polling (backpressure) instead of growing memory.
/// - `next` is called by one async task at a time.
/// - `waitUntilAcknowledged` blocks the sender until the reader has taken everything sent so far and asked
///   for the next element, which is how a partition revocation waits for the stage to save its state.
final class BoundedEventChannel<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var buffer: [Element] = []
    private var head = 0
    private let capacity: Int
    private var finished = false
    private var waiter: CheckedContinuation<Element?, Never>?
    /// Incremented each time the reader asks for an element: the acknowledgement counter.
    private var requests: UInt64 = 0
    private var taken: UInt64 = 0
    private var sent: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        buffer.reserveCapacity(self.capacity)
    }

    var count: Int {
        condition.lock(); defer { condition.unlock() }
        return buffer.count - head
    }

    /// Sends an element, blocking while the buffer is full. Returns false if the channel is finished.
    @discardableResult
    func send(_ element: Element) -> Bool {
        condition.lock()
        while !finished && waiter == nil && buffer.count - head >= capacity {
            condition.wait()
        }
        if finished {
            condition.unlock()
            return false
        }
        sent += 1
        if let waiter {
            self.waiter = nil
            taken += 1
            condition.unlock()
            waiter.resume(returning: element)
            return true
        }
        buffer.append(element)
        condition.unlock()
        return true
    }

    /// Blocks until every element sent so far has been taken and the reader has asked for one more
    /// (i.e. has finished handling them), or the channel finishes, or `timeout` passes. Returns whether it was acknowledged.
    @discardableResult
    func waitUntilAcknowledged(timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock(); defer { condition.unlock() }
        while !finished && !(taken == sent && requests > taken) {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    /// Marks the end of the stream; pending elements are still delivered, then `nil`.
    func finish() {
        condition.lock()
        finished = true
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        waiter?.resume(returning: nil)
    }

    var isFinished: Bool {
        condition.lock(); defer { condition.unlock() }
        return finished
    }

    func next() async -> Element? {
        switch takeImmediately() {
        case .element(let element): return element
        case .finished: return nil
        case .empty: break
        }
        return await withCheckedContinuation { continuation in
            condition.lock()
            if let element = popLocked() {
                condition.broadcast()
                condition.unlock()
                continuation.resume(returning: element)
            } else if finished {
                condition.unlock()
                continuation.resume(returning: nil)
            } else {
                waiter = continuation
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    private enum Take {
        case element(Element)
        case finished
        case empty
    }

    /// Counts the reader's request (the acknowledgement of everything before it) and takes an element if one waits.
    private func takeImmediately() -> Take {
        condition.lock()
        defer { condition.unlock() }
        requests += 1
        condition.broadcast()
        if let element = popLocked() { return .element(element) }
        return finished ? .finished : .empty
    }

    private func popLocked() -> Element? {
        guard head < buffer.count else { return nil }
        let element = buffer[head]
        head += 1
        if head == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            head = 0
        }
        taken += 1
        return element
    }
}
