/* glearn embeddings: random walks (DeepWalk, node2vec, CARE) and skip-gram
 * with negative sampling over them (Perozzi et al., KDD 2014; Grover &
 * Leskovec, KDD 2016; Keikha et al., Knowledge-Based Systems 2018;
 * Mikolov et al., NeurIPS 2013).  A walker
 * draws one walk at a time, so a corpus (gl_walks) and a trainer that
 * takes walks as they come share the same code. */
#ifndef GL_EMBED_H
#define GL_EMBED_H

#include "graph/graph.h"

/* ----------------------------------------------------------------- walks */
typedef enum { GL_WALK_DEEPWALK, GL_WALK_NODE2VEC, GL_WALK_CARE } gl_walk_kind;

typedef struct {
  gl_walk_kind kind;
  int walks_per_node; /* walks starting at every node (gamma) */
  int length;         /* nodes a walk (l), the start included */
  double p, q;        /* node2vec: return and in-out parameters */
  double alpha;       /* CARE: probability of a neighbour step */
  /* CARE: community of every node (n values in [0, n_comm)); the walker
   * keeps a pointer, the caller keeps the array alive */
  const gl_idx *community;
  gl_idx n_comm;
  uint64_t seed;
} gl_walk_opts;

/* Defaults: DeepWalk, 10 walks of 80 nodes, p = q = 1, alpha 0.9 (the CARE
 * paper's value was not found; on BlogCatalog, Macro-F1 at 50%: alpha 0.5
 * 0.103, 0.9 0.198, DeepWalk 0.215), seed 1. */
gl_walk_opts gl_walk_defaults(void);

/* The walk rules over a graph g (n x n; directed graphs walk along their
 * rows, weighted ones in proportion to the weights, which must be positive
 * and finite):
 * - DeepWalk: each step goes to a neighbour drawn in proportion to the
 *   edge weight (uniformly when unweighted).
 * - node2vec (Grover and Leskovec): after the step t -> v, the next node x
 *   is a neighbour of v with probability proportional to
 *   w(v, x) * (1/p if x = t, 1 if x is a neighbour of t, 1/q otherwise),
 *   drawn by rejection as KnightKing does: propose x by weight, accept
 *   with probability factor / max(1/p, 1, 1/q).  Memory stays linear in
 *   the edges (a weighted graph gets one alias entry an edge).
 * - CARE (Keikha et al.): the path never revisits a node.  At its last
 *   node c, with probability alpha it steps to a neighbour of c not yet
 *   visited (by weight), otherwise it jumps to a node of c's community not
 *   yet visited (uniformly; a neighbour step when the community has none
 *   left); when c has no unvisited neighbour the walk backtracks: it goes
 *   on from the node it reached c from (c stays in the path), and so on
 *   back along its trail.  A path whose whole trail is stuck has visited
 *   every node it can reach (a small component): the walk goes on from its
 *   last node as a new path (nothing visited yet), so that, as DeepWalk's,
 *   CARE's walks in small components are full length (the paper's graphs
 *   are connected; without this, Citeseer's 438 components give a third
 *   of the walks a few nodes and link-prediction AUC 0.89 for 0.96).
 * A walk ends early only at a node without neighbours. */
typedef struct {
  const gl_csr *g;
  gl_walk_opts o;
  float *alias_p;     /* weighted graphs: per entry, within its row */
  gl_idx *alias_j;
  gl_off *comm_ptr;   /* CARE: members of community c are */
  gl_idx *comm_nodes; /* comm_nodes[comm_ptr[c] .. comm_ptr[c + 1]) */
  gl_idx *order;      /* the start nodes of every round, in order */
} gl_walker;

gl_status gl_walker_init(gl_walker *w, const gl_csr *g,
                         const gl_walk_opts *o);
void gl_walker_free(gl_walker *w);

/* Per-thread scratch of a walker (CARE's visited marks and trail; empty
 * for the other walks). */
typedef struct {
  uint32_t *mark, stamp;
  gl_idx *trail;
  gl_idx n;
} gl_walk_scratch;
gl_status gl_walk_scratch_init(gl_walk_scratch *s, const gl_walker *w);
void gl_walk_scratch_free(gl_walk_scratch *s);

/* Walk number i of the walker's schedule: round i / n starts at node
 * perm_round[i % n], where every round visits the nodes in its own random
 * order.  The walk depends only on (seed, i), never on threads.  Writes up
 * to o.length nodes to out and returns how many. */
int gl_walker_walk(const gl_walker *w, int64_t i, gl_walk_scratch *s,
                   gl_idx *out);
/* The start node of walk i (the schedule above). */
gl_idx gl_walker_start(const gl_walker *w, int64_t i);
int64_t gl_walker_count(const gl_walker *w); /* walks_per_node * n */

/* A corpus: walk k is nodes[start[k] .. start[k + 1]). */
typedef struct {
  gl_idx *nodes;
  int64_t *start;
  int64_t n_walks;
  gl_idx n_nodes; /* of the graph: ids are below it */
} gl_walks;

/* Every walk of the schedule, in parallel (OpenMP threads); the corpus is
 * the same for any thread count. */
gl_status gl_walks_generate(const gl_walker *w, gl_walks *out);
/* The walks of the schedule that start at the nodes v with v % parts ==
 * part, in schedule order: a rank's share of a distributed corpus (the
 * parts' corpora together are gl_walks_generate's, walk for walk). */
gl_status gl_walks_generate_part(const gl_walker *w, int part, int parts,
                                 gl_walks *out);
void gl_walks_free(gl_walks *c);

/* ------------------------------------------------------------- skip-gram */
typedef struct {
  int dim;           /* embedding size (128) */
  int window;        /* context nodes on each side, at most (10) */
  int negative;      /* negatives per positive pair (5) */
  int epochs;        /* passes over the corpus (1) */
  double lr;         /* starting learning rate (0.025), decayed linearly */
  double min_lr;     /* to lr * 1e-4 at the end */
  double sample;     /* frequent-node subsampling threshold (1e-3; 0: off) */
  int threads;       /* Hogwild threads (0: the calling thread's count) */
  uint64_t seed;
  bool progress;     /* a progress bar on stderr (if it is a terminal) */
  /* The spectral learner (Granziol et al.'s SGD rule) sets the rate in
   * place of lr: at the start of each of spectral_segments (20; 0: 20)
   * parts of an epoch, 16 Lanczos steps on the Hessian of a step of the
   * kernel, 128 updates drawn once a run (a context node's vector against
   * its center's and the negatives' output vectors, each update on its own
   * copy of the vectors: block diagonal), give 2 / (lambda_max + median)
   * of the Ritz values' magnitudes, times the linear decay.  A guard: a
   * segment that takes those updates' loss above 1.5 times its start is
   * undone (from a copy of the vectors: twice their memory) and redone at
   * half the rate.  Threads wait for each other at the segments' ends. */
  bool spectral;
  int spectral_segments;
  /* Checkpoints: with `checkpoint`, after every checkpoint_every-th pass
   * (1 when 0; not after the last) the run's state (both vector tables,
   * the threads' random streams and drawn negatives, the rate, the
   * learner's) goes to that file (gl_state_write); with `resume` the run
   * continues from one written by a run of the same corpus, settings and
   * thread count (GL_EINVAL naming what differs), and with one thread
   * ends as the uninterrupted run would, bit for bit. */
  const char *checkpoint;
  int checkpoint_every;
  const char *resume;
  /* Distributed (dist/): the corpus is this rank's share of the walks
   * (gl_walks_generate_part); the nodes' counts are summed across the
   * ranks (the negatives' table and the subsampling are the whole
   * corpus's), each rank draws its own random streams, and at the end of
   * each of sync_segments parts of every pass (1000 when 0) the ranks
   * synchronise (MPI_Allreduce of both tables): each table becomes its
   * value at the last synchronisation plus the ranks' changes since,
   * summed (model averaging of the updates, times the rank count: a rank's
   * sparse updates count in full, as in one process's Hogwild), so every
   * rank goes on from, and ends with, the same vectors.  Fewer
   * synchronisations drift: BlogCatalog on 4 ranks diverges at 100 a
   * pass, where 1000 match one process.  NULL: one process. */
  const gl_comm *comm;
  int sync_segments;
} gl_sgns_opts;

gl_sgns_opts gl_sgns_defaults(void);

/* Vose's alias method: weights v[0..d) (positive) become p and j such that
 * drawing k uniformly, then keeping k when a uniform u < p[k] and taking
 * j[k] otherwise, gives k with probability v[k] / sum v.  scratch: 2 d. */
void gl_alias_build(const float *v, int64_t d, float *p, gl_idx *j,
                    gl_idx *scratch);

/* Negative sampling: word2vec's unigram table, node v drawn with
 * probability count[v]^0.75 / sum count^0.75, held as an alias table (8
 * bytes a node, exact, and small enough to stay in cache, where word2vec's
 * 10^8-entry table misses it on every draw). */
typedef struct {
  float *p;
  gl_idx *alias, n;
} gl_neg_table;
gl_status gl_neg_table_init(gl_neg_table *t, const int64_t *count, gl_idx n);
void gl_neg_table_free(gl_neg_table *t);
/* A negative from the 64 random bits u. */
static inline gl_idx gl_neg_draw(const gl_neg_table *t, uint64_t u) {
  gl_idx k = (gl_idx)(((u >> 32) * (uint64_t)t->n) >> 32);
  return (float)(u & 0xFFFFFF) * 0x1.0p-24f < t->p[k] ? k : t->alias[k];
}

typedef struct {
  int64_t words;       /* corpus positions read: walks' nodes x epochs */
  double seconds;
  double words_per_second;
  /* the spectral learner: its last rate (before the decay), estimates,
   * segments undone and seconds (included in `seconds`) */
  double lr;
  int estimates, restarts;
  double spectral_seconds;
  int resumed_pass; /* the pass a resumed run continued from (0: none) */
} gl_sgns_stats;

/* Trains node embeddings emb (n_nodes x dim, row-major) on the corpus with
 * word2vec's skip-gram and negative sampling: for every node of a walk and
 * every context node within a window drawn uniformly from 1..window, the
 * context node's vector learns to predict the node against `negative`
 * nodes drawn from the unigram^0.75 table; nodes seen more than `sample`
 * of the time are dropped at random (word2vec's rule); the learning rate
 * falls linearly from lr to min_lr over all epochs.  Threads update the
 * shared vectors without locks (Hogwild): with one thread a seed fixes the
 * result, with more the interleaving of updates varies from run to run.
 * Nodes that never occur keep their random initial vectors.  Thread t of
 * T trains on the walks [n_walks t / T, n_walks (t + 1) / T). */
gl_status gl_sgns_train(const gl_walks *c, const gl_sgns_opts *o, float *emb,
                        gl_sgns_stats *st);
/* The same training with the walker's walks drawn as they are needed
 * (twice: a first pass counts the nodes), for corpora that would not fit
 * in memory; with one thread the result equals gl_sgns_train on
 * gl_walks_generate's corpus. */
gl_status gl_sgns_train_stream(const gl_walker *w, const gl_sgns_opts *o,
                               float *emb, gl_sgns_stats *st);

/* The spectral learner's curvature: b updates of the kernel, update q the
 * input vector emb[in[q]] against the output vectors syn1[out[q k1 + k]]
 * (k = 0 the center, label 1; then the negatives, label 0), each on its
 * own copy of the vectors: a block diagonal Hessian, blocks of (k1 + 1)
 * dim values [u, v_0, .., v_{k1-1}] in the order of the updates.  The
 * mean loss of the updates, and x -> H x (a gl_matvec_fn: ctx is the
 * gl_sgns_curvature). */
typedef struct {
  const float *emb, *syn1;
  int dim, k1;            /* targets an update: negatives + 1 */
  int64_t b;              /* updates */
  const gl_idx *in, *out; /* b input nodes; b x k1 targets, center first */
} gl_sgns_curvature;
double gl_sgns_curvature_loss(const gl_sgns_curvature *c);
gl_status gl_sgns_curvature_matvec(void *ctx, const double *x, double *y);

/* ------------------------------------------------------------ evaluation */
/* L2-regularised logistic regression, sklearn's objective: sum of the
 * log-losses + |w|^2 / (2 C) (the bias, w[d], not penalised), solved by
 * Newton's method in double precision (Hessian by OpenBLAS's dsyrk, step
 * halving).  x: n x d row-major; y: 0 / 1; w: d + 1 values. */
gl_status gl_logreg_fit(const float *x, int64_t n, int d, const uint8_t *y,
                        double c, double *w);
double gl_logreg_score(const float *x, int d, const double *w); /* x.w + b */
/* ROC-AUC of n scores against 0 / 1 labels into *auc (ties count half;
 * NAN when one class is missing).  GL_EINVAL for n < 0, GL_ENOMEM when its
 * workspace (n score-label pairs) cannot be had. */
gl_status gl_auc(const double *score, const uint8_t *y, int64_t n,
                 double *auc);
/* Micro- and Macro-F1 of predicted label sets pred (row t for node
 * nodes[t], or t when nodes is NULL) against truth (a row a node); a class
 * with no true or predicted member scores 0 in the macro mean (sklearn). */
gl_status gl_f1_scores(const gl_csr *truth, const gl_csr *pred,
                       const gl_idx *nodes, gl_idx n, int n_classes,
                       double *micro, double *macro);
/* Node classification (DeepWalk's protocol): the labelled nodes (rows of
 * `labels`, n x classes, with an entry) are shuffled by seed, a share
 * train_frac trains one-vs-rest logistic regressions (C = c) on the
 * embeddings, and each test node is given its k best-scored classes, k its
 * number of true labels (1 for single-label data); Micro/Macro-F1. */
gl_status gl_eval_classify(const float *emb, int dim, const gl_csr *labels,
                           double train_frac, double c, uint64_t seed,
                           double *micro, double *macro);

/* Link prediction (node2vec's protocol): a share `hold` of the undirected
 * edges is held out while the rest, the residual graph, stays connected
 * (the edges of a random spanning forest are never held out); test pairs
 * are the held-out edges and as many non-edges, training pairs up to
 * max_train / 2 residual edges and as many other non-edges (all pairs
 * u < v, distinct).  Embed the residual graph, then gl_eval_link. */
typedef struct {
  gl_csr residual;
  int64_t n_train, n_test; /* pairs: training first, then test */
  gl_idx *u, *v;
  uint8_t *y; /* 1 edge, 0 non-edge */
} gl_link_split;
gl_status gl_link_split_init(gl_link_split *s, const gl_csr *g, double hold,
                             int64_t max_train, uint64_t seed);
void gl_link_split_free(gl_link_split *s);

typedef enum {
  GL_EDGE_HADAMARD, /* f_u * f_v */
  GL_EDGE_AVERAGE,  /* (f_u + f_v) / 2 */
  GL_EDGE_L1,       /* |f_u - f_v| */
  GL_EDGE_L2        /* (f_u - f_v)^2 */
} gl_edge_op;
/* Logistic regression (C = c) on the training pairs' edge features, AUC
 * of its scores on the test pairs. */
gl_status gl_eval_link(const float *emb, int dim, const gl_link_split *s,
                       gl_edge_op op, double c, double *auc);

#endif
