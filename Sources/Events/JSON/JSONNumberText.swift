/// A JSON number's text as it was read, up to `capacity` bytes, held inline (no allocation). Empty when there is
/// none (the value was not decoded from JSON, or its text was longer).
struct JSONNumberText: Sendable {
    static let capacity = 24
    private var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private(set) var count: UInt8 = 0

    init() {}

    /// Holds `token` (a validated JSON number), or nothing when it is longer than `capacity` bytes.
    init(_ token: UnsafeRawBufferPointer) {
        guard token.count <= Self.capacity else { return }
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: token) }
        count = UInt8(token.count)
    }

    var isEmpty: Bool { count == 0 }

    /// Calls `body` with the text (valid only during the call).
    @inline(__always)
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: words) { try body(UnsafeRawBufferPointer(rebasing: $0[..<Int(count)])) }
    }
}
