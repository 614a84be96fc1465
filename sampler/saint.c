/* GraphSAINT (Zeng et al., ICLR 2020): every batch is the subgraph
 * induced by a random node set, with the two normalisations that make the
 * sampled training unbiased, both estimated by pre-sampling N subgraphs:
 *   aggregation: entry (v, u) = A_vu / alpha_vu, alpha_vu = C_vu / C_v
 *     (C_v: subgraphs holding v, C_vu: holding v and u);
 *   loss: node v weighted 1 / (lambda_v |train|), lambda_v = C_v / N.
 * Node sets: "node" (budget draws by q(v) ~ ||A(:, v)||^2), "edge" (budget
 * edges by 1/deg u + 1/deg v, both ends kept) or "rw" (budget walks of
 * `walk` steps from training nodes, every node visited). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler/sampler.h"

typedef struct {
  gl_sampler base;
  const gl_csr *adj;
  gl_saint_kind kind;
  int budget, walk;
  const gl_idx *loss;  /* rw roots: the loss nodes (a copy) */
  gl_idx n_loss;
  double *cum;         /* node: over nodes; edge: over entries */
  gl_idx *pos;         /* n entries: position in the current set, -1 */
  gl_idx *set, k;      /* the current node set */
  float *cv, *ce;      /* counts of nodes and entries from the pre-sampling */
  char *is_loss;
  int n_pre;
  long steps;
} saint_sampler;

static void put(saint_sampler *s, gl_idx v) {
  if (s->pos[v] < 0) {
    s->pos[v] = s->k;
    s->set[s->k++] = v;
  }
}

/* The row of entry e (binary search over ptr). */
static gl_idx row_of(const gl_csr *a, gl_off e) {
  gl_idx lo = 0, hi = a->n - 1;
  while (lo < hi) {
    gl_idx mid = lo + (hi - lo + 1) / 2;
    if (a->ptr[mid] <= e) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/* Draws a node set into s->set (s->k nodes; s->pos marks them). */
static void draw_set(saint_sampler *s) {
  const gl_csr *a = s->adj;
  gl_rng *rng = &s->base.rng;
  s->k = 0;
  if (s->kind == GL_SAINT_NODE) {
    for (int i = 0; i < s->budget; i++)
      put(s, (gl_idx)gl_draw_cum(s->cum, a->n, rng));
  } else if (s->kind == GL_SAINT_EDGE) {
    for (int i = 0; i < s->budget; i++) {
      gl_off e = gl_draw_cum(s->cum, a->nnz, rng);
      put(s, row_of(a, e));
      put(s, a->col[e]);
    }
  } else {
    for (int i = 0; i < s->budget; i++) {
      gl_idx v = s->loss[gl_rng_below(rng, (uint32_t)s->n_loss)];
      put(s, v);
      for (int t = 0; t < s->walk; t++) {
        gl_off d = a->ptr[v + 1] - a->ptr[v];
        if (d == 0) break;
        v = a->col[a->ptr[v] + gl_rng_below(rng, (uint32_t)d)];
        put(s, v);
      }
    }
  }
}

static void clear_set(saint_sampler *s) {
  for (gl_idx i = 0; i < s->k; i++) s->pos[s->set[i]] = -1;
}

static gl_status saint_next(gl_sampler *sp, gl_batch *b) {
  saint_sampler *s = (saint_sampler *)sp;
  const gl_csr *a = s->adj;
  gl_batch_free(b);
  draw_set(s);
  const gl_idx k = s->k;
  gl_off nnz = 0;
  for (gl_idx i = 0; i < k; i++)
    for (gl_off e = a->ptr[s->set[i]]; e < a->ptr[s->set[i] + 1]; e++)
      nnz += s->pos[a->col[e]] >= 0;
  b->n_layers = sp->n_layers;
  b->layers = gl_calloc((size_t)sp->n_layers, sizeof *b->layers);
  gl_block *k0 = b->layers;
  b->out_ids = gl_malloc((size_t)k, sizeof *b->out_ids);
  b->loss_pos = gl_malloc((size_t)k, sizeof *b->loss_pos);
  b->loss_w = gl_malloc((size_t)k, sizeof *b->loss_w);
  if (!k0 || !b->out_ids || !b->loss_pos || !b->loss_w ||
      !(k0->src_ids = gl_malloc((size_t)k, sizeof *k0->src_ids)) ||
      !(k0->dst_ids = gl_malloc((size_t)k, sizeof *k0->dst_ids)) ||
      gl_csr_alloc(&k0->a, k, k, nnz, true) != GL_OK) {
    if (k0) k0->owned = true;
    clear_set(s);
    gl_batch_free(b);
    return GL_ENOMEM;
  }
  k0->owned = true;
  gl_off q = 0;
  for (gl_idx i = 0; i < k; i++) {
    const gl_idx v = s->set[i];
    for (gl_off e = a->ptr[v]; e < a->ptr[v + 1]; e++) {
      gl_idx u = s->pos[a->col[e]];
      if (u < 0) continue;
      k0->a.col[q] = u;
      k0->a.val[q++] = gl_csr_w(a, e) * s->cv[v] / s->ce[e]; /* / alpha */
    }
    k0->a.ptr[i + 1] = q;
  }
  memcpy(k0->src_ids, s->set, (size_t)k * sizeof *s->set);
  memcpy(k0->dst_ids, s->set, (size_t)k * sizeof *s->set);
  memcpy(b->out_ids, s->set, (size_t)k * sizeof *s->set);
  gl_batch_share_block(b);
  b->n_out = k;
  b->n_loss = 0;
  for (gl_idx i = 0; i < k; i++) {
    const gl_idx v = s->set[i];
    if (!s->is_loss[v]) continue;
    b->loss_pos[b->n_loss] = i;
    b->loss_w[b->n_loss++] = (float)(s->n_pre / (s->cv[v] * s->n_loss));
  }
  clear_set(s);
  b->key = gl_rng_u64(&sp->rng);
  return GL_OK;
}

static long saint_epoch_steps(const gl_sampler *sp) {
  return ((const saint_sampler *)sp)->steps;
}

static void saint_free(gl_sampler *sp) {
  saint_sampler *s = (saint_sampler *)sp;
  free((void *)s->loss);
  free(s->cum);
  free(s->pos);
  free(s->set);
  free(s->cv);
  free(s->ce);
  free(s->is_loss);
  free(s);
}

static const gl_sampler_ops saint_ops = {
    "saint", saint_next, saint_epoch_steps,   NULL, saint_free,
    NULL,    gl_sampler_stream_io};

gl_status gl_sampler_saint_new(gl_sampler **out, const gl_csr *adj,
                               int n_layers, gl_saint_kind kind, int budget,
                               int walk, int n_pre, const gl_idx *loss_nodes,
                               gl_idx n_loss, uint64_t seed) {
  *out = NULL;
  GL_TRY(gl_sampler_check("saint sampler", adj, n_layers, loss_nodes,
                          n_loss));
  if (adj->nnz < 1)
    return gl_error(GL_EINVAL, "saint sampler: the graph has no edges");
  if (budget < 1 || walk < 0 || n_pre < 1)
    return gl_error(GL_EINVAL, "saint sampler: budget %d, walk length %d, "
                    "%d pre-sampled subgraphs: need >= 1, >= 0, >= 1",
                    budget, walk, n_pre);
  const size_t n = (size_t)adj->n, nnz = (size_t)adj->nnz;
  saint_sampler *s = gl_calloc(1, sizeof *s);
  if (!s) return GL_ENOMEM;
  s->base.ops = &saint_ops;
  s->base.n_layers = n_layers;
  gl_rng_seed(&s->base.rng, seed);
  s->adj = adj;
  s->kind = kind;
  s->budget = budget;
  s->walk = walk;
  s->n_loss = n_loss;
  s->n_pre = n_pre;
  gl_idx *loss = gl_malloc((size_t)n_loss, sizeof *loss);
  s->loss = loss;
  s->pos = gl_malloc(n, sizeof *s->pos);
  s->set = gl_malloc(n, sizeof *s->set);
  s->cv = gl_calloc(n, sizeof *s->cv);
  s->ce = gl_calloc(nnz, sizeof *s->ce);
  s->is_loss = gl_calloc(n, 1);
  s->cum = kind == GL_SAINT_NODE ? gl_malloc(n, sizeof *s->cum)
           : kind == GL_SAINT_EDGE ? gl_malloc(nnz, sizeof *s->cum)
                                   : NULL;
  if (!loss || !s->pos || !s->set || !s->cv || !s->ce || !s->is_loss ||
      (kind != GL_SAINT_RW && !s->cum)) {
    saint_free(&s->base);
    return GL_ENOMEM;
  }
  for (gl_idx i = 0; i < n_loss; i++) {
    loss[i] = loss_nodes[i];
    s->is_loss[loss_nodes[i]] = 1;
  }
  for (size_t i = 0; i < n; i++) s->pos[i] = -1;
  double c = 0;
  if (kind == GL_SAINT_NODE) /* ||A(:, v)||^2 = ||A(v, :)||^2 */
    c = gl_row_sqnorms_cum(adj, s->cum);
  else if (kind == GL_SAINT_EDGE) /* self loops are not edges */
    for (gl_idx v = 0; v < adj->n; v++)
      for (gl_off e = adj->ptr[v]; e < adj->ptr[v + 1]; e++) {
        gl_idx u = adj->col[e];
        gl_off du = adj->ptr[u + 1] - adj->ptr[u];
        gl_off dv = adj->ptr[v + 1] - adj->ptr[v];
        if (u != v) c += 1.0 / (double)du + 1.0 / (double)dv;
        s->cum[e] = c;
      }
  if (kind != GL_SAINT_RW && !(c > 0)) {
    saint_free(&s->base);
    return gl_error(GL_EINVAL, "saint sampler: the graph has no edges");
  }
  /* pre-sampling: the counts behind alpha and lambda */
  double sizes = 0;
  for (int t = 0; t < n_pre; t++) {
    draw_set(s);
    sizes += s->k;
    for (gl_idx i = 0; i < s->k; i++) {
      const gl_idx v = s->set[i];
      s->cv[v] += 1;
      for (gl_off e = adj->ptr[v]; e < adj->ptr[v + 1]; e++)
        if (s->pos[adj->col[e]] >= 0) s->ce[e] += 1;
    }
    clear_set(s);
  }
  /* never seen: count 1 (such a node or edge is almost never drawn) */
  for (size_t i = 0; i < n; i++) s->cv[i] = s->cv[i] > 0 ? s->cv[i] : 1;
  for (size_t e = 0; e < nnz; e++) s->ce[e] = s->ce[e] > 0 ? s->ce[e] : 1;
  double mean = sizes / n_pre;
  s->steps = (long)ceil((double)n / (mean > 1 ? mean : 1));
  *out = &s->base;
  return GL_OK;
}
