/* Layer-wise sampling (FastGCN: Chen, Ma & Xiao, ICLR 2018; LADIES: Zou
 * et al., NeurIPS 2019): every layer draws one set
 * of nodes shared by all of its destinations.
 *   FastGCN: t_l nodes i.i.d. from q(u) ~ ||A(:, u)||^2 over the whole
 *     graph; entry (v, u) = A_vu c_u / (t_l q_u) (c_u: times drawn), an
 *     unbiased estimate of the row of A times the layer's input.
 *   LADIES: s_l distinct nodes from q(u) ~ ||A(S, u)||^2 over the layer
 *     above's nodes S (its neighbours only); entries A_vu / (s_l q_u), then
 *     each row rescaled to the row sum of A (the reference row-normalises
 *     its random-walk matrix, whose rows sum to 1).
 * Both keep each destination's self entry exactly and list the
 * destinations first among the sources (as every block does; the
 * reference LADIES adds the batch nodes to every layer too). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler/sampler.h"

typedef struct {
  gl_sampler base;
  const gl_csr *adj;
  bool ladies;
  gl_epoch_order ep;
  int *size;      /* nodes drawn per layer, input side first */
  double *cum;    /* FastGCN: cumulative q over all nodes */
  double *q;      /* LADIES: q over the candidates (scratch, n entries) */
  float *weight;  /* per node: its column factor this layer (0: not drawn) */
  gl_idx *map, *drawn, *cand;
} layer_sampler;

typedef struct {
  double key;
  gl_idx u;
} keyed;

static int by_key(const void *pa, const void *pb) {
  const keyed *a = pa, *b = pb;
  return (a->key > b->key) - (a->key < b->key);
}

/* Draws layer l's nodes for the destinations dst (nd): sets weight[u] for
 * each, lists them in drawn; returns how many (or -1: out of memory). */
static gl_idx draw_layer(layer_sampler *s, const gl_idx *dst, gl_idx nd,
                         int t) {
  const gl_csr *a = s->adj;
  gl_rng *rng = &s->base.rng;
  gl_idx k = 0;
  if (!s->ladies) {
    const double total = s->cum[a->n - 1];
    for (int i = 0; i < t; i++) {
      gl_idx u = (gl_idx)gl_draw_cum(s->cum, a->n, rng);
      if (s->weight[u] == 0) s->drawn[k++] = u;
      double q = (s->cum[u] - (u ? s->cum[u - 1] : 0)) / total;
      s->weight[u] += (float)(1.0 / (t * q));
    }
    return k;
  }
  /* LADIES: q over the neighbours of dst */
  gl_idx nc = 0;
  double total = 0;
  for (gl_idx r = 0; r < nd; r++)
    for (gl_off e = a->ptr[dst[r]]; e < a->ptr[dst[r] + 1]; e++) {
      gl_idx u = a->col[e];
      double w = gl_csr_w(a, e);
      if (s->q[u] == 0) s->cand[nc++] = u;
      s->q[u] += w * w;
      total += w * w;
    }
  keyed *kk = gl_malloc((size_t)nc + 1, sizeof *kk);
  if (!kk) return -1;
  for (gl_idx i = 0; i < nc; i++) { /* Efraimidis-Spirakis keys */
    gl_idx u = s->cand[i];
    double x = gl_rng_uniform(rng);
    kk[i] = (keyed){-log(1.0 - x) / s->q[u], u};
  }
  gl_idx take = nc < t ? nc : t;
  qsort(kk, (size_t)nc, sizeof *kk, by_key);
  for (gl_idx i = 0; i < take; i++) {
    gl_idx u = kk[i].u;
    s->drawn[k++] = u;
    s->weight[u] = (float)(total / (take * s->q[u]));
  }
  free(kk);
  for (gl_idx i = 0; i < nc; i++) s->q[s->cand[i]] = 0;
  return k;
}

static gl_idx add(gl_idx id, gl_idx *map, gl_idx *ids, gl_idx *k) {
  if (map[id] < 0) {
    ids[*k] = id;
    map[id] = (*k)++;
  }
  return map[id];
}

static gl_status layer_next(gl_sampler *sp, gl_batch *b) {
  layer_sampler *s = (layer_sampler *)sp;
  const gl_csr *a = s->adj;
  const int L = sp->n_layers;
  gl_batch_free(b);
  gl_idx n;
  const gl_idx *nodes = gl_epoch_order_next(&s->ep, &sp->rng, &n);
  gl_status st = GL_OK;
  b->n_layers = L;
  b->layers = gl_calloc((size_t)L, sizeof *b->layers);
  b->loss_pos = gl_malloc((size_t)n, sizeof *b->loss_pos);
  b->loss_w = gl_malloc((size_t)n, sizeof *b->loss_w);
  b->out_ids = gl_malloc((size_t)n, sizeof *b->out_ids);
  if (!b->layers || !b->loss_pos || !b->loss_w || !b->out_ids) {
    gl_batch_free(b);
    return GL_ENOMEM;
  }
  gl_idx nd = 0;
  for (gl_idx i = 0; i < n; i++) { /* the loss nodes are distinct */
    b->loss_pos[i] = add(nodes[i], s->map, b->out_ids, &nd);
    b->loss_w[i] = 1.0f / (float)n;
  }
  b->n_out = b->n_loss = n;
  const gl_idx *dst = b->out_ids;
  for (int l = L - 1; l >= 0 && st == GL_OK; l--) {
    gl_block *k = &b->layers[l];
    k->owned = true;
    gl_idx nk = draw_layer(s, dst, nd, s->size[l]);
    gl_off nnz = 0;
    for (gl_idx r = 0; r < nd; r++) {
      gl_off e0 = a->ptr[dst[r]], e1 = a->ptr[dst[r] + 1];
      nnz += e1 - e0 < nk + 1 ? e1 - e0 : nk + 1;
    }
    k->dst_ids = gl_malloc((size_t)nd, sizeof *k->dst_ids);
    k->src_ids = gl_malloc((size_t)nd + (nk > 0 ? nk : 0),
                           sizeof *k->src_ids);
    if (nk < 0 || !k->dst_ids || !k->src_ids ||
        gl_csr_alloc(&k->a, nd, 0, nnz, true) != GL_OK) {
      st = GL_ENOMEM;
      break;
    }
    memcpy(k->dst_ids, dst, (size_t)nd * sizeof *dst);
    memcpy(k->src_ids, dst, (size_t)nd * sizeof *dst); /* map holds these */
    gl_idx ns = nd;
    for (gl_idx i = 0; i < nk; i++) add(s->drawn[i], s->map, k->src_ids, &ns);
    gl_off e = 0;
    for (gl_idx r = 0; r < nd; r++) {
      const gl_idx v = dst[r];
      const gl_off first = e;
      double exact = 0, got = 0;
      for (gl_off j = a->ptr[v]; j < a->ptr[v + 1]; j++) {
        const gl_idx u = a->col[j];
        const float w = gl_csr_w(a, j);
        exact += w;
        if (u != v && s->weight[u] == 0) continue;
        k->a.col[e] = s->map[u];
        k->a.val[e] = u == v ? w : w * s->weight[u];
        got += k->a.val[e++];
      }
      if (s->ladies && got > 0) /* rows keep the sums of A */
        for (gl_off j = first; j < e; j++)
          k->a.val[j] = (float)(k->a.val[j] * exact / got);
      k->a.ptr[r + 1] = e;
    }
    k->a.m = ns;
    k->a.nnz = e;
    for (gl_idx i = 0; i < nk; i++) s->weight[s->drawn[i]] = 0;
    dst = k->src_ids; /* the next layer down computes these */
    nd = ns;
  }
  /* map: every id listed is among the last layer's sources */
  const gl_block *k0 = &b->layers[0];
  if (st == GL_OK)
    for (gl_idx i = 0; i < k0->a.m; i++) s->map[k0->src_ids[i]] = -1;
  else {
    for (gl_idx i = 0; i < a->n; i++) s->map[i] = -1;
    gl_batch_free(b);
  }
  b->key = gl_rng_u64(&sp->rng);
  return st;
}

static long layer_epoch_steps(const gl_sampler *sp) {
  return gl_epoch_order_steps(&((const layer_sampler *)sp)->ep);
}

static void layer_free(gl_sampler *sp) {
  layer_sampler *s = (layer_sampler *)sp;
  free(s->ep.order);
  free(s->size);
  free(s->cum);
  free(s->q);
  free(s->weight);
  free(s->map);
  free(s->drawn);
  free(s->cand);
  free(s);
}

static gl_status layer_io(gl_sampler *s, gl_state *st) {
  return gl_epoch_order_io(&((layer_sampler *)s)->ep, st);
}

static const gl_sampler_ops fastgcn_ops = {"fastgcn",  layer_next,
                                           layer_epoch_steps, NULL,
                                           layer_free, NULL,
                                           layer_io};
static const gl_sampler_ops ladies_ops = {"ladies",   layer_next,
                                          layer_epoch_steps, NULL,
                                          layer_free, NULL,
                                          layer_io};

gl_status gl_sampler_layer_new(gl_sampler **out, bool ladies,
                               const gl_csr *adj, int n_layers,
                               const int *sizes, const gl_idx *loss_nodes,
                               gl_idx n_loss, gl_idx batch_size,
                               uint64_t seed) {
  *out = NULL;
  const char *who = ladies ? "ladies sampler" : "fastgcn sampler";
  GL_TRY(gl_sampler_check(who, adj, n_layers, loss_nodes, n_loss));
  if (batch_size < 1)
    return gl_error(GL_EINVAL, "%s: batch size %d < 1", who, (int)batch_size);
  for (int l = 0; l < n_layers; l++)
    if (sizes[l] < 1)
      return gl_error(GL_EINVAL, "%s: layer size %d < 1", who, sizes[l]);
  char *seen = gl_calloc((size_t)adj->n, 1);
  if (!seen) return GL_ENOMEM;
  for (gl_idx i = 0; i < n_loss; i++) {
    gl_idx v = loss_nodes[i];
    if (seen[v]) {
      free(seen);
      return gl_error(GL_EINVAL, "%s: loss node %d repeated", who, (int)v);
    }
    seen[v] = 1;
  }
  free(seen);
  layer_sampler *s = gl_calloc(1, sizeof *s);
  if (!s) return GL_ENOMEM;
  s->base.ops = ladies ? &ladies_ops : &fastgcn_ops;
  s->base.n_layers = n_layers;
  gl_rng_seed(&s->base.rng, seed);
  s->adj = adj;
  s->ladies = ladies;
  int most = 0;
  for (int l = 0; l < n_layers; l++) most = sizes[l] > most ? sizes[l] : most;
  const size_t n = (size_t)adj->n;
  s->size = gl_malloc((size_t)n_layers, sizeof *s->size);
  s->weight = gl_calloc(n, sizeof *s->weight);
  s->map = gl_malloc(n, sizeof *s->map);
  s->drawn = gl_malloc((size_t)most, sizeof *s->drawn);
  s->q = ladies ? gl_calloc(n, sizeof *s->q) : NULL;
  s->cand = ladies ? gl_malloc(n, sizeof *s->cand) : NULL;
  s->cum = ladies ? NULL : gl_malloc(n, sizeof *s->cum);
  if (!s->size || !s->weight || !s->map || !s->drawn ||
      (ladies ? !s->q || !s->cand : !s->cum) ||
      gl_epoch_order_init(&s->ep, loss_nodes, n_loss, batch_size) != GL_OK) {
    layer_free(&s->base);
    return GL_ENOMEM;
  }
  memcpy(s->size, sizes, (size_t)n_layers * sizeof *s->size);
  for (size_t i = 0; i < n; i++) s->map[i] = -1;
  if (!ladies && !(gl_row_sqnorms_cum(adj, s->cum) > 0)) {
    layer_free(&s->base); /* ||A(:, u)||^2 = ||A(u, :)||^2: A symmetric */
    return gl_error(GL_EINVAL, "%s: the graph has no entries", who);
  }
  *out = &s->base;
  return GL_OK;
}
