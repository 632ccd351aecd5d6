internal import CAllocatorTuning
import Foundation

/// The allocator settings the `tideline` process runs with, applied once at start (`TidelineMain`).
///
/// The stages free and allocate buffers of 40–120 KB all the time (a monitor window's sorted samples and its sort's
/// bucket counts, on every numeric column of every window). glibc gives the top of its heap back to the kernel on
/// every free that leaves more than 128 KB there, so the next allocation faulted the same pages in again: in
/// `tideline bench monitor --count 1000000 --throughput-only`, 16,000 of its 150,000 page faults and 3–4 % of the
/// operator's time. `tideline` keeps up to `trimThreshold` bytes of free heap instead.
///
/// Setting the trim threshold also turns off glibc's adaptive mmap threshold (which rises, up to 32 MiB, to the size
/// of the mapped blocks the program frees), so `mmapThreshold` fixes it at that ceiling: requests below 32 MiB come
/// from the heap, as they would after glibc had adapted.
///
/// Only glibc is tuned; elsewhere `configure()` changes nothing. Malloc settings given in `GLIBC_TUNABLES`
/// (`glibc.malloc.…`) are the operator's choice and are left alone. Call it before other threads start allocating.
public enum ProcessAllocator {
    /// Free bytes at the top of the heap kept for reuse (64 MiB).
    public static let trimThreshold = 64 << 20
    /// Requests of this many bytes or more get their own mapping (32 MiB).
    public static let mmapThreshold = 32 << 20

    /// Applies both settings, unless `environment` (the process's when nil) sets glibc malloc tunables. Returns
    /// whether they were applied (false also when the C library is not glibc or refused a setting).
    @discardableResult
    public static func configure(environment: [String: String]? = nil) -> Bool {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.") == true { return false }
        return tideline_configure_allocator(trimThreshold, mmapThreshold)
    }
}
