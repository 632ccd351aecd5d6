// mremap (Linux) is declared only with _GNU_SOURCE, which must come before the first include.
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#include "CAllocatorTuning.h"

#include <limits.h>
#include <stdlib.h>  // defines __GLIBC__ on glibc (through <features.h>)

#if defined(__GLIBC__)
#include <malloc.h>

bool tideline_configure_allocator(size_t trim_threshold, size_t mmap_threshold) {
    if (trim_threshold > INT_MAX || mmap_threshold > INT_MAX) return false;
    int trim = mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
    int mmap = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    return trim == 1 && mmap == 1;
}
#else
bool tideline_configure_allocator(size_t trim_threshold, size_t mmap_threshold) {
    (void)trim_threshold; (void)mmap_threshold;
    return false;
}
#endif

#if defined(__linux__)
#include <sys/mman.h>

void *tideline_remap(void *address, size_t old_size, size_t new_size) {
    void *moved = mremap(address, old_size, new_size, MREMAP_MAYMOVE);
    return moved == MAP_FAILED ? NULL : moved;
}
#else
void *tideline_remap(void *address, size_t old_size, size_t new_size) {
    (void)address; (void)old_size; (void)new_size;
    return NULL;
}
#endif
