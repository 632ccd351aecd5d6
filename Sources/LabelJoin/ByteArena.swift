internal import CAllocatorTuning
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Growable bytes for the join's arenas (a held prediction's request-id record and example members), with the
/// part of `[UInt8]`'s interface the operator uses, and value semantics (copy on write).
///
/// Why not `[UInt8]`: the members arena grows to tens of MiB while an operator fills up, and an array grows by
/// allocating twice the capacity and copying into it, so every page of every generation is faulted in (and, on this
/// virtual machine, zeroed by the host) once more: 30,000 page faults and 5 % of `tideline bench join`'s operator
/// time for 91,000 held predictions. On Linux, a `ByteArena` is an anonymous mapping that grows with `mremap`:
/// pages move without being copied, so each is faulted in once, when first written. Elsewhere it is `malloc`ed and
/// grows with `realloc`.
///
/// Not thread-safe: owned by one operator (copies share storage until one of them is mutated).
struct ByteArena: @unchecked Sendable {
    /// The bytes' storage. Mutated only through a `ByteArena` that references it uniquely (copy on write), which is
    /// what makes sharing it between copies safe (`@unchecked Sendable`).
    private final class Storage {
        var base: UnsafeMutableRawPointer?
        var count = 0
        var capacity = 0

        init(capacity: Int) {
            if capacity > 0 { reallocate(to: capacity) }
        }

        deinit {
            guard let base else { return }
            #if os(Linux)
            munmap(base, capacity)
            #else
            free(base)
            #endif
        }

        func copy() -> Storage {
            let fresh = Storage(capacity: count)
            if count > 0 { fresh.base!.copyMemory(from: base!, byteCount: count) }
            fresh.count = count
            return fresh
        }

        /// Grows the allocation to at least `needed` bytes (to whole pages on Linux).
        func reallocate(to needed: Int) {
            #if os(Linux)
            let page = 4096
            let size = (needed + page - 1) / page * page
            if let base, let moved = tideline_remap(base, capacity, size) {
                self.base = moved
            } else {
                let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                guard let mapped, mapped != MAP_FAILED else { fatalError("ByteArena: mmap of \(size) bytes failed") }
                if let base {
                    mapped.copyMemory(from: base, byteCount: count)
                    munmap(base, capacity)
                }
                self.base = mapped
            }
            capacity = size
            #else
            guard let grown = realloc(base, needed) else { fatalError("ByteArena: realloc of \(needed) bytes failed") }
            base = grown
            capacity = needed
            #endif
        }
    }

    private var storage = Storage(capacity: 0)

    init() {}

    /// Bytes held.
    var count: Int { storage.count }
    /// Bytes allocated.
    var capacity: Int { storage.capacity }

    /// Makes the storage unique and able to take `extra` more bytes.
    @inline(__always)
    private mutating func prepare(forAppending extra: Int) {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        let needed = storage.count + extra
        if needed > storage.capacity { storage.reallocate(to: Swift.max(needed, storage.capacity * 2, 1 << 16)) }
    }

    mutating func append(contentsOf bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        prepare(forAppending: bytes.count)
        (storage.base! + storage.count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        storage.count += bytes.count
    }

    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        append(contentsOf: UnsafeRawBufferPointer(bytes))
    }

    /// Appends what `write` writes in place: it gets room for `maxCount` bytes and returns how many it wrote.
    @inline(__always)
    mutating func append(upTo maxCount: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        prepare(forAppending: maxCount)
        let written = write((storage.base! + storage.count).assumingMemoryBound(to: UInt8.self))
        precondition(written >= 0 && written <= maxCount, "ByteArena.append(upTo:): wrote \(written) of at most \(maxCount) bytes")
        storage.count += written
    }

    /// Removes the last `n` bytes (capacity is kept).
    mutating func removeLast(_ n: Int) {
        precondition(n >= 0 && n <= count, "ByteArena.removeLast: \(n) of \(count) bytes")
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        storage.count -= n
    }

    func withUnsafeBytes<R, E>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: storage.base, count: storage.count))
    }

    func withUnsafeBufferPointer<R, E>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: storage.base?.bindMemory(to: UInt8.self, capacity: storage.count), count: storage.count))
    }

    mutating func withUnsafeMutableBytes<R, E>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableRawBufferPointer(start: storage.base, count: storage.count))
    }
}
