import Foundation

/// A bounded single-consumer channel from a blocking OS thread to an async reader.
///
/// - `send` is called from an OS thread and blocks while the buffer is full: that is how a slow reader
///   slows librdkafka's polling (backpressure) instead of growing memory.
/// - `next` is called by one async task at a time. A task cancelled while it waits gets `nil` and takes nothing,
///   so an abandoned reader cannot swallow an element meant for the next one.
/// - `waitUntilAcknowledged` blocks the sender until the reader has taken everything sent so far and asked
///   for the next element, which is how a partition revocation waits for the stage to save its state.
final class BoundedEventChannel<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var buffer: [Element] = []
    private var head = 0
    private let capacity: Int
    private var finished = false
    private var waiter: CheckedContinuation<Element?, Never>?
    /// Identifies the current waiter, so a cancellation resumes only its own continuation.
    private var waiterID: UInt64 = 0
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
        if Task.isCancelled { return nil }
        switch takeImmediately() {
        case .element(let element): return element
        case .finished: return nil
        case .empty: break
        }
        let id = newWaiterID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                condition.lock()
                if let element = popLocked() {
                    condition.broadcast()
                    condition.unlock()
                    continuation.resume(returning: element)
                } else if finished || Task.isCancelled {
                    condition.unlock()
                    continuation.resume(returning: nil)
                } else {
                    // A waiter left by an earlier reader (one call at a time is the contract) ends with nil.
                    let abandoned = waiter
                    waiter = continuation
                    waiterID = id
                    condition.broadcast()
                    condition.unlock()
                    abandoned?.resume(returning: nil)
                }
            }
        } onCancel: {
            condition.lock()
            let mine = waiterID == id ? waiter : nil
            if mine != nil { waiter = nil }
            condition.broadcast()
            condition.unlock()
            mine?.resume(returning: nil)
        }
    }

    private var lastWaiterID: UInt64 = 0

    private func newWaiterID() -> UInt64 {
        condition.lock(); defer { condition.unlock() }
        lastWaiterID &+= 1
        return lastWaiterID
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
