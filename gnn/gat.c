/* The graph attention network of Veličković et al. (ICLR 2018), following
 * the reference code (PetarV-/GAT) over a batch of blocks.  Layer l with H
 * heads of F units each, over block A (n_dst x n_src, its pattern is the
 * neighbourhood; its values are ignored):
 *   z_j    = drop(h_j) W                  W: D x (H F), heads side by side
 *   e_ij   = LeakyReLU(a_dst,h . z_i,h + a_src,h . z_j,h)   for (i, j) in A
 *   alpha  = softmax of e over row i (per head; the row max subtracted)
 *   out_ih = sum_j drop(alpha_ij) drop(z_j,h) + b_h
 * Hidden layers apply ELU and concatenate their heads; the last layer
 * averages its heads into the logits.  `dropout` acts on every layer's input
 * (sparse dropout on the features) and on z before the aggregation, each
 * with its own mask, `attn_dropout` on the normalised coefficients.
 *
 * Memory: nothing is stored per edge.  The forward keeps per node and head
 * the two scores and the log-sum-exp of its row, from which the backward
 * recomputes alpha; attention masks are keyed by (i, j), not by the entry's
 * position, so the backward can walk the transpose of A (row-parallel
 * scatter-free gradients w.r.t. the sources, no atomics: results depend on
 * nothing but the inputs).  The transpose is A itself for a symmetric block,
 * the sampler's when it gives one, else built in backward and kept in the
 * workspace until the next.
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
typedef struct {
  float *p;
  size_t cap;
} fbuf;

/* The buffer with room for n floats (contents kept), NULL if out of memory. */
static float *fbuf_get(fbuf *b, size_t n) {
  if (n > b->cap) {
    float *q = gl_realloc(b->p, n, sizeof *q);
    if (!q) return NULL;
    b->p = q;
    b->cap = n;
  }
  return b->p;
}
#define NEED(ptr, buf, n)                                                      \
  do {                                                                         \
    if (!((ptr) = fbuf_get(&(buf), (n)))) return GL_ENOMEM;                    \
  } while (0)

/* What one forward keeps of a layer for its backward. */
typedef struct {
  fbuf in;            /* dropped dense input (layers >= 1, dropout on) */
  fbuf z, zd;         /* z (n_src x HF) and drop(z) (when dropout is on) */
  fbuf ss, sd, lse;   /* a_src.z (n_src x H), a_dst.z, row log-sum-exp
                         (n_dst x H) */
  fbuf y;             /* hidden layers: ELU output; last: per-head outputs */
  gl_csr t;           /* a built transpose pattern (t.ptr NULL: none) */
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
  char (*names)[12];    /* parameter names */
  fbuf mixed;           /* FCN: the mixed hidden rows */
  fbuf dpre, dz, dss, dsd, c, dh[2], scratch; /* backward */
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

static inline float lrelu(float x, float k) { return x > 0 ? x : k * x; }

/* ------------------------------------------------------------ attention */
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
  for (gl_idx i = 0; i < n; i++)
    for (int h = 0; h < H; h++) {
      const float *zi = z + ((size_t)i * H + h) * F, *ah = a + (size_t)h * F;
      float v = 0;
      for (int f = 0; f < F; f++) v += ah[f] * zi[f];
      s[(size_t)i * H + h] = v;
    }
}

/* Attention-dropout multiplier of edge (i, j), head h: 0 or 1/(1-p). */
static inline float attn_mask(const attn *c, uint64_t base, int h) {
  return c->thr ? c->scale * gl_mask_keepf(c->key, base + (uint64_t)h, c->thr)
                : 1.0f;
}

/* Per-thread scratch: `per` floats for each thread. */
static float *thread_scratch(fbuf *s, size_t per) {
  return fbuf_get(s, per * (size_t)omp_get_max_threads());
}

/* out[i] (n_dst x HF) = sum_j drop(alpha_ij) zd_j + b (b NULL: none);
 * lse[i, h] kept. */
static gl_status attn_forward(gat *m, const attn *c, const gl_csr *a,
                              const float *ss, const float *sd,
                              const float *zd, const float *b, float *lse,
                              float *out) {
  const int H = c->H, HF = H * c->F;
  const size_t per = (size_t)HF + 3 * (size_t)H;
  float *scr = thread_scratch(&m->scratch, per);
  if (!scr) return GL_ENOMEM;
  const uint64_t ns = (uint64_t)a->m;
#pragma omp parallel
  {
    float *acc = scr + per * (size_t)omp_get_thread_num();
    float *mx = acc + HF, *sum = mx + H, *wt = sum + H;
#pragma omp for schedule(dynamic, 64)
    for (gl_idx i = 0; i < a->n; i++) {
      const float *sdi = sd + (size_t)i * H;
      for (int h = 0; h < H; h++) mx[h] = -INFINITY;
      for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) {
        const float *ssj = ss + (size_t)a->col[e] * H;
        for (int h = 0; h < H; h++) mx[h] = fmaxf(mx[h], ssj[h]);
      }
      /* LeakyReLU is increasing: the row max of e is lrelu(sd + max ss) */
      for (int h = 0; h < H; h++) {
        mx[h] = lrelu(sdi[h] + mx[h], c->leaky);
        sum[h] = 0;
      }
      memset(acc, 0, (size_t)HF * sizeof *acc);
      for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) {
        gl_idx j = a->col[e];
        const float *ssj = ss + (size_t)j * H, *zj = zd + (size_t)j * HF;
        const uint64_t base = ((uint64_t)i * ns + (uint64_t)j) * H;
        for (int h = 0; h < H; h++) {
          float p = expf(lrelu(sdi[h] + ssj[h], c->leaky) - mx[h]);
          sum[h] += p;
          wt[h] = p * attn_mask(c, base, h);
        }
        for (int h = 0; h < H; h++)
          for (int f = 0; f < c->F; f++) acc[h * c->F + f] += wt[h] * zj[h * c->F + f];
      }
      float *o = out + (size_t)i * HF;
      for (int h = 0; h < H; h++) {
        float inv = sum[h] > 0 ? 1.0f / sum[h] : 0.0f;
        lse[(size_t)i * H + h] = sum[h] > 0 ? mx[h] + logf(sum[h]) : 0.0f;
        for (int f = 0; f < c->F; f++)
          o[h * c->F + f] = acc[h * c->F + f] * inv + (b ? b[h * c->F + f] : 0);
      }
    }
  }
  return GL_OK;
}

/* The recomputed attention of edge (i, j), head h, and what the backward
 * needs of it: alpha, its dropout multiplier, d loss / d alpha-tilde and the
 * LeakyReLU slope. */
typedef struct {
  float alpha, ms, dal, slope;
} edge_grad;

static inline edge_grad edge_backward(const attn *c, float r, float lse,
                                      float ms, const float *dp,
                                      const float *zj) {
  edge_grad g;
  g.alpha = expf(lrelu(r, c->leaky) - lse);
  g.ms = ms;
  float d = 0;
  for (int f = 0; f < c->F; f++) d += dp[f] * zj[f];
  g.dal = ms * d;
  g.slope = r > 0 ? 1.0f : c->leaky;
  return g;
}

/* Backward of attn_forward given dpre = d loss / d out (n_dst x HF):
 * dzd[j] (n_src x HF) = d loss / d zd_j through the aggregation,
 * dss (n_src x H), dsd (n_dst x H) = d loss / d scores; t is A's transpose
 * pattern (n_src x n_dst).  cbuf (n_dst x H) is scratch. */
static gl_status attn_backward(gat *m, const attn *c, const gl_csr *a,
                               const gl_csr *t, const float *ss,
                               const float *sd, const float *lse,
                               const float *zd, const float *dpre,
                               float *cbuf, float *dzd, float *dss,
                               float *dsd) {
  const int H = c->H, F = c->F, HF = H * F;
  const size_t per = (size_t)HF + 3 * (size_t)H;
  float *scr = thread_scratch(&m->scratch, per);
  if (!scr) return GL_ENOMEM;
  const uint64_t ns = (uint64_t)a->m;
  /* pass 1, rows i: c_i = sum_j alpha dal (the softmax's inner product) and
   * dsd_i = sum_j alpha (dal - c_i) slope = A - c_i B */
#pragma omp parallel
  {
    float *A = scr + per * (size_t)omp_get_thread_num(), *B = A + H,
          *C = B + H;
#pragma omp for schedule(dynamic, 64)
    for (gl_idx i = 0; i < a->n; i++) {
      const float *sdi = sd + (size_t)i * H, *li = lse + (size_t)i * H;
      const float *dp = dpre + (size_t)i * HF;
      for (int h = 0; h < H; h++) A[h] = B[h] = C[h] = 0;
      for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) {
        gl_idx j = a->col[e];
        const float *ssj = ss + (size_t)j * H, *zj = zd + (size_t)j * HF;
        const uint64_t base = ((uint64_t)i * ns + (uint64_t)j) * H;
        for (int h = 0; h < H; h++) {
          edge_grad g = edge_backward(c, sdi[h] + ssj[h], li[h],
                                      attn_mask(c, base, h), dp + h * F,
                                      zj + h * F);
          C[h] += g.alpha * g.dal;
          A[h] += g.alpha * g.dal * g.slope;
          B[h] += g.alpha * g.slope;
        }
      }
      for (int h = 0; h < H; h++) {
        cbuf[(size_t)i * H + h] = C[h];
        dsd[(size_t)i * H + h] = A[h] - C[h] * B[h];
      }
    }
  }
  /* pass 2, sources j over the transpose: dss_j and dzd_j */
#pragma omp parallel
  {
    float *acc = scr + per * (size_t)omp_get_thread_num();
    float *d = acc + HF, *wt = d + H;
#pragma omp for schedule(dynamic, 64)
    for (gl_idx j = 0; j < t->n; j++) {
      const float *ssj = ss + (size_t)j * H, *zj = zd + (size_t)j * HF;
      memset(acc, 0, (size_t)HF * sizeof *acc);
      for (int h = 0; h < H; h++) d[h] = 0;
      for (gl_off e = t->ptr[j]; e < t->ptr[j + 1]; e++) {
        gl_idx i = t->col[e];
        const float *sdi = sd + (size_t)i * H, *li = lse + (size_t)i * H;
        const float *ci = cbuf + (size_t)i * H, *dp = dpre + (size_t)i * HF;
        const uint64_t base = ((uint64_t)i * ns + (uint64_t)j) * H;
        for (int h = 0; h < H; h++) {
          edge_grad g = edge_backward(c, sdi[h] + ssj[h], li[h],
                                      attn_mask(c, base, h), dp + h * F,
                                      zj + h * F);
          d[h] += g.alpha * (g.dal - ci[h]) * g.slope;
          wt[h] = g.alpha * g.ms;
        }
        for (int h = 0; h < H; h++)
          for (int f = 0; f < F; f++) acc[h * F + f] += wt[h] * dp[h * F + f];
      }
      memcpy(dzd + (size_t)j * HF, acc, (size_t)HF * sizeof *acc);
      for (int h = 0; h < H; h++) dss[(size_t)j * H + h] = d[h];
    }
  }
  return GL_OK;
}

/* g[h, :] += sum_i ds[i, h] z[i, h, :] over n rows (fixed order). */
static void score_grad(const float *ds, const float *z, gl_idx n, int H,
                       int F, float *g) {
  for (gl_idx i = 0; i < n; i++)
    for (int h = 0; h < H; h++) {
      const float d = ds[(size_t)i * H + h];
      const float *zi = z + ((size_t)i * H + h) * F;
      for (int f = 0; f < F; f++) g[h * F + f] += d * zi[f];
    }
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

/* z = drop(in) W for layer l over n rows: the features `rows` of x for the
 * first layer, the dense `h` (n x din) after. */
static gl_status input_forward(gat *m, int l, layer_ws *w, const gl_csr *x,
                               const gl_idx *rows, const float *h, gl_idx n,
                               float p, uint64_t key, float **z) {
  const layer *ly = &m->ly[l];
  const int HF = ly->H * ly->F;
  NEED(*z, w->z, (size_t)n * HF);
  uint64_t k = use_key(key, l, 1);
  if (l == 0) {
    gl_sparse_linear_forward(x, rows, n, ly->w, HF, p, k, *z);
    return GL_OK;
  }
  if (p > 0) {
    float *in;
    NEED(in, w->in, (size_t)n * ly->din);
    gl_dropout_forward(h, (size_t)n * ly->din, p, k, in);
    h = in;
  }
  gl_linear_forward(h, n, ly->din, ly->w, NULL, HF, *z);
  return GL_OK;
}

/* dW += drop(in)^T dz and, for l >= 1, dh = d loss / d h (n x din). */
static void input_backward(gat *m, int l, layer_ws *w, const gl_csr *x,
                           const gl_idx *rows, const float *h, gl_idx n,
                           float p, uint64_t key, const float *dz,
                           float *dh) {
  const layer *ly = &m->ly[l];
  const int HF = ly->H * ly->F;
  uint64_t k = use_key(key, l, 1);
  if (l == 0) {
    gl_sparse_linear_backward(x, rows, n, dz, HF, p, k, ly->gw);
    return;
  }
  gl_linear_backward(p > 0 ? w->in.p : h, n, ly->din, ly->w, HF, dz, dh,
                     ly->gw, NULL);
  if (p > 0) gl_dropout_backward(dh, (size_t)n * ly->din, p, k, dh);
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
    for (size_t i = 0; i < k; i++) pre[i] = pre[i] > 0 ? pre[i] : expm1f(pre[i]);
    return;
  }
  const float inv = 1.0f / (float)H;
#pragma omp parallel for schedule(static) if (n > 2048)
  for (gl_idx i = 0; i < n; i++)
    for (int f = 0; f < F; f++) {
      float s = 0;
      for (int h = 0; h < H; h++) s += pre[((size_t)i * H + h) * F + f];
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
    for (size_t i = 0; i < k; i++) /* ELU' = 1 for y > 0, else y + 1 */
      dpre[i] = y[i] > 0 ? dout[i] : dout[i] * (y[i] + 1.0f);
  } else {
    const float inv = 1.0f / (float)H;
#pragma omp parallel for schedule(static) if (n > 2048)
    for (gl_idx i = 0; i < n; i++)
      for (int h = 0; h < H; h++)
        for (int f = 0; f < F; f++)
          dpre[(size_t)i * HF + h * F + f] = dout[(size_t)i * F + f] * inv;
  }
  if (ly->gb)
    for (gl_idx i = 0; i < n; i++)
      for (int k = 0; k < HF; k++) ly->gb[k] += dpre[(size_t)i * HF + k];
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
    return GL_OK;
  }
  if (k->at.ptr) {
    *t = &k->at;
    return GL_OK;
  }
  gl_csr_free(&w->t);
  gl_csr pattern = k->a;
  pattern.val = NULL;
  GL_TRY(gl_csr_transpose(&w->t, &pattern));
  *t = &w->t;
  return GL_OK;
}

/* dz = drop'(dzd) + a_src ds_src + a_dst ds_dst (rows < n_dst), and the
 * gradients of the attention vectors. */
static void score_backward(const layer *ly, const float *z, gl_idx ns,
                           gl_idx nd, const float *dss, const float *dsd,
                           float *dz) {
  const int H = ly->H, F = ly->F;
#pragma omp parallel for schedule(static) if (ns > 2048)
  for (gl_idx j = 0; j < ns; j++)
    for (int h = 0; h < H; h++) {
      float *d = dz + ((size_t)j * H + h) * F;
      const float s = dss[(size_t)j * H + h];
      const float t = j < nd ? dsd[(size_t)j * H + h] : 0.0f;
      for (int f = 0; f < F; f++)
        d[f] += ly->as[h * F + f] * s + ly->ad[h * F + f] * t;
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
    input_backward(m, l, w, x, k->src_ids, l > 0 ? m->ws[l - 1].y.p : NULL,
                   ns, p, m->key, dz, dh);
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
    input_backward(m, l, w, x, m->f_nodes, h, n, p, m->f_key, dz, dh);
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
  for (int i = 0; i < m->base.n_params; i++) {
    free(m->base.params[i].w);
    free(m->base.params[i].g);
  }
  fbuf *bufs[] = {&m->mixed, &m->dpre, &m->dz, &m->dss,    &m->dsd,
                  &m->c,     &m->dh[0], &m->dh[1], &m->scratch};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]->p);
  free(m->base.params);
  free(m->names);
  free(m->ly);
  free(m->ws);
  free(m);
}

static const gl_model_ops gat_ops = {"gat", gat_forward, gat_backward,
                                     gat_forward_fcn, gat_backward_fcn,
                                     gat_free};

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
  gl_param *p = &m->base.params[i];
  snprintf(m->names[i], sizeof m->names[i], "%s%d", name, l);
  p->name = m->names[i];
  p->n = (size_t)rows * cols;
  p->rows = rows;
  p->cols = cols;
  p->decay = decay;
  p->w = gl_calloc(p->n, sizeof(float));
  p->g = gl_calloc(p->n, sizeof(float));
  m->base.n_params++;
  *g = p->g;
  return p->w && p->g ? p->w : NULL;
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
    ly->as = add_param(m, "a_src", l, H, F, dw, &ly->gas);
    ly->ad = add_param(m, "a_dst", l, H, F, dw, &ly->gad);
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
