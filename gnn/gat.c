/* The graph attention network of Veličković et al. (ICLR 2018), following
 * the reference code (PetarV-/GAT) over a batch of blocks.  Layer l with H
 * heads of F units each, over block A (n_dst x n_src, its pattern is the
 * neighbourhood; its values are ignored):
 *   z_j,h  = drop_h(h_j) W_h              W: D x (H F), W_h its F columns
 *                                          of head h
 *   e_ij   = LeakyReLU(a_dst,h . z_i,h + a_src,h . z_j,h)   for (i, j) in A
 *   alpha  = softmax of e over row i (per head; the row max subtracted)
 *   out_ih = sum_j drop(alpha_ij) drop(z_j,h) + b_h
 * Hidden layers apply ELU and concatenate their heads; the last layer
 * averages its heads into the logits.  `dropout` acts on every layer's input
 * (sparse dropout on the features), with a mask of its own for each head as
 * in the reference (each of its heads drops the input), and on z before the
 * aggregation, `attn_dropout` on the normalised coefficients.
 *
 * Layout: the H F values of a node (z, outputs, columns of W, biases,
 * attention vectors) are unit-major, value f of head h at f H + h, so that
 * the per-edge loops run over the heads in vectors (8 heads: one AVX
 * register); hidden layers' outputs are in that order (a fixed permutation
 * of the usual concatenation, which the next layer's W absorbs).
 *
 * Memory: nothing is stored per edge.  The forward keeps per node and head
 * the two scores and the log-sum-exp of its row, from which the backward
 * recomputes alpha; attention masks are keyed by (i, j), not by the entry's
 * position, so the backward can walk the transpose of A (row-parallel,
 * scatter-free gradients w.r.t. the sources, no atomics: the attention's
 * results do not depend on the threads; the gradients of W, summed over
 * the rows in one part a thread (gl_csr_spmm_t or the per-head kernels
 * below), depend on their count).  The transpose is A itself for a
 * symmetric block, the sampler's when it gives one, else built in backward
 * and kept in the workspace until the next.
 *
 * The FCN path (GraphMix) uses the same weights with each node attending to
 * itself only: alpha_ii = 1, so out_i = z_i + b (no z or attention dropout:
 * there is no aggregation), with the optional mix after the first layer's
 * ELU. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

/* ------------------------------------------------------------ workspace */
/* The buffer with room for n floats (contents kept), NULL if out of memory. */
static float *fbuf_get(gl_fbuf *b, size_t n) {
  return gl_fbuf_reserve(b, n) == GL_OK ? b->p : NULL;
}
#define NEED(ptr, buf, n)                                                      \
  do {                                                                         \
    if (!((ptr) = fbuf_get(&(buf), (n)))) return GL_ENOMEM;                    \
  } while (0)

/* What one forward keeps of a layer for its backward. */
typedef struct {
  gl_fbuf in;          /* dropped dense input (layers >= 1, dropout on, one
                          mask for all heads) */
  gl_fbuf z, zd;       /* z (n_src x HF) and drop(z) (when dropout is on) */
  gl_fbuf ss, sd, lse; /* a_src.z (n_src x H), a_dst.z, row log-sum-exp
                          (n_dst x H) */
  gl_fbuf y;           /* hidden layers: ELU output; last: per-head outputs */
  gl_csr t;            /* a built transpose pattern (t.ptr NULL: none) */
} layer_ws;

typedef struct {
  int din, H, F; /* input width, heads, units per head */
  float *w, *as, *ad, *b;
  float *gw, *gas, *gad, *gb;
} layer;

typedef struct {
  gl_model base;
  int L;
  layer *ly;
  layer_ws *ws, *fws;   /* graph path, FCN path */
  char (*names)[24];    /* parameter names */
  gl_fbuf mixed;        /* FCN: the mixed hidden rows */
  gl_fbuf dpre, dz, dss, dsd, c, dh[2], scratch; /* backward */
  gl_fbuf gpart;        /* per-thread parts of dW */
  uint32_t *hkey;  /* per-head input dropout keys */
  int hkey_cap;
  /* the last graph forward */
  uint64_t key;
  bool train;
  /* the last FCN forward */
  const gl_idx *f_nodes;
  gl_idx f_n;
  gl_mix f_mix;
  bool f_has_mix, f_train;
  uint64_t f_key;
} gat;

/* Dropout keys of layer l: 1 its input, 2 z, 3 the attention. */
static uint64_t use_key(uint64_t key, int l, int use) {
  return gl_hash64(gl_hash64(key, 0x676174u + (uint64_t)l), (uint64_t)use);
}

/* ------------------------------------------------------------ attention */
#define INLINE static inline __attribute__((always_inline))

/* exp(x) in float without a library call, so that loops over heads
 * vectorise (Cephes' expf: 2^n exp(r), |r| <= ln2/2, degree-6 polynomial,
 * within 1e-7 relative).  x is clamped to [-87, 88] (so the exp of a very
 * negative score is ~1e-38, not 0) on its bits: float selects do not
 * vectorise under -ftrapping-math, integer ones do; so is the rounding
 * (1.5 * 2^23 added and taken away). */
INLINE float fast_exp(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  u = u > 0xC2AE0000u ? 0xC2AE0000u : u;              /* x < -87: -87 */
  u = (int32_t)u > 0x42B00000 ? 0x42B00000u : u;      /* x > 88: 88 */
  memcpy(&x, &u, sizeof x);
  float t = x * 1.44269504088896341f + 12582912.0f;   /* n in the low bits */
  int32_t ti;
  memcpy(&ti, &t, sizeof ti);
  const float n = t - 12582912.0f;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t si = (ti - 0x4B400000 + 127) * (1 << 23); /* 2^n */
  float sc;
  memcpy(&sc, &si, sizeof sc);
  return p * sc;
}

/* log(x) for normal x > 0 likewise (Cephes' logf: x = m 2^e, m in
 * [sqrt(1/2), sqrt(2)), degree-9 polynomial in m - 1, within 1e-7
 * relative; the range reduction on the bits). */
INLINE float fast_log(float x) {
  int32_t i;
  memcpy(&i, &x, sizeof i);
  int32_t e = ((i >> 23) & 0xff) - 126;
  int32_t mi = (i & 0x007fffff) | 0x3f000000; /* m in [0.5, 1) */
  const int32_t lt = mi < 0x3f3504f3;         /* m < sqrt(1/2): 2m, e - 1 */
  e -= lt;
  mi += lt * (1 << 23);
  float m;
  memcpy(&m, &mi, sizeof m);
  m -= 1.0f;
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  const float fe = (float)e;
  y += -2.12194440e-4f * fe - 0.5f * z;
  return m + y + 0.693359375f * fe;
}

/* GCC (12) does not if-convert a select on a float compared with a
 * constant under -ftrapping-math, which keeps the loops below scalar: these
 * are written as selects between two computed values or on the bits. */
/* min(x, 0) (+0 for x >= 0). */
INLINE float neg_part(float x) {
  int32_t i;
  memcpy(&i, &x, sizeof i);
  i &= i >> 31;
  memcpy(&x, &i, sizeof x);
  return x;
}
/* LeakyReLU for slopes k in [0, 1]: max(x, k x). */
INLINE float lrelu(float x, float k) {
  float kx = k * x;
  return x > kx ? x : kx;
}
/* ELU: x for x >= 0, exp(x) - 1 below; and its derivative from the output,
 * 1 for y >= 0, else y + 1. */
INLINE float elu(float x) {
  float z = neg_part(x);
  return x - z + fast_exp(z) - 1.0f;
}
INLINE float elu_grad(float y) { return 1.0f + neg_part(y); }

/* The per-edge vector operations over the H F values of a node (unit-major,
 * value f of head h at f H + h); for 8 heads a head vector is one 32-byte
 * GCC vector, which keeps the compiler from shuffling.
 *   axpy_heads: acc[f H + h] += w[h] x[f H + h]
 *   dot_heads:  d[h] += sum_f x[f H + h] y[f H + h] */
typedef float v8f __attribute__((vector_size(32), aligned(4)));

INLINE void axpy_heads(float *restrict acc, const float *restrict w,
                       const float *restrict x, const int H, const int F) {
  if (H == 8) {
    v8f wv = *(const v8f *)w;
    for (int f = 0; f < F; f++)
      *(v8f *)(acc + 8 * f) += wv * *(const v8f *)(x + 8 * f);
    return;
  }
  if (H == 1) {
    for (int f = 0; f < F; f++) acc[f] += w[0] * x[f];
    return;
  }
  for (int f = 0; f < F; f++)
    for (int h = 0; h < H; h++) acc[f * H + h] += w[h] * x[f * H + h];
}

/* m[h] = max(m[h], x[h]). */
INLINE void max_heads(float *restrict m, const float *restrict x,
                      const int H) {
  if (H == 8) {
    typedef int32_t v8i __attribute__((vector_size(32), aligned(4)));
    const v8f a = *(const v8f *)m, b = *(const v8f *)x;
    const v8i gt = b > a;
    *(v8f *)m = (v8f)((gt & (v8i)b) | (~gt & (v8i)a));
    return;
  }
  for (int h = 0; h < H; h++) m[h] = x[h] > m[h] ? x[h] : m[h];
}

INLINE void dot_heads(float *restrict d, const float *restrict x,
                      const float *restrict y, const int H, const int F) {
  if (H == 8) {
    v8f dv = *(const v8f *)d;
    for (int f = 0; f < F; f++)
      dv += *(const v8f *)(x + 8 * f) * *(const v8f *)(y + 8 * f);
    *(v8f *)d = dv;
    return;
  }
  if (H == 1) {
    float v = d[0];
    for (int f = 0; f < F; f++) v += x[f] * y[f];
    d[0] = v;
    return;
  }
  for (int f = 0; f < F; f++)
    for (int h = 0; h < H; h++) d[h] += x[f * H + h] * y[f * H + h];
}

/* Runs `call` (using H_ and F_) with H_ a constant for 8 heads (the
 * hidden layers, F_ too for their 8 units) and 1 (the output layer of Cora
 * and Citeseer): loops over heads become one vector, or none. */
#define SPECIALISE(H, F, call)                                                 \
  do {                                                                         \
    if ((H) == 8 && (F) == 8) {                                                \
      enum { H_ = 8, F_ = 8 };                                                 \
      call;                                                                    \
      break;                                                                   \
    }                                                                          \
    const int F_ = (F);                                                        \
    if ((H) == 8) {                                                            \
      enum { H_ = 8 };                                                         \
      call;                                                                    \
    } else if ((H) == 1) {                                                     \
      enum { H_ = 1 };                                                         \
      call;                                                                    \
    } else {                                                                   \
      const int H_ = (H);                                                      \
      call;                                                                    \
    }                                                                          \
  } while (0)

typedef struct {
  int H, F;
  float leaky;
  uint32_t key, thr; /* attention dropout (thr 0: none) */
  float scale;
} attn;

/* s[i, h] = a_h . z[i, h, :] for n rows. */
static void attn_scores(const attn *c, const float *z, gl_idx n,
                        const float *a, float *s) {
  const int H = c->H, F = c->F;
#pragma omp parallel for schedule(static) if (n > 2048)
  for (gl_idx i = 0; i < n; i++) {
    float *si = s + (size_t)i * H;
    for (int h = 0; h < H; h++) si[h] = 0;
    SPECIALISE(H, F, dot_heads(si, a, z + (size_t)i * H * F, H_, F_));
  }
}

/* Multiplies w[h] by the attention-dropout factor (0 or 1/(1-p)) of edge
 * (i, j) (base = (i n_src + j) H), head h. */
INLINE void attn_mask(const attn *c, uint64_t base, int H, float *restrict w) {
  if (!c->thr) return;
  for (int h = 0; h < H; h++)
    w[h] *= c->scale * gl_mask_keepf(c->key, base + (uint64_t)h, c->thr);
}

/* Whether a pass over the entries of A with HF values an entry is worth a
 * team of threads (small graphs run faster alone). */
static bool worth_threads(const gl_csr *a, int HF) {
  return (double)a->nnz * HF > 5e5;
}

/* Per-thread scratch of `per` floats. */
static float *thread_scratch(gl_fbuf *s, size_t per) {
  return fbuf_get(s, per * (size_t)omp_get_max_threads());
}

/* The row kernels take H and F as arguments so that, inlined with the
 * constants of the common case (8 heads of 8), their loops over heads and
 * units vectorise; `t` is the thread's scratch (HF + 6 H floats). */
typedef struct {
  const gl_off *ptr;
  const gl_idx *col;
  gl_off nnz;
  uint64_t ns;
  const float *ss, *sd, *lse, *zd, *dpre, *c;
} attn_args;

/* The per-edge loops are bound by the latency of gathering rows of the
 * neighbours (z: H F floats) from memory; each asks for the rows of the
 * entry PREFETCH places ahead (into the next rows: the entries of a CSR are
 * contiguous), so that several are in flight. */
enum { PREFETCH = 8 };
INLINE void prefetch(const float *p, int n) {
  for (int k = 0; k < n; k += 16) __builtin_prefetch(p + k);
}
/* The rows of node col[e + PREFETCH] of a (n x w) and b (n x v) arrays. */
INLINE void prefetch_ahead(const gl_idx *col, gl_off e, gl_off nnz,
                           const float *a, int w, const float *b, int v) {
  if (e + PREFETCH < nnz) {
    const size_t k = (size_t)col[e + PREFETCH];
    prefetch(a + k * w, w);
    if (b) prefetch(b + k * v, v);
  }
}

/* Forward, row i: out_i = sum_j drop(alpha_ij) zd_j + b, lse_i. */
INLINE void fwd_row(const attn *c, const attn_args *g, gl_idx i,
                    const float *restrict b, float *restrict lse,
                    float *restrict out, float *restrict t, const int H,
                    const int F) {
  const int HF = H * F;
  float *restrict acc = t, *restrict mx = t + HF, *restrict sum = mx + H,
                  *restrict wt = sum + H;
  const float *restrict sdi = g->sd + (size_t)i * H;
  for (int h = 0; h < H; h++) mx[h] = -INFINITY;
  for (gl_off e = g->ptr[i]; e < g->ptr[i + 1]; e++) {
    prefetch_ahead(g->col, e, g->nnz, g->ss, H, g->zd, HF);
    max_heads(mx, g->ss + (size_t)g->col[e] * H, H);
  }
  /* LeakyReLU is increasing: the row max of e is lrelu(sd + max ss) */
  for (int h = 0; h < H; h++) {
    mx[h] = lrelu(sdi[h] + mx[h], c->leaky);
    sum[h] = 0;
  }
  for (int k = 0; k < HF; k++) acc[k] = 0;
  for (gl_off e = g->ptr[i]; e < g->ptr[i + 1]; e++) {
    prefetch_ahead(g->col, e, g->nnz, g->zd, HF, NULL, 0);
    const gl_idx j = g->col[e];
    const float *restrict ssj = g->ss + (size_t)j * H;
    const float *restrict zj = g->zd + (size_t)j * HF;
    for (int h = 0; h < H; h++) {
      float p = fast_exp(lrelu(sdi[h] + ssj[h], c->leaky) - mx[h]);
      sum[h] += p;
      wt[h] = p;
    }
    attn_mask(c, ((uint64_t)i * g->ns + (uint64_t)j) * H, H, wt);
    axpy_heads(acc, wt, zj, H, F);
  }
  /* sum >= 1 (the max term is exp(0)) but in an empty row */
  float *restrict o = out + (size_t)i * HF, *restrict li = lse + (size_t)i * H;
  if (g->ptr[i] == g->ptr[i + 1])
    for (int h = 0; h < H; h++) sum[h] = 1.0f;
  for (int h = 0; h < H; h++) {
    li[h] = mx[h] + fast_log(sum[h]);
    sum[h] = 1.0f / sum[h];
  }
  for (int k = 0; k < HF; k++) o[k] = acc[k] * sum[k % H] + (b ? b[k] : 0.0f);
}

/* The recomputed alpha of edge (i, j) for every head, its slope (LeakyReLU'
 * at the score) and dal = d loss / d (dropped alpha) = ms dpre_i . zd_j,
 * with ms the dropout factor (in ms on return). */
INLINE void edge_grads(const attn *c, const attn_args *g, gl_idx i, gl_idx j,
                       float *restrict al, float *restrict sl,
                       float *restrict ms, float *restrict dal, const int H,
                       const int F) {
  const float *restrict sdi = g->sd + (size_t)i * H;
  const float *restrict li = g->lse + (size_t)i * H;
  const float *restrict ssj = g->ss + (size_t)j * H;
  const float *restrict dp = g->dpre + (size_t)i * H * F;
  const float *restrict zj = g->zd + (size_t)j * H * F;
  for (int h = 0; h < H; h++) {
    const float r = sdi[h] + ssj[h];
    al[h] = fast_exp(lrelu(r, c->leaky) - li[h]);
    sl[h] = r > 0 ? 1.0f : c->leaky;
    ms[h] = 1.0f;
    dal[h] = 0;
  }
  dot_heads(dal, dp, zj, H, F);
  attn_mask(c, ((uint64_t)i * g->ns + (uint64_t)j) * H, H, ms);
  for (int h = 0; h < H; h++) dal[h] *= ms[h];
}

/* Backward pass 1, row i: c_i = sum_j alpha dal (the softmax's inner
 * product) and dsd_i = sum_j alpha (dal - c_i) slope = A - c_i B. */
INLINE void bwd_row(const attn *c, const attn_args *g, gl_idx i,
                    float *restrict cb, float *restrict dsd,
                    float *restrict t, const int H, const int F) {
  float *restrict A = t, *restrict B = A + H, *restrict C = B + H;
  float *restrict al = C + H, *restrict sl = al + H, *restrict ms = sl + H,
                  *restrict dal = ms + H;
  for (int h = 0; h < H; h++) A[h] = B[h] = C[h] = 0;
  for (gl_off e = g->ptr[i]; e < g->ptr[i + 1]; e++) {
    prefetch_ahead(g->col, e, g->nnz, g->ss, H, g->zd, H * F);
    edge_grads(c, g, i, g->col[e], al, sl, ms, dal, H, F);
    for (int h = 0; h < H; h++) {
      C[h] += al[h] * dal[h];
      A[h] += al[h] * dal[h] * sl[h];
      B[h] += al[h] * sl[h];
    }
  }
  for (int h = 0; h < H; h++) {
    cb[(size_t)i * H + h] = C[h];
    dsd[(size_t)i * H + h] = A[h] - C[h] * B[h];
  }
}

/* Backward pass 2, source j over the transpose's row j: dss_j and dzd_j =
 * sum_i drop(alpha_ij) dpre_i. */
INLINE void bwd_col(const attn *c, const attn_args *g, const gl_csr *tr,
                    gl_idx j, float *restrict dzd, float *restrict dss,
                    float *restrict t, const int H, const int F) {
  const int HF = H * F;
  float *restrict acc = t, *restrict d = acc + HF, *restrict al = d + H,
                  *restrict sl = al + H, *restrict ms = sl + H,
                  *restrict dal = ms + H;
  for (int k = 0; k < HF; k++) acc[k] = 0;
  for (int h = 0; h < H; h++) d[h] = 0;
  for (gl_off e = tr->ptr[j]; e < tr->ptr[j + 1]; e++) {
    prefetch_ahead(tr->col, e, tr->nnz, g->dpre, HF, g->sd, H);
    prefetch_ahead(tr->col, e, tr->nnz, g->lse, H, g->c, H);
    const gl_idx i = tr->col[e];
    edge_grads(c, g, i, j, al, sl, ms, dal, H, F);
    const float *restrict ci = g->c + (size_t)i * H;
    const float *restrict dp = g->dpre + (size_t)i * HF;
    for (int h = 0; h < H; h++) {
      d[h] += al[h] * (dal[h] - ci[h]) * sl[h];
      al[h] *= ms[h];
    }
    axpy_heads(acc, al, dp, H, F);
  }
  memcpy(dzd + (size_t)j * HF, acc, (size_t)HF * sizeof *acc);
  for (int h = 0; h < H; h++) dss[(size_t)j * H + h] = d[h];
}

/* out[i] (n_dst x HF) = sum_j drop(alpha_ij) zd_j + b (b NULL: none);
 * lse[i, h] kept. */
static gl_status attn_forward(gat *m, const attn *c, const gl_csr *a,
                              const float *ss, const float *sd,
                              const float *zd, const float *b, float *lse,
                              float *out) {
  const int H = c->H, F = c->F;
  const size_t per = (size_t)H * F + 4 * (size_t)H;
  float *scr = thread_scratch(&m->scratch, per);
  if (!scr) return GL_ENOMEM;
  const attn_args g = {a->ptr, a->col, a->nnz, (uint64_t)a->m, ss, sd, NULL,
                       zd, NULL, NULL};
#pragma omp parallel if (worth_threads(a, H * F))
  {
    float *t = scr + per * (size_t)omp_get_thread_num();
#pragma omp for schedule(dynamic, 64)
    for (gl_idx i = 0; i < a->n; i++)
      SPECIALISE(H, F, fwd_row(c, &g, i, b, lse, out, t, H_, F_));
  }
  return GL_OK;
}

/* Backward of attn_forward given dpre = d loss / d out (n_dst x HF):
 * dzd (n_src x HF) = d loss / d zd through the aggregation, dss (n_src x H)
 * and dsd (n_dst x H) = d loss / d scores; tr is A's transpose pattern
 * (n_src x n_dst), cb (n_dst x H) scratch. */
static gl_status attn_backward(gat *m, const attn *c, const gl_csr *a,
                               const gl_csr *tr, const float *ss,
                               const float *sd, const float *lse,
                               const float *zd, const float *dpre, float *cb,
                               float *dzd, float *dss, float *dsd) {
  const int H = c->H, F = c->F;
  const size_t per = (size_t)H * F + 6 * (size_t)H;
  float *scr = thread_scratch(&m->scratch, per);
  if (!scr) return GL_ENOMEM;
  const attn_args g = {a->ptr, a->col, a->nnz, (uint64_t)a->m, ss, sd, lse,
                       zd, dpre, cb};
  const bool par = worth_threads(a, H * F);
#pragma omp parallel if (par)
  {
    float *t = scr + per * (size_t)omp_get_thread_num();
#pragma omp for schedule(dynamic, 64)
    for (gl_idx i = 0; i < a->n; i++)
      SPECIALISE(H, F, bwd_row(c, &g, i, cb, dsd, t, H_, F_));
    /* (the implicit barrier: pass 2 reads every c_i) */
#pragma omp for schedule(dynamic, 64)
    for (gl_idx j = 0; j < tr->n; j++)
      SPECIALISE(H, F, bwd_col(c, &g, tr, j, dzd, dss, t, H_, F_));
  }
  return GL_OK;
}

/* g (F x H) += sum_i ds_i z_i over n rows, per head: the gradient of
 * attention vectors whose scores' gradients are ds (n x H); fixed order. */
static void score_grad(const float *ds, const float *z, gl_idx n, int H,
                       int F, float *g) {
  for (gl_idx i = 0; i < n; i++)
    SPECIALISE(H, F, axpy_heads(g, ds + (size_t)i * H, z + (size_t)i * H * F,
                                H_, F_));
}

/* ------------------------------------------------------------ layers */
static attn layer_attn(const gat *m, int l, bool train, uint64_t key) {
  const gl_model_cfg *cfg = &m->base.cfg;
  attn c = {m->ly[l].H, m->ly[l].F, cfg->leaky, 0, 0, 1.0f};
  if (train && cfg->attn_dropout > 0) {
    c.key = gl_mask_key(use_key(key, l, 3));
    c.thr = gl_mask_thr(cfg->attn_dropout);
    c.scale = gl_mask_scale(c.thr);
  }
  return c;
}

/* The input dropout is drawn per head, as in the reference, whose every
 * head (attn_head) drops the layer's input itself: z_h = drop_h(in) W_h
 * with W_h the F columns f H + h of W and drop_h keyed by head_key; the
 * mask of head h is that of gl_sparse_linear_forward (a feature entry's
 * position in x) or gl_dropout_forward (the position in the n x din input)
 * with that key.  Without dropout, or with one head, the heads share their
 * input and the layers' kernels do them all at once (the mask of head 0);
 * else the kernels below compute the H masks of an input value together
 * and apply them along the heads of the unit-major rows of W (one vector
 * for 8 heads), which costs one pass over the input instead of H. */
static uint64_t head_key(uint64_t key, int l, int head) {
  return gl_hash64(use_key(key, l, 1), (uint64_t)head);
}
static bool per_head(const layer *ly, float p) { return p > 0 && ly->H > 1; }

typedef struct {
  const uint32_t *key; /* H mask keys */
  uint32_t thr;
  float scale;
} head_drop;

/* m[h] = v * (head h's dropout factor of input value `pos`). */
INLINE void head_mask(const head_drop *d, uint64_t pos, float v,
                      float *restrict m, const int H) {
  const float vs = v * d->scale;
  for (int h = 0; h < H; h++) m[h] = vs * gl_mask_keepf(d->key[h], pos, d->thr);
}

/* Row r of z (HF) from source row i of the features x: sum over its
 * entries e of the masked value times row col[e] of W; `t` H floats. */
INLINE void sparse_fwd_row(const head_drop *d, const gl_csr *x, gl_idx i,
                           const float *restrict w, float *restrict zr,
                           float *restrict t, const int H, const int F) {
  const int HF = H * F;
  for (int k = 0; k < HF; k++) zr[k] = 0;
  for (gl_off e = x->ptr[i]; e < x->ptr[i + 1]; e++) {
    head_mask(d, (uint64_t)e, gl_csr_w(x, e), t, H);
    axpy_heads(zr, t, w + (size_t)x->col[e] * HF, H, F);
  }
}
/* gW[col[e]] += the masked value times dz_r over the entries of row i. */
INLINE void sparse_bwd_row(const head_drop *d, const gl_csr *x, gl_idx i,
                           const float *restrict dzr, float *restrict gw,
                           float *restrict t, const int H, const int F) {
  for (gl_off e = x->ptr[i]; e < x->ptr[i + 1]; e++) {
    head_mask(d, (uint64_t)e, gl_csr_w(x, e), t, H);
    axpy_heads(gw + (size_t)x->col[e] * H * F, t, dzr, H, F);
  }
}
/* Row r of z from the dense input row hr (din values at positions pos..). */
INLINE void dense_fwd_row(const head_drop *d, const float *restrict hr,
                          int din, uint64_t pos, const float *restrict w,
                          float *restrict zr, float *restrict t, const int H,
                          const int F) {
  const int HF = H * F;
  for (int k = 0; k < HF; k++) zr[k] = 0;
  for (int q = 0; q < din; q++) {
    head_mask(d, pos + (uint64_t)q, hr[q], t, H);
    axpy_heads(zr, t, w + (size_t)q * HF, H, F);
  }
}
/* sum_h x[h] y[h]; for 8 heads as a tree (a chain of 8 dependent
 * multiply-adds would bound the loop below by its latency). */
INLINE float sum_prod_heads(const float *restrict x, const float *restrict y,
                            const int H) {
  if (H == 8) {
    const v8f p = *(const v8f *)x * *(const v8f *)y;
    const float a0 = p[0] + p[4], a1 = p[1] + p[5], a2 = p[2] + p[6],
                a3 = p[3] + p[7];
    return (a0 + a2) + (a1 + a3);
  }
  float acc = 0;
  for (int h = 0; h < H; h++) acc += x[h] * y[h];
  return acc;
}

/* dh_rq = sum_h mask_h (dz_r,h . W_q,h) and gW_q,h += h_rq mask_h dz_r,h
 * for the input row r; `t` 2 H floats. */
INLINE void dense_bwd_row(const head_drop *d, const float *restrict hr,
                          int din, uint64_t pos, const float *restrict w,
                          const float *restrict dzr, float *restrict dhr,
                          float *restrict gw, float *restrict t, const int H,
                          const int F) {
  const int HF = H * F;
  float *restrict m = t, *restrict s = t + H;
  for (int q = 0; q < din; q++) {
    head_mask(d, pos + (uint64_t)q, 1.0f, m, H);
    for (int h = 0; h < H; h++) s[h] = 0;
    dot_heads(s, dzr, w + (size_t)q * HF, H, F);
    dhr[q] = sum_prod_heads(m, s, H);
    for (int h = 0; h < H; h++) m[h] *= hr[q];
    axpy_heads(gw + (size_t)q * HF, m, dzr, H, F);
  }
}

/* The H mask keys of layer l's input under `key`, and the rate. */
static gl_status head_drop_init(gat *m, int l, uint64_t key, float p,
                                head_drop *d) {
  const int H = m->ly[l].H;
  if (H > m->hkey_cap) {
    uint32_t *k = gl_realloc(m->hkey, (size_t)H, sizeof *k);
    if (!k) return GL_ENOMEM;
    m->hkey = k;
    m->hkey_cap = H;
  }
  for (int h = 0; h < H; h++) m->hkey[h] = gl_mask_key(head_key(key, l, h));
  d->key = m->hkey;
  d->thr = gl_mask_thr(p);
  d->scale = gl_mask_scale(d->thr);
  return GL_OK;
}

/* Whether the per-head pass over layer l's input (n rows: feature entries
 * for l = 0, din values after) is worth a team. */
static bool input_threads(const layer *ly, int l, const gl_csr *x,
                          gl_idx n) {
  double work = l == 0 ? (double)n * x->nnz / (x->n ? x->n : 1)
                       : (double)n * ly->din;
  return work * ly->H * ly->F > 5e5 && omp_get_max_threads() > 1;
}

/* z = drop_h(in) W_h for every head h of layer l over n rows: the features
 * `rows` of x (NULL: the first n) for the first layer, the dense `h`
 * (n x din) after. */
static gl_status input_forward(gat *m, int l, layer_ws *w, const gl_csr *x,
                               const gl_idx *rows, const float *h, gl_idx n,
                               float p, uint64_t key, float **z) {
  const layer *ly = &m->ly[l];
  const int H = ly->H, F = ly->F, HF = H * F, din = ly->din;
  float *zz;
  NEED(zz, w->z, (size_t)n * HF);
  *z = zz;
  if (!per_head(ly, p)) {
    const uint64_t k = head_key(key, l, 0);
    if (l == 0) {
      gl_sparse_linear_forward(x, rows, n, ly->w, HF, p, k, zz);
      return GL_OK;
    }
    if (p > 0) {
      float *in;
      NEED(in, w->in, (size_t)n * din);
      gl_dropout_forward(h, (size_t)n * din, p, k, in);
      h = in;
    }
    gl_linear_forward(h, n, din, ly->w, NULL, HF, zz);
    return GL_OK;
  }
  head_drop d;
  GL_TRY(head_drop_init(m, l, key, p, &d));
  float *scr = thread_scratch(&m->scratch, (size_t)H);
  if (!scr) return GL_ENOMEM;
  const float *wl = ly->w;
#pragma omp parallel if (input_threads(ly, l, x, n))
  {
    float *t = scr + (size_t)H * omp_get_thread_num();
#pragma omp for schedule(dynamic, 64)
    for (gl_idx r = 0; r < n; r++) {
      float *zr = zz + (size_t)r * HF;
      if (l == 0)
        SPECIALISE(H, F, sparse_fwd_row(&d, x, rows ? rows[r] : r, wl, zr, t,
                                        H_, F_));
      else
        SPECIALISE(H, F, dense_fwd_row(&d, h + (size_t)r * din, din,
                                       (uint64_t)r * din, wl, zr, t, H_, F_));
    }
  }
  return GL_OK;
}

/* The backward of input_forward given dz (n x HF): dW += drop_h(in)^T dz_h
 * per head and, for l >= 1, dh = d loss / d h = sum_h drop_h'(dz_h W_h^T)
 * (n x din).  The rows are split into one block a thread; block 0 adds
 * into dW, block b >= 1 into its own zeroed copy, and the copies are added
 * in the order 1, 2, ... (dW depends on the thread count, not on the
 * schedule). */
static gl_status input_backward(gat *m, int l, layer_ws *w, const gl_csr *x,
                                const gl_idx *rows, const float *h, gl_idx n,
                                float p, uint64_t key, const float *dz,
                                float *dh) {
  const layer *ly = &m->ly[l];
  const int H = ly->H, F = ly->F, HF = H * F, din = ly->din;
  if (!per_head(ly, p)) {
    const uint64_t k = head_key(key, l, 0);
    if (l == 0) {
      gl_sparse_linear_backward(x, rows, n, dz, HF, p, k, ly->gw);
      return GL_OK;
    }
    gl_linear_backward(p > 0 ? w->in.p : h, n, din, ly->w, HF, dz, dh,
                       ly->gw, NULL);
    if (p > 0) gl_dropout_backward(dh, (size_t)n * din, p, k, dh);
    return GL_OK;
  }
  head_drop d;
  GL_TRY(head_drop_init(m, l, key, p, &d));
  const int T = input_threads(ly, l, x, n) ? omp_get_max_threads() : 1;
  const size_t wn = (size_t)din * HF;
  float *scr = thread_scratch(&m->scratch, 2 * (size_t)H), *part = NULL;
  if (!scr) return GL_ENOMEM;
  if (T > 1) NEED(part, m->gpart, (size_t)(T - 1) * wn);
  const float *wl = ly->w;
  float *gw = ly->gw;
#pragma omp parallel num_threads(T) if (T > 1)
  {
    float *t = scr + 2 * (size_t)H * omp_get_thread_num();
#pragma omp for schedule(static, 1)
    for (int b = 0; b < T; b++) {
      float *g = b == 0 ? gw : part + (size_t)(b - 1) * wn;
      if (b > 0) memset(g, 0, wn * sizeof *g);
      const gl_idx r0 = (gl_idx)((int64_t)n * b / T),
                   r1 = (gl_idx)((int64_t)n * (b + 1) / T);
      for (gl_idx r = r0; r < r1; r++) {
        const float *dzr = dz + (size_t)r * HF;
        if (l == 0)
          SPECIALISE(H, F, sparse_bwd_row(&d, x, rows ? rows[r] : r, dzr, g,
                                          t, H_, F_));
        else
          SPECIALISE(H, F, dense_bwd_row(&d, h + (size_t)r * din, din,
                                         (uint64_t)r * din, wl, dzr,
                                         dh + (size_t)r * din, g, t, H_,
                                         F_));
      }
    }
#pragma omp for schedule(static)
    for (size_t k = 0; k < wn; k++)
      for (int b = 1; b < T; b++) gw[k] += part[(size_t)(b - 1) * wn + k];
  }
  return GL_OK;
}

/* From the per-head outputs `pre` (n x HF, bias included) to the layer's
 * output: ELU in place for hidden layers, the head average into `logits`
 * for the last. */
static void output_forward(const gat *m, int l, float *pre, gl_idx n,
                           float *logits) {
  const layer *ly = &m->ly[l];
  const int H = ly->H, F = ly->F;
  if (l < m->L - 1) {
    size_t k = (size_t)n * H * F;
#pragma omp parallel for schedule(static) if (k > 65536)
    for (size_t i = 0; i < k; i++) pre[i] = elu(pre[i]);
    return;
  }
  const float inv = 1.0f / (float)H;
#pragma omp parallel for schedule(static) if (n > 2048)
  for (gl_idx i = 0; i < n; i++)
    for (int f = 0; f < F; f++) {
      float s = 0;
      for (int h = 0; h < H; h++) s += pre[((size_t)i * F + f) * H + h];
      logits[(size_t)i * F + f] = s * inv;
    }
}

/* dpre (n x HF) from the gradient of the layer's output (ELU output y, or
 * the logits), and db += its column sums. */
static void output_backward(const gat *m, int l, const float *y, gl_idx n,
                            const float *dout, float *dpre) {
  const layer *ly = &m->ly[l];
  const int H = ly->H, F = ly->F, HF = H * F;
  if (l < m->L - 1) {
    size_t k = (size_t)n * HF;
#pragma omp parallel for schedule(static) if (k > 65536)
    for (size_t i = 0; i < k; i++) dpre[i] = dout[i] * elu_grad(y[i]);
  } else {
    const float inv = 1.0f / (float)H;
#pragma omp parallel for schedule(static) if (n > 2048)
    for (gl_idx i = 0; i < n; i++)
      for (int f = 0; f < F; f++)
        for (int h = 0; h < H; h++)
          dpre[(size_t)i * HF + f * H + h] = dout[(size_t)i * F + f] * inv;
  }
  if (ly->gb)
    for (gl_idx i = 0; i < n; i++)
      for (int k = 0; k < HF; k++) ly->gb[k] += dpre[(size_t)i * HF + k];
}

/* x must have the model's feature columns (W0's rows). */
static gl_status check_features(const gat *m, const gl_csr *x) {
  if (x->m != m->base.cfg.n_features)
    return gl_error(GL_EINVAL, "gat: x has %d features, the model %d",
                    (int)x->m, m->base.cfg.n_features);
  return GL_OK;
}

static float input_p(const gat *m, bool train) {
  return train ? m->base.cfg.dropout : 0.0f;
}

/* ------------------------------------------------------------ graph path */
static gl_status gat_forward(gl_model *mm, const gl_csr *x, gl_batch *b,
                             bool train, float *logits) {
  gat *m = (gat *)mm;
  if (b->n_layers != m->L)
    return gl_error(GL_EINVAL, "gat: batch has %d layers, model has %d",
                    b->n_layers, m->L);
  GL_TRY(check_features(m, x));
  for (int l = 0; l < b->n_layers; l++)
    if (b->layers[l].hist || b->layers[l].halo)
      return gl_error(GL_EINVAL, "gat: history and halo blocks are not "
                      "supported (layer %d)", l);
  if (!b->layers[0].src_ids && gl_block_n_src(&b->layers[0]) > x->n)
    return gl_error(GL_EINVAL, "gat: block 0 has %d sources, x %d rows",
                    (int)gl_block_n_src(&b->layers[0]), (int)x->n);
  m->key = b->key;
  m->train = train;
  const float p = input_p(m, train);
  const float *h = NULL;
  for (int l = 0; l < m->L; l++) {
    const gl_block *k = &b->layers[l];
    const layer *ly = &m->ly[l];
    layer_ws *w = &m->ws[l];
    gl_idx ns = gl_block_n_src(k), nd = gl_block_n_dst(k);
    const int H = ly->H, HF = H * ly->F;
    if (nd > ns || (l > 0 && ns != gl_block_n_dst(&b->layers[l - 1])))
      return gl_error(GL_EINVAL, "gat: block %d is %d x %d: destinations must "
                      "prefix the sources and follow the previous block", l,
                      (int)nd, (int)ns);
    float *z, *zd, *ss, *sd, *lse, *out;
    GL_TRY(input_forward(m, l, w, x, k->src_ids, h, ns, p, b->key, &z));
    zd = z;
    if (p > 0) {
      NEED(zd, w->zd, (size_t)ns * HF);
      gl_dropout_forward(z, (size_t)ns * HF, p, use_key(b->key, l, 2), zd);
    }
    NEED(ss, w->ss, (size_t)ns * H);
    NEED(sd, w->sd, (size_t)nd * H);
    NEED(lse, w->lse, (size_t)nd * H);
    NEED(out, w->y, (size_t)nd * HF);
    attn c = layer_attn(m, l, train, b->key);
    attn_scores(&c, z, ns, ly->as, ss);
    attn_scores(&c, z, nd, ly->ad, sd);
    GL_TRY(attn_forward(m, &c, &k->a, ss, sd, zd, ly->b, lse, out));
    output_forward(m, l, out, nd, logits);
    h = out;
  }
  return GL_OK;
}

/* The transpose pattern of block l's A for the backward. */
static gl_status block_transpose(layer_ws *w, const gl_block *k,
                                 const gl_csr **t) {
  if (k->symmetric) {
    *t = &k->a;
  } else if (k->at.ptr) {
    *t = &k->at;
  } else {
    gl_csr_free(&w->t);
    gl_csr pattern = k->a;
    pattern.val = NULL;
    GL_TRY(gl_csr_transpose(&w->t, &pattern));
    *t = &w->t;
  }
  if ((*t)->n != k->a.m || (*t)->m != k->a.n || (*t)->nnz != k->a.nnz)
    return gl_error(GL_EINVAL, "gat: a block's transpose is %d x %d with %lld "
                    "entries, its matrix %d x %d with %lld",
                    (int)(*t)->n, (int)(*t)->m, (long long)(*t)->nnz,
                    (int)k->a.n, (int)k->a.m, (long long)k->a.nnz);
  return GL_OK;
}

/* dz = drop'(dzd) + a_src ds_src + a_dst ds_dst (rows < n_dst), and the
 * gradients of the attention vectors. */
static void score_backward(const layer *ly, const float *z, gl_idx ns,
                           gl_idx nd, const float *dss, const float *dsd,
                           float *dz) {
  const int H = ly->H, F = ly->F;
#pragma omp parallel for schedule(static) if (ns > 2048)
  for (gl_idx j = 0; j < ns; j++) {
    float *d = dz + (size_t)j * H * F;
    SPECIALISE(H, F, axpy_heads(d, dss + (size_t)j * H, ly->as, H_, F_));
    if (j < nd)
      SPECIALISE(H, F, axpy_heads(d, dsd + (size_t)j * H, ly->ad, H_, F_));
  }
  score_grad(dss, z, ns, H, F, ly->gas);
  score_grad(dsd, z, nd, H, F, ly->gad);
}

static gl_status gat_backward(gl_model *mm, const gl_csr *x, gl_batch *b,
                              const float *dlogits) {
  gat *m = (gat *)mm;
  if (b->n_layers != m->L)
    return gl_error(GL_EINVAL, "gat: batch has %d layers, model has %d",
                    b->n_layers, m->L);
  const float p = input_p(m, m->train);
  const float *dout = dlogits;
  int o = 0;
  for (int l = m->L - 1; l >= 0; l--) {
    const gl_block *k = &b->layers[l];
    const layer *ly = &m->ly[l];
    layer_ws *w = &m->ws[l];
    gl_idx ns = gl_block_n_src(k), nd = gl_block_n_dst(k);
    const int H = ly->H, HF = H * ly->F;
    float *dpre, *dz, *dss, *dsd, *cb, *dh = NULL;
    NEED(dpre, m->dpre, (size_t)nd * HF);
    NEED(dz, m->dz, (size_t)ns * HF);
    NEED(dss, m->dss, (size_t)ns * H);
    NEED(dsd, m->dsd, (size_t)nd * H);
    NEED(cb, m->c, (size_t)nd * H);
    if (l > 0) NEED(dh, m->dh[o], (size_t)ns * ly->din);
    output_backward(m, l, w->y.p, nd, dout, dpre);
    const gl_csr *t;
    GL_TRY(block_transpose(w, k, &t));
    const float *zd = p > 0 ? w->zd.p : w->z.p;
    attn c = layer_attn(m, l, m->train, m->key);
    GL_TRY(attn_backward(m, &c, &k->a, t, w->ss.p, w->sd.p, w->lse.p, zd,
                         dpre, cb, dz, dss, dsd));
    if (p > 0)
      gl_dropout_backward(dz, (size_t)ns * HF, p, use_key(m->key, l, 2), dz);
    score_backward(ly, w->z.p, ns, nd, dss, dsd, dz);
    GL_TRY(input_backward(m, l, w, x, k->src_ids,
                          l > 0 ? m->ws[l - 1].y.p : NULL, ns, p, m->key, dz,
                          dh));
    dout = dh;
    o = 1 - o;
  }
  return GL_OK;
}

/* ------------------------------------------------------------ FCN path */
/* out = z + b over n rows of HF (b NULL: none). */
static void add_bias(const float *z, const float *b, gl_idx n, int HF,
                     float *out) {
#pragma omp parallel for schedule(static) if (n > 2048)
  for (gl_idx i = 0; i < n; i++)
    for (int k = 0; k < HF; k++)
      out[(size_t)i * HF + k] = z[(size_t)i * HF + k] + (b ? b[k] : 0);
}

static gl_status gat_forward_fcn(gl_model *mm, const gl_csr *x,
                                 const gl_idx *nodes, gl_idx n,
                                 const gl_mix *mix, bool train, uint64_t key,
                                 float *logits) {
  gat *m = (gat *)mm;
  GL_TRY(check_features(m, x));
  if (n < 0) return gl_error(GL_EINVAL, "gat: negative node count");
  for (gl_idx i = 0; i < n; i++)
    if (nodes[i] < 0 || nodes[i] >= x->n)
      return gl_error(GL_EINVAL, "gat: FCN node %d is %d, not in [0, %d)",
                      (int)i, (int)nodes[i], (int)x->n);
  GL_TRY(gl_mix_check(mix, n));
  m->f_nodes = nodes;
  m->f_n = n;
  m->f_has_mix = mix && mix->n > 0 && m->L > 1; /* as GCN: no hidden layer,
                                                   no mix */
  if (m->f_has_mix) m->f_mix = *mix;
  m->f_train = train;
  m->f_key = key;
  const float p = input_p(m, train);
  const float *h = NULL;
  for (int l = 0; l < m->L; l++) {
    const layer *ly = &m->ly[l];
    layer_ws *w = &m->fws[l];
    const int HF = ly->H * ly->F;
    float *z, *out;
    GL_TRY(input_forward(m, l, w, x, nodes, h, n, p, key, &z));
    NEED(out, w->y, (size_t)n * HF);
    add_bias(z, ly->b, n, HF, out);
    output_forward(m, l, out, n, logits);
    h = out;
    if (l == 0 && m->f_has_mix) {
      float *mixed;
      NEED(mixed, m->mixed, (size_t)n * HF);
      gl_mix_forward(out, n, HF, &m->f_mix, mixed);
      h = mixed;
    }
  }
  return GL_OK;
}

static gl_status gat_backward_fcn(gl_model *mm, const gl_csr *x,
                                  const float *dlogits) {
  gat *m = (gat *)mm;
  const float p = input_p(m, m->f_train);
  const gl_idx n = m->f_n;
  const float *dout = dlogits;
  int o = 0;
  for (int l = m->L - 1; l >= 0; l--) {
    const layer *ly = &m->ly[l];
    layer_ws *w = &m->fws[l];
    const int HF = ly->H * ly->F;
    float *dz, *dh = NULL;
    NEED(dz, m->dz, (size_t)n * HF);
    if (l > 0) NEED(dh, m->dh[o], (size_t)n * ly->din);
    output_backward(m, l, w->y.p, n, dout, dz); /* alpha_ii = 1: dz = dpre */
    const float *h = NULL;
    if (l == 1) h = m->f_has_mix ? m->mixed.p : m->fws[0].y.p;
    else if (l > 1) h = m->fws[l - 1].y.p;
    GL_TRY(input_backward(m, l, w, x, m->f_nodes, h, n, p, m->f_key, dz, dh));
    if (l == 1 && m->f_has_mix) { /* through the mix: dh into the other */
      float *d;
      NEED(d, m->dh[1 - o], (size_t)n * ly->din);
      gl_mix_backward(dh, n, ly->din, &m->f_mix, d);
      dh = d;
      o = 1 - o;
    }
    dout = dh;
    o = 1 - o;
  }
  return GL_OK;
}

/* ------------------------------------------------------------ building */
static void free_ws(layer_ws *w) {
  free(w->in.p);
  free(w->z.p);
  free(w->zd.p);
  free(w->ss.p);
  free(w->sd.p);
  free(w->lse.p);
  free(w->y.p);
  gl_csr_free(&w->t);
}

static void gat_free(gl_model *mm) {
  gat *m = (gat *)mm;
  for (int l = 0; l < m->L && m->ws; l++) {
    free_ws(&m->ws[l]);
    free_ws(&m->fws[l]);
  }
  gl_model_free_params(&m->base);
  gl_fbuf *bufs[] = {&m->mixed, &m->dpre,  &m->dz,    &m->dss,     &m->dsd,
                     &m->c,     &m->dh[0], &m->dh[1], &m->scratch, &m->gpart};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]->p);
  free(m->hkey);
  free(m->names);
  free(m->ly);
  free(m->ws);
  free(m);
}

static const gl_model_ops gat_ops = {"gat", gat_forward, gat_backward,
                                     gat_forward_fcn, gat_backward_fcn,
                                     gat_free, NULL, NULL, false, NULL};

static gl_status check_cfg(const gl_model_cfg *c) {
  const char *bad = NULL;
  if (c->layers < 1 || c->layers > 16)
    bad = "layers must be in 1..16";
  else if (c->n_features < 1)
    bad = "n_features must be >= 1";
  else if (c->n_classes < 2)
    bad = "n_classes must be >= 2";
  else if (c->layers > 1 && c->hidden < 1)
    bad = "hidden must be >= 1";
  else if (c->layers > 1 && c->heads < 1)
    bad = "heads must be >= 1";
  else if (c->out_heads < 1)
    bad = "out_heads must be >= 1";
  else if (c->layers > 1 && (int64_t)c->heads * c->hidden > (1 << 20))
    bad = "heads * hidden must be <= 2^20";
  else if ((int64_t)c->out_heads * c->n_classes > (1 << 20))
    bad = "out_heads * n_classes must be <= 2^20";
  else if (!(c->dropout >= 0 && c->dropout < 1))
    bad = "dropout must be in [0, 1)";
  else if (!(c->attn_dropout >= 0 && c->attn_dropout < 1))
    bad = "attn_dropout must be in [0, 1)";
  else if (!(c->leaky >= 0 && c->leaky <= 1))
    bad = "leaky must be in [0, 1]";
  return bad ? gl_error(GL_EINVAL, "gat: %s", bad) : GL_OK;
}

/* Appends a parameter of rows x cols (zero weights and gradient). */
static float *add_param(gat *m, const char *name, int l, int rows, int cols,
                        bool decay, float **g) {
  int i = m->base.n_params;
  float *w;
  snprintf(m->names[i], sizeof m->names[i], "%s%d", name, l);
  return gl_model_add_param(&m->base, m->names[i], rows, cols, decay, &w,
                            g) == GL_OK
             ? w
             : NULL;
}

gl_status gl_gat_new(gl_model **out, const gl_model_cfg *cfg) {
  *out = NULL;
  GL_TRY(check_cfg(cfg));
  gat *m = gl_calloc(1, sizeof *m);
  if (!m) return GL_ENOMEM;
  const int L = cfg->layers;
  m->base.ops = &gat_ops;
  m->base.cfg = *cfg;
  m->L = L;
  m->ly = gl_calloc((size_t)L, sizeof *m->ly);
  m->ws = gl_calloc((size_t)L * 2, sizeof *m->ws);
  m->names = gl_calloc((size_t)L * 4, sizeof *m->names);
  m->base.params = gl_calloc((size_t)L * 4, sizeof *m->base.params);
  if (!m->ly || !m->ws || !m->names || !m->base.params) {
    gat_free(&m->base);
    return GL_ENOMEM;
  }
  m->fws = m->ws + L;
  gl_rng rng;
  gl_rng_seed(&rng, cfg->seed);
  bool ok = true;
  for (int l = 0; l < L && ok; l++) {
    layer *ly = &m->ly[l];
    bool last = l == L - 1;
    ly->din = l == 0 ? cfg->n_features : m->ly[l - 1].H * m->ly[l - 1].F;
    ly->H = last ? cfg->out_heads : cfg->heads;
    ly->F = last ? cfg->n_classes : cfg->hidden;
    const int H = ly->H, F = ly->F;
    /* decay: every weight with decay_all, else the first layer's W and
     * attention vectors (as GCN decays its first layer) */
    bool dw = cfg->decay_all || l == 0;
    ly->w = add_param(m, "W", l, ly->din, H * F, dw, &ly->gw);
    ly->as = add_param(m, "a_src", l, F, H, dw, &ly->gas);
    ly->ad = add_param(m, "a_dst", l, F, H, dw, &ly->gad);
    ok = ly->w && ly->as && ly->ad;
    if (cfg->bias) {
      ly->b = add_param(m, "b", l, 1, H * F, cfg->decay_all, &ly->gb);
      ok = ok && ly->b;
    }
    if (!ok) break;
    /* Glorot per head, as the reference's 1x1 convolutions: W_h is din x F,
     * a_h is F x 1 */
    float s = (float)sqrt(6.0 / (ly->din + F));
    gl_uniform_init(&rng, ly->w, (size_t)ly->din * H * F, -s, s);
    float sa = sqrtf(6.0f / (float)(F + 1));
    gl_uniform_init(&rng, ly->as, (size_t)H * F, -sa, sa);
    gl_uniform_init(&rng, ly->ad, (size_t)H * F, -sa, sa);
  }
  if (!ok) {
    gat_free(&m->base);
    return GL_ENOMEM;
  }
  *out = &m->base;
  return GL_OK;
}
