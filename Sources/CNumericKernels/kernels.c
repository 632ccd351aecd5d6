// Numeric kernels that Swift cannot express at full width on the baseline x86-64 target: Swift's SIMD types
// compile for SSE2 (two doubles), while the CPUs this runs on have AVX (four). Each kernel is chosen at run time
// and computes exactly what the portable Swift loop computes (same operations, same order, no contraction).
#include "CNumericKernels.h"

#pragma clang fp contract(off)

#if defined(__x86_64__)
#include <immintrin.h>

bool tideline_kernels_have_avx(void) {
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        __builtin_cpu_init();
        value = __builtin_cpu_supports("avx") ? 1 : 0;
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value == 1;
}

__attribute__((target("avx")))
void tideline_adagrad_dense_avx(double *w, double *G, const double *x, size_t n, double g, double l2, double rate, double eps) {
    const __m256d gv = _mm256_set1_pd(g), l2v = _mm256_set1_pd(l2), rv = _mm256_set1_pd(rate), ev = _mm256_set1_pd(eps);
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d x4 = _mm256_loadu_pd(x + j);
        __m256d w4 = _mm256_loadu_pd(w + j);
        __m256d gj = _mm256_add_pd(_mm256_mul_pd(gv, x4), _mm256_mul_pd(l2v, w4));
        __m256d acc = _mm256_add_pd(_mm256_loadu_pd(G + j), _mm256_mul_pd(gj, gj));
        _mm256_storeu_pd(G + j, acc);
        __m256d step = _mm256_div_pd(_mm256_mul_pd(rv, gj), _mm256_add_pd(_mm256_sqrt_pd(acc), ev));
        _mm256_storeu_pd(w + j, _mm256_sub_pd(w4, step));
    }
    for (; j < n; j++) {
        __m128d xj = _mm_set_sd(x[j]), wj = _mm_set_sd(w[j]);
        __m128d gj = _mm_add_sd(_mm_mul_sd(_mm_set_sd(g), xj), _mm_mul_sd(_mm_set_sd(l2), wj));
        __m128d acc = _mm_add_sd(_mm_set_sd(G[j]), _mm_mul_sd(gj, gj));
        G[j] = _mm_cvtsd_f64(acc);
        __m128d step = _mm_div_sd(_mm_mul_sd(_mm_set_sd(rate), gj), _mm_add_sd(_mm_sqrt_sd(acc, acc), _mm_set_sd(eps)));
        w[j] = _mm_cvtsd_f64(_mm_sub_sd(wj, step));
    }
}

#else

bool tideline_kernels_have_avx(void) { return false; }

void tideline_adagrad_dense_avx(double *w, double *G, const double *x, size_t n, double g, double l2, double rate, double eps) {
    (void)w; (void)G; (void)x; (void)n; (void)g; (void)l2; (void)rate; (void)eps;
    __builtin_trap();  // never called: tideline_kernels_have_avx() is false
}

#endif
