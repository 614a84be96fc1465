/* glearn samplers: one mini-batch type and the samplers that fill it.
 *
 * A batch is what one training step of an L-layer GNN needs: per layer a
 * block, a bipartite CSR from the layer's source nodes (its input rows) to
 * its destination nodes (its output rows), with the estimator's edge weights
 * in the values.  Layer l's destination rows are layer l+1's source rows, so
 * layers[l].n_dst == layers[l+1].n_src, and a block's destination nodes are
 * its first n_dst source nodes (src_ids[i] == dst_ids[i] for i < n_dst), so
 * a layer finds a node's own input row (self loops, GAT's attention, skip
 * connections) at the same position; layers[0]'s sources index the input
 * features and layers[L-1]'s destinations are the batch's output nodes.
 * The loss is taken over `n_loss` of the output rows (positions into them)
 * with per-node weights (1/|train| for the plain mean, importance weights
 * for unbiased samplers).
 *
 * Full-batch training is the sampler whose every block is the whole
 * normalised graph; mini-batch samplers plug in without touching models. */
#ifndef GL_SAMPLER_H
#define GL_SAMPLER_H

#include "core/core.h"
#include "graph/graph.h"

/* A partitioned graph's halo (dist/ makes one over MPI): a rank owns n_own
 * nodes and computes their rows; the n_halo nodes after them, neighbours
 * owned by other ranks, have their rows from their owners.  `fetch`
 * fills halo (n_halo x width) with the owners' rows of own (n_own x width,
 * this rank's rows); `give` sends dhalo (n_halo x width, gradients of the
 * halo rows) to their owners and adds what the others send into down
 * (n_own x width).  Collective: every rank calls them in the same order. */
typedef struct gl_halo gl_halo;
struct gl_halo {
  gl_idx n_own, n_halo;
  gl_status (*fetch)(const gl_halo *h, const float *own, int width,
                     float *halo);
  gl_status (*give)(const gl_halo *h, const float *dhalo, int width,
                    float *down);
};

typedef struct {
  gl_csr a;        /* n_dst x n_src, estimator weights in a.val */
  gl_csr at;       /* a's transpose when the sampler provides it (at.ptr ==
                      NULL: the layers use gl_csr_spmm_t) */
  bool symmetric;  /* a == a^T (the whole symmetric graph): backward uses a */
  gl_idx *src_ids; /* n_src global ids of the source rows (NULL = 0..n-1) */
  gl_idx *dst_ids; /* n_dst global ids of the destination rows (NULL = id) */
  bool owned;      /* the batch owns a, at, src_ids and dst_ids */
  /* History embeddings (VR-GCN, MVS-GNN): with hist set, only the first
   * n_fresh sources are computed by the layer below (they are its
   * destinations); the input row of source i >= n_fresh is the stale
   * hist + src_ids[i] * hist_width (no gradient flows to it).  Borrowed. */
  gl_idx n_fresh;
  const float *hist;
  int hist_width;
  /* Distributed (a part's rows, dist/): with halo set, the first n_fresh
   * sources are this rank's nodes (computed by the layer below; on layer 0
   * the feature rows it holds) and the rest its halo, whose rows come
   * through halo->fetch (on layer 0 the rows of X W, so that a part needs
   * no halo features), their gradients back through halo->give.
   * Borrowed. */
  const gl_halo *halo;
} gl_block;

static inline gl_idx gl_block_n_src(const gl_block *b) { return b->a.m; }
static inline gl_idx gl_block_n_dst(const gl_block *b) { return b->a.n; }
/* The sources whose rows the layer below computes (on layer 0: the
 * feature rows at hand): the first n_fresh with history or a halo, else
 * all. */
static inline gl_idx gl_block_n_fresh(const gl_block *b) {
  return b->hist || b->halo ? b->n_fresh : gl_block_n_src(b);
}
/* A halo block's input rows (dist/): all (n_src x width) gets own's
 * n_fresh rows (copied unless all is own) and then the halo's from their
 * owners (collective).  Without a halo, nothing to do. */
gl_status gl_block_halo_rows(const gl_block *b, const float *own, int width,
                             float *all);
/* The gradients of a halo block's halo rows (rows after the first n_fresh)
 * go back to their owners, each rank adding what it gets into its first
 * n_fresh rows (collective).  Without a halo, nothing to do. */
gl_status gl_block_halo_back(const gl_block *b, float *rows, int width);

typedef struct {
  int n_layers;
  gl_block *layers; /* n_layers blocks, input side first */
  gl_idx n_out;     /* = layers[L-1].n_dst */
  gl_idx *out_ids;  /* global ids of the output rows (NULL = identity) */
  gl_idx n_loss;
  gl_idx *loss_pos; /* positions in 0..n_out-1 of the nodes in the loss */
  float *loss_w;    /* their weights */
  uint64_t key;     /* per-batch random key (dropout masks) */
  /* A forward-only batch (MVS-GNN's snapshot): no training step; the
   * trainer runs it without dropout, lets the sampler remember its hidden
   * rows and feeds back the gradient norms of the loss rows (loss_w 1:
   * each row's own gradient). */
  bool snapshot;
} gl_batch;

void gl_batch_free(gl_batch *b);
/* Global id of output row i. */
static inline gl_idx gl_batch_out_id(const gl_batch *b, gl_idx i) {
  return b->out_ids ? b->out_ids[i] : i;
}

/* A sampler yields batches; `feedback` receives per-output-row gradient
 * norms of a snapshot batch (MVS-GNN); `remember` receives, after each
 * forward, the activated output rows of block l < L - 1 (its n_dst rows,
 * `width` wide) to keep as the stale input of layer l + 1 (history
 * samplers: VR-GCN, MVS-GNN).  Both NULL when unused. */
typedef struct gl_sampler gl_sampler;
typedef struct {
  const char *name;
  gl_status (*next)(gl_sampler *s, gl_batch *out); /* out is reset first */
  /* Batches in one epoch (the training loop calls next that many times). */
  long (*epoch_steps)(const gl_sampler *s);
  gl_status (*feedback)(gl_sampler *s, const gl_batch *b,
                        const float *grad_norms);
  void (*free)(gl_sampler *s);
  gl_status (*remember)(gl_sampler *s, const gl_batch *b, int l,
                        const float *rows, int width);
  /* Saves or loads (gl_state) what the next batches depend on beyond the
   * random stream: the epoch's order and position, history, draw
   * probabilities, counters (NULL: the sampler cannot). */
  gl_status (*io)(gl_sampler *s, gl_state *st);
} gl_sampler_ops;
struct gl_sampler {
  const gl_sampler_ops *ops;
  int n_layers;
  gl_rng rng;
};

static inline gl_status gl_sampler_next(gl_sampler *s, gl_batch *b) {
  return s->ops->next(s, b);
}
void gl_sampler_free(gl_sampler *s);
/* Saves or loads (gl_state) the sampler's progress: loaded into a sampler
 * made with the same arguments (GL_EINVAL naming what differs otherwise),
 * it draws the batches the saved one would have drawn next.  GL_EINVAL for
 * a prefetching sampler (its thread has drawn ahead). */
gl_status gl_sampler_io(gl_sampler *s, gl_state *st);
/* The io of a sampler whose draws depend on its random stream alone. */
gl_status gl_sampler_stream_io(gl_sampler *s, gl_state *st);
/* For samplers: moves n node ids; loaded, they must be a permutation of
 * those in ids now (GL_EINVAL). */
gl_status gl_sampler_ids_io(gl_state *s, const char *name, gl_idx *ids,
                            gl_idx n);

/* The loss nodes of a mini-batch sampler in a per-epoch shuffle, handed
 * out `batch` at a time (the last batch of an epoch may be smaller). */
typedef struct {
  gl_idx *order, n, pos, batch;
} gl_epoch_order;
gl_status gl_epoch_order_init(gl_epoch_order *e, const gl_idx *nodes,
                              gl_idx n, gl_idx batch);
/* The next batch's nodes (count in *k), reshuffling at an epoch's start. */
const gl_idx *gl_epoch_order_next(gl_epoch_order *e, gl_rng *rng, gl_idx *k);
/* Saves or loads the order and position (same nodes and batch size). */
gl_status gl_epoch_order_io(gl_epoch_order *e, gl_state *s);
static inline long gl_epoch_order_steps(const gl_epoch_order *e) {
  return (long)((e->n + e->batch - 1) / e->batch);
}

/* Helpers of the samplers (sampler/full.c).  gl_draw_cum: an index i in
 * [0, n) drawn with probability (cum[i] - cum[i-1]) / cum[n-1] (cum
 * ascending).  gl_row_sqnorms_cum: cum[v] = sum over rows u <= v of
 * ||A(u, :)||^2 (= the squared column norms of a symmetric A); returns the
 * total.  gl_batch_share_block: layers 1.. borrow layer 0's block. */
gl_off gl_draw_cum(const double *cum, gl_off n, gl_rng *rng);
/* The arguments every sampler checks: >= 1 layer, a square graph, >= 1
 * node, each in range (GL_EINVAL naming `who` otherwise). */
gl_status gl_sampler_check(const char *who, const gl_csr *adj, int n_layers,
                           const gl_idx *nodes, gl_idx n);
double gl_row_sqnorms_cum(const gl_csr *a, double *cum);
void gl_batch_share_block(gl_batch *b);

/* The whole graph as a batch of `layers` blocks (borrowed views of adj):
 * every node an output.  With a halo (a part's rows, dist/), every block
 * is adj with that halo and the part's own nodes as its fresh sources. */
void gl_batch_full_view(gl_batch *b, gl_block *blocks, int layers,
                        const gl_csr *adj, const gl_halo *halo);

/* The full-batch sampler: every block is `adj` (n x n, symmetric, already
 * normalised; borrowed, not copied), the outputs are all nodes, the loss is
 * the mean over `loss_nodes`.  One batch an epoch. */
gl_status gl_sampler_full_new(gl_sampler **out, const gl_csr *adj,
                              int n_layers, const gl_idx *loss_nodes,
                              gl_idx n_loss, uint64_t seed);
/* The same over a part of a partitioned graph (dist/): adj is the part's
 * rows (n_own x (n_own + n_halo), normalised), every block adj with its
 * transpose and `halo`; the loss is the mean over the
 * part's `loss_nodes` (gl_train weighs the ranks' by their loss nodes, so
 * that they add up to the whole graph's mean; a part may have none). */
gl_status gl_sampler_full_part_new(gl_sampler **out, const gl_csr *adj,
                                   const gl_halo *halo, int n_layers,
                                   const gl_idx *loss_nodes, gl_idx n_loss,
                                   uint64_t seed);

/* The node-wise builder behind gl_batch_khop and the node-wise and VR-GCN
 * samplers: the batch of `nodes` with per-layer fan-outs (fanout NULL or
 * fanout[l] <= 0: every neighbour).  smap non-NULL makes VR-GCN's
 * control-variate blocks: layer 0 exact (features need no history), and in
 * each layer l >= 1 the rows drawn as by the node-wise sampler are the
 * first n_fresh sources ((d/S) a_ij on H_j) while every non-self neighbour
 * is also a stale source after them with a_ij minus its fresh weight (on
 * the history row), so that the row is
 *   (d/S) sum_{j in S(i)} a_ij (H_j - Hbar_j) + sum_{j in N(i)} a_ij Hbar_j;
 * the caller attaches the history (hist stays NULL).  map and smap:
 * adj->n ids, given back empty; ix: adj's gl_rowindex or NULL. */
/* A map from node ids to positions in a set being built, emptied in O(1):
 * an entry holds (stamp << 32 | position) and counts only with the
 * current stamp, so no entry has to be reset (random writes) between
 * batches. */
typedef struct {
  uint64_t *e;
  uint32_t stamp;
  gl_idx n;
} gl_idmap;
gl_status gl_idmap_init(gl_idmap *m, gl_idx n); /* every id absent */
void gl_idmap_free(gl_idmap *m);
void gl_idmap_clear(gl_idmap *m);
static inline gl_idx gl_idmap_get(const gl_idmap *m, gl_idx id) {
  const uint64_t v = m->e[id];
  return (uint32_t)(v >> 32) == m->stamp ? (gl_idx)(uint32_t)v : -1;
}
static inline void gl_idmap_set(gl_idmap *m, gl_idx id, gl_idx pos) {
  m->e[id] = (uint64_t)m->stamp << 32 | (uint32_t)pos;
}

/* What drawing rows of adj fast needs besides adj (gl_rowindex_init):
 * where each row's self entry lies in it (-1: none; else found by
 * bisection) and adj's entries as (column, weight) pairs side by side, so
 * that a draw costs one cache miss rather than two.  Memory: 4 bytes a
 * node and 8 an entry. */
typedef struct {
  gl_idx col;
  float w;
} gl_entry;
typedef struct {
  int32_t *self;
  gl_entry *ent;
} gl_rowindex;
gl_status gl_rowindex_init(gl_rowindex *ix, const gl_csr *adj);
void gl_rowindex_free(gl_rowindex *ix);

gl_status gl_batch_nodewise(gl_batch *b, const gl_csr *adj,
                            const gl_idx *nodes, gl_idx n, int layers,
                            const int *fanout, gl_rng *rng, gl_idmap *map,
                            gl_idmap *smap, const gl_rowindex *ix);


/* The exact L-hop computation graph of `nodes` (n ids, duplicates allowed)
 * in `adj`: every neighbour kept with its weight (no sampling), so a
 * model's outputs on the batch equal its full-graph outputs on those nodes.
 * Output rows are the distinct nodes in first-appearance order; loss_pos[i]
 * is the row of nodes[i] (weights 1/n).  Block columns are in discovery
 * order (not sorted).  Memory: an n_nodes-entry map plus the blocks. */
gl_status gl_batch_khop(gl_batch *b, const gl_csr *adj, const gl_idx *nodes,
                        gl_idx n, int layers);

/* Node-wise sampling (GraphSAGE): every batch is the next `batch_size`
 * loss nodes of a per-epoch shuffle, and layer l (input side first) keeps,
 * for each of its destination nodes, the self entry of `adj` and
 * fanouts[l] draws with replacement from the other neighbours, each
 * weighted a_ij d_i / fanouts[l] (d_i: the node's other neighbours), so
 * that every row of a block is an unbiased estimate of the row of adj times
 * the layer's input.  A node with at most fanouts[l] other neighbours, or
 * fanouts[l] == 0, keeps them all exactly.  Loss weights 1/|batch|.
 * Memory: one adj->n-entry map, reused. */
gl_status gl_sampler_node_new(gl_sampler **out, const gl_csr *adj,
                              int n_layers, const int *fanouts,
                              const gl_idx *loss_nodes, gl_idx n_loss,
                              gl_idx batch_size, uint64_t seed);

/* Layer-wise sampling (sampler/layer.c): FastGCN (ladies false: sizes[l]
 * nodes i.i.d. from q(u) ~ ||A(:, u)||^2 per layer, unbiased rows) or
 * LADIES (sizes[l] distinct nodes from the squared column norms of the
 * layer above's rows, rows rescaled to the row sums of A).  adj must be
 * symmetric; the loss nodes distinct; sizes input side first.  Batches are
 * the next `batch_size` loss nodes of a per-epoch shuffle. */
gl_status gl_sampler_layer_new(gl_sampler **out, bool ladies,
                               const gl_csr *adj, int n_layers,
                               const int *sizes, const gl_idx *loss_nodes,
                               gl_idx n_loss, gl_idx batch_size,
                               uint64_t seed);

/* Cluster-GCN (sampler/cluster.c): METIS splits adj (symmetric; its
 * pattern is used) into n_clusters once; each batch is the subgraph of
 * per_batch clusters drawn without replacement (an epoch: every cluster
 * once), GCN-normalised on its own with self_weight, as every layer's
 * block; the loss is the mean over the loss nodes inside it (possibly
 * none). */
gl_status gl_sampler_cluster_new(gl_sampler **out, const gl_csr *adj,
                                 int n_layers, int n_clusters, int per_batch,
                                 float self_weight, const gl_idx *loss_nodes,
                                 gl_idx n_loss, uint64_t seed);

/* GraphSAINT (sampler/saint.c): each batch is the subgraph induced by a
 * node set drawn by `kind` (node: `budget` draws by squared column norm;
 * edge: `budget` edges by 1/deg u + 1/deg v, both ends; rw: `budget` walks
 * of `walk` steps from loss nodes), its entries A_vu / alpha_vu and the loss
 * of its loss nodes weighted 1 / (lambda_v |loss nodes|), with alpha and
 * lambda counted over n_pre subgraphs drawn first, so that both the
 * aggregation and the loss are unbiased (up to the counts' noise).  Every
 * layer uses the same (non-symmetric) block.  An epoch: n / (mean subgraph
 * size) batches. */
typedef enum { GL_SAINT_NODE, GL_SAINT_EDGE, GL_SAINT_RW } gl_saint_kind;
gl_status gl_sampler_saint_new(gl_sampler **out, const gl_csr *adj,
                               int n_layers, gl_saint_kind kind, int budget,
                               int walk, int n_pre, const gl_idx *loss_nodes,
                               gl_idx n_loss, uint64_t seed);

/* History embeddings: for each layer l >= 1, the last activated input
 * rows seen of every node (n x width[l - 1], zeros at first). */
typedef struct {
  int n_layers;
  gl_idx n;
  float **h;  /* n_layers entries; h[0] NULL (the features are exact) */
  int *width; /* width[l] of h[l] */
} gl_history;
/* widths: the L - 1 hidden widths, input side first. */
gl_status gl_history_init(gl_history *h, gl_idx n, int n_layers,
                          const int *widths);
void gl_history_free(gl_history *h);
/* Points every block l >= 1 of b that has stale sources (n_fresh set) at
 * h[l]. */
void gl_history_attach(const gl_history *h, gl_batch *b);
/* h[l + 1][dst of block l] = rows (the `remember` of history samplers). */
gl_status gl_history_store(gl_history *h, const gl_batch *b, int l,
                           const float *rows, int width);

/* VR-GCN (Chen et al., ICML 2018; sampler/history.c): the node-wise
 * sampler's batches (fanouts input side first; GraphSAGE's estimator)
 * with control variates from history embeddings of hidden widths
 * `widths` (L - 1, input side first): every layer >= 1 reads the whole
 * neighbourhood's history plus the sampled neighbours' fresh differences
 * (gl_batch_nodewise with smap); remembers the fresh hidden rows.  The
 * block structure never depends on the history, so it may be prefetched. */
gl_status gl_sampler_vrgcn_new(gl_sampler **out, const gl_csr *adj,
                               int n_layers, const int *fanouts,
                               const int *widths, const gl_idx *loss_nodes,
                               gl_idx n_loss, gl_idx batch_size,
                               uint64_t seed);

/* MVS-GNN (Cong et al., KDD 2020; sampler/history.c): every `inner`
 * steps a snapshot batch (exact L-hop graph of V_S, ratio * n_loss loss
 * nodes drawn uniformly; the whole graph when adj is symmetric and that
 * graph would reach a quarter of it; V_S are its loss rows, in order,
 * weighted 1) whose forward gives the history and whose fed
 * back gradient norms give the minimal-variance probabilities
 * (gl_mvs_probs, expected batch size batch_size); then `inner` Bernoulli
 * batches of V_S (gl_mvs_draw weights: the loss is unbiased for the mean
 * over V_S) in which every layer's block is the batch's rows with all of
 * their neighbours, the batch nodes fresh and the others from history
 * (one-shot subgraph, Eq. 7).  An epoch: n_loss / batch_size inner steps.
 * The `inner` steps count the batches drawn (so they may be drawn ahead:
 * gl_sampler_prefetch), whether trained on or only looked at.  No gradient
 * flows through the stale rows, so the first layers' gradients miss the paths
 * through out-of-batch neighbours (the paper's approximation); the output
 * layer's is unbiased while the history is exact.
 * systematic: gl_mvs_draw_systematic's fixed-size batches instead of the
 * paper's Bernoulli draws. */
gl_status gl_sampler_mvs_new(gl_sampler **out, const gl_csr *adj,
                             int n_layers, const int *widths, double ratio,
                             int inner, bool systematic,
                             const gl_idx *loss_nodes,
                             gl_idx n_loss, gl_idx batch_size, uint64_t seed);

/* Replaces *s by a sampler that draws up to `depth` batches of *s ahead in
 * a thread of its own (the same batches in the same order: only the
 * waiting goes), at the thread count of the calling thread (gl_threads
 * when it is called); it owns and frees the original.  A sampler that takes
 * feedback is drawn ahead up to its next snapshot batch, then waits for
 * the snapshot's feedback (its next batches depend on it): next before
 * that feedback fails (GL_EINVAL). */
gl_status gl_sampler_prefetch(gl_sampler **s, int depth);

/* MVS-GNN's minimal-variance probabilities for per-node gradient norms g
 * (n nodes) and an expected batch size b: p_i = min(1, g_i / tau) with tau
 * such that sum p = b, the minimiser of sum g_i^2 / p_i subject to
 * sum p = b and 0 < p <= 1 (computed exactly: sort, then the threshold
 * rule of the paper).  Nodes with g_i = 0 get 0 (never drawn; sum p falls
 * short of b when fewer than b norms are positive); b >= n gives 1 to every
 * positive norm.  *tau (may be NULL) receives the threshold. */
gl_status gl_mvs_probs(const float *g, gl_idx n, double b, float *p,
                       double *tau);
/* A Bernoulli draw: node i (nodes[i], or i when nodes is NULL) is in the
 * batch with probability p[i], weighted 1 / (p_i n), so the weighted sum
 * of a quantity over the batch is an unbiased estimate of its mean over
 * the n nodes.  out and w hold up to n entries; returns the batch size. */
gl_idx gl_mvs_draw(const float *p, const gl_idx *nodes, gl_idx n,
                   gl_rng *rng, gl_idx *out, float *w);
/* The same inclusion probabilities and weights with a fixed batch size
 * (randomised systematic sampling: the nodes in a random order, p laid end
 * to end on a line, drawn where a point u + k, u ~ U[0, 1), falls), so the
 * batch holds floor or ceil of sum p nodes; the estimate stays unbiased and
 * loses the variance of Bernoulli draws' random batch size.  perm: n
 * entries of scratch. */
gl_idx gl_mvs_draw_systematic(const float *p, const gl_idx *nodes, gl_idx n,
                              gl_rng *rng, gl_idx *perm, gl_idx *out,
                              float *w);

/* ---------------------------------------------------------- by name */
/* A sampler by name, with the options of every kind (fields a kind does
 * not use are ignored; lists per layer, the output layer first, at most
 * 16). */
typedef struct {
  const char *name;   /* gl_sampler_names() */
  int batch_size;     /* training nodes a batch (512; mvs: expected) */
  int n_fanouts, fanouts[16]; /* node, vrgcn: neighbours drawn a node */
  int n_sizes, sizes[16];     /* fastgcn, ladies: nodes a layer (0 given:
                                 batch_size each) */
  int clusters;       /* cluster: METIS parts (0: one per 128 nodes) */
  int budget, walk;   /* saint-*: draws (0: about batch_size nodes), steps */
  double mvs_ratio;   /* mvs: gamma */
  int mvs_inner;      /* mvs: K */
  bool mvs_systematic; /* mvs: fixed-size systematic draws */
  int hidden;         /* vrgcn, mvs: the history's width */
  int prefetch;       /* batches drawn ahead in a thread (2; 0: in the
                         training thread, as a checkpointed run needs) */
} gl_sampler_opts;
/* "full, node, vrgcn, ..." and whether `name` is one of them. */
const char *gl_sampler_names(void);
bool gl_sampler_exists(const char *name);
/* The defaults: full; 512 a batch; fan-outs 25, 10 (GraphSAGE's); saint-rw
 * walks of 2 steps; mvs gamma 1, K 20, Bernoulli draws. */
gl_sampler_opts gl_sampler_defaults(void);
/* GL_EINVAL for an unknown name or per-layer lists that do not match
 * `layers`. */
gl_status gl_sampler_opts_check(const gl_sampler_opts *o, int layers);
/* The sampler `o` names over the training nodes (borrowed) of the
 * normalised graph `ahat` for a model of `layers` layers: the full batch,
 * or a mini-batch sampler drawing ahead in a thread (gl_sampler_prefetch);
 * cluster: about batch_size nodes' worth of clusters a batch; saint-*:
 * pre-sampling until a node is drawn about 50 times (GraphSAINT). */
gl_status gl_sampler_new_by_name(gl_sampler **s, const gl_sampler_opts *o,
                                 const gl_csr *ahat, int layers,
                                 const gl_idx *train, gl_idx n_train,
                                 uint64_t seed);

#endif
