/* Node-wise computation graphs: the blocks of a node set with all of its
 * neighbours (exact L-hop graphs, what full-batch outputs on a few nodes
 * need) or with a uniform sample of them (GraphSAGE fan-outs), and the
 * node-wise sampler that draws mini-batches of loss nodes. */
#include <stdlib.h>
#include <string.h>

#include "sampler/sampler.h"

gl_status gl_idmap_init(gl_idmap *m, gl_idx n) {
  m->e = gl_calloc((size_t)n + 1, sizeof *m->e);
  m->stamp = 1;
  m->n = n;
  return m->e ? GL_OK : GL_ENOMEM;
}

void gl_idmap_free(gl_idmap *m) {
  free(m->e);
  memset(m, 0, sizeof *m);
}

void gl_idmap_clear(gl_idmap *m) {
  if (++m->stamp == 0) { /* wrapped: old stamps could count again */
    memset(m->e, 0, (size_t)m->n * sizeof *m->e);
    m->stamp = 1;
  }
}

/* Appends id to the set (ids, *k) unless map says it is there; map holds
 * local positions. */
static gl_idx add(gl_idx id, gl_idmap *map, gl_idx **ids, gl_idx *k,
                  gl_idx *cap) {
  const gl_idx at = gl_idmap_get(map, id);
  if (at >= 0) return at;
  if (*k == *cap) {
    gl_idx nc = *cap ? 2 * *cap : 64;
    gl_idx *q = gl_realloc(*ids, (size_t)nc, sizeof *q);
    if (!q) return -1;
    *ids = q;
    *cap = nc;
  }
  (*ids)[*k] = id;
  gl_idmap_set(map, id, *k);
  return (*k)++;
}

/* A layer's rows are built in three passes over all of them, so that the
 * random loads of each pass can be fetched well ahead (the work is bound
 * by memory latency, not arithmetic):
 *  1. plan: each row's extent and self entry (by bisection: columns are
 *     sorted), and its draws;
 *  2. the drawn entries' columns and values;
 *  3. the rows: sources through the map, duplicates merged.
 * Row g keeps every entry, or (fanout s > 0 and more than s neighbours
 * besides g) the self entry plus s draws with replacement from the d
 * others, each weighted a_gj d / s, an unbiased estimate of the row's
 * product; a neighbour drawn twice is one entry with the summed weight
 * (columns stay unique: attention needs that; the scan is O(s^2), meant
 * for fan-outs of tens).  The draws come in row order, s a sampled row. */
typedef struct {
  gl_off *first;  /* per row: its first draw (-1: an exact row) */
  gl_off *self;   /* per row: its self entry (-1: none) */
  float *self_w;  /* per row: its weight */
  float *scale;   /* per row: d / s */
  gl_off *j;      /* the drawn entries of adj, s a sampled row */
  gl_idx *col;    /* their columns */
  float *w;       /* their weights a_gj d / s */
  gl_off n_draws, n_rows;
  int s;
} layer_plan;

static void plan_free(layer_plan *p) {
  free(p->first);
  free(p->self);
  free(p->self_w);
  free(p->scale);
  free(p->j);
  free(p->col);
  free(p->w);
  memset(p, 0, sizeof *p);
}

enum { AHEAD = 32 }; /* draws or rows fetched ahead */

/* Row g's self entry by bisection (columns are sorted), -1 if none. */
static gl_off find_self(const gl_csr *adj, gl_idx g) {
  gl_off lo = adj->ptr[g], hi = adj->ptr[g + 1];
  const gl_off p1 = hi;
  while (lo < hi) {
    gl_off mid = lo + (hi - lo) / 2;
    if (adj->col[mid] < g) lo = mid + 1; else hi = mid;
  }
  return lo < p1 && adj->col[lo] == g ? lo : -1;
}

gl_status gl_rowindex_init(gl_rowindex *ix, const gl_csr *adj) {
  ix->self = gl_malloc((size_t)adj->n + 1, sizeof *ix->self);
  ix->ent = gl_malloc((size_t)adj->nnz + 1, sizeof *ix->ent);
  if (!ix->self || !ix->ent) {
    gl_rowindex_free(ix);
    return GL_ENOMEM;
  }
#pragma omp parallel for schedule(static)
  for (gl_idx g = 0; g < adj->n; g++) {
    gl_off e = find_self(adj, g);
    ix->self[g] = e >= 0 ? (int32_t)(e - adj->ptr[g]) : -1;
    for (gl_off j = adj->ptr[g]; j < adj->ptr[g + 1]; j++) {
      ix->ent[j].col = adj->col[j];
      ix->ent[j].w = gl_csr_w(adj, j);
    }
  }
  return GL_OK;
}

void gl_rowindex_free(gl_rowindex *ix) {
  free(ix->self);
  free(ix->ent);
  ix->self = NULL;
  ix->ent = NULL;
}

/* Pass 1 for rows dst[0..nd): their draws and the block's entry count
 * (plus every neighbour again when `stale`, VR-GCN). */
static gl_status plan_rows(layer_plan *p, const gl_csr *adj,
                           const gl_rowindex *ix, const gl_idx *dst,
                           gl_idx nd, int s, bool stale, gl_rng *rng,
                           gl_off *nnz) {
  memset(p, 0, sizeof *p);
  const size_t most = s > 0 ? (size_t)nd * (size_t)s : 0;
  p->s = s;
  p->first = gl_malloc((size_t)nd + 1, sizeof *p->first);
  p->self = gl_malloc((size_t)nd + 1, sizeof *p->self);
  p->self_w = gl_malloc((size_t)nd + 1, sizeof *p->self_w);
  p->scale = gl_malloc((size_t)nd + 1, sizeof *p->scale);
  p->j = gl_malloc(most + 1, sizeof *p->j);
  p->col = gl_malloc(most + 1, sizeof *p->col);
  p->w = gl_malloc(most + 1, sizeof *p->w);
  if (!p->first || !p->self || !p->self_w || !p->scale || !p->j ||
      !p->col || !p->w) {
    plan_free(p);
    return GL_ENOMEM;
  }
  gl_off ne = 0, total = 0;
  for (gl_idx r = 0; r < nd; r++) {
    if (r + 2 * AHEAD < nd) {
      __builtin_prefetch(&adj->ptr[dst[r + 2 * AHEAD]]);
      if (ix) __builtin_prefetch(&ix->self[dst[r + 2 * AHEAD]]);
    }
    if (!ix && s > 0 && r + AHEAD < nd) { /* a bisection's columns */
      const gl_idx g = dst[r + AHEAD];
      const gl_off b0 = adj->ptr[g], n = adj->ptr[g + 1] - b0;
      if (n > s)
        for (int q = 1; q < 4; q++)
          __builtin_prefetch(&adj->col[b0 + n * q / 4]);
    }
    const gl_idx g = dst[r];
    const gl_off p0 = adj->ptr[g], p1 = adj->ptr[g + 1];
    p->first[r] = -1;
    p->self[r] = -1;
    if (s <= 0 || p1 - p0 <= s) {
      total += p1 - p0;
      continue;
    }
    const gl_off self = ix ? (ix->self[g] >= 0 ? p0 + ix->self[g] : -1)
                           : find_self(adj, g);
    const gl_off d = (p1 - p0) - (self >= 0);
    if (d <= s) {
      total += p1 - p0;
      continue;
    }
    p->first[r] = ne;
    p->self[r] = self;
    p->scale[r] = (float)d / (float)s;
    for (int t = 0; t < s; t++) {
      gl_off j = p0 + (gl_off)gl_rng_below(rng, (uint32_t)d);
      p->j[ne++] = j + (self >= 0 && j >= self); /* skip the self entry */
    }
    total += s + (self >= 0) + (stale ? d : 0);
  }
  p->n_draws = ne;
  p->n_rows = nd;
  *nnz = total;
  return GL_OK;
}

/* Pass 2: the drawn entries' columns and values, the self entries'
 * values. */
static void plan_fetch(layer_plan *p, const gl_csr *adj,
                       const gl_rowindex *ix) {
  for (gl_off r = 0; r < p->n_rows; r++) {
    const gl_off e = r + AHEAD < p->n_rows ? p->self[r + AHEAD] : -1;
    if (e >= 0) __builtin_prefetch(ix ? (void *)&ix->ent[e] : &adj->val[e]);
    p->self_w[r] = p->self[r] < 0 ? 0.0f
                   : ix ? ix->ent[p->self[r]].w
                        : gl_csr_w(adj, p->self[r]);
  }
  if (ix) { /* one line a draw */
    for (gl_off t = 0; t < p->n_draws; t++) {
      if (t + AHEAD < p->n_draws) __builtin_prefetch(&ix->ent[p->j[t + AHEAD]]);
      p->col[t] = ix->ent[p->j[t]].col;
      p->w[t] = ix->ent[p->j[t]].w;
    }
    return;
  }
  for (gl_off t = 0; t < p->n_draws; t++) {
    if (t + AHEAD < p->n_draws) {
      __builtin_prefetch(&adj->col[p->j[t + AHEAD]]);
      if (adj->val) __builtin_prefetch(&adj->val[p->j[t + AHEAD]]);
    }
    p->col[t] = adj->col[p->j[t]];
    p->w[t] = gl_csr_w(adj, p->j[t]);
  }
}

/* Pass 3 for row r (global id g): appends its entries to k->a from *e;
 * new sources go through map/src.  1 when the row was sampled, 0 when
 * exact, -1 when out of memory. */
static int build_row(const layer_plan *p, const gl_csr *adj, gl_idx r,
                     gl_idx g, gl_block *k, gl_off *e, gl_idmap *map,
                     gl_idx **src, gl_idx *ns, gl_idx *scap) {
  if (p->first[r] < 0) { /* every entry */
    for (gl_off j = adj->ptr[g]; j < adj->ptr[g + 1]; j++) {
      gl_idx q = add(adj->col[j], map, src, ns, scap);
      if (q < 0) return -1;
      k->a.col[*e] = q;
      if (k->a.val) k->a.val[*e] = gl_csr_w(adj, j);
      (*e)++;
    }
    return 0;
  }
  const gl_off first = *e;
  if (p->self[r] >= 0) {
    k->a.col[*e] = r; /* destination r is source r */
    k->a.val[(*e)++] = p->self_w[r];
  }
  const float scale = p->scale[r];
  for (gl_off t = p->first[r], t1 = t + p->s; t < t1; t++) {
    if (t + AHEAD < p->n_draws) __builtin_prefetch(&map->e[p->col[t + AHEAD]]);
    gl_idx q = add(p->col[t], map, src, ns, scap);
    if (q < 0) return -1;
    gl_off c = first;
    while (c < *e && k->a.col[c] != q) c++;
    if (c == *e) {
      k->a.col[c] = q;
      k->a.val[c] = 0.0f;
      (*e)++;
    }
    k->a.val[c] += p->w[t] * scale;
  }
  return 1;
}

/* VR-GCN's stale half of a sampled row g whose fresh entries are
 * k->a[first, *e): every neighbour j but g once more, weighted a_gj minus
 * its fresh weight, with column -(1 + its position among the stale
 * sources) (smap/stale) until the block's fresh sources are all known. */
static int stale_row(const gl_csr *adj, gl_idx g, gl_off first, gl_block *k,
                     gl_off *e, const gl_idmap *map, gl_idmap *smap,
                     gl_idx **stale, gl_idx *nst, gl_idx *stcap) {
  const gl_off fresh_end = *e;
  for (gl_off j = adj->ptr[g]; j < adj->ptr[g + 1]; j++) {
    const gl_idx c = adj->col[j];
    if (c == g) continue;
    float w = gl_csr_w(adj, j);
    const gl_idx fc = gl_idmap_get(map, c);
    if (fc >= 0)
      for (gl_off q = first; q < fresh_end; q++)
        if (k->a.col[q] == fc) w -= k->a.val[q];
    gl_idx p = add(c, smap, stale, nst, stcap);
    if (p < 0) return -1;
    k->a.col[*e] = -1 - p;
    k->a.val[(*e)++] = w;
  }
  return 0;
}

gl_status gl_batch_nodewise(gl_batch *b, const gl_csr *adj,
                            const gl_idx *nodes, gl_idx n, int layers,
                            const int *fanout, gl_rng *rng, gl_idmap *map,
                            gl_idmap *smap, const gl_rowindex *ix) {
  gl_batch_free(b);
  gl_status st = GL_OK;
  b->n_layers = layers;
  b->layers = gl_calloc((size_t)layers, sizeof *b->layers);
  b->loss_pos = gl_malloc((size_t)n, sizeof *b->loss_pos);
  b->loss_w = gl_malloc((size_t)n, sizeof *b->loss_w);
  gl_idx *dst = NULL, nd = 0, cap = 0, *stale = NULL, nst = 0, stcap = 0;
  if (!b->layers || !b->loss_pos || !b->loss_w) {
    st = GL_ENOMEM;
    goto out;
  }
  /* the output rows: distinct nodes */
  for (gl_idx i = 0; i < n; i++) {
    gl_idx p = add(nodes[i], map, &dst, &nd, &cap);
    if (p < 0) {
      st = GL_ENOMEM;
      goto out;
    }
    b->loss_pos[i] = p;
    b->loss_w[i] = 1.0f / (float)n;
  }
  b->n_loss = n;
  b->n_out = nd;
  b->out_ids = gl_malloc((size_t)nd, sizeof *b->out_ids);
  if (!b->out_ids) {
    st = GL_ENOMEM;
    goto out;
  }
  memcpy(b->out_ids, dst, (size_t)nd * sizeof *dst);
  /* layers from the output side: sources = destinations, then their new
   * neighbours; map holds the positions among the sources */
  for (int l = layers - 1; l >= 0 && st == GL_OK; l--) {
    gl_block *k = &b->layers[l];
    k->owned = true;
    const bool vr = smap && l > 0;
    const int s = fanout && (vr || !smap) ? fanout[l] : 0;
    gl_off nnz = 0;
    layer_plan plan;
    if (plan_rows(&plan, adj, ix, dst, nd, s, vr, rng, &nnz) != GL_OK) {
      st = GL_ENOMEM;
      break;
    }
    plan_fetch(&plan, adj, ix);
    k->dst_ids = gl_malloc((size_t)nd, sizeof *k->dst_ids);
    if (!k->dst_ids || gl_csr_alloc(&k->a, nd, 0, nnz,
                                    adj->val != NULL || s > 0) != GL_OK) {
      plan_free(&plan);
      st = GL_ENOMEM;
      break;
    }
    memcpy(k->dst_ids, dst, (size_t)nd * sizeof *dst);
    gl_idx *src = dst, ns = nd, scap = cap; /* destinations prefix sources */
    dst = NULL;
    gl_off e = 0;
    nst = 0;
    for (gl_idx r = 0; r < nd; r++) {
      if (r + AHEAD < nd && plan.first[r + AHEAD] < 0) { /* exact rows ahead */
        const gl_idx g = k->dst_ids[r + AHEAD];
        const gl_off b0 = adj->ptr[g], n = adj->ptr[g + 1] - b0;
        for (gl_off o = 0; o < n && o < 64; o += 16) {
          __builtin_prefetch(&adj->col[b0 + o]);
          if (adj->val) __builtin_prefetch(&adj->val[b0 + o]);
        }
      }
      const gl_off first = e;
      int got = build_row(&plan, adj, r, k->dst_ids[r], k, &e, map, &src, &ns,
                          &scap);
      if (got > 0 && vr)
        got = stale_row(adj, k->dst_ids[r], first, k, &e, map, smap, &stale,
                        &nst, &stcap);
      if (got < 0) {
        st = GL_ENOMEM;
        break;
      }
      k->a.ptr[r + 1] = e;
    }
    plan_free(&plan);
    k->a.nnz = e;
    k->src_ids = src;
    k->a.m = ns;
    if (st == GL_OK && vr) { /* the stale sources follow the fresh ones */
      k->n_fresh = ns;
      gl_idx *q = gl_realloc(src, (size_t)ns + nst + 1, sizeof *q);
      if (!q) {
        st = GL_ENOMEM;
        break;
      }
      k->src_ids = src = q;
      memcpy(src + ns, stale, (size_t)nst * sizeof *stale);
      gl_idmap_clear(smap);
      for (gl_off j = 0; j < e; j++)
        if (k->a.col[j] < 0) k->a.col[j] = ns - 1 - k->a.col[j];
      k->a.m = ns + nst;
      nst = 0;
    }
    /* the transpose for backward (gathers in parallel, no scatter):
     * built here, in the sampler's thread when it draws ahead */
    if (st == GL_OK && (st = gl_csr_transpose(&k->at, &k->a)) != GL_OK)
      break;
    if (st != GL_OK) break;
    /* the next layer's destinations are the fresh sources: map stays
     * valid */
    dst = gl_malloc((size_t)ns, sizeof *dst);
    if (!dst) {
      st = GL_ENOMEM;
      break;
    }
    memcpy(dst, src, (size_t)ns * sizeof *src);
    nd = cap = ns;
  }
out:
  free(dst);
  gl_idmap_clear(map);
  if (smap) gl_idmap_clear(smap);
  if (st != GL_OK) gl_batch_free(b);
  free(stale);
  return st;
}

gl_status gl_batch_khop(gl_batch *b, const gl_csr *adj, const gl_idx *nodes,
                        gl_idx n, int layers) {
  gl_batch_free(b);
  GL_TRY(gl_sampler_check("khop batch", adj, layers, nodes, n));
  gl_idmap map;
  GL_TRY(gl_idmap_init(&map, adj->n));
  gl_status st =
      gl_batch_nodewise(b, adj, nodes, n, layers, NULL, NULL, &map, NULL,
                        NULL);
  gl_idmap_free(&map);
  return st;
}

/* ------------------------------------------------------------ sampler */
typedef struct {
  gl_sampler base;
  const gl_csr *adj;
  gl_epoch_order ep;
  int *fanout;
  gl_idmap map;
  gl_rowindex ix;
} node_sampler;

static gl_status node_next(gl_sampler *s, gl_batch *b) {
  node_sampler *ns = (node_sampler *)s;
  gl_idx n;
  const gl_idx *nodes = gl_epoch_order_next(&ns->ep, &s->rng, &n);
  GL_TRY(gl_batch_nodewise(b, ns->adj, nodes, n, s->n_layers, ns->fanout,
                            &s->rng, &ns->map, NULL, &ns->ix));
  b->key = gl_rng_u64(&s->rng);
  return GL_OK;
}

static long node_epoch_steps(const gl_sampler *s) {
  return gl_epoch_order_steps(&((const node_sampler *)s)->ep);
}

static void node_free(gl_sampler *s) {
  node_sampler *ns = (node_sampler *)s;
  free(ns->ep.order);
  free(ns->fanout);
  gl_idmap_free(&ns->map);
  gl_rowindex_free(&ns->ix);
  free(ns);
}

static gl_status node_io(gl_sampler *s, gl_state *st) {
  return gl_epoch_order_io(&((node_sampler *)s)->ep, st);
}

static const gl_sampler_ops node_ops = {"node",    node_next, node_epoch_steps,
                                        NULL,      node_free, NULL,
                                        node_io};

gl_status gl_sampler_node_new(gl_sampler **out, const gl_csr *adj,
                              int n_layers, const int *fanouts,
                              const gl_idx *loss_nodes, gl_idx n_loss,
                              gl_idx batch_size, uint64_t seed) {
  *out = NULL;
  GL_TRY(gl_sampler_check("node sampler", adj, n_layers, loss_nodes, n_loss));
  if (batch_size < 1)
    return gl_error(GL_EINVAL, "node sampler: batch size %d < 1",
                    (int)batch_size);
  for (int l = 0; fanouts && l < n_layers; l++)
    if (fanouts[l] < 0)
      return gl_error(GL_EINVAL, "node sampler: fan-out %d < 0", fanouts[l]);
  node_sampler *ns = gl_calloc(1, sizeof *ns);
  if (!ns) return GL_ENOMEM;
  ns->base.ops = &node_ops;
  ns->base.n_layers = n_layers;
  gl_rng_seed(&ns->base.rng, seed);
  ns->adj = adj;
  ns->fanout = gl_calloc((size_t)n_layers, sizeof *ns->fanout);
  if (!ns->fanout || gl_idmap_init(&ns->map, adj->n) != GL_OK ||
      gl_rowindex_init(&ns->ix, adj) != GL_OK ||
      gl_epoch_order_init(&ns->ep, loss_nodes, n_loss, batch_size) != GL_OK) {
    node_free(&ns->base);
    return GL_ENOMEM;
  }
  if (fanouts)
    memcpy(ns->fanout, fanouts, (size_t)n_layers * sizeof *ns->fanout);
  *out = &ns->base;
  return GL_OK;
}
