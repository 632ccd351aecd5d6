#ifndef TIDELINE_NUMERIC_KERNELS_H
#define TIDELINE_NUMERIC_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

/// Whether the 4-wide (AVX) kernels below can run on this CPU. Checked once; thread-safe.
bool tideline_kernels_have_avx(void);

/// One AdaGrad step over `n` dense weights, in order j = 0 ..< n:
///   gj = g·x[j] + l2·w[j];  G[j] = G[j] + gj·gj;  w[j] = w[j] − (rate·gj) / (√G[j] + eps)
/// with IEEE-754 double arithmetic in exactly that order (no fused multiply-add), so the result is bit-identical
/// to the same loop in plain Swift. Uses 4-wide AVX vectors; call only when `tideline_kernels_have_avx()`.
void tideline_adagrad_dense_avx(double *w, double *G, const double *x, size_t n, double g, double l2, double rate, double eps);

#endif
