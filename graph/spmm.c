/* Sparse x dense products: Y = A X and Y = A^T X, the hot kernels of GCN
 * training.  Rows are split into blocks of equal work (entries + rows). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "graph/internal.h"

enum { MAX_PARTS = 1024 };

/* y[0..d) = beta * y (beta == 0 writes zeros, never reading y). */
static inline void scale_row(float *restrict y, int d, float beta) {
  if (beta == 0.0f)
    memset(y, 0, (size_t)d * sizeof *y);
  else if (beta != 1.0f)
    for (int k = 0; k < d; k++) y[k] *= beta;
}

/* y += w * x over d floats; restrict lets gcc vectorise it. */
static inline void axpy_row(float *restrict y, const float *restrict x,
                            float w, int d) {
  for (int k = 0; k < d; k++) y[k] += w * x[k];
}

/* Rows r0..r1-1 of Y = A X + beta Y.  Called with a constant d for the
 * common widths so that the inner loop is fully unrolled in registers. */
static inline void spmm_rows(const gl_csr *a, const float *restrict x, int d,
                             float beta, float *restrict y, gl_idx r0,
                             gl_idx r1) {
  const gl_off *restrict ptr = a->ptr;
  const gl_idx *restrict col = a->col;
  const float *restrict val = a->val;
  for (gl_idx i = r0; i < r1; i++) {
    float *restrict yr = y + (size_t)i * d;
    scale_row(yr, d, beta);
    if (val)
      for (gl_off e = ptr[i]; e < ptr[i + 1]; e++)
        axpy_row(yr, x + (size_t)col[e] * d, val[e], d);
    else
      for (gl_off e = ptr[i]; e < ptr[i + 1]; e++)
        axpy_row(yr, x + (size_t)col[e] * d, 1.0f, d);
  }
}

/* The same for a constant width D (a multiple of 8): the row sum is held in
 * D/8 eight-float vectors (GCC vector extensions; AVX registers with
 * -march=native, pairs of SSE registers otherwise).  Left to itself gcc
 * mixes vector and scalar lanes here.  (Prefetching the next rows of X and
 * two interleaved accumulators measured no faster: the loop is bound by the
 * latency of the random row loads.) */
typedef float v8f __attribute__((vector_size(32), aligned(4)));
#define SPMM_FIXED(D)                                                          \
  static void spmm_rows_##D(const gl_csr *a, const float *restrict x,         \
                            float beta, float *restrict y, gl_idx r0,          \
                            gl_idx r1) {                                       \
    const gl_off *restrict ptr = a->ptr;                                       \
    const gl_idx *restrict col = a->col;                                       \
    const float *restrict val = a->val;                                        \
    enum { V = D / 8 };                                                        \
    for (gl_idx i = r0; i < r1; i++) {                                         \
      v8f acc[V];                                                              \
      for (int k = 0; k < V; k++) acc[k] = (v8f){0};                           \
      for (gl_off e = ptr[i]; e < ptr[i + 1]; e++) {                           \
        const v8f *xr = (const v8f *)(x + (size_t)col[e] * D);                 \
        float w = val ? val[e] : 1.0f;                                         \
        for (int k = 0; k < V; k++) acc[k] += w * xr[k];                       \
      }                                                                        \
      v8f *yr = (v8f *)(y + (size_t)i * D);                                    \
      if (beta == 0.0f)                                                        \
        for (int k = 0; k < V; k++) yr[k] = acc[k];                            \
      else                                                                     \
        for (int k = 0; k < V; k++) yr[k] = beta * yr[k] + acc[k];             \
    }                                                                          \
  }
SPMM_FIXED(16)
SPMM_FIXED(32)
SPMM_FIXED(64)

static void spmm_block(const gl_csr *a, const float *x, int d, float beta,
                       float *y, gl_idx r0, gl_idx r1) {
  switch (d) {
  case 16: spmm_rows_16(a, x, beta, y, r0, r1); break;
  case 32: spmm_rows_32(a, x, beta, y, r0, r1); break;
  case 64: spmm_rows_64(a, x, beta, y, r0, r1); break;
  default: spmm_rows(a, x, d, beta, y, r0, r1); break;
  }
}

/* Threads to use for `work` multiply-adds: small products stay serial. */
static int threads_for(double work) {
  int t = gl_threads();
  if (t > MAX_PARTS) t = MAX_PARTS;
  if (work < 65536.0 || t < 1) t = 1;
  return t;
}

void gl_csr_spmm(const gl_csr *a, const float *x, int d, float beta,
                 float *y) {
  if (a->n == 0 || d <= 0) return;
  int t = threads_for((double)(a->nnz + a->n) * d);
  if (t == 1) {
    spmm_block(a, x, d, beta, y, 0, a->n);
    return;
  }
  /* Rows are independent, so the result does not depend on the split;
   * several blocks a thread even out skewed degree distributions. */
  int parts = t * 4 < MAX_PARTS ? t * 4 : MAX_PARTS;
  gl_idx bound[MAX_PARTS + 1];
  gl_csr__partition_rows(a, parts, bound);
#pragma omp parallel for schedule(dynamic, 1) num_threads(t)
  for (int p = 0; p < parts; p++)
    spmm_block(a, x, d, beta, y, bound[p], bound[p + 1]);
}

/* out[col[e]] += w_e * x[i] for the rows r0..r1-1. */
static inline void spmm_t_rows(const gl_csr *a, const float *restrict x, int d,
                               float *restrict out, gl_idx r0, gl_idx r1) {
  const gl_off *restrict ptr = a->ptr;
  const gl_idx *restrict col = a->col;
  const float *restrict val = a->val;
  for (gl_idx i = r0; i < r1; i++) {
    const float *restrict xr = x + (size_t)i * d;
    if (val)
      for (gl_off e = ptr[i]; e < ptr[i + 1]; e++)
        axpy_row(out + (size_t)col[e] * d, xr, val[e], d);
    else
      for (gl_off e = ptr[i]; e < ptr[i + 1]; e++)
        axpy_row(out + (size_t)col[e] * d, xr, 1.0f, d);
  }
}

/* The constant-width version: row i of X stays in registers while it is
 * scattered to the rows of out. */
#define SPMM_T_FIXED(D)                                                        \
  static void spmm_t_rows_##D(const gl_csr *a, const float *restrict x,       \
                              float *restrict out, gl_idx r0, gl_idx r1) {     \
    const gl_off *restrict ptr = a->ptr;                                       \
    const gl_idx *restrict col = a->col;                                       \
    const float *restrict val = a->val;                                        \
    enum { V = D / 8 };                                                        \
    for (gl_idx i = r0; i < r1; i++) {                                         \
      v8f xr[V];                                                               \
      for (int k = 0; k < V; k++) xr[k] = ((const v8f *)(x + (size_t)i * D))[k]; \
      for (gl_off e = ptr[i]; e < ptr[i + 1]; e++) {                           \
        v8f *o = (v8f *)(out + (size_t)col[e] * D);                            \
        float w = val ? val[e] : 1.0f;                                         \
        for (int k = 0; k < V; k++) o[k] += w * xr[k];                         \
      }                                                                        \
    }                                                                          \
  }
SPMM_T_FIXED(16)
SPMM_T_FIXED(32)
SPMM_T_FIXED(64)

static void spmm_t_block(const gl_csr *a, const float *x, int d, float *out,
                         gl_idx r0, gl_idx r1) {
  switch (d) {
  case 16: spmm_t_rows_16(a, x, out, r0, r1); break;
  case 32: spmm_t_rows_32(a, x, out, r0, r1); break;
  case 64: spmm_t_rows_64(a, x, out, r0, r1); break;
  default: spmm_t_rows(a, x, d, out, r0, r1); break;
  }
}

/* Y = A^T X + beta Y.  Block 0 of the rows accumulates straight into Y,
 * block p >= 1 into its own zeroed buffer of m x d floats, and the buffers
 * are then added to Y in the order 1, 2, ... (parallel over Y's rows), so
 * every element sees the same sequence of additions for a given thread
 * count.  Extra memory: (threads - 1) * m * d * 4 bytes.  If that cannot be
 * allocated the same blocks run one after the other through a single
 * buffer, which gives bit-identical results; without even that buffer the
 * blocks add straight into Y (same values up to rounding). */
void gl_csr_spmm_t(const gl_csr *a, const float *x, int d, float beta,
                   float *y) {
  if (a->m == 0 || d <= 0) return;
  size_t md = (size_t)a->m * (size_t)d;
  int t = threads_for((double)(a->nnz + a->n) * d);
  gl_idx bound[MAX_PARTS + 1];
  gl_csr__partition_rows(a, t, bound);
#pragma omp parallel for schedule(static) num_threads(t)
  for (gl_idx j = 0; j < a->m; j++) scale_row(y + (size_t)j * d, d, beta);
  if (t == 1) {
    spmm_t_block(a, x, d, y, 0, a->n);
    return;
  }
  float *buf = malloc((size_t)(t - 1) * md * sizeof *buf);
  if (buf) {
#pragma omp parallel for schedule(static, 1) num_threads(t)
    for (int p = 0; p < t; p++) {
      float *out = p == 0 ? y : buf + (size_t)(p - 1) * md;
      if (p > 0) memset(out, 0, md * sizeof *out);
      spmm_t_block(a, x, d, out, bound[p], bound[p + 1]);
    }
#pragma omp parallel for schedule(static) num_threads(t)
    for (gl_idx j = 0; j < a->m; j++) {
      float *restrict yr = y + (size_t)j * d;
      for (int p = 1; p < t; p++)
        axpy_row(yr, buf + (size_t)(p - 1) * md + (size_t)j * d, 1.0f, d);
    }
    free(buf);
    return;
  }
  buf = malloc(md * sizeof *buf);
  spmm_t_block(a, x, d, y, bound[0], bound[1]);
  for (int p = 1; p < t; p++) {
    float *out = buf ? buf : y;
    if (buf) memset(buf, 0, md * sizeof *buf);
    spmm_t_block(a, x, d, out, bound[p], bound[p + 1]);
    if (buf)
#pragma omp parallel for schedule(static) num_threads(t)
      for (gl_idx j = 0; j < a->m; j++)
        axpy_row(y + (size_t)j * d, buf + (size_t)j * d, 1.0f, d);
  }
  free(buf);
}
