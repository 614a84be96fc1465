/* Sparse x dense products: Y = A X and Y = A^T X, the hot kernels of GCN
 * training.  Rows are split into blocks of equal work (entries + rows). */
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

static const gl_csr_view whole = {NULL, 0, 0, 0, 1.0f};

static inline gl_idx view_rows(const gl_csr *a, const gl_csr_view *v) {
  return v->rows ? v->n_rows : a->n;
}
static inline gl_idx view_row(const gl_csr_view *v, gl_idx r) {
  return v->rows ? v->rows[r] : r;
}
/* The values of entries e0 .. e0+n-1 under the view's mask, into w (n <=
 * CHUNK).  A separate pass so that the hashes vectorise. */
enum { CHUNK = 64 };
static inline void view_vals(const gl_csr *a, const gl_csr_view *v,
                             uint32_t k, gl_off e0, int n, float *restrict w) {
  const float *restrict val = a->val;
  if (val)
    for (int j = 0; j < n; j++) w[j] = val[e0 + j];
  else
    for (int j = 0; j < n; j++) w[j] = 1.0f;
  if (v->thr)
    for (int j = 0; j < n; j++)
      w[j] *= v->scale * gl_mask_keepf(k, (uint64_t)(e0 + j), v->thr);
}

/* Iterates over the entries of view row i: for each entry, `e` and its
 * value `w` are set and BODY runs.  Without a mask straight from A; with
 * one in chunks whose masked values are computed first, in a separate loop
 * that vectorises. */
#define FOR_ENTRIES(a, v, k, i, BODY)                                          \
  do {                                                                         \
    const gl_off b_ = (a)->ptr[i], end_ = (a)->ptr[(i) + 1];                   \
    if (!(v)->thr) {                                                           \
      for (gl_off e = b_; e < end_; e++) {                                     \
        const float w = (a)->val ? (a)->val[e] : 1.0f;                         \
        BODY;                                                                  \
      }                                                                        \
      break;                                                                   \
    }                                                                          \
    float w_[CHUNK];                                                           \
    for (gl_off c_ = b_; c_ < end_; c_ += CHUNK) {                             \
      int n_ = (int)(end_ - c_ < CHUNK ? end_ - c_ : CHUNK);                   \
      view_vals(a, v, k, c_, n_, w_);                                          \
      for (int j_ = 0; j_ < n_; j_++) {                                        \
        const gl_off e = c_ + j_;                                              \
        const float w = w_[j_];                                                \
        BODY;                                                                  \
      }                                                                        \
    }                                                                          \
  } while (0)

gl_status gl_csr_view_copy(gl_csr *out, const gl_csr *a,
                            const gl_csr_view *v) {
  const gl_idx n = view_rows(a, v);
  gl_off cap = 0; /* the rows' entries: room for all, the mask keeps some */
  for (gl_idx r = 0; r < n; r++) {
    const gl_idx i = view_row(v, r);
    cap += a->ptr[i + 1] - a->ptr[i];
  }
  GL_TRY(gl_csr_alloc(out, n, a->m, cap, true));
  const uint32_t key = gl_mask_key(v->key);
  gl_off o = 0;
  for (gl_idx r = 0; r < n; r++) {
    const gl_idx i = view_row(v, r);
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) {
      const bool keep = !v->thr || gl_mask_u16(key, (uint64_t)e) >= v->thr;
      out->col[o] = a->col[e];
      out->val[o] = gl_csr_w(a, e) * (v->thr ? v->scale : 1.0f);
      o += keep;
    }
    out->ptr[r + 1] = o;
  }
  out->nnz = o;
  return GL_OK;
}

/* View rows r0..r1-1 of Y = A X + beta Y. */
static inline void spmm_rows(const gl_csr *a, const gl_csr_view *v,
                             const float *restrict x, int d, float beta,
                             float *restrict y, gl_idx r0, gl_idx r1) {
  const uint32_t k = gl_mask_key(v->key);
  for (gl_idx r = r0; r < r1; r++) {
    gl_idx i = view_row(v, r);
    float *restrict yr = y + (size_t)r * d;
    scale_row(yr, d, beta);
    FOR_ENTRIES(a, v, k, i, axpy_row(yr, x + (size_t)a->col[e] * d, w, d));
  }
}

/* The same for a constant width D (a multiple of 8): the row sum is held in
 * D/8 eight-float vectors (GCC vector extensions; AVX registers with
 * -march=native, pairs of SSE registers otherwise).  Left to itself gcc
 * mixes vector and scalar lanes here, or keeps the sum in memory.
 * (Prefetching the next rows of X and two interleaved accumulators measured
 * no faster: the loop is bound by the latency of the random row loads.) */
typedef float v8f __attribute__((vector_size(32), aligned(4)));
/* The portable build (no -march) compiles these kernels twice, for AVX2 and
 * for any x86-64, and the loader picks one for the CPU (an ifunc): three
 * times faster with AVX2 and the same bits either way, since nothing is
 * fused or reordered (GCN on Cora: 2.7 ms an epoch without, 0.85 with). */
#if defined(__x86_64__) && !defined(__AVX2__) && !defined(__clang__)
#define GL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GL_CLONES
#endif
#define SPMM_FIXED(D)                                                          \
  GL_CLONES static void spmm_rows_##D(const gl_csr *a, const gl_csr_view *v,            \
                            const float *restrict x, float beta,               \
                            float *restrict y, gl_idx r0, gl_idx r1) {         \
    enum { V = D / 8 };                                                        \
    const uint32_t key = gl_mask_key(v->key);                                  \
    for (gl_idx r = r0; r < r1; r++) {                                         \
      gl_idx i = view_row(v, r);                                               \
      v8f acc[V];                                                              \
      for (int k = 0; k < V; k++) acc[k] = (v8f){0};                           \
      FOR_ENTRIES(a, v, key, i, {                                              \
        const v8f *xr = (const v8f *)(x + (size_t)a->col[e] * D);              \
        for (int k = 0; k < V; k++) acc[k] += w * xr[k];                       \
      });                                                                      \
      v8f *yr = (v8f *)(y + (size_t)r * D);                                    \
      if (beta == 0.0f)                                                        \
        for (int k = 0; k < V; k++) yr[k] = acc[k];                            \
      else                                                                     \
        for (int k = 0; k < V; k++) yr[k] = beta * yr[k] + acc[k];             \
    }                                                                          \
  }
/* Narrow outputs (the class scores of the last layer): scalar
 * accumulators, unrolled for a constant D. */
#define SPMM_SMALL(D)                                                          \
  static void spmm_rows_##D(const gl_csr *a, const gl_csr_view *v,            \
                            const float *restrict x, float beta,               \
                            float *restrict y, gl_idx r0, gl_idx r1) {         \
    const uint32_t key = gl_mask_key(v->key);                                  \
    for (gl_idx r = r0; r < r1; r++) {                                         \
      gl_idx i = view_row(v, r);                                               \
      float acc[D] = {0};                                                      \
      FOR_ENTRIES(a, v, key, i, {                                              \
        const float *xr = x + (size_t)a->col[e] * D;                           \
        for (int k = 0; k < D; k++) acc[k] += w * xr[k];                       \
      });                                                                      \
      float *yr = y + (size_t)r * D;                                           \
      for (int k = 0; k < D; k++)                                              \
        yr[k] = beta == 0.0f ? acc[k] : beta * yr[k] + acc[k];                 \
    }                                                                          \
  }
SPMM_SMALL(2)
SPMM_SMALL(3)
SPMM_SMALL(4)
SPMM_SMALL(5)
SPMM_SMALL(6)
SPMM_SMALL(7)
SPMM_FIXED(8)
SPMM_FIXED(16)
SPMM_FIXED(32)
SPMM_FIXED(64)
SPMM_FIXED(128)

static void spmm_block(const gl_csr *a, const gl_csr_view *v, const float *x,
                       int d, float beta, float *y, gl_idx r0, gl_idx r1) {
  switch (d) {
  case 2: spmm_rows_2(a, v, x, beta, y, r0, r1); break;
  case 3: spmm_rows_3(a, v, x, beta, y, r0, r1); break;
  case 4: spmm_rows_4(a, v, x, beta, y, r0, r1); break;
  case 5: spmm_rows_5(a, v, x, beta, y, r0, r1); break;
  case 6: spmm_rows_6(a, v, x, beta, y, r0, r1); break;
  case 7: spmm_rows_7(a, v, x, beta, y, r0, r1); break;
  case 8: spmm_rows_8(a, v, x, beta, y, r0, r1); break;
  case 16: spmm_rows_16(a, v, x, beta, y, r0, r1); break;
  case 32: spmm_rows_32(a, v, x, beta, y, r0, r1); break;
  case 64: spmm_rows_64(a, v, x, beta, y, r0, r1); break;
  case 128: spmm_rows_128(a, v, x, beta, y, r0, r1); break;
  default: spmm_rows(a, v, x, d, beta, y, r0, r1); break;
  }
}

/* Threads to use for `work` multiply-adds: small products stay serial. */
static int threads_for(double work) {
  int t = gl_threads();
  if (t > MAX_PARTS) t = MAX_PARTS;
  if (work < 65536.0 || t < 1) t = 1;
  return t;
}

/* Splits the view's rows into `parts` blocks of about equal work (entries
 * plus rows); a row subset is split by row count. */
static void partition(const gl_csr *a, const gl_csr_view *v, int parts,
                      gl_idx *bound) {
  if (!v->rows) {
    gl_csr__partition_rows(a, parts, bound);
    return;
  }
  for (int p = 0; p <= parts; p++)
    bound[p] = (gl_idx)((int64_t)v->n_rows * p / parts);
}

/* Work of a product over the view, for threads_for. */
static double view_work(const gl_csr *a, const gl_csr_view *v, int d) {
  double rows = view_rows(a, v);
  double avg = a->n ? (double)a->nnz / a->n : 0;
  return (rows + rows * avg) * d;
}

/* Dense rows (features stored as CSR, at least a quarter full and at most
 * 4096 wide) go through BLAS: blocks of DENSE_ROWS view rows gathered,
 * masked, into a dense buffer, then one GEMM each. */
enum { DENSE_ROWS = 4096 };
static bool dense_view(const gl_csr *a, const gl_csr_view *v, int d) {
  gl_idx n = view_rows(a, v);
  if (a->m > 4096 || a->m < 16 || d < 16 || n < 64) return false;
  double nnz = 0;
  if (!v->rows)
    nnz = (double)a->nnz;
  else
    for (gl_idx r = 0; r < n; r++)
      nnz += (double)(a->ptr[v->rows[r] + 1] - a->ptr[v->rows[r]]);
  return nnz >= 0.25 * (double)n * a->m;
}

/* View rows r0 .. r0+k-1 of A, masked, into the dense g (k x a->m). */
static void gather_rows(const gl_csr *a, const gl_csr_view *v, gl_idx r0,
                        gl_idx k, float *g) {
  const uint32_t key = gl_mask_key(v->key);
#pragma omp parallel for schedule(static) if (k > 256)
  for (gl_idx r = 0; r < k; r++) {
    float *gr = g + (size_t)r * a->m;
    gl_idx i = view_row(v, r0 + r);
    const gl_off b = a->ptr[i], n = a->ptr[i + 1] - b;
    if (n == a->m && a->col[b] == 0 && a->col[b + n - 1] == a->m - 1) {
      /* a full row (sorted, unique columns): the values in place */
      for (gl_off c = 0; c < n; c += CHUNK)
        view_vals(a, v, key, b + c, (int)(n - c < CHUNK ? n - c : CHUNK),
                  gr + c);
      continue;
    }
    memset(gr, 0, (size_t)a->m * sizeof *gr);
    FOR_ENTRIES(a, v, key, i, gr[a->col[e]] += w);
  }
}

/* Y = A X + beta Y (dense) or, with trans, Y = A^T X + beta Y; false when
 * out of memory (nothing written). */
static bool dense_product(const gl_csr *a, const gl_csr_view *v,
                          const float *x, int d, float beta, float *y,
                          bool trans) {
  const gl_idx n = view_rows(a, v);
  const gl_idx rows = n < DENSE_ROWS ? n : DENSE_ROWS;
  float *g = malloc((size_t)rows * a->m * sizeof *g);
  if (!g) return false;
  for (gl_idx r0 = 0; r0 < n; r0 += DENSE_ROWS) {
    const gl_idx k = n - r0 < DENSE_ROWS ? n - r0 : DENSE_ROWS;
    gather_rows(a, v, r0, k, g);
    if (trans)
      gl_gemm(true, false, (int)a->m, d, (int)k, 1.0f, g, x + (size_t)r0 * d,
              r0 == 0 ? beta : 1.0f, y);
    else
      gl_gemm(false, false, (int)k, d, (int)a->m, 1.0f, g, x, beta,
              y + (size_t)r0 * d);
  }
  free(g);
  return true;
}

void gl_csr_spmm_view(const gl_csr *a, const gl_csr_view *v, const float *x,
                      int d, float beta, float *y) {
  gl_idx n = view_rows(a, v);
  if (n == 0 || d <= 0) return;
  if (dense_view(a, v, d) && dense_product(a, v, x, d, beta, y, false))
    return;
  int t = threads_for(view_work(a, v, d));
  if (t == 1) {
    spmm_block(a, v, x, d, beta, y, 0, n);
    return;
  }
  /* Rows are independent, so the result does not depend on the split;
   * several blocks a thread even out skewed degree distributions. */
  int parts = t * 4 < MAX_PARTS ? t * 4 : MAX_PARTS;
  gl_idx bound[MAX_PARTS + 1];
  partition(a, v, parts, bound);
#pragma omp parallel for schedule(dynamic, 1) num_threads(t)
  for (int p = 0; p < parts; p++)
    spmm_block(a, v, x, d, beta, y, bound[p], bound[p + 1]);
}

void gl_csr_spmm(const gl_csr *a, const float *x, int d, float beta,
                 float *y) {
  gl_csr_spmm_view(a, &whole, x, d, beta, y);
}

/* out[col[e]] += w_e * x[r] for the view rows r0..r1-1. */
static inline void spmm_t_rows(const gl_csr *a, const gl_csr_view *v,
                               const float *restrict x, int d,
                               float *restrict out, gl_idx r0, gl_idx r1) {
  const uint32_t k = gl_mask_key(v->key);
  for (gl_idx r = r0; r < r1; r++) {
    gl_idx i = view_row(v, r);
    const float *restrict xr = x + (size_t)r * d;
    FOR_ENTRIES(a, v, k, i, axpy_row(out + (size_t)a->col[e] * d, xr, w, d));
  }
}

/* The constant-width version: row r of X stays in registers while it is
 * scattered to the rows of out. */
#define SPMM_T_FIXED(D)                                                        \
  GL_CLONES static void spmm_t_rows_##D(const gl_csr *a, const gl_csr_view *v,          \
                              const float *restrict x, float *restrict out,    \
                              gl_idx r0, gl_idx r1) {                          \
    enum { V = D / 8 };                                                        \
    const uint32_t key = gl_mask_key(v->key);                                  \
    for (gl_idx r = r0; r < r1; r++) {                                         \
      gl_idx i = view_row(v, r);                                               \
      v8f xr[V];                                                               \
      for (int k = 0; k < V; k++)                                              \
        xr[k] = ((const v8f *)(x + (size_t)r * D))[k];                         \
      FOR_ENTRIES(a, v, key, i, {                                              \
        v8f *o = (v8f *)(out + (size_t)a->col[e] * D);                         \
        for (int k = 0; k < V; k++) o[k] += w * xr[k];                         \
      });                                                                      \
    }                                                                          \
  }
SPMM_T_FIXED(8)
SPMM_T_FIXED(16)
SPMM_T_FIXED(32)
SPMM_T_FIXED(64)
SPMM_T_FIXED(128)

static void spmm_t_block(const gl_csr *a, const gl_csr_view *v, const float *x,
                         int d, float *out, gl_idx r0, gl_idx r1) {
  switch (d) {
  case 8: spmm_t_rows_8(a, v, x, out, r0, r1); break;
  case 16: spmm_t_rows_16(a, v, x, out, r0, r1); break;
  case 32: spmm_t_rows_32(a, v, x, out, r0, r1); break;
  case 64: spmm_t_rows_64(a, v, x, out, r0, r1); break;
  case 128: spmm_t_rows_128(a, v, x, out, r0, r1); break;
  default: spmm_t_rows(a, v, x, d, out, r0, r1); break;
  }
}

/* Y = view^T X + beta Y.  Block 0 of the rows accumulates straight into Y,
 * block p >= 1 into its own zeroed buffer of m x d floats, and the buffers
 * are then added to Y in the order 1, 2, ... (parallel over Y's rows), so
 * every element sees the same sequence of additions for a given thread
 * count.  Extra memory: (threads - 1) * m * d * 4 bytes.  If that cannot be
 * allocated the same blocks run one after the other through a single
 * buffer, which gives bit-identical results; without even that buffer the
 * blocks add straight into Y (same values up to rounding). */
void gl_csr_spmm_t_view(const gl_csr *a, const gl_csr_view *v, const float *x,
                        int d, float beta, float *y) {
  if (a->m == 0 || d <= 0) return;
  size_t md = (size_t)a->m * (size_t)d;
  gl_idx n = view_rows(a, v);
  if (n > 0 && dense_view(a, v, d) && dense_product(a, v, x, d, beta, y, true))
    return;
  int t = threads_for(view_work(a, v, d));
  gl_idx bound[MAX_PARTS + 1];
  partition(a, v, t, bound);
#pragma omp parallel for schedule(static) num_threads(t)
  for (gl_idx j = 0; j < a->m; j++) scale_row(y + (size_t)j * d, d, beta);
  if (t == 1) {
    spmm_t_block(a, v, x, d, y, 0, n);
    return;
  }
  float *buf = malloc((size_t)(t - 1) * md * sizeof *buf);
  if (buf) {
#pragma omp parallel for schedule(static, 1) num_threads(t)
    for (int p = 0; p < t; p++) {
      float *out = p == 0 ? y : buf + (size_t)(p - 1) * md;
      if (p > 0) memset(out, 0, md * sizeof *out);
      spmm_t_block(a, v, x, d, out, bound[p], bound[p + 1]);
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
  spmm_t_block(a, v, x, d, y, bound[0], bound[1]);
  for (int p = 1; p < t; p++) {
    float *out = buf ? buf : y;
    if (buf) memset(buf, 0, md * sizeof *buf);
    spmm_t_block(a, v, x, d, out, bound[p], bound[p + 1]);
    if (buf)
#pragma omp parallel for schedule(static) num_threads(t)
      for (gl_idx j = 0; j < a->m; j++)
        axpy_row(y + (size_t)j * d, buf + (size_t)j * d, 1.0f, d);
  }
  free(buf);
}

void gl_csr_spmm_t(const gl_csr *a, const float *x, int d, float beta,
                   float *y) {
  gl_csr_spmm_t_view(a, &whole, x, d, beta, y);
}
