/* GNN layers: forward and backward side by side, over plain arrays.  Each is
 * checked against central finite differences in tests/test_gnn.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

/* ------------------------------------------------------- sparse linear */
/* The rows of X with sparse dropout, as a view for the graph products. */
static gl_csr_view dropped_rows(const gl_idx *rows, gl_idx n_rows, float p,
                                uint64_t key) {
  gl_csr_view v = {rows, n_rows, key, gl_mask_thr(p), 1.0f};
  v.scale = gl_mask_scale(v.thr);
  return v;
}

void gl_sparse_linear_forward(const gl_csr *x, const gl_idx *rows,
                              gl_idx n_rows, const float *w, int h, float p,
                              uint64_t key, float *out) {
  gl_csr_view v = dropped_rows(rows, n_rows, p, key);
  gl_csr_spmm_view(x, &v, w, h, 0.0f, out);
}

void gl_sparse_linear_backward(const gl_csr *x, const gl_idx *rows,
                               gl_idx n_rows, const float *dout, int h,
                               float p, uint64_t key, float *dw) {
  gl_csr_view v = dropped_rows(rows, n_rows, p, key);
  gl_csr_spmm_t_view(x, &v, dout, h, 1.0f, dw);
}

gl_status gl_sparse_linear_rows(gl_csr *out, const gl_csr *x,
                                const gl_idx *rows, gl_idx n_rows, float p,
                                uint64_t key) {
  gl_csr_view v = dropped_rows(rows, n_rows, p, key);
  return gl_csr_view_copy(out, x, &v);
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
  const uint32_t thr = gl_mask_thr(p), k = gl_mask_key(key);
  const float scale = gl_mask_scale(thr);
#pragma omp parallel for schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; i++) /* branch-free: masks are random */
    out[i] = in[i] * scale * gl_mask_keepf(k, i, thr);
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

/* ------------------------------------------------------- mixing (GraphMix) */
/* Shared by the models' FCN paths (added with Graph U-Net). */
gl_status gl_mix_check(const gl_mix *mix, gl_idx n) {
  if (!mix || mix->n == 0) return GL_OK;
  if (mix->n < 0 || !mix->rows || !mix->perm || !isfinite(mix->lam))
    return gl_error(GL_EINVAL, "mix: needs rows, perm, n >= 0, finite lam");
  for (gl_idx i = 0; i < mix->n; i++)
    if (mix->rows[i] < 0 || mix->rows[i] >= n || mix->perm[i] < 0 ||
        mix->perm[i] >= mix->n)
      return gl_error(GL_EINVAL,
                      "mix: entry %d (row %d, perm %d) out of range (%d rows, "
                      "%d mixed)", i, mix->rows[i], mix->perm[i], n, mix->n);
  return GL_OK;
}

void gl_mix_forward(const float *h, gl_idx n, int d, const gl_mix *mix,
                    float *out) {
  memcpy(out, h, (size_t)n * d * sizeof *out);
  const float lam = mix->lam;
  for (gl_idx i = 0; i < mix->n; i++) {
    const float *a = h + (size_t)mix->rows[i] * d;
    const float *b = h + (size_t)mix->rows[mix->perm[i]] * d;
    float *o = out + (size_t)mix->rows[i] * d;
    for (int j = 0; j < d; j++) o[j] = lam * a[j] + (1.0f - lam) * b[j];
  }
}

void gl_mix_backward(const float *dout, gl_idx n, int d, const gl_mix *mix,
                     float *din) {
  memcpy(din, dout, (size_t)n * d * sizeof *din);
  const float mu = 1.0f - mix->lam;
  for (gl_idx i = 0; i < mix->n; i++) {
    const float *g = dout + (size_t)mix->rows[i] * d;
    float *a = din + (size_t)mix->rows[i] * d;
    float *b = din + (size_t)mix->rows[mix->perm[i]] * d;
    for (int j = 0; j < d; j++) {
      a[j] -= mu * g[j];
      b[j] += mu * g[j];
    }
  }
}
