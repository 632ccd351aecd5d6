#ifndef TIDELINE_ALLOCATOR_TUNING_H
#define TIDELINE_ALLOCATOR_TUNING_H

#include <stdbool.h>
#include <stddef.h>

/// Sets glibc malloc's trim threshold (free bytes at the top of the heap kept instead of given back to the kernel)
/// and mmap threshold (requests from this size up get their own mapping), both in bytes. Process-wide; call once at
/// start, before other threads allocate. Returns false when either setting was refused, or when the C library is
/// not glibc (nothing is changed then).
bool tideline_configure_allocator(size_t trim_threshold, size_t mmap_threshold);

#endif
