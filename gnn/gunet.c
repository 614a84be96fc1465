/* Graph U-Net (Gao & Ji, ICML 2019) for node classification on the full
 * graph, in the layout of the reference code:
 *
 *   h0 = GCN_in(A_0, X)                      features -> hidden
 *   for l = 0 .. L-1:                        encoder
 *     e_l = GCN_down_l(A_l, h)               stored for the skip
 *     (A_{l+1}, h) = gPool_l(A_l, e_l)       keep min(pool_k[l], n_l) nodes
 *   h = GCN_bottom(A_L, h)
 *   for l = L-1 .. 0:                        decoder
 *     h = GCN_up_l(A_l, gUnpool(h)) + e_l    rows back to the stored idx
 *   logits = GCN_out(A_0, h + h0)
 *
 * Every GCN block is act(A drop(H) W + b) with dropout on its input (sparse
 * dropout on the features), dropout on the stored entries of A (adjacency
 * dropout), the activation cfg.act (none on the output).  gPool is the
 * paper form y = X p / ||p|| with the sigmoid gate (gl_gpool_forward); the
 * pooled graph is the 2-hop pattern ((A_l + I)^2)[idx, idx]
 * (gl_gpool_graph), GCN-normalised with self-loop weight 2 (the "improved"
 * propagation, D^-1/2 (A + 2I) D^-1/2).  Level 0 uses the same
 * normalisation of block 0's pattern, so the block's own weights are not
 * used.
 *
 * The FCN path (GraphMix) is the same network with every propagation
 * replaced by the identity: every block acts on the node's own row, gPool
 * keeps every node (its sigmoid gate only, so the projections are shared
 * too and the blocks see inputs of the graph path's scale), gUnpool is the
 * identity, the skips are kept, and the mix acts on h0 (after the input
 * layer's activation), which also feeds the final skip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

/* ============================================================ kernels */
static inline float sigm(float v) { return 1.0f / (1.0f + expf(-v)); }
static inline float dsigm(float g) { return g * (1 - g); }

typedef struct {
  float y;
  gl_idx i;
} scored;

/* Descending score, NaN last, ties by ascending row. */
static int by_score(const void *pa, const void *pb) {
  const scored *a = pa, *b = pb;
  bool na = isnan(a->y), nb = isnan(b->y);
  if (na != nb) return na ? 1 : -1;
  if (!na && a->y != b->y) return a->y > b->y ? -1 : 1;
  return (a->i > b->i) - (a->i < b->i);
}

static int by_id(const void *pa, const void *pb) {
  gl_idx a = *(const gl_idx *)pa, b = *(const gl_idx *)pb;
  return (a > b) - (a < b);
}

gl_status gl_gpool_forward(const float *x, gl_idx n, int d, const float *p,
                           gl_idx k, gl_idx *idx, float *y, float *out) {
  if (k < 1 || k > n)
    return gl_error(GL_EINVAL, "gpool: k = %d is not in 1..%d", k, n);
  double r = sqrt(gl_sumsq((size_t)d, p));
  if (!(r > 0) || !isfinite(r))
    return gl_error(GL_EINVAL, "gpool: the projection vector has norm %g", r);
  /* k = n (GraphMix's FCN path: the gate only) keeps every node in order */
  scored *s = k < n ? gl_malloc((size_t)n, sizeof *s) : NULL;
  if (k < n && !s) return GL_ENOMEM;
#pragma omp parallel for schedule(static) if (n > 4096)
  for (gl_idx i = 0; i < n; i++) {
    y[i] = (float)(gl_dot((size_t)d, x + (size_t)i * d, p) / r);
    if (s) s[i] = (scored){y[i], i};
  }
  if (s) {
    qsort(s, (size_t)n, sizeof *s, by_score);
    for (gl_idx t = 0; t < k; t++) idx[t] = s[t].i;
    free(s);
    qsort(idx, (size_t)k, sizeof *idx, by_id);
  } else {
    for (gl_idx t = 0; t < n; t++) idx[t] = t;
  }
#pragma omp parallel for schedule(static) if (k > 4096)
  for (gl_idx t = 0; t < k; t++) {
    const float g = sigm(y[idx[t]]), *xi = x + (size_t)idx[t] * d;
    float *o = out + (size_t)t * d;
    for (int j = 0; j < d; j++) o[j] = xi[j] * g;
  }
  return GL_OK;
}

void gl_gpool_backward(const float *x, gl_idx n, int d, const float *p,
                       gl_idx k, const gl_idx *idx, const float *y,
                       const float *dout, float *dx, float *dp) {
  (void)n;
  const float r = (float)sqrt(gl_sumsq((size_t)d, p));
  /* out_t = x_i sigm(y_i) with i = idx[t] and y_i = x_i . p / r:
   *   dx_i += dout_t sigm(y_i) + dy_i p / r,  dy_i = (dout_t . x_i) sigm'
   *   dp   += dy_i (x_i - y_i p / r) / r */
  for (gl_idx t = 0; t < k; t++) {
    const gl_idx i = idx[t];
    const float *xi = x + (size_t)i * d, *o = dout + (size_t)t * d;
    const float g = sigm(y[i]);
    const float dy = (float)gl_dot((size_t)d, o, xi) * dsigm(g);
    float *dxi = dx + (size_t)i * d;
    for (int j = 0; j < d; j++) {
      dxi[j] += o[j] * g + dy * p[j] / r;
      dp[j] += dy * (xi[j] - y[i] * p[j] / r) / r;
    }
  }
}

void gl_gunpool_forward(const float *in, gl_idx k, int d, const gl_idx *idx,
                        gl_idx n, float *out) {
  memset(out, 0, (size_t)n * d * sizeof *out);
  for (gl_idx t = 0; t < k; t++)
    memcpy(out + (size_t)idx[t] * d, in + (size_t)t * d, d * sizeof *out);
}

void gl_gunpool_backward(const float *dout, gl_idx k, int d,
                         const gl_idx *idx, float *din) {
  for (gl_idx t = 0; t < k; t++)
    memcpy(din + (size_t)t * d, dout + (size_t)idx[t] * d, d * sizeof *din);
}

/* Sets in row `bits` the kept neighbours of v, v included (map: node ->
 * position in idx or -1). */
static void kept_row(const gl_csr *a, const gl_idx *map, gl_idx v,
                     uint64_t *bits) {
  if (map[v] >= 0) bits[map[v] >> 6] |= 1ull << (map[v] & 63);
  for (gl_off e = a->ptr[v]; e < a->ptr[v + 1]; e++) {
    gl_idx j = map[a->col[e]];
    if (j >= 0) bits[j >> 6] |= 1ull << (j & 63);
  }
}

gl_status gl_gpool_graph(gl_csr *out, const gl_csr *a, const gl_idx *idx,
                         gl_idx k) {
  memset(out, 0, sizeof *out);
  if (!a || !a->ptr || a->n != a->m || k < 0 || (k > 0 && !idx))
    return gl_error(GL_EINVAL, "gpool graph: needs a square graph and ids");
  const gl_idx n = a->n;
  const size_t W = ((size_t)k + 63) / 64;
  gl_idx *map = gl_malloc((size_t)n, sizeof *map);
  gl_idx *comp = gl_malloc((size_t)n, sizeof *comp);
  gl_idx *touched = NULL;
  uint64_t *rows = NULL, *bits = NULL;
  gl_status st = GL_OK;
  if (!map || !comp) {
    st = GL_ENOMEM;
    goto done;
  }
  for (gl_idx i = 0; i < n; i++) map[i] = comp[i] = -1;
  for (gl_idx t = 0; t < k; t++) {
    if (idx[t] < 0 || idx[t] >= n || map[idx[t]] >= 0) {
      st = gl_error(GL_EINVAL, "gpool graph: id %d (position %d) out of "
                    "range [0, %d) or repeated", idx[t], t, n);
      goto done;
    }
    map[idx[t]] = t;
  }
  /* compact ids for the kept nodes and their neighbours: the only rows of
   * A + I whose kept parts the product reads */
  gl_idx nt = 0;
  for (gl_idx t = 0; t < k; t++) {
    gl_idx u = idx[t];
    if (comp[u] < 0) comp[u] = nt++;
    for (gl_off e = a->ptr[u]; e < a->ptr[u + 1]; e++)
      if (comp[a->col[e]] < 0) comp[a->col[e]] = nt++;
  }
  touched = gl_malloc((size_t)nt + 1, sizeof *touched);
  rows = gl_calloc((size_t)nt * W + 1, sizeof *rows);
  bits = gl_calloc((size_t)k * W + 1, sizeof *bits);
  out->ptr = gl_calloc((size_t)k + 1, sizeof *out->ptr);
  if (!touched || !rows || !bits || !out->ptr) {
    st = GL_ENOMEM;
    goto done;
  }
  for (gl_idx t = 0; t < k; t++) {
    gl_idx u = idx[t];
    touched[comp[u]] = u;
    for (gl_off e = a->ptr[u]; e < a->ptr[u + 1]; e++)
      touched[comp[a->col[e]]] = a->col[e];
  }
#pragma omp parallel for schedule(dynamic, 256) if (nt > 2048)
  for (gl_idx c = 0; c < nt; c++) kept_row(a, map, touched[c], rows + c * W);
  /* row t of the result: OR of the rows of u = idx[t] and its neighbours */
#pragma omp parallel for schedule(dynamic, 64) if (k > 512)
  for (gl_idx t = 0; t < k; t++) {
    gl_idx u = idx[t];
    uint64_t *b = bits + (size_t)t * W;
    const uint64_t *s = rows + (size_t)comp[u] * W;
    for (size_t w = 0; w < W; w++) b[w] |= s[w];
    for (gl_off e = a->ptr[u]; e < a->ptr[u + 1]; e++) {
      s = rows + (size_t)comp[a->col[e]] * W;
      for (size_t w = 0; w < W; w++) b[w] |= s[w];
    }
    gl_off c = 0;
    for (size_t w = 0; w < W; w++) c += __builtin_popcountll(b[w]);
    out->ptr[t + 1] = c;
  }
  for (gl_idx t = 0; t < k; t++) out->ptr[t + 1] += out->ptr[t];
  out->nnz = out->ptr[k];
  out->col = gl_malloc((size_t)out->nnz + 1, sizeof *out->col);
  if (!out->col) {
    st = GL_ENOMEM;
    goto done;
  }
  out->n = out->m = k;
#pragma omp parallel for schedule(dynamic, 64) if (k > 512)
  for (gl_idx t = 0; t < k; t++) {
    const uint64_t *b = bits + (size_t)t * W;
    gl_off p = out->ptr[t];
    for (size_t w = 0; w < W; w++)
      for (uint64_t v = b[w]; v; v &= v - 1)
        out->col[p++] = (gl_idx)(w * 64 + (size_t)__builtin_ctzll(v));
  }
done:
  if (st != GL_OK) gl_csr_free(out);
  free(map);
  free(comp);
  free(touched);
  free(rows);
  free(bits);
  return st;
}

/* ============================================================ the model */

/* One GCN block z = act(A drop(in) W + b) (A NULL: the identity). */
typedef struct {
  int di, dout;
  float *w, *b, *gw, *gb;
  gl_fbuf drop, t, z;
  /* the last forward, for backward */
  const float *in;   /* NULL: the sparse features x[rows] */
  const gl_idx *rows;
  float *out;        /* z (or the caller's logits) */
  const gl_csr *g;
  bool sym;
  gl_idx n;
  float p;
  uint64_t key;
} unit;

/* Per level: the nodes, the graph, the pooling and the decoder buffers. */
typedef struct {
  gl_idx n;
  gl_idx *idx, *gid;   /* level >= 1: positions in level l-1, global ids */
  size_t idx_cap;
  gl_csr pat, g;       /* pattern (level >= 1) and propagation matrix */
  gl_fbuf score;       /* level < L: gPool scores of this level's nodes */
  gl_fbuf pooled;      /* level >= 1: gPool output */
  gl_fbuf up, sum, de; /* level < L: unpooled, decoder output + skip, dE */
} level;

typedef struct {
  gl_model base;
  int L, U, H;       /* pools, blocks (2L + 3), hidden width */
  unit *u;           /* in, down[L], bottom, up[L], out */
  level *lv;         /* L + 1 levels */
  float **pw, **pg;  /* gPool projections and their gradients */
  char (*names)[24];
  /* options (fixed; see the top of the file) */
  float self_weight;
  /* the last forward */
  enum { NONE, GRAPH, FCN } mode;
  const gl_csr *a0;
  gl_idx fn;
  gl_mix mix;
  bool has_mix;
  gl_fbuf hmix, dh0, d[2], s[2];
} gunet;

#define U_IN 0
#define U_DOWN(l) (1 + (l))
#define U_BOTTOM(m) ((m)->L + 1)
#define U_UP(m, l) ((m)->L + 2 + (l))
#define U_OUT(m) (2 * (m)->L + 2)

/* Block ui's activation and dropout (cfg.linear_blocks: CogDL's layout). */
static int unit_act(const gunet *m, int ui) {
  if (ui == U_OUT(m)) return GL_ACT_NONE;
  if (m->base.cfg.linear_blocks && ui != U_IN && ui != U_BOTTOM(m))
    return GL_ACT_NONE;
  return m->base.cfg.act;
}

static float unit_dropout(const gunet *m, int ui) {
  const gl_model_cfg *c = &m->base.cfg;
  if (ui == U_IN) return c->dropout;
  if (c->linear_blocks && (ui == U_DOWN(0) || (ui > U_BOTTOM(m) &&
                                               ui < U_OUT(m))))
    return 0.0f; /* the first down block and the up blocks */
  return c->hidden_dropout;
}

static gl_status unit_forward(gunet *m, int ui, const gl_csr *g, bool sym,
                              gl_idx n, const float *in, const gl_csr *x,
                              const gl_idx *rows, bool train, uint64_t key,
                              float *out) {
  unit *u = &m->u[ui];
  const int di = u->di, dout = u->dout;
  u->in = in;
  u->rows = rows;
  u->g = g;
  u->sym = sym;
  u->n = n;
  u->key = gl_hash64(key, 1000003u + (uint64_t)ui);
  u->p = train ? unit_dropout(m, ui) : 0.0f;
  if (!out) {
    GL_TRY(gl_fbuf_reserve(&u->z, (size_t)n * dout));
    out = u->z.p;
  }
  u->out = out;
  float *t = out;
  if (g) {
    GL_TRY(gl_fbuf_reserve(&u->t, (size_t)n * dout));
    t = u->t.p;
  }
  if (!in) {
    gl_sparse_linear_forward(x, rows, n, u->w, dout, u->p, u->key, t);
  } else {
    if (u->p > 0) {
      GL_TRY(gl_fbuf_reserve(&u->drop, (size_t)n * di));
      gl_dropout_forward(in, (size_t)n * di, u->p, u->key, u->drop.p);
      in = u->drop.p;
    }
    gl_linear_forward(in, n, di, u->w, NULL, dout, t);
  }
  if (g) gl_csr_spmm(g, t, dout, 0.0f, out);
  const int act = unit_act(m, ui);
  const float *bias = u->b;
#pragma omp parallel for schedule(static) if ((size_t)n * dout > 65536)
  for (gl_idx i = 0; i < n; i++) {
    float *o = out + (size_t)i * dout;
    if (bias)
      for (int j = 0; j < dout; j++) o[j] += bias[j];
    if (act == GL_ACT_RELU)
      for (int j = 0; j < dout; j++) o[j] = o[j] > 0 ? o[j] : 0.0f;
    else if (act == GL_ACT_ELU)
      for (int j = 0; j < dout; j++) o[j] = o[j] > 0 ? o[j] : expm1f(o[j]);
  }
  return GL_OK;
}

/* Gradients of block ui given dz (its output's gradient): parameters
 * accumulated, din[n x di] overwritten (NULL for the input block). */
static gl_status unit_backward(gunet *m, int ui, const gl_csr *x,
                               const float *dz, float *din) {
  unit *u = &m->u[ui];
  const int di = u->di, dout = u->dout;
  const gl_idx n = u->n;
  const size_t nz = (size_t)n * dout;
  const int act = unit_act(m, ui);
  const float *dpre = dz;
  if (act != GL_ACT_NONE) {
    GL_TRY(gl_fbuf_reserve(&m->s[0], nz));
    float *s = m->s[0].p;
    const float *z = u->out;
#pragma omp parallel for schedule(static) if (nz > 65536)
    for (size_t i = 0; i < nz; i++)
      s[i] = z[i] > 0              ? dz[i]
             : act == GL_ACT_ELU ? dz[i] * (z[i] + 1.0f)
                                 : 0.0f;
    dpre = s;
  }
  if (u->gb)
    for (gl_idx i = 0; i < n; i++)
      for (int j = 0; j < dout; j++) u->gb[j] += dpre[(size_t)i * dout + j];
  const float *dt = dpre;
  if (u->g) {
    GL_TRY(gl_fbuf_reserve(&m->s[1], nz));
    float *t = m->s[1].p;
    if (u->sym)
      gl_csr_spmm(u->g, dpre, dout, 0.0f, t);
    else
      gl_csr_spmm_t(u->g, dpre, dout, 0.0f, t);
    dt = t;
  }
  if (!u->in) {
    gl_sparse_linear_backward(x, u->rows, n, dt, dout, u->p, u->key, u->gw);
    return GL_OK;
  }
  const float *in = u->p > 0 ? u->drop.p : u->in;
  gl_linear_backward(in, n, di, u->w, dout, dt, din, u->gw, NULL);
  if (u->p > 0) gl_dropout_backward(din, (size_t)n * di, u->p, u->key, din);
  return GL_OK;
}

/* out = a + b (+ c) over n values. */
static void add3(float *out, const float *a, const float *b, const float *c,
                 size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i] + (c ? c[i] : 0.0f);
}

static gl_status grow_idx(level *v, size_t n) {
  if (n <= v->idx_cap) return GL_OK;
  gl_idx *a = gl_realloc(v->idx, n, sizeof *a);
  if (!a) return GL_ENOMEM;
  v->idx = a;
  gl_idx *b = gl_realloc(v->gid, n, sizeof *b);
  if (!b) return GL_ENOMEM;
  v->gid = b;
  v->idx_cap = n;
  return GL_OK;
}

/* Level l+1 from level l: gPool of e_l, then the augmented graph. */
static gl_status pool_level(gunet *m, int l, const float *e,
                            const gl_csr *pat_l) {
  level *a = &m->lv[l], *b = &m->lv[l + 1];
  const int H = m->H;
  const gl_idx k = m->base.cfg.pool_k[l] < a->n ? m->base.cfg.pool_k[l] : a->n;
  GL_TRY(gl_fbuf_reserve(&a->score, (size_t)a->n));
  GL_TRY(gl_fbuf_reserve(&b->pooled, (size_t)k * H));
  GL_TRY(grow_idx(b, (size_t)k));
  b->n = k;
  GL_TRY(gl_gpool_forward(e, a->n, H, m->pw[l], k, b->idx,
                          a->score.p, b->pooled.p));
  for (gl_idx t = 0; t < k; t++)
    b->gid[t] = l == 0 ? b->idx[t] : a->gid[b->idx[t]];
  gl_csr_free(&b->pat);
  gl_csr_free(&b->g);
  GL_TRY(gl_gpool_graph(&b->pat, pat_l, b->idx, k));
  return gl_csr_gcn_norm(&b->g, &b->pat, m->self_weight);
}

/* DropEdge on a symmetric pattern: each undirected edge {i, j} (i != j) is
 * dropped with probability p, both of its entries together (the mask is
 * keyed by the pair); self loops are dropped too (the normalisation puts
 * them back).  out is a pattern. */
static gl_status drop_edges(gl_csr *out, const gl_csr *a, float p,
                            uint64_t key) {
  const gl_idx n = a->n;
  const uint32_t thr = gl_mask_thr(p), k = gl_mask_key(key);
  GL_TRY(gl_csr_alloc(out, n, n, 0, false));
#define KEEP_(i, j)                                                            \
  ((i) != (j) && gl_mask_u16(k, (i) < (j) ? (uint64_t)(i) * n + (j)            \
                                          : (uint64_t)(j) * n + (i)) >= thr)
#pragma omp parallel for schedule(static) if (n > 4096)
  for (gl_idx i = 0; i < n; i++) {
    gl_off c = 0;
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) c += KEEP_(i, a->col[e]);
    out->ptr[i + 1] = c;
  }
  for (gl_idx i = 0; i < n; i++) out->ptr[i + 1] += out->ptr[i];
  out->nnz = out->ptr[n];
  free(out->col);
  out->col = gl_malloc((size_t)out->nnz + 1, sizeof *out->col);
  if (!out->col) {
    gl_csr_free(out);
    return GL_ENOMEM;
  }
#pragma omp parallel for schedule(static) if (n > 4096)
  for (gl_idx i = 0; i < n; i++) {
    gl_off q = out->ptr[i];
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++)
      if (KEEP_(i, a->col[e])) out->col[q++] = a->col[e];
  }
#undef KEEP_
  return GL_OK;
}

/* Level 0 from block 0 of the batch: the (edge-dropped) pattern in *pat0
 * and its normalisation in lv[0].g. */
static gl_status level0(gunet *m, const gl_csr *x, const gl_batch *b,
                        bool train, gl_csr *pat0) {
  m->mode = NONE;
  const gl_block *blk = b->n_layers >= 1 ? &b->layers[0] : NULL;
  if (!blk || blk->a.n != blk->a.m || blk->a.n != x->n ||
      b->n_out != blk->a.n || blk->src_ids || b->out_ids)
    return gl_error(GL_EINVAL, "gunet: needs the full graph (block 0 of "
                    "the batch must be the whole n x n graph)");
  level *v = &m->lv[0];
  v->n = blk->a.n;
  *pat0 = blk->a;
  pat0->val = NULL;
  gl_csr_free(&v->pat);
  if (train && m->base.cfg.adj_dropout > 0) {
    GL_TRY(drop_edges(&v->pat, &blk->a, m->base.cfg.adj_dropout,
                      gl_hash64(b->key, 0xed9e)));
    *pat0 = v->pat;
  }
  gl_csr_free(&v->g);
  return gl_csr_gcn_norm(&v->g, pat0, m->self_weight);
}

static gl_status gunet_forward(gl_model *mm, const gl_csr *x, gl_batch *b,
                               bool train, float *logits) {
  gunet *m = (gunet *)mm;
  for (int l = 0; l < b->n_layers; l++)
    if (b->layers[l].halo)
      return gl_error(GL_EINVAL, "gunet: pools the whole graph; a part's "
                      "halo blocks are not supported");
  gl_csr pat0;
  GL_TRY(level0(m, x, b, train, &pat0));
  const int L = m->L, H = m->H;
  const bool sym = b->layers[0].symmetric;
  level *lv = m->lv;
  const gl_idx n0 = lv[0].n;
  GL_TRY(unit_forward(m, U_IN, &lv[0].g, sym, n0, NULL, x, NULL, train,
                      b->key, NULL));
  const float *h0 = m->u[U_IN].out, *h = h0;
  for (int l = 0; l < L; l++) {
    GL_TRY(unit_forward(m, U_DOWN(l), &lv[l].g, sym, lv[l].n, h, x, NULL,
                        train, b->key, NULL));
    GL_TRY(pool_level(m, l, m->u[U_DOWN(l)].out, l == 0 ? &pat0 : &lv[l].pat));
    h = lv[l + 1].pooled.p;
  }
  GL_TRY(unit_forward(m, U_BOTTOM(m), &lv[L].g, sym, lv[L].n, h, x, NULL,
                      train, b->key, NULL));
  h = m->u[U_BOTTOM(m)].out;
  for (int l = L - 1; l >= 0; l--) {
    level *v = &lv[l];
    size_t nz = (size_t)v->n * H;
    GL_TRY(gl_fbuf_reserve(&v->up, nz));
    GL_TRY(gl_fbuf_reserve(&v->sum, nz));
    gl_gunpool_forward(h, lv[l + 1].n, H, lv[l + 1].idx, v->n, v->up.p);
    GL_TRY(unit_forward(m, U_UP(m, l), &v->g, sym, v->n, v->up.p, x, NULL,
                        train, b->key, NULL));
    add3(v->sum.p, m->u[U_UP(m, l)].out, m->u[U_DOWN(l)].out,
         l == 0 ? h0 : NULL, nz);
    h = v->sum.p;
  }
  GL_TRY(unit_forward(m, U_OUT(m), &lv[0].g, sym, n0, h, x, NULL, train,
                      b->key, logits));
  m->mode = GRAPH;
  return GL_OK;
}

/* The two gradient buffers for n rows. */
static gl_status grad_bufs(gunet *m, gl_idx n) {
  size_t w = (size_t)(m->H > m->base.cfg.n_classes ? m->H
                                                   : m->base.cfg.n_classes);
  GL_TRY(gl_fbuf_reserve(&m->d[0], (size_t)n * w));
  GL_TRY(gl_fbuf_reserve(&m->d[1], (size_t)n * w));
  return gl_fbuf_reserve(&m->dh0, (size_t)n * m->H);
}

static gl_status gunet_backward(gl_model *mm, const gl_csr *x, gl_batch *b,
                                const float *dlogits) {
  gunet *m = (gunet *)mm;
  (void)b;
  if (m->mode != GRAPH)
    return gl_error(GL_EINVAL, "gunet: backward without a graph forward");
  const int L = m->L, H = m->H;
  level *lv = m->lv;
  const gl_idx n0 = lv[0].n;
  GL_TRY(grad_bufs(m, n0));
  float *cur = m->d[0].p, *oth = m->d[1].p, *sw;
  GL_TRY(unit_backward(m, U_OUT(m), x, dlogits, cur)); /* d(h + h0) */
  memcpy(m->dh0.p, cur, (size_t)n0 * H * sizeof(float));
  for (int l = 0; l < L; l++) { /* decoder, from level 0 down */
    GL_TRY(gl_fbuf_reserve(&lv[l].de, (size_t)lv[l].n * H));
    memcpy(lv[l].de.p, cur, (size_t)lv[l].n * H * sizeof(float));
    GL_TRY(unit_backward(m, U_UP(m, l), x, cur, oth));
    gl_gunpool_backward(oth, lv[l + 1].n, H, lv[l + 1].idx, cur);
  }
  GL_TRY(unit_backward(m, U_BOTTOM(m), x, cur, oth));
  sw = cur, cur = oth, oth = sw;
  for (int l = L - 1; l >= 0; l--) { /* encoder, from the bottom up */
    gl_gpool_backward(m->u[U_DOWN(l)].out, lv[l].n, H, m->pw[l], lv[l + 1].n,
                      lv[l + 1].idx, lv[l].score.p, cur, lv[l].de.p,
                      m->pg[l]);
    GL_TRY(unit_backward(m, U_DOWN(l), x, lv[l].de.p, oth));
    sw = cur, cur = oth, oth = sw;
  }
  add3(m->dh0.p, m->dh0.p, cur, NULL, (size_t)n0 * H);
  return unit_backward(m, U_IN, x, m->dh0.p, NULL);
}

/* ------------------------------------------------------------ FCN path */
static gl_status gunet_forward_fcn(gl_model *mm, const gl_csr *x,
                                   const gl_idx *nodes, gl_idx n,
                                   const gl_mix *mix, bool train,
                                   uint64_t key, float *logits) {
  gunet *m = (gunet *)mm;
  m->mode = NONE;
  if (n < 1 || !nodes)
    return gl_error(GL_EINVAL, "gunet: FCN path needs nodes");
  for (gl_idx i = 0; i < n; i++)
    if (nodes[i] < 0 || nodes[i] >= x->n)
      return gl_error(GL_EINVAL, "gunet: FCN node %d out of range", nodes[i]);
  GL_TRY(gl_mix_check(mix, n));
  const int L = m->L, H = m->H;
  const size_t nz = (size_t)n * H;
  m->fn = n;
  m->has_mix = mix && mix->n > 0;
  if (m->has_mix) m->mix = *mix;
  GL_TRY(unit_forward(m, U_IN, NULL, true, n, NULL, x, nodes, train, key,
                      NULL));
  const float *h0 = m->u[U_IN].out;
  if (m->has_mix) {
    GL_TRY(gl_fbuf_reserve(&m->hmix, nz));
    gl_mix_forward(h0, n, H, mix, m->hmix.p);
    h0 = m->hmix.p;
  }
  const float *h = h0;
  for (int l = 0; l < L; l++) { /* gPool keeping every node: the gate */
    level *a = &m->lv[l], *b = &m->lv[l + 1];
    GL_TRY(unit_forward(m, U_DOWN(l), NULL, true, n, h, x, NULL, train, key,
                        NULL));
    GL_TRY(gl_fbuf_reserve(&a->score, (size_t)n));
    GL_TRY(gl_fbuf_reserve(&b->pooled, nz));
    GL_TRY(grow_idx(b, (size_t)n));
    GL_TRY(gl_gpool_forward(m->u[U_DOWN(l)].out, n, H, m->pw[l], n, b->idx,
                            a->score.p, b->pooled.p));
    h = b->pooled.p;
  }
  GL_TRY(unit_forward(m, U_BOTTOM(m), NULL, true, n, h, x, NULL, train, key,
                      NULL));
  h = m->u[U_BOTTOM(m)].out;
  for (int l = L - 1; l >= 0; l--) {
    level *v = &m->lv[l];
    GL_TRY(gl_fbuf_reserve(&v->sum, nz));
    GL_TRY(unit_forward(m, U_UP(m, l), NULL, true, n, h, x, NULL, train, key,
                        NULL));
    add3(v->sum.p, m->u[U_UP(m, l)].out, m->u[U_DOWN(l)].out,
         l == 0 ? h0 : NULL, nz);
    h = v->sum.p;
  }
  GL_TRY(unit_forward(m, U_OUT(m), NULL, true, n, h, x, NULL, train, key,
                      logits));
  m->mode = FCN;
  return GL_OK;
}

static gl_status gunet_backward_fcn(gl_model *mm, const gl_csr *x,
                                    const float *dlogits) {
  gunet *m = (gunet *)mm;
  if (m->mode != FCN)
    return gl_error(GL_EINVAL, "gunet: backward_fcn without an FCN forward");
  const int L = m->L, H = m->H;
  const gl_idx n = m->fn;
  const size_t nz = (size_t)n * H;
  level *lv = m->lv;
  GL_TRY(grad_bufs(m, n));
  float *cur = m->d[0].p, *oth = m->d[1].p, *sw;
  GL_TRY(unit_backward(m, U_OUT(m), x, dlogits, cur));
  memcpy(m->dh0.p, cur, nz * sizeof(float)); /* d(mixed h0) */
  for (int l = 0; l < L; l++) {
    GL_TRY(gl_fbuf_reserve(&lv[l].de, nz));
    memcpy(lv[l].de.p, cur, nz * sizeof(float));
    GL_TRY(unit_backward(m, U_UP(m, l), x, cur, oth));
    sw = cur, cur = oth, oth = sw;
  }
  GL_TRY(unit_backward(m, U_BOTTOM(m), x, cur, oth));
  for (int l = L - 1; l >= 0; l--) {
    /* oth: the gradient of the gate's output (block l+1's input) */
    gl_gpool_backward(m->u[U_DOWN(l)].out, n, H, m->pw[l], n, lv[l + 1].idx,
                      lv[l].score.p, oth, lv[l].de.p, m->pg[l]);
    GL_TRY(unit_backward(m, U_DOWN(l), x, lv[l].de.p, oth));
  }
  add3(m->dh0.p, m->dh0.p, oth, NULL, nz);
  const float *dh0 = m->dh0.p;
  if (m->has_mix) {
    gl_mix_backward(m->dh0.p, n, H, &m->mix, cur);
    dh0 = cur;
  }
  return unit_backward(m, U_IN, x, dh0, NULL);
}

/* ------------------------------------------------------------ life cycle */
static void gunet_free(gl_model *mm) {
  gunet *m = (gunet *)mm;
  for (int i = 0; m->u && i < m->U; i++) {
    free(m->u[i].drop.p);
    free(m->u[i].t.p);
    free(m->u[i].z.p);
  }
  for (int l = 0; m->lv && l <= m->L; l++) {
    level *v = &m->lv[l];
    free(v->idx);
    free(v->gid);
    gl_csr_free(&v->pat);
    gl_csr_free(&v->g);
    free(v->score.p);
    free(v->pooled.p);
    free(v->up.p);
    free(v->sum.p);
    free(v->de.p);
  }
  gl_model_free_params(&m->base);
  free(m->hmix.p);
  free(m->dh0.p);
  for (int i = 0; i < 2; i++) {
    free(m->d[i].p);
    free(m->s[i].p);
  }
  free(m->u);
  free(m->lv);
  free(m->pw);
  free(m->names);
  free(m);
}

static const gl_model_ops gunet_ops = {"gunet",           gunet_forward,
                                       gunet_backward,    gunet_forward_fcn,
                                       gunet_backward_fcn, gunet_free,
                                       NULL,              NULL,
                                       true,              NULL};

const gl_idx *gl_gunet_kept(const gl_model *mm, int level, gl_idx *k) {
  *k = 0;
  if (!mm || mm->ops != &gunet_ops) return NULL;
  const gunet *m = (const gunet *)mm;
  if (level < 1 || level > m->L || !m->lv[level].gid || m->lv[level].n < 1)
    return NULL;
  *k = m->lv[level].n;
  return m->lv[level].gid;
}

/* Appends a parameter of rows x cols (Glorot-initialised when `glorot`,
 * else zero). */
static gl_status add_param(gunet *m, gl_rng *r, const char *name, int rows,
                           int cols, bool decay, bool glorot, float **w,
                           float **g) {
  char *nm = m->names[m->base.n_params];
  snprintf(nm, sizeof *m->names, "%.23s", name);
  GL_TRY(gl_model_add_param(&m->base, nm, rows, cols, decay, w, g));
  if (glorot) gl_glorot(r, *w, rows, cols);
  return GL_OK;
}

gl_status gl_gunet_new(gl_model **out, const gl_model_cfg *cfg) {
  *out = NULL;
  if (cfg->n_features < 1 || cfg->n_classes < 2 || cfg->hidden < 1)
    return gl_error(GL_EINVAL,
                    "gunet: need features >= 1, classes >= 2, hidden >= 1");
  if (cfg->n_pools < 1 || cfg->n_pools > 8)
    return gl_error(GL_EINVAL, "gunet: n_pools must be in 1..8, not %d",
                    cfg->n_pools);
  for (int l = 0; l < cfg->n_pools; l++)
    if (cfg->pool_k[l] < 1)
      return gl_error(GL_EINVAL, "gunet: pool_k[%d] = %d, must be >= 1", l,
                      cfg->pool_k[l]);
  if (!(cfg->dropout >= 0 && cfg->dropout < 1) ||
      !(cfg->hidden_dropout >= 0 && cfg->hidden_dropout < 1) ||
      !(cfg->adj_dropout >= 0 && cfg->adj_dropout < 1))
    return gl_error(GL_EINVAL, "gunet: dropout, hidden_dropout and "
                    "adj_dropout must be in [0, 1)");
  if (cfg->act < GL_ACT_ELU || cfg->act > GL_ACT_NONE)
    return gl_error(GL_EINVAL, "gunet: unknown activation %d", cfg->act);
  gunet *m = gl_calloc(1, sizeof *m);
  if (!m) return GL_ENOMEM;
  const int L = cfg->n_pools, U = 2 * L + 3, H = cfg->hidden;
  const int n_par = 2 * U + L;
  m->base.ops = &gunet_ops;
  m->base.cfg = *cfg;
  if (m->base.cfg.layers < 1) m->base.cfg.layers = 1; /* blocks to make */
  m->L = L;
  m->U = U;
  m->H = H;
  m->self_weight = 2.0f;
  m->u = gl_calloc((size_t)U, sizeof *m->u);
  m->lv = gl_calloc((size_t)L + 1, sizeof *m->lv);
  m->pw = gl_calloc(2 * (size_t)L, sizeof *m->pw);
  m->names = gl_calloc((size_t)n_par, sizeof *m->names);
  m->base.params = gl_calloc((size_t)n_par, sizeof *m->base.params);
  if (!m->u || !m->lv || !m->pw || !m->names || !m->base.params) {
    gunet_free(&m->base);
    return GL_ENOMEM;
  }
  m->pg = m->pw + L;
  gl_rng rng;
  gl_rng_seed(&rng, cfg->seed);
  gl_status st = GL_OK;
  for (int i = 0; i < U && st == GL_OK; i++) {
    unit *u = &m->u[i];
    u->di = i == U_IN ? cfg->n_features : H;
    u->dout = i == U_OUT(m) ? cfg->n_classes : H;
    char name[24];
    if (i == U_IN)
      snprintf(name, sizeof name, "in");
    else if (i <= L)
      snprintf(name, sizeof name, "down%d", i - 1);
    else if (i == U_BOTTOM(m))
      snprintf(name, sizeof name, "bottom");
    else if (i < U_OUT(m))
      snprintf(name, sizeof name, "up%d", i - L - 2);
    else
      snprintf(name, sizeof name, "out");
    char wn[32], bn[32];
    snprintf(wn, sizeof wn, "%s.W", name);
    snprintf(bn, sizeof bn, "%s.b", name);
    st = add_param(m, &rng, wn, u->di, u->dout, cfg->decay_all || i == U_IN,
                   true, &u->w, &u->gw);
    if (st == GL_OK && cfg->bias)
      st = add_param(m, &rng, bn, 1, u->dout, cfg->decay_all, false, &u->b,
                     &u->gb);
    if (st == GL_OK && i >= 1 && i <= L) {
      snprintf(wn, sizeof wn, "pool%d.p", i - 1);
      st = add_param(m, &rng, wn, 1, H, cfg->decay_all, true, &m->pw[i - 1],
                     &m->pg[i - 1]);
    }
  }
  if (st != GL_OK) {
    gunet_free(&m->base);
    return st;
  }
  *out = &m->base;
  return GL_OK;
}
