/* Exact L-hop computation graphs: the blocks of a node set with all of its
 * neighbours (what full-batch outputs on a few nodes need). */
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

gl_status gl_batch_khop(gl_batch *b, const gl_csr *adj, const gl_idx *nodes,
                        gl_idx n, int layers) {
  gl_batch_free(b);
  if (layers < 1 || n < 1 || adj->n != adj->m)
    return gl_error(GL_EINVAL,
                    "khop batch: need >= 1 layer, >= 1 node, a square graph");
  for (gl_idx i = 0; i < n; i++)
    if (nodes[i] < 0 || nodes[i] >= adj->n)
      return gl_error(GL_EINVAL, "khop batch: node %d out of range",
                      (int)nodes[i]);
  gl_status st = GL_OK;
  gl_idx *map = gl_malloc((size_t)adj->n, sizeof *map);
  b->n_layers = layers;
  b->layers = gl_calloc((size_t)layers, sizeof *b->layers);
  b->loss_pos = gl_malloc((size_t)n, sizeof *b->loss_pos);
  b->loss_w = gl_malloc((size_t)n, sizeof *b->loss_w);
  if (!map || !b->layers || !b->loss_pos || !b->loss_w) {
    st = GL_ENOMEM;
    goto fail;
  }
  for (gl_idx i = 0; i < adj->n; i++) map[i] = -1;
  /* the output rows: distinct nodes */
  gl_idx *dst = NULL, nd = 0, cap = 0;
  for (gl_idx i = 0; i < n; i++) {
    gl_idx p = add(nodes[i], map, &dst, &nd, &cap);
    if (p < 0) {
      free(dst);
      st = GL_ENOMEM;
      goto fail;
    }
    b->loss_pos[i] = p;
    b->loss_w[i] = 1.0f / (float)n;
  }
  b->n_loss = n;
  b->n_out = nd;
  b->out_ids = gl_malloc((size_t)nd, sizeof *b->out_ids);
  if (!b->out_ids) {
    free(dst);
    st = GL_ENOMEM;
    goto fail;
  }
  memcpy(b->out_ids, dst, (size_t)nd * sizeof *dst);
  /* layers from the output side: sources = destinations, then their new
   * neighbours; map holds the positions among the sources */
  for (int l = layers - 1; l >= 0; l--) {
    gl_block *k = &b->layers[l];
    k->owned = true;
    gl_idx *src = dst, ns = nd, scap = cap; /* destinations prefix sources */
    gl_off nnz = 0;
    for (gl_idx r = 0; r < nd; r++) nnz += adj->ptr[dst[r] + 1] - adj->ptr[dst[r]];
    k->dst_ids = gl_malloc((size_t)nd, sizeof *k->dst_ids);
    if (!k->dst_ids ||
        (st = gl_csr_alloc(&k->a, nd, 0, nnz, adj->val != NULL)) != GL_OK) {
      free(dst); /* not yet the block's */
      st = GL_ENOMEM;
      break;
    }
    memcpy(k->dst_ids, dst, (size_t)nd * sizeof *dst);
    gl_off e = 0;
    for (gl_idx r = 0; r < nd && st == GL_OK; r++) {
      gl_idx g = k->dst_ids[r];
      for (gl_off j = adj->ptr[g]; j < adj->ptr[g + 1]; j++) {
        gl_idx p = add(adj->col[j], map, &src, &ns, &scap);
        if (p < 0) {
          st = GL_ENOMEM;
          break;
        }
        k->a.col[e] = p;
        if (adj->val) k->a.val[e] = adj->val[j];
        e++;
      }
      k->a.ptr[r + 1] = e;
    }
    k->a.m = ns;
    k->src_ids = src;
    if (st != GL_OK) break;
    /* the next layer's destinations are these sources: map stays valid */
    dst = gl_malloc((size_t)ns, sizeof *dst);
    if (!dst) {
      st = GL_ENOMEM;
      break;
    }
    memcpy(dst, src, (size_t)ns * sizeof *src);
    nd = cap = ns;
  }
  if (st == GL_OK) free(dst);
  free(map);
  if (st != GL_OK) gl_batch_free(b);
  return st;
fail:
  free(map);
  gl_batch_free(b);
  return st;
}
