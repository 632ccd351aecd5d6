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
