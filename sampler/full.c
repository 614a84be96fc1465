/* The batch type and the full-batch sampler. */
#include <stdlib.h>
#include <string.h>

#include "sampler/sampler.h"

void gl_batch_free(gl_batch *b) {
  for (int l = 0; l < b->n_layers && b->layers; l++) {
    gl_block *k = &b->layers[l];
    if (!k->owned) continue;
    gl_csr_free(&k->a);
    gl_csr_free(&k->at);
    free(k->src_ids);
    free(k->dst_ids);
  }
  free(b->layers);
  free(b->out_ids);
  free(b->loss_pos);
  free(b->loss_w);
  memset(b, 0, sizeof *b);
}

void gl_sampler_free(gl_sampler *s) {
  if (s) s->ops->free(s);
}

gl_status gl_sampler_io(gl_sampler *s, gl_state *st) {
  if (!s->ops->io)
    return gl_error(GL_EINVAL, "the %s sampler cannot save its state%s",
                    s->ops->name,
                    strcmp(s->ops->name, "prefetch")
                        ? ""
                        : " (its thread draws ahead): sample in the "
                          "training thread");
  char name[16] = {0};
  snprintf(name, sizeof name, "%s", s->ops->name);
  GL_TRY(gl_state_same(st, "sampler", name, sizeof name, "sampler"));
  GL_TRY(gl_state_same(st, "sampler.layers", &s->n_layers,
                       sizeof s->n_layers, "number of layers"));
  GL_TRY(gl_state_rng(st, "sampler.rng", &s->rng, 1));
  return s->ops->io(s, st);
}

gl_status gl_sampler_stream_io(gl_sampler *s, gl_state *st) {
  (void)s;
  (void)st;
  return GL_OK;
}

static int by_id(const void *a, const void *b) {
  gl_idx x = *(const gl_idx *)a, y = *(const gl_idx *)b;
  return (x > y) - (x < y);
}

gl_status gl_sampler_ids_io(gl_state *s, const char *name, gl_idx *ids,
                            gl_idx n) {
  if (!s->load) return gl_state_io(s, name, ids, sizeof *ids, (size_t)n);
  gl_idx *got = gl_malloc((size_t)n + 1, sizeof *got);
  gl_idx *had = gl_malloc((size_t)n + 1, sizeof *had);
  gl_status st = GL_ENOMEM;
  if (got && had &&
      (st = gl_state_io(s, name, got, sizeof *got, (size_t)n)) == GL_OK) {
    memcpy(had, ids, (size_t)n * sizeof *ids);
    gl_idx *sorted = gl_malloc((size_t)n + 1, sizeof *sorted);
    if (!sorted) {
      st = GL_ENOMEM;
    } else {
      memcpy(sorted, got, (size_t)n * sizeof *got);
      qsort(sorted, (size_t)n, sizeof *sorted, by_id);
      qsort(had, (size_t)n, sizeof *had, by_id);
      if (memcmp(sorted, had, (size_t)n * sizeof *had))
        st = gl_error(GL_EINVAL, "the run was saved with other training "
                      "nodes ('%s')", name);
      else
        memcpy(ids, got, (size_t)n * sizeof *ids);
      free(sorted);
    }
  }
  free(got);
  free(had);
  return st;
}

gl_status gl_sampler_check(const char *who, const gl_csr *adj, int n_layers,
                           const gl_idx *nodes, gl_idx n) {
  if (n_layers < 1 || n < 1 || adj->n != adj->m)
    return gl_error(GL_EINVAL, "%s: need >= 1 layer, >= 1 node, a square "
                    "graph", who);
  for (gl_idx i = 0; i < n; i++)
    if (nodes[i] < 0 || nodes[i] >= adj->n)
      return gl_error(GL_EINVAL, "%s: node %d out of range", who,
                      (int)nodes[i]);
  return GL_OK;
}

gl_off gl_draw_cum(const double *cum, gl_off n, gl_rng *rng) {
  const double x = gl_rng_uniform(rng) * cum[n - 1];
  gl_off lo = 0, hi = n - 1; /* the first index with cum > x */
  while (lo < hi) {
    gl_off mid = lo + (hi - lo) / 2;
    if (cum[mid] > x) hi = mid; else lo = mid + 1;
  }
  return lo;
}

double gl_row_sqnorms_cum(const gl_csr *a, double *cum) {
  double c = 0;
  for (gl_idx v = 0; v < a->n; v++) {
    for (gl_off e = a->ptr[v]; e < a->ptr[v + 1]; e++)
      c += (double)gl_csr_w(a, e) * gl_csr_w(a, e);
    cum[v] = c;
  }
  return c;
}

void gl_batch_share_block(gl_batch *b) {
  for (int l = 1; l < b->n_layers; l++) {
    b->layers[l] = b->layers[0];
    b->layers[l].owned = false;
  }
}

gl_status gl_epoch_order_init(gl_epoch_order *e, const gl_idx *nodes,
                              gl_idx n, gl_idx batch) {
  e->order = gl_malloc((size_t)n, sizeof *e->order);
  if (!e->order) return GL_ENOMEM;
  memcpy(e->order, nodes, (size_t)n * sizeof *nodes);
  e->n = e->pos = n; /* shuffle before the first batch */
  e->batch = batch;
  return GL_OK;
}

const gl_idx *gl_epoch_order_next(gl_epoch_order *e, gl_rng *rng, gl_idx *k) {
  if (e->pos >= e->n) {
    gl_rng_shuffle(rng, e->order, (size_t)e->n);
    e->pos = 0;
  }
  *k = e->n - e->pos < e->batch ? e->n - e->pos : e->batch;
  e->pos += *k;
  return e->order + e->pos - *k;
}

gl_status gl_epoch_order_io(gl_epoch_order *e, gl_state *s) {
  GL_TRY(gl_state_same(s, "order.n", &e->n, sizeof e->n, "training set"));
  GL_TRY(gl_state_same(s, "order.batch", &e->batch, sizeof e->batch,
                       "batch size"));
  GL_TRY(gl_sampler_ids_io(s, "order", e->order, e->n));
  gl_idx pos = e->pos;
  GL_TRY(GL_STATE_VAR(s, "order.pos", pos));
  if (pos < 0 || pos > e->n)
    return gl_error(GL_EFORMAT, "saved state: epoch position %d of %d",
                    (int)pos, (int)e->n);
  e->pos = pos;
  return GL_OK;
}

void gl_batch_full_view(gl_batch *b, gl_block *blocks, int layers,
                        const gl_csr *adj, const gl_halo *halo) {
  memset(b, 0, sizeof *b);
  memset(blocks, 0, (size_t)layers * sizeof *blocks);
  for (int l = 0; l < layers; l++) {
    blocks[l].a = *adj;
    blocks[l].symmetric = !halo;
    blocks[l].halo = halo;
    blocks[l].n_fresh = halo ? adj->n : 0;
  }
  b->n_layers = layers;
  b->layers = blocks;
  b->n_out = adj->n;
}

gl_status gl_block_halo_rows(const gl_block *b, const float *own, int width,
                             float *all) {
  if (!b->halo) return GL_OK;
  const size_t nf = (size_t)b->n_fresh * width;
  if (all != own) memcpy(all, own, nf * sizeof *all);
  return b->halo->fetch(b->halo, own, width, all + nf);
}

gl_status gl_block_halo_back(const gl_block *b, float *rows, int width) {
  if (!b->halo) return GL_OK;
  return b->halo->give(b->halo, rows + (size_t)b->n_fresh * width, width,
                       rows);
}

typedef struct {
  gl_sampler base;
  const gl_csr *adj;
  gl_idx *loss_nodes;
  gl_idx n_loss;
  const gl_halo *halo; /* a part's (NULL: the whole graph) */
  gl_csr at;         /* a part's transpose */
} full_sampler;

static gl_status full_next(gl_sampler *s, gl_batch *b) {
  full_sampler *f = (full_sampler *)s;
  gl_batch_free(b);
  gl_block *layers = gl_calloc((size_t)s->n_layers, sizeof *layers);
  if (!layers) return GL_ENOMEM;
  gl_batch_full_view(b, layers, s->n_layers, f->adj, f->halo); /* borrowed */
  for (int l = 0; f->halo && l < s->n_layers; l++)
    layers[l].at = f->at; /* borrowed too (owned stays false) */
  b->loss_pos = gl_malloc((size_t)f->n_loss + 1, sizeof *b->loss_pos);
  b->loss_w = gl_malloc((size_t)f->n_loss + 1, sizeof *b->loss_w);
  if (!b->loss_pos || !b->loss_w) {
    gl_batch_free(b);
    return GL_ENOMEM;
  }
  b->n_loss = f->n_loss;
  memcpy(b->loss_pos, f->loss_nodes, (size_t)f->n_loss * sizeof *b->loss_pos);
  for (gl_idx i = 0; i < f->n_loss; i++) b->loss_w[i] = 1.0f / f->n_loss;
  b->key = gl_rng_u64(&s->rng);
  return GL_OK;
}

static long full_epoch_steps(const gl_sampler *s) {
  (void)s;
  return 1;
}

static void full_free(gl_sampler *s) {
  full_sampler *f = (full_sampler *)s;
  free(f->loss_nodes);
  gl_csr_free(&f->at);
  free(f);
}

static const gl_sampler_ops full_ops = {"full",    full_next, full_epoch_steps,
                                        NULL,      full_free, NULL,
                                        gl_sampler_stream_io};

static gl_status full_new(gl_sampler **out, const gl_csr *adj,
                          const gl_halo *halo, int n_layers,
                          const gl_idx *loss_nodes, gl_idx n_loss,
                          uint64_t seed) {
  full_sampler *f = gl_calloc(1, sizeof *f);
  if (!f) return GL_ENOMEM;
  f->loss_nodes = gl_malloc((size_t)n_loss + 1, sizeof *f->loss_nodes);
  if (!f->loss_nodes ||
      (halo && gl_csr_transpose(&f->at, adj) != GL_OK)) {
    full_free(&f->base);
    return GL_ENOMEM;
  }
  memcpy(f->loss_nodes, loss_nodes, (size_t)n_loss * sizeof *loss_nodes);
  f->base.ops = &full_ops;
  f->base.n_layers = n_layers;
  gl_rng_seed(&f->base.rng, seed);
  f->adj = adj;
  f->n_loss = n_loss;
  f->halo = halo;
  *out = &f->base;
  return GL_OK;
}

gl_status gl_sampler_full_new(gl_sampler **out, const gl_csr *adj,
                              int n_layers, const gl_idx *loss_nodes,
                              gl_idx n_loss, uint64_t seed) {
  *out = NULL;
  GL_TRY(gl_sampler_check("full sampler", adj, n_layers, loss_nodes, n_loss));
  return full_new(out, adj, NULL, n_layers, loss_nodes, n_loss, seed);
}

gl_status gl_sampler_full_part_new(gl_sampler **out, const gl_csr *adj,
                                   const gl_halo *halo, int n_layers,
                                   const gl_idx *loss_nodes, gl_idx n_loss,
                                   uint64_t seed) {
  static const char who[] = "full sampler (a part)";
  *out = NULL;
  if (n_layers < 1 || !halo || adj->m != adj->n + halo->n_halo ||
      halo->n_own != adj->n || n_loss < 0)
    return gl_error(GL_EINVAL, "%s: need >= 1 layer, a halo that fits the "
                    "part's %d x %d rows and >= 0 loss nodes (%d)", who,
                    (int)adj->n, (int)adj->m, (int)n_loss);
  for (gl_idx i = 0; i < n_loss; i++)
    if (loss_nodes[i] < 0 || loss_nodes[i] >= adj->n)
      return gl_error(GL_EINVAL, "%s: node %d out of range", who,
                      (int)loss_nodes[i]);
  return full_new(out, adj, halo, n_layers, loss_nodes, n_loss, seed);
}
