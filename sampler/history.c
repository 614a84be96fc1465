/* Samplers with history embeddings: VR-GCN's control variates (Chen et
 * al., ICML 2018) and MVS-GNN's snapshot, minimal-variance batches and
 * one-shot subgraphs (Cong et al., KDD 2020).
 * Both keep, per layer l >= 1, the last activated input row computed for
 * every node, and read it for the nodes a batch does not compute. */
#include <stdlib.h>
#include <string.h>

#include "sampler/sampler.h"

gl_status gl_history_init(gl_history *h, gl_idx n, int n_layers,
                          const int *widths) {
  memset(h, 0, sizeof *h);
  h->n_layers = n_layers;
  h->n = n;
  h->h = gl_calloc((size_t)n_layers, sizeof *h->h);
  h->width = gl_calloc((size_t)n_layers, sizeof *h->width);
  if (!h->h || !h->width) {
    gl_history_free(h);
    return GL_ENOMEM;
  }
  for (int l = 1; l < n_layers; l++) {
    if (widths[l - 1] < 1) {
      gl_history_free(h);
      return gl_error(GL_EINVAL, "history: hidden width %d < 1",
                      widths[l - 1]);
    }
    h->width[l] = widths[l - 1];
    h->h[l] = gl_calloc((size_t)n * (size_t)h->width[l], sizeof *h->h[l]);
    if (!h->h[l]) {
      gl_history_free(h);
      return GL_ENOMEM;
    }
  }
  return GL_OK;
}

void gl_history_free(gl_history *h) {
  for (int l = 0; h->h && l < h->n_layers; l++) free(h->h[l]);
  free(h->h);
  free(h->width);
  memset(h, 0, sizeof *h);
}

void gl_history_attach(const gl_history *h, gl_batch *b) {
  for (int l = 1; l < b->n_layers && l < h->n_layers; l++) {
    gl_block *k = &b->layers[l];
    if (k->n_fresh <= 0) continue;
    k->hist = h->h[l];
    k->hist_width = h->width[l];
  }
}

gl_status gl_history_store(gl_history *h, const gl_batch *b, int l,
                           const float *rows, int width) {
  if (l < 0 || l + 1 >= h->n_layers || l + 1 >= b->n_layers ||
      width != h->width[l + 1])
    return gl_error(GL_EINVAL, "history: layer %d's rows of width %d do not "
                    "fit a history of %d layers", l, width, h->n_layers);
  const gl_block *k = &b->layers[l];
  const size_t w = (size_t)width;
  for (gl_idx i = 0; i < gl_block_n_dst(k); i++) {
    const gl_idx id = k->dst_ids ? k->dst_ids[i] : i;
    memcpy(h->h[l + 1] + (size_t)id * w, rows + (size_t)i * w,
           w * sizeof *rows);
  }
  return GL_OK;
}

/* The history arguments both samplers check. */
static gl_status check_widths(const char *who, int n_layers,
                              const int *widths) {
  for (int l = 0; l + 1 < n_layers; l++)
    if (!widths || widths[l] < 1)
      return gl_error(GL_EINVAL, "%s: hidden width %d < 1", who,
                      widths ? widths[l] : 0);
  return GL_OK;
}

/* ------------------------------------------------------------ VR-GCN */
typedef struct {
  gl_sampler base;
  const gl_csr *adj;
  gl_epoch_order ep;
  int *fanout;
  gl_idmap map, smap;
  gl_rowindex ix;
  gl_history h;
} vr_sampler;

static gl_status vr_next(gl_sampler *s, gl_batch *b) {
  vr_sampler *v = (vr_sampler *)s;
  gl_idx n;
  const gl_idx *nodes = gl_epoch_order_next(&v->ep, &s->rng, &n);
  GL_TRY(gl_batch_nodewise(b, v->adj, nodes, n, s->n_layers, v->fanout,
                           &s->rng, &v->map, &v->smap, &v->ix));
  gl_history_attach(&v->h, b);
  b->key = gl_rng_u64(&s->rng);
  return GL_OK;
}

static long vr_epoch_steps(const gl_sampler *s) {
  return gl_epoch_order_steps(&((const vr_sampler *)s)->ep);
}

static gl_status vr_remember(gl_sampler *s, const gl_batch *b, int l,
                             const float *rows, int width) {
  return gl_history_store(&((vr_sampler *)s)->h, b, l, rows, width);
}

static void vr_free(gl_sampler *s) {
  vr_sampler *v = (vr_sampler *)s;
  free(v->ep.order);
  free(v->fanout);
  gl_idmap_free(&v->map);
  gl_idmap_free(&v->smap);
  gl_rowindex_free(&v->ix);
  gl_history_free(&v->h);
  free(v);
}

/* The history's rows (above the features). */
static gl_status history_io(gl_history *h, gl_state *st) {
  for (int l = 1; l < h->n_layers; l++)
    GL_TRY(gl_state_io(st, "history", h->h[l], sizeof(float),
                       (size_t)h->n * (size_t)h->width[l]));
  return GL_OK;
}

static gl_status vr_io(gl_sampler *s, gl_state *st) {
  vr_sampler *v = (vr_sampler *)s;
  GL_TRY(gl_epoch_order_io(&v->ep, st));
  return history_io(&v->h, st);
}

static const gl_sampler_ops vr_ops = {"vrgcn",  vr_next,     vr_epoch_steps,
                                      NULL,     vr_free,     vr_remember,
                                      vr_io};

gl_status gl_sampler_vrgcn_new(gl_sampler **out, const gl_csr *adj,
                               int n_layers, const int *fanouts,
                               const int *widths, const gl_idx *loss_nodes,
                               gl_idx n_loss, gl_idx batch_size,
                               uint64_t seed) {
  *out = NULL;
  GL_TRY(gl_sampler_check("vrgcn sampler", adj, n_layers, loss_nodes,
                          n_loss));
  GL_TRY(check_widths("vrgcn sampler", n_layers, widths));
  if (batch_size < 1)
    return gl_error(GL_EINVAL, "vrgcn sampler: batch size %d < 1",
                    (int)batch_size);
  for (int l = 0; l < n_layers; l++)
    if (!fanouts || fanouts[l] < 0)
      return gl_error(GL_EINVAL, "vrgcn sampler: fan-out %d < 0",
                      fanouts ? fanouts[l] : -1);
  vr_sampler *v = gl_calloc(1, sizeof *v);
  if (!v) return GL_ENOMEM;
  v->base.ops = &vr_ops;
  v->base.n_layers = n_layers;
  gl_rng_seed(&v->base.rng, seed);
  v->adj = adj;
  v->fanout = gl_malloc((size_t)n_layers, sizeof *v->fanout);
  gl_status st = GL_ENOMEM;
  if (!v->fanout || gl_idmap_init(&v->map, adj->n) != GL_OK ||
      gl_idmap_init(&v->smap, adj->n) != GL_OK ||
      gl_rowindex_init(&v->ix, adj) != GL_OK ||
      gl_epoch_order_init(&v->ep, loss_nodes, n_loss, batch_size) != GL_OK ||
      (st = gl_history_init(&v->h, adj->n, n_layers, widths)) != GL_OK) {
    vr_free(&v->base);
    return st;
  }
  memcpy(v->fanout, fanouts, (size_t)n_layers * sizeof *v->fanout);
  *out = &v->base;
  return GL_OK;
}

/* ------------------------------------------------------------ MVS-GNN */
typedef struct {
  gl_sampler base;
  const gl_csr *adj;
  gl_history h;
  gl_idx *loss, n_loss; /* V_S = loss[0, n_vs) since the last snapshot */
  gl_idx n_vs, batch;
  float *p, *w;         /* per V_S node; the last draw's weights */
  gl_idx *draw, *perm; /* perm: systematic draws' order */
  gl_idmap map;
  int inner, left;      /* inner steps a snapshot, left before the next */
  bool symmetric;       /* adj: snapshots may be the whole graph */
  bool waiting;         /* the last snapshot's norms are still to come */
} mvs_sampler;

/* A snapshot: the exact L-hop graph of a fresh uniform V_S. */
static gl_status mvs_snapshot(mvs_sampler *v, gl_batch *b) {
  gl_rng *rng = &v->base.rng;
  if (v->n_vs < v->n_loss)
    gl_rng_sample(rng, v->loss, (size_t)v->n_loss, (size_t)v->n_vs);
  /* the exact L-hop graph of V_S, or the whole (symmetric) graph when
   * that would cover a good part of it anyway (cheaper than building it) */
  const int L = v->base.n_layers;
  double reach = v->n_vs, deg = (double)v->adj->nnz / v->adj->n;
  for (int l = 1; l < L; l++) reach *= 1 + deg;
  if (v->symmetric && reach >= 0.25 * v->adj->n) {
    gl_batch_free(b);
    b->n_layers = L;
    b->layers = gl_calloc((size_t)L, sizeof *b->layers);
    b->loss_pos = gl_malloc((size_t)v->n_vs, sizeof *b->loss_pos);
    b->loss_w = gl_malloc((size_t)v->n_vs, sizeof *b->loss_w);
    if (!b->layers || !b->loss_pos || !b->loss_w) {
      gl_batch_free(b);
      return GL_ENOMEM;
    }
    for (int l = 0; l < L; l++) {
      b->layers[l].a = *v->adj; /* borrowed */
      b->layers[l].symmetric = true;
    }
    b->n_out = v->adj->n;
    b->n_loss = v->n_vs;
    memcpy(b->loss_pos, v->loss, (size_t)v->n_vs * sizeof *v->loss);
  } else
    GL_TRY(gl_batch_nodewise(b, v->adj, v->loss, v->n_vs, L, NULL, NULL,
                             &v->map, NULL, NULL));
  for (gl_idx i = 0; i < b->n_loss; i++) b->loss_w[i] = 1.0f;
  b->snapshot = true;
  v->waiting = true;
  return GL_OK;
}

static gl_status mvs_next(gl_sampler *s, gl_batch *b) {
  mvs_sampler *v = (mvs_sampler *)s;
  const int L = s->n_layers;
  if (v->left == 0 && !v->waiting) {
    GL_TRY(mvs_snapshot(v, b));
    b->key = gl_rng_u64(&s->rng);
    return GL_OK;
  }
  if (v->waiting)
    return gl_error(GL_EINVAL, "mvs sampler: the snapshot's gradient norms "
                    "were not fed back");
  gl_idx k = 0;
  while (k == 0) /* p > 0 somewhere (mvs_feedback): ends */
    k = v->perm ? gl_mvs_draw_systematic(v->p, v->loss, v->n_vs, &s->rng,
                                         v->perm, v->draw, v->w)
                : gl_mvs_draw(v->p, v->loss, v->n_vs, &s->rng, v->draw, v->w);
  /* one block, the batch's rows with all of their neighbours, at every
   * layer: the batch fresh, the rest from history above the features */
  GL_TRY(gl_batch_nodewise(b, v->adj, v->draw, k, 1, NULL, NULL, &v->map,
                           NULL, NULL));
  gl_block *ks = gl_realloc(b->layers, (size_t)L, sizeof *ks);
  if (!ks) {
    gl_batch_free(b);
    return GL_ENOMEM;
  }
  b->layers = ks;
  b->n_layers = L;
  for (int l = 1; l < L; l++) {
    ks[l] = ks[0];
    ks[l].owned = false;
    ks[l].n_fresh = k;
  }
  gl_history_attach(&v->h, b);
  memcpy(b->loss_w, v->w, (size_t)k * sizeof *v->w);
  b->key = gl_rng_u64(&s->rng);
  v->left--;
  return GL_OK;
}

static gl_status mvs_feedback(gl_sampler *s, const gl_batch *b,
                              const float *g) {
  mvs_sampler *v = (mvs_sampler *)s;
  if (!v->waiting || !b->snapshot || b->n_loss != v->n_vs)
    return gl_error(GL_EINVAL, "mvs sampler: gradient norms for a batch "
                    "that is not its last snapshot");
  /* V_S's norms in order: the snapshot's loss rows */
  for (gl_idx i = 0; i < v->n_vs; i++) v->w[i] = g[b->loss_pos[i]];
  GL_TRY(gl_mvs_probs(v->w, v->n_vs, (double)v->batch, v->p, NULL));
  bool any = false;
  for (gl_idx i = 0; i < v->n_vs && !any; i++) any = v->p[i] > 0;
  if (!any) { /* every gradient vanished: uniform */
    float q = (float)v->batch / (float)v->n_vs;
    for (gl_idx i = 0; i < v->n_vs; i++) v->p[i] = q < 1 ? q : 1;
  }
  v->waiting = false;
  v->left = v->inner;
  return GL_OK;
}

static long mvs_epoch_steps(const gl_sampler *s) {
  const mvs_sampler *v = (const mvs_sampler *)s;
  return (long)((v->n_loss + v->batch - 1) / v->batch);
}

/* From the trainer's thread, while a prefetcher may be drawing: the draws
 * never read the history's rows. */
static gl_status mvs_remember(gl_sampler *s, const gl_batch *b, int l,
                              const float *rows, int width) {
  return gl_history_store(&((mvs_sampler *)s)->h, b, l, rows, width);
}

static void mvs_free(gl_sampler *s) {
  mvs_sampler *v = (mvs_sampler *)s;
  gl_history_free(&v->h);
  free(v->loss);
  free(v->p);
  free(v->w);
  free(v->draw);
  gl_idmap_free(&v->map);
  free(v->perm);
  free(v);
}

/* V_S's order (its first n_vs are the current V_S), probabilities and
 * counters; the history. */
static gl_status mvs_io(gl_sampler *s, gl_state *st) {
  mvs_sampler *v = (mvs_sampler *)s;
  GL_TRY(gl_state_same(st, "mvs.vs", &v->n_vs, sizeof v->n_vs, "mvs ratio"));
  GL_TRY(gl_state_same(st, "mvs.inner", &v->inner, sizeof v->inner,
                       "mvs inner steps"));
  GL_TRY(gl_sampler_ids_io(st, "mvs.loss", v->loss, v->n_loss));
  GL_TRY(gl_state_io(st, "mvs.p", v->p, sizeof *v->p, (size_t)v->n_vs));
  bool any = false; /* p > 0 somewhere (mvs_feedback), or draws never end */
  for (gl_idx i = 0; st->load && i < v->n_vs; i++) {
    if (!(v->p[i] >= 0 && v->p[i] <= 1))
      return gl_error(GL_EFORMAT, "saved state: mvs probability %g",
                      (double)v->p[i]);
    any |= v->p[i] > 0;
  }
  if (st->load && !any)
    return gl_error(GL_EFORMAT, "saved state: every mvs probability is 0");
  int left = v->left, waiting = v->waiting;
  GL_TRY(GL_STATE_VAR(st, "mvs.left", left));
  GL_TRY(GL_STATE_VAR(st, "mvs.waiting", waiting));
  if (left < 0 || left > v->inner || (waiting != 0 && waiting != 1))
    return gl_error(GL_EFORMAT, "saved state: mvs counters %d, %d", left,
                    waiting);
  v->left = left;
  v->waiting = waiting;
  return history_io(&v->h, st);
}

static const gl_sampler_ops mvs_ops = {"mvs",    mvs_next, mvs_epoch_steps,
                                       mvs_feedback, mvs_free,
                                       mvs_remember, mvs_io};

gl_status gl_sampler_mvs_new(gl_sampler **out, const gl_csr *adj,
                             int n_layers, const int *widths, double ratio,
                             int inner, bool systematic,
                             const gl_idx *loss_nodes,
                             gl_idx n_loss, gl_idx batch_size,
                             uint64_t seed) {
  *out = NULL;
  GL_TRY(gl_sampler_check("mvs sampler", adj, n_layers, loss_nodes, n_loss));
  GL_TRY(check_widths("mvs sampler", n_layers, widths));
  if (batch_size < 1 || inner < 1 || !(ratio > 0 && ratio <= 1))
    return gl_error(GL_EINVAL, "mvs sampler: need batch size >= 1 (got %d), "
                    "inner steps >= 1 (%d), ratio in (0, 1] (%g)",
                    (int)batch_size, inner, ratio);
  mvs_sampler *v = gl_calloc(1, sizeof *v);
  if (!v) return GL_ENOMEM;
  v->base.ops = &mvs_ops;
  v->base.n_layers = n_layers;
  gl_rng_seed(&v->base.rng, seed);
  v->adj = adj;
  v->n_loss = n_loss;
  v->n_vs = (gl_idx)(ratio * (double)n_loss + 0.5);
  if (v->n_vs < 1) v->n_vs = 1;
  v->batch = batch_size;
  v->inner = inner;
  v->loss = gl_malloc((size_t)n_loss, sizeof *v->loss);
  v->p = gl_calloc((size_t)v->n_vs, sizeof *v->p);
  v->w = gl_malloc((size_t)v->n_vs, sizeof *v->w);
  v->draw = gl_malloc((size_t)v->n_vs, sizeof *v->draw);
  if (systematic) v->perm = gl_malloc((size_t)v->n_vs, sizeof *v->perm);
  gl_status st = GL_ENOMEM;
  if (!v->loss || !v->p || !v->w || !v->draw ||
      gl_idmap_init(&v->map, adj->n) != GL_OK ||
      (systematic && !v->perm) ||
      (st = gl_history_init(&v->h, adj->n, n_layers, widths)) != GL_OK) {
    mvs_free(&v->base);
    return st;
  }
  memcpy(v->loss, loss_nodes, (size_t)n_loss * sizeof *v->loss);
  v->symmetric = gl_csr_is_symmetric(adj);
  for (gl_idx i = 0; i < n_loss; i++) { /* V_S's rows are its nodes */
    if (gl_idmap_get(&v->map, v->loss[i]) >= 0) {
      mvs_free(&v->base);
      return gl_error(GL_EINVAL, "mvs sampler: loss node %d given twice",
                      (int)loss_nodes[i]);
    }
    gl_idmap_set(&v->map, v->loss[i], i);
  }
  gl_idmap_clear(&v->map);
  *out = &v->base;
  return GL_OK;
}
