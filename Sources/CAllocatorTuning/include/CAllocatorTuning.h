#ifndef TIDELINE_ALLOCATOR_TUNING_H
#define TIDELINE_ALLOCATOR_TUNING_H

#include <stdbool.h>
#include <stddef.h>

/// Sets glibc malloc's trim threshold (free bytes at the top of the heap kept instead of given back to the kernel)
/// and mmap threshold (requests from this size up get their own mapping), both in bytes. Process-wide; call once at
/// start, before other threads allocate. Returns false when either setting was refused, or when the C library is
/// not glibc (nothing is changed then).
bool tideline_configure_allocator(size_t trim_threshold, size_t mmap_threshold);

/// Resizes an anonymous private mapping made with `mmap` from `old_size` to `new_size` bytes, moving it when it
/// cannot grow in place, without copying or touching its pages (Linux `mremap` with `MREMAP_MAYMOVE`: its
/// prototype is variadic, which Swift cannot call). Returns the mapping's address, or NULL when the kernel refused
/// or the system has no `mremap` (the mapping is unchanged then). Thread-safe for distinct mappings.
void *tideline_remap(void *address, size_t old_size, size_t new_size);

/// Asks the CPU to start loading the cache line at `address` for a read soon. A hint only: it never faults (any
/// address may be passed) and changes no result. Thread-safe.
static inline void tideline_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
