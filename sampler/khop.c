/* Node-wise computation graphs: the blocks of a node set with all of its
 * neighbours (exact L-hop graphs, what full-batch outputs on a few nodes
 * need) or with a uniform sample of them (GraphSAGE fan-outs), and the
 * node-wise sampler that draws mini-batches of loss nodes. */
#include <stdlib.h>
#include <string.h>

#include "sampler/sampler.h"

/* Appends id to the set (ids, *k) unless map says it is there; map holds
 * local positions (-1: absent). */
static gl_idx add(gl_idx id, gl_idx *map, gl_idx **ids, gl_idx *k,
                  gl_idx *cap) {
  if (map[id] >= 0) return map[id];
  if (*k == *cap) {
    gl_idx nc = *cap ? 2 * *cap : 64;
    gl_idx *q = gl_realloc(*ids, (size_t)nc, sizeof *q);
    if (!q) return -1;
    *ids = q;
    *cap = nc;
  }
  (*ids)[*k] = id;
  return map[id] = (*k)++;
}

/* Row g of adj in a block: every entry, or (fanout s > 0 and more than s
 * neighbours besides g) the self entry plus s draws with replacement from
 * the d others, each weighted a_gj d / s, an unbiased estimate of the row's
 * product; a neighbour drawn twice is one entry with the summed weight
 * (columns stay unique: attention needs that; the scan is O(s^2), meant
 * for fan-outs of tens).  Appends to k->a from entry *e; new sources go
 * through map/src; 1 when the row was sampled, 0 when exact, -1 when out
 * of memory. */
static int block_row(const gl_csr *adj, gl_idx g, int s, gl_rng *rng,
                     gl_block *k, gl_off *e, gl_idx *map, gl_idx **src,
                     gl_idx *ns, gl_idx *scap) {
  const gl_off p0 = adj->ptr[g], p1 = adj->ptr[g + 1];
  gl_off self = -1;
  if (s > 0 && p1 - p0 > s) { /* columns sorted: the self entry by bisection */
    gl_off lo = p0, hi = p1;
    while (lo < hi) {
      gl_off mid = lo + (hi - lo) / 2;
      if (adj->col[mid] < g) lo = mid + 1; else hi = mid;
    }
    self = lo < p1 && adj->col[lo] == g ? lo : -1;
  }
  const gl_off d = (p1 - p0) - (self >= 0);
  if (s <= 0 || d <= s) {
    for (gl_off j = p0; j < p1; j++) {
      gl_idx p = add(adj->col[j], map, src, ns, scap);
      if (p < 0) return -1;
      k->a.col[*e] = p;
      if (k->a.val) k->a.val[*e] = gl_csr_w(adj, j);
      (*e)++;
    }
    return 0;
  }
  const gl_off first = *e;
  if (self >= 0) {
    k->a.col[*e] = map[g]; /* g is a destination: already a source */
    k->a.val[(*e)++] = gl_csr_w(adj, self);
  }
  const float scale = (float)d / (float)s;
  enum { CHUNK = 32 };
  gl_off js[CHUNK];
  for (int t0 = 0; t0 < s; t0 += CHUNK) {
    const int c = s - t0 < CHUNK ? s - t0 : CHUNK;
    for (int t = 0; t < c; t++) { /* draw, and fetch their entries */
      gl_off j = p0 + (gl_off)gl_rng_below(rng, (uint32_t)d);
      js[t] = j + (self >= 0 && j >= self); /* skip the self entry */
      __builtin_prefetch(&adj->col[js[t]]);
      if (adj->val) __builtin_prefetch(&adj->val[js[t]]);
    }
    for (int t = 0; t < c; t++) /* then their map entries */
      __builtin_prefetch(&map[adj->col[js[t]]]);
    for (int t = 0; t < c; t++) {
      const gl_off j = js[t];
      gl_idx p = add(adj->col[j], map, src, ns, scap);
      if (p < 0) return -1;
      gl_off q = first;
      while (q < *e && k->a.col[q] != p) q++;
      if (q == *e) {
        k->a.col[q] = p;
        k->a.val[q] = 0.0f;
        (*e)++;
      }
      k->a.val[q] += gl_csr_w(adj, j) * scale;
    }
  }
  return 1;
}

/* VR-GCN's stale half of a sampled row g whose fresh entries are
 * k->a[first, *e): every neighbour j but g once more, weighted a_gj minus
 * its fresh weight, with column -(1 + its position among the stale
 * sources) (smap/stale) until the block's fresh sources are all known. */
static int stale_row(const gl_csr *adj, gl_idx g, gl_off first, gl_block *k,
                     gl_off *e, const gl_idx *map, gl_idx *smap,
                     gl_idx **stale, gl_idx *nst, gl_idx *stcap) {
  const gl_off fresh_end = *e;
  for (gl_off j = adj->ptr[g]; j < adj->ptr[g + 1]; j++) {
    const gl_idx c = adj->col[j];
    if (c == g) continue;
    float w = gl_csr_w(adj, j);
    if (map[c] >= 0)
      for (gl_off q = first; q < fresh_end; q++)
        if (k->a.col[q] == map[c]) w -= k->a.val[q];
    gl_idx p = add(c, smap, stale, nst, stcap);
    if (p < 0) return -1;
    k->a.col[*e] = -1 - p;
    k->a.val[(*e)++] = w;
  }
  return 0;
}

gl_status gl_batch_nodewise(gl_batch *b, const gl_csr *adj,
                            const gl_idx *nodes, gl_idx n, int layers,
                            const int *fanout, gl_rng *rng, gl_idx *map,
                            gl_idx *smap) {
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
    for (gl_idx r = 0; r < nd; r++) {
      gl_off deg = adj->ptr[dst[r] + 1] - adj->ptr[dst[r]];
      nnz += s > 0 && deg > s + 1 ? s + 1 + (vr ? deg : 0) : deg;
    }
    k->dst_ids = gl_malloc((size_t)nd, sizeof *k->dst_ids);
    if (!k->dst_ids || gl_csr_alloc(&k->a, nd, 0, nnz,
                                    adj->val != NULL || s > 0) != GL_OK) {
      st = GL_ENOMEM;
      break;
    }
    memcpy(k->dst_ids, dst, (size_t)nd * sizeof *dst);
    gl_idx *src = dst, ns = nd, scap = cap; /* destinations prefix sources */
    dst = NULL;
    gl_off e = 0;
    nst = 0;
    for (gl_idx r = 0; r < nd; r++) {
      /* the rows ahead: their extents, then their first entries */
      if (r + 16 < nd) __builtin_prefetch(&adj->ptr[k->dst_ids[r + 16]]);
      if (r + 8 < nd) {
        const gl_idx g = k->dst_ids[r + 8];
        const gl_off b0 = adj->ptr[g], n = adj->ptr[g + 1] - b0;
        for (gl_off o = 0; o < n && o < 128; o += 16) {
          __builtin_prefetch(&adj->col[b0 + o]);
          if (adj->val) __builtin_prefetch(&adj->val[b0 + o]);
        }
      }
      const gl_off first = e;
      int got = block_row(adj, k->dst_ids[r], s, rng, k, &e, map, &src, &ns,
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
      for (gl_idx i = 0; i < nst; i++) {
        src[ns + i] = stale[i];
        smap[stale[i]] = -1;
      }
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
  /* every id in the map is among the last sources (or dst) */
  if (dst)
    for (gl_idx i = 0; i < nd; i++) map[dst[i]] = -1;
  else if (b->layers && b->layers[0].src_ids)
    for (gl_idx i = 0; i < b->layers[0].a.m; i++)
      map[b->layers[0].src_ids[i]] = -1;
  free(dst);
  if (st != GL_OK) {
    for (gl_idx i = 0; i < adj->n; i++) map[i] = -1;
    for (gl_idx i = 0; i < nst; i++) smap[stale[i]] = -1;
    gl_batch_free(b);
  }
  free(stale);
  return st;
}

gl_idx *gl_idx_map_new(gl_idx n) {
  gl_idx *map = gl_malloc((size_t)n, sizeof *map);
  for (gl_idx i = 0; map && i < n; i++) map[i] = -1;
  return map;
}

gl_status gl_batch_khop(gl_batch *b, const gl_csr *adj, const gl_idx *nodes,
                        gl_idx n, int layers) {
  gl_batch_free(b);
  GL_TRY(gl_sampler_check("khop batch", adj, layers, nodes, n));
  gl_idx *map = gl_idx_map_new(adj->n);
  if (!map) return GL_ENOMEM;
  gl_status st =
      gl_batch_nodewise(b, adj, nodes, n, layers, NULL, NULL, map, NULL);
  free(map);
  return st;
}

/* ------------------------------------------------------------ sampler */
typedef struct {
  gl_sampler base;
  const gl_csr *adj;
  gl_epoch_order ep;
  int *fanout;
  gl_idx *map;
} node_sampler;

static gl_status node_next(gl_sampler *s, gl_batch *b) {
  node_sampler *ns = (node_sampler *)s;
  gl_idx n;
  const gl_idx *nodes = gl_epoch_order_next(&ns->ep, &s->rng, &n);
  GL_TRY(gl_batch_nodewise(b, ns->adj, nodes, n, s->n_layers, ns->fanout,
                            &s->rng, ns->map, NULL));
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
  free(ns->map);
  free(ns);
}

static const gl_sampler_ops node_ops = {"node", node_next, node_epoch_steps,
                                        NULL, node_free, NULL};

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
  ns->map = gl_idx_map_new(adj->n);
  if (!ns->fanout || !ns->map ||
      gl_epoch_order_init(&ns->ep, loss_nodes, n_loss, batch_size) != GL_OK) {
    node_free(&ns->base);
    return GL_ENOMEM;
  }
  if (fanouts)
    memcpy(ns->fanout, fanouts, (size_t)n_layers * sizeof *ns->fanout);
  *out = &ns->base;
  return GL_OK;
}
