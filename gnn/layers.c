/* GNN layers: forward and backward side by side, over plain arrays.  Each is
 * checked against central finite differences in tests/test_gnn.c. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

/* ------------------------------------------------------- sparse linear */
void gl_sparse_linear_forward(const gl_csr *x, const gl_idx *rows,
                              gl_idx n_rows, const float *w, int h, float p,
                              uint64_t key, float *out) {
  const uint32_t thr = gl_drop_thr(p);
  const float scale = gl_drop_scale(thr);
#pragma omp parallel for schedule(dynamic, 256)
  for (gl_idx r = 0; r < n_rows; r++) {
    gl_idx g = rows ? rows[r] : r;
    float *restrict o = out + (size_t)r * h;
    for (int j = 0; j < h; j++) o[j] = 0;
    uint64_t hash = 0;
    for (gl_off e = x->ptr[g]; e < x->ptr[g + 1]; e++) {
      float v = gl_csr_w(x, e) * scale;
      if (thr) { /* branch-free: a dropped entry adds zeros */
        if (e == x->ptr[g] || (e & 3) == 0) hash = gl_hash64(key, (uint64_t)e >> 2);
        v = gl_drop_lane(hash, (uint64_t)e) >= thr ? v : 0.0f;
      }
      const float *restrict wr = w + (size_t)x->col[e] * h;
      for (int j = 0; j < h; j++) o[j] += v * wr[j];
    }
  }
}

/* Adds the per-thread partial sums part[t] (each n floats) into dst in the
 * fixed order t = 0, 1, ...: deterministic for a given thread count. */
static void reduce_parts(float *dst, float *parts, int n_parts, size_t n) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) {
    float s = dst[i];
    for (int t = 0; t < n_parts; t++) s += parts[(size_t)t * n + i];
    dst[i] = s;
  }
}

void gl_sparse_linear_backward(const gl_csr *x, const gl_idx *rows,
                               gl_idx n_rows, const float *dout, int h,
                               float p, uint64_t key, float *dw) {
  const uint32_t thr = gl_drop_thr(p);
  const float scale = gl_drop_scale(thr);
  const size_t n = (size_t)x->m * h;
  int nt = omp_get_max_threads();
  if (nt > n_rows / 64 + 1) nt = n_rows / 64 + 1;
  float *parts = nt > 1 ? calloc((size_t)nt * n, sizeof *parts) : NULL;
  if (!parts) nt = 1;
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num();
    float *acc = parts ? parts + (size_t)t * n : dw;
    gl_idx lo = (gl_idx)((int64_t)n_rows * t / nt);
    gl_idx hi = (gl_idx)((int64_t)n_rows * (t + 1) / nt);
    for (gl_idx r = lo; r < hi; r++) {
      gl_idx g = rows ? rows[r] : r;
      const float *restrict d = dout + (size_t)r * h;
      uint64_t hash = 0;
      for (gl_off e = x->ptr[g]; e < x->ptr[g + 1]; e++) {
        float v = gl_csr_w(x, e) * scale;
        if (thr) {
          if (e == x->ptr[g] || (e & 3) == 0)
            hash = gl_hash64(key, (uint64_t)e >> 2);
          v = gl_drop_lane(hash, (uint64_t)e) >= thr ? v : 0.0f;
        }
        float *restrict a = acc + (size_t)x->col[e] * h;
        for (int j = 0; j < h; j++) a[j] += v * d[j];
      }
    }
  }
  if (parts) reduce_parts(dw, parts, nt, n);
  free(parts);
}

/* ------------------------------------------------------- dense linear */
void gl_linear_forward(const float *in, gl_idx n, int k, const float *w,
                       const float *b, int h, float *out) {
  gl_gemm(false, false, n, h, k, 1.0f, in, w, 0.0f, out);
  if (!b) return;
#pragma omp parallel for schedule(static)
  for (gl_idx i = 0; i < n; i++)
    for (int j = 0; j < h; j++) out[(size_t)i * h + j] += b[j];
}

void gl_linear_backward(const float *in, gl_idx n, int k, const float *w,
                        int h, const float *dout, float *din, float *dw,
                        float *db) {
  gl_gemm(true, false, k, h, n, 1.0f, in, dout, 1.0f, dw);
  if (din) gl_gemm(false, true, n, k, h, 1.0f, dout, w, 0.0f, din);
  if (db)
    for (gl_idx i = 0; i < n; i++)
      for (int j = 0; j < h; j++) db[j] += dout[(size_t)i * h + j];
}

/* ------------------------------------------------------- elementwise */
void gl_dropout_forward(const float *in, size_t n, float p, uint64_t key,
                        float *out) {
  const uint32_t thr = gl_drop_thr(p);
  const float scale = gl_drop_scale(thr);
  const size_t groups = (n + 3) / 4;
#pragma omp parallel for schedule(static) if (n > 65536)
  for (size_t q = 0; q < groups; q++) {
    uint64_t hash = gl_hash64(key, q);
    size_t end = 4 * q + 4 < n ? 4 * q + 4 : n;
    for (size_t i = 4 * q; i < end; i++) /* branch-free: masks are random */
      out[i] = in[i] * (gl_drop_lane(hash, i) >= thr ? scale : 0.0f);
  }
}

void gl_dropout_backward(const float *dout, size_t n, float p, uint64_t key,
                         float *din) {
  gl_dropout_forward(dout, n, p, key, din);
}

void gl_relu_forward(const float *in, size_t n, float *out) {
  for (size_t i = 0; i < n; i++) out[i] = in[i] > 0 ? in[i] : 0.0f;
}

void gl_relu_backward(const float *out, const float *dout, size_t n,
                      float *din) {
  for (size_t i = 0; i < n; i++) din[i] = out[i] > 0 ? dout[i] : 0.0f;
}

/* ------------------------------------------------------- propagation */
void gl_prop_forward(const gl_block *b, const float *in, int d, float *out) {
  gl_csr_spmm(&b->a, in, d, 0.0f, out);
}

void gl_prop_backward(const gl_block *b, const float *dout, int d,
                      float *din) {
  if (b->symmetric)
    gl_csr_spmm(&b->a, dout, d, 0.0f, din);
  else if (b->at.ptr)
    gl_csr_spmm(&b->at, dout, d, 0.0f, din);
  else
    gl_csr_spmm_t(&b->a, dout, d, 0.0f, din);
}

/* ------------------------------------------------------- loss */
void gl_softmax_rows(float *z, gl_idx n, int c) {
#pragma omp parallel for schedule(static)
  for (gl_idx i = 0; i < n; i++) {
    float *r = z + (size_t)i * c;
    float mx = r[0];
    for (int j = 1; j < c; j++) mx = r[j] > mx ? r[j] : mx;
    double s = 0;
    for (int j = 0; j < c; j++) s += exp((double)r[j] - mx);
    for (int j = 0; j < c; j++) r[j] = (float)(exp((double)r[j] - mx) / s);
  }
}

double gl_softmax_xent(const float *logits, gl_idx n, int c,
                       const gl_idx *ids, const int32_t *y,
                       const gl_idx *pos, const float *w, gl_idx n_pos,
                       float *dlogits) {
  if (dlogits) memset(dlogits, 0, (size_t)n * c * sizeof *dlogits);
  double loss = 0;
  for (gl_idx k = 0; k < n_pos; k++) {
    gl_idx i = pos[k];
    int32_t label = y[ids ? ids[i] : i];
    if (label < 0) continue;
    const float *r = logits + (size_t)i * c;
    float mx = r[0];
    for (int j = 1; j < c; j++) mx = r[j] > mx ? r[j] : mx;
    double s = 0;
    for (int j = 0; j < c; j++) s += exp((double)r[j] - mx);
    double lse = mx + log(s);
    loss += w[k] * (lse - r[label]);
    if (dlogits) {
      float *d = dlogits + (size_t)i * c;
      for (int j = 0; j < c; j++)
        d[j] = w[k] * (float)(exp((double)r[j] - lse) - (j == label));
    }
  }
  return loss;
}

double gl_accuracy(const float *logits, int c, const int32_t *y,
                   const gl_idx *nodes, gl_idx n) {
  if (n == 0) return 0;
  long hit = 0;
  for (gl_idx k = 0; k < n; k++) {
    const float *r = logits + (size_t)nodes[k] * c;
    int best = 0;
    for (int j = 1; j < c; j++)
      if (r[j] > r[best]) best = j;
    hit += best == y[nodes[k]];
  }
  return (double)hit / n;
}
