import Foundation

/// A value behind a lock, shared between tasks and threads (the demo's service, readers and view).
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    /// A copy of the value.
    var value: Value { lock.withLock { stored } }

    /// Reads or changes the value under the lock.
    @discardableResult
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { lock.withLock { body(&stored) } }
}
