/* Cluster-GCN (Chiang et al., KDD 2019): METIS splits the graph into
 * clusters once; every step takes q clusters at random (an epoch visits
 * each cluster once), and the model runs on the subgraph they induce,
 * normalised on its own as GCN does the whole graph.  The loss is the mean
 * over the training nodes in the subgraph. */
#include <stdlib.h>
#include <string.h>

#include "sampler/sampler.h"

typedef struct {
  gl_sampler base;
  const gl_csr *adj;
  float self_weight;
  int n_clusters, per_batch;
  gl_idx *start, *members; /* cluster c: members[start[c] .. start[c+1]) */
  gl_epoch_order ep;       /* over the clusters */
  char *is_loss;
} cluster_sampler;

static gl_status cluster_next(gl_sampler *sp, gl_batch *b) {
  cluster_sampler *s = (cluster_sampler *)sp;
  gl_batch_free(b);
  gl_idx q;
  const gl_idx *pick = gl_epoch_order_next(&s->ep, &sp->rng, &q);
  gl_idx k = 0;
  for (gl_idx i = 0; i < q; i++)
    k += s->start[pick[i] + 1] - s->start[pick[i]];
  gl_idx *nodes = gl_malloc((size_t)k + 1, sizeof *nodes);
  b->layers = gl_calloc((size_t)sp->n_layers, sizeof *b->layers);
  b->n_layers = sp->n_layers;
  if (!nodes || !b->layers) {
    free(nodes);
    gl_batch_free(b);
    return GL_ENOMEM;
  }
  k = 0;
  for (gl_idx i = 0; i < q; i++)
    for (gl_idx j = s->start[pick[i]]; j < s->start[pick[i] + 1]; j++)
      nodes[k++] = s->members[j];
  gl_block *k0 = &b->layers[0];
  k0->owned = true;
  k0->src_ids = nodes;
  b->out_ids = gl_malloc((size_t)k + 1, sizeof *b->out_ids);
  k0->dst_ids = gl_malloc((size_t)k + 1, sizeof *k0->dst_ids);
  b->loss_pos = gl_malloc((size_t)k + 1, sizeof *b->loss_pos);
  b->loss_w = gl_malloc((size_t)k + 1, sizeof *b->loss_w);
  gl_csr sub = {0};
  gl_status st = !b->out_ids || !k0->dst_ids || !b->loss_pos || !b->loss_w
                     ? GL_ENOMEM
                     : gl_csr_subgraph(&sub, s->adj, nodes, k, NULL);
  if (st == GL_OK) {
    free(sub.val); /* the pattern, normalised on its own */
    sub.val = NULL;
    st = gl_csr_gcn_norm(&k0->a, &sub, s->self_weight);
  }
  gl_csr_free(&sub);
  if (st != GL_OK) {
    gl_batch_free(b);
    return st;
  }
  memcpy(b->out_ids, nodes, (size_t)k * sizeof *nodes);
  memcpy(k0->dst_ids, nodes, (size_t)k * sizeof *nodes);
  k0->symmetric = true;
  gl_batch_share_block(b);
  b->n_out = k;
  b->n_loss = 0;
  for (gl_idx i = 0; i < k; i++)
    if (s->is_loss[nodes[i]]) b->loss_pos[b->n_loss++] = i;
  for (gl_idx i = 0; i < b->n_loss; i++) b->loss_w[i] = 1.0f / b->n_loss;
  b->key = gl_rng_u64(&sp->rng);
  return GL_OK;
}

static long cluster_epoch_steps(const gl_sampler *sp) {
  return gl_epoch_order_steps(&((const cluster_sampler *)sp)->ep);
}

static void cluster_free(gl_sampler *sp) {
  cluster_sampler *s = (cluster_sampler *)sp;
  free(s->start);
  free(s->members);
  free(s->ep.order);
  free(s->is_loss);
  free(s);
}

static gl_status cluster_io(gl_sampler *s, gl_state *st) {
  return gl_epoch_order_io(&((cluster_sampler *)s)->ep, st);
}

static const gl_sampler_ops cluster_ops = {"cluster",    cluster_next,
                                           cluster_epoch_steps, NULL,
                                           cluster_free, NULL,
                                           cluster_io};

gl_status gl_sampler_cluster_new(gl_sampler **out, const gl_csr *adj,
                                 int n_layers, int n_clusters, int per_batch,
                                 float self_weight, const gl_idx *loss_nodes,
                                 gl_idx n_loss, uint64_t seed) {
  *out = NULL;
  GL_TRY(gl_sampler_check("cluster sampler", adj, n_layers, loss_nodes,
                          n_loss));
  if (n_clusters < 1 || n_clusters > adj->n || per_batch < 1 ||
      per_batch > n_clusters)
    return gl_error(GL_EINVAL, "cluster sampler: %d clusters of %d nodes, %d "
                    "a batch: need 1 <= clusters a batch <= clusters <= "
                    "nodes", n_clusters, (int)adj->n, per_batch);
  cluster_sampler *s = gl_calloc(1, sizeof *s);
  gl_idx *part = gl_malloc((size_t)adj->n, sizeof *part);
  gl_idx *ids = gl_malloc((size_t)n_clusters, sizeof *ids);
  if (!s || !part || !ids) {
    free(s);
    free(part);
    free(ids);
    return GL_ENOMEM;
  }
  s->base.ops = &cluster_ops;
  s->base.n_layers = n_layers;
  gl_rng_seed(&s->base.rng, seed);
  s->adj = adj;
  s->self_weight = self_weight;
  s->n_clusters = n_clusters;
  s->per_batch = per_batch;
  s->start = gl_calloc((size_t)n_clusters + 1, sizeof *s->start);
  s->members = gl_malloc((size_t)adj->n, sizeof *s->members);
  s->is_loss = gl_calloc((size_t)adj->n, 1);
  for (int c = 0; c < n_clusters; c++) ids[c] = c;
  gl_status st = !s->start || !s->members || !s->is_loss
                     ? GL_ENOMEM
                     : gl_epoch_order_init(&s->ep, ids, n_clusters, per_batch);
  if (st == GL_OK) st = gl_metis_partition(adj, n_clusters, seed, part);
  for (gl_idx i = 0; st == GL_OK && i < n_loss; i++)
    s->is_loss[loss_nodes[i]] = 1;
  if (st == GL_OK) { /* members grouped by cluster (counting sort) */
    for (gl_idx i = 0; i < adj->n; i++) s->start[part[i] + 1]++;
    for (int c = 0; c < n_clusters; c++) s->start[c + 1] += s->start[c];
    gl_idx *cur = ids; /* reused: a cursor per cluster */
    for (int c = 0; c < n_clusters; c++) cur[c] = s->start[c];
    for (gl_idx i = 0; i < adj->n; i++) s->members[cur[part[i]]++] = i;
  }
  free(part);
  free(ids);
  if (st != GL_OK) {
    cluster_free(&s->base);
    return st;
  }
  *out = &s->base;
  return GL_OK;
}
