import Foundation

/// Runs blocking librdkafka calls (commit, flush, metadata, admin requests) off Swift's cooperative
/// thread pool, on a dedicated dispatch queue, and awaits their result.
enum Blocking {
    private static let queue = DispatchQueue(label: "tideline.kafka.blocking", attributes: .concurrent)

    static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}

/// A named OS thread that runs a loop until asked to stop, and can be joined.
/// librdkafka's blocking waits live here, never on the cooperative pool.
final class ServiceThread: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopRequested = false
    private var joined = false
    private var thread: Thread?

    init(name: String, body: @escaping @Sendable (ServiceThread) -> Void) {
        let thread = Thread { [self] in
            body(self)
            finished.signal()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Whether `requestStop()` has been called. Checked by the loop body.
    var shouldStop: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopRequested
    }

    func requestStop() {
        lock.lock(); stopRequested = true; lock.unlock()
    }

    /// Requests a stop and waits for the loop to return. Safe to call more than once. Called on the thread
    /// itself (an owner released by its own loop), it only requests the stop: a thread cannot join itself.
    func stopAndJoin() {
        requestStop()
        if Thread.current === lock.withLock({ thread }) { return }
        lock.lock()
        let already = joined
        joined = true
        lock.unlock()
        if !already { finished.wait() }
    }
}
