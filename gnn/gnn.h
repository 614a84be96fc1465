/* glearn GNNs: layers with forward and backward over plain arrays, the
 * models (a vtable over batches of blocks), the generic training loop and
 * checkpoints.  Knows nothing of datasets or their file formats: the tools
 * hand it a task (checkpoints are npz files, datasets' container). */
#ifndef GL_GNN_H
#define GL_GNN_H

#include "core/core.h"
#include "graph/graph.h"
#include "optim/optim.h"
#include "sampler/sampler.h"

/* ============================================================== layers */
/* Dropout masks are core's gl_mask_*: a key and an element index. */

/* out[n_rows x h] = drop_p(X[rows]) W with X sparse (F columns), W F x h.
 * rows NULL = rows 0..n_rows-1.  Dropout acts on the stored non-zeros
 * (mask index = position of the entry in X), kept values scaled 1/(1-p). */
void gl_sparse_linear_forward(const gl_csr *x, const gl_idx *rows,
                              gl_idx n_rows, const float *w, int h, float p,
                              uint64_t key, float *out);
/* dW[F x h] += drop_p(X[rows])^T dout (dout n_rows x h). */
void gl_sparse_linear_backward(const gl_csr *x, const gl_idx *rows,
                               gl_idx n_rows, const float *dout, int h,
                               float p, uint64_t key, float *dw);
/* drop_p(X[rows]) as a matrix of its own (n_rows x F, the kept entries):
 * the same products by gl_csr_spmm / gl_csr_spmm_t, for a layer input
 * multiplied many times under one mask (Hessian-vector products). */
gl_status gl_sparse_linear_rows(gl_csr *out, const gl_csr *x,
                                const gl_idx *rows, gl_idx n_rows, float p,
                                uint64_t key);
/* out[n x h] = in[n x k] W[k x h] (+ b). */
void gl_linear_forward(const float *in, gl_idx n, int k, const float *w,
                       const float *b, int h, float *out);
/* dW += in^T dout, db += column sums of dout, din = dout W^T (din may be
 * NULL; it is overwritten, not accumulated). */
void gl_linear_backward(const float *in, gl_idx n, int k, const float *w,
                        int h, const float *dout, float *din, float *dw,
                        float *db);
/* out = drop_p(in) over n values (out may equal in). */
void gl_dropout_forward(const float *in, size_t n, float p, uint64_t key,
                        float *out);
/* din = dout masked and scaled like the forward (din may equal dout). */
void gl_dropout_backward(const float *dout, size_t n, float p, uint64_t key,
                         float *din);
void gl_relu_forward(const float *in, size_t n, float *out);
/* din = dout where the forward output was > 0 (out = forward's output). */
void gl_relu_backward(const float *out, const float *dout, size_t n,
                      float *din);
/* Propagation over a block: out[n_dst x d] = A in[n_src x d]. */
void gl_prop_forward(const gl_block *b, const float *in, int d, float *out);
/* din[n_src x d] = A^T dout[n_dst x d]. */
void gl_prop_backward(const gl_block *b, const float *dout, int d,
                      float *din);
/* Softmax cross-entropy of the rows `pos` of logits[n x c] against labels
 * y[ids[pos[i]]] (ids NULL = identity), weighted by w[i]:
 * loss = sum_i w_i * CE_i.  dlogits (n x c, may be NULL) is overwritten:
 * w_i (softmax - onehot) on the loss rows, 0 elsewhere.  Rows with label < 0
 * are skipped. */
double gl_softmax_xent(const float *logits, gl_idx n, int c,
                       const gl_idx *ids, const int32_t *y,
                       const gl_idx *pos, const float *w, gl_idx n_pos,
                       float *dlogits);
/* Binary cross-entropy of softmax(logits) against soft targets t (n x c),
 * averaged over all n x c entries (torch's BCELoss(softmax(z), t), logs
 * clamped at -100), into *loss; dlogits (may be NULL) is overwritten.
 * GL_EINVAL for c < 1, GL_ENOMEM when its workspace (2 c doubles, c > 64)
 * cannot be had. */
gl_status gl_softmax_bce(const float *logits, gl_idx n, int c,
                         const float *t, float *dlogits, double *loss);
/* Row-wise softmax in place. */
void gl_softmax_rows(float *z, gl_idx n, int c);
/* Fraction of the nodes `nodes` whose argmax of logits[node] equals y. */
double gl_accuracy(const float *logits, int c, const int32_t *y,
                   const gl_idx *nodes, gl_idx n);

/* ============================================================== models */
/* Mixing of hidden rows for GraphMix's Manifold Mixup:
 * h[rows[i]] <- lam h[rows[i]] + (1 - lam) h[rows[perm[i]]]. */
typedef struct {
  const gl_idx *rows, *perm;
  gl_idx n;
  float lam;
} gl_mix;

/* Mixing kernels shared by the FCN paths.  gl_mix_check: rows in [0, n),
 * perm in [0, mix->n), finite lam (GL_EINVAL otherwise; NULL or n == 0 is
 * fine).  gl_mix_forward: out[n x d] = h with the rows mixed, every mixed
 * row read from the un-mixed h (out must not alias h; rows should be
 * unique).  gl_mix_backward: din = dout through the mix (din must not alias
 * dout). */
gl_status gl_mix_check(const gl_mix *mix, gl_idx n);
void gl_mix_forward(const float *h, gl_idx n, int d, const gl_mix *mix,
                    float *out);
void gl_mix_backward(const float *dout, gl_idx n, int d, const gl_mix *mix,
                     float *din);

typedef struct gl_model gl_model;
typedef struct {
  const char *name;
  /* logits[n_out x n_classes] for the batch; `train` turns dropout on. */
  gl_status (*forward)(gl_model *m, const gl_csr *x, gl_batch *b, bool train,
                       float *logits);
  /* Accumulates parameter gradients for the last forward's batch. */
  gl_status (*backward)(gl_model *m, const gl_csr *x, gl_batch *b,
                        const float *dlogits);
  /* The same weights without propagation (GraphMix's FCN) on the feature
   * rows `nodes` (logits n x n_classes), with an optional mix of the rows of
   * the first hidden layer (after its activation; positions in `nodes`).
   * `nodes` and the mix must stay valid until backward_fcn, which
   * accumulates the parameter gradients of the last forward_fcn. */
  gl_status (*forward_fcn)(gl_model *m, const gl_csr *x, const gl_idx *nodes,
                           gl_idx n, const gl_mix *mix, bool train,
                           uint64_t key, float *logits);
  gl_status (*backward_fcn)(gl_model *m, const gl_csr *x, const float *dlogits);
  void (*free)(gl_model *m);
  /* The activated output of hidden layer l (rows: block l's destinations)
   * of the last forward, its width in *width; NULL if the model has none to
   * give (history embeddings are written from it).  May be NULL. */
  const float *(*hidden)(const gl_model *m, int l, int *width);
  /* MVS-GNN's per-node gradient norms of the output layer for the last
   * forward's batch: out[i] = the norm of the output layer's weight (and
   * bias) gradient that output row i alone contributes, given dlogits
   * (n_out x classes, the loss gradient of each row on its own), for the
   * batch's loss rows (0 for the other rows).  May be NULL. */
  gl_status (*grad_norms)(gl_model *m, gl_batch *b, const float *dlogits,
                          float *out);
  /* forward needs the whole graph (a full batch) even when only some
   * nodes' outputs are wanted: no L-hop sub-batches */
  bool full_graph;
  /* The exact Hessian-vector product of the batch's loss
   * sum_i loss_w[i] CE_i (labels y, as gl_softmax_xent reads them) in the
   * parameters, at the current weights, without dropout or (train) with
   * the dropout masks of the batch's key held fixed: hv = H v with
   * v and hv flat over m->params in order (the L2 term is the caller's).
   * same_point: the weights, batch and labels are those of the previous
   * call, with no forward in between, so its forward and backward pass
   * may be reused (Lanczos' steps).  Overwrites the last forward's state.
   * May be NULL (then differences of gradients serve). */
  gl_status (*hvp)(gl_model *m, const gl_csr *x, gl_batch *b,
                   const int32_t *y, bool train, bool same_point,
                   const float *v, float *hv);
} gl_model_ops;

/* The configuration every model is built from (and saved with).  Fields a
 * model does not use are ignored; gl_model_defaults fills the paper's
 * values for a model and dataset. */
typedef struct {
  char model[32];   /* "gcn", "gat", "gunet" */
  int n_features, n_classes;
  int hidden, layers;
  float dropout;    /* on the input features (and, but for GCN, on every
                       layer's input) */
  float hidden_dropout; /* GCN: on the inputs of the layers after the first
                           (Kipf & Welling: = dropout; GraphMix: 0) */
  bool bias;
  bool decay_all;   /* weight decay on every weight (else the first layer) */
  uint64_t seed;    /* initialisation */
  /* GAT */
  int heads;          /* heads of the hidden layers, concatenated (8) */
  int out_heads;      /* heads of the output layer, averaged (1; Pubmed 8) */
  float attn_dropout; /* dropout on the attention coefficients (0.6) */
  float leaky;        /* LeakyReLU slope of the attention scores (0.2) */
  /* Graph U-Net */
  int n_pools;        /* gPool levels (4) */
  int pool_k[8];      /* nodes kept at each level (2000, 1000, 500, 200);
                         a level keeps min(k, n) nodes */
  float adj_dropout;  /* dropout on the adjacency entries */
  int act;            /* activation of the hidden blocks (gl_act) */
  /* 1: CogDL's node-classification layout: the encoder and decoder blocks
   * linear and without dropout, the activation after the input and bottom
   * blocks only, hidden_dropout on the pooled features (the inputs of the
   * deeper down blocks and of the bottom one) and before the output */
  int linear_blocks;
} gl_model_cfg;

/* Activations a model may be configured with. */
typedef enum { GL_ACT_ELU, GL_ACT_RELU, GL_ACT_NONE } gl_act;
/* "elu", "relu", "none" -> *out; else GL_EINVAL. */
gl_status gl_act_parse(const char *s, gl_act *out);

/* The default settings of `model` (and the training settings that go with
 * them) for a dataset: on the papers' own benchmarks (`dataset` "cora",
 * "citeseer" or "pubmed": the Planetoid split) the model's paper's; on any
 * other dataset (any other name, or NULL) the protocol of Shchur et al.
 * (2018): their tuned sizes and rates on raw bag-of-words features, early
 * stopping after 50 epochs without the validation loss improving, the
 * weights of the lowest (Graph U-Net, not in their study: its own). */
typedef struct {
  gl_model_cfg cfg;
  double lr, weight_decay;
  int epochs;
  int stop;   /* gl_stop_rule */
  int window, patience;
  int select; /* gl_select_rule */
  const char *protocol; /* which chose them: "paper", "shchur" or (Graph
                           U-Net elsewhere) "paper settings, shchur split" */
  bool raw_features;    /* feed the features binary and not normalised
                           (Shchur et al.'s bag of words); else as loaded */
} gl_model_defaults_t;
gl_status gl_model_defaults(const char *model, const char *dataset,
                            gl_model_defaults_t *out);
/* Whether `dataset` names one of the papers' benchmarks (above). */
bool gl_model_paper_dataset(const char *dataset);

struct gl_model {
  const gl_model_ops *ops;
  gl_model_cfg cfg;
  gl_param *params;
  int n_params;
};

/* Builds the model named cfg->model ("gcn"); unknown -> GL_ENOTFOUND. */
gl_status gl_model_new(gl_model **out, const gl_model_cfg *cfg);
gl_status gl_gcn_new(gl_model **out, const gl_model_cfg *cfg);
gl_status gl_gat_new(gl_model **out, const gl_model_cfg *cfg);
gl_status gl_gunet_new(gl_model **out, const gl_model_cfg *cfg);
void gl_model_free(gl_model *m);
const char *gl_model_names(void);
bool gl_model_exists(const char *name);

/* ============================================================== Graph U-Net */
/* The layers of Graph U-Net (Gao & Ji, ICML 2019), see gnn/gunet.c.
 * gPool: scores y = X p / ||p|| of the n rows of X[n x d] (y: n values, kept
 * for backward); keeps the k highest (ties: the lower row; NaN lowest) as
 * idx[k], in ascending row order; out[k x d] = X[idx] * sigmoid(y[idx]) (the
 * gate that makes p trainable).  GL_EINVAL unless 1 <= k <= n and p != 0;
 * GL_ENOMEM. */
gl_status gl_gpool_forward(const float *x, gl_idx n, int d, const float *p,
                           gl_idx k, gl_idx *idx, float *y, float *out);
/* Accumulates dx[n x d] += dL/dX and dp[d] += dL/dp given dout[k x d]. */
void gl_gpool_backward(const float *x, gl_idx n, int d, const float *p,
                       gl_idx k, const gl_idx *idx, const float *y,
                       const float *dout, float *dx, float *dp);
/* gPool's graph with connectivity augmentation: the boolean pattern of
 * ((A + I)^2)[idx, idx] (k x k, local ids in the order of idx, val NULL,
 * every diagonal entry present), i.e. kept nodes within two hops.  Only A's
 * pattern is read (self loops or not); A square, idx unique (GL_EINVAL).
 * Never forms A^2: bitsets over the kept nodes, O(k/64) words per entry of
 * the rows of idx and of their neighbours. */
gl_status gl_gpool_graph(gl_csr *out, const gl_csr *a, const gl_idx *idx,
                         gl_idx k);
/* gUnpool: out[n x d] = 0 but out[idx[i]] = in[i] (in k x d); backward
 * gathers din[i] = dout[idx[i]]. */
void gl_gunpool_forward(const float *in, gl_idx k, int d, const gl_idx *idx,
                        gl_idx n, float *out);
void gl_gunpool_backward(const float *dout, gl_idx k, int d,
                         const gl_idx *idx, float *din);
/* The global node ids (ascending) kept at pooling level 1..n_pools by the
 * last full-graph forward of a "gunet" model, their count in *k; NULL (and
 * *k = 0) for another model, another level or before any forward. */
const gl_idx *gl_gunet_kept(const gl_model *m, int level, gl_idx *k);

/* ============================================================== training */
/* What a model is trained and evaluated on (tools fill it from a dataset). */
typedef struct {
  const gl_csr *adj; /* normalised propagation matrix (n x n) */
  const gl_csr *x;   /* features (n x F) */
  const int32_t *y;
  int n_classes;
  const gl_idx *train, *val, *test;
  gl_idx n_train, n_val, n_test;
  /* Distributed (dist/): the task is this rank's part.  adj holds the
   * part's rows (n_own x (n_own + n_halo), local columns), x, y and the
   * lists its own nodes (the halo's rows of X W come over the halo); halo
   * exchanges the halo's rows, comm sums across the ranks (gl_train then
   * sums the parts' gradients every step and reports the whole task's
   * losses and accuracies).  NULL, NULL: one process. */
  const gl_halo *halo;
  const gl_comm *comm;
} gl_task;

typedef enum {
  GL_STOP_NONE,    /* run every epoch */
  GL_STOP_WINDOW,  /* Kipf & Welling: after `window` epochs stop when the
                      validation loss exceeds the mean of the last `window` */
  GL_STOP_PATIENCE, /* GAT: stop after `patience` epochs without val acc or
                       val loss improving */
  GL_STOP_LOSS      /* Shchur et al.: stop after `patience` epochs without
                       the val loss improving */
} gl_stop_rule;

typedef enum {
  GL_SELECT_LAST,    /* the weights of the last epoch (GCN's code) */
  GL_SELECT_BEST_VAL, /* the weights of the epoch with the best val acc
                         (ties: the later epoch) */
  GL_SELECT_BEST_LOSS /* the weights of the epoch with the lowest val
                         cross-entropy, the L2 term left out (ties: the
                         later epoch) */
} gl_select_rule;
/* Whether the rule keeps an epoch of validation accuracy acc and
 * cross-entropy xent, given the best of the epochs before it. */
bool gl_select_keeps(gl_select_rule rule, double acc, double xent,
                     double best_acc, double best_xent);

typedef struct {
  int epoch;
  double train_loss, train_acc, val_loss, val_acc, test_acc;
  double seconds; /* of the training step alone */
  long steps;           /* training steps so far */
  double train_seconds; /* of all training steps so far */
  double grad_var;      /* gradient variance (NAN: not measured) */
  double grad_mse;      /* its mean squared error against the full
                           gradient (variance + bias^2; NAN: not measured) */
} gl_epoch_stats;

typedef void (*gl_epoch_fn)(void *ctx, const gl_epoch_stats *s);

typedef struct {
  int epochs;
  gl_stop_rule stop;
  int window;   /* GL_STOP_WINDOW */
  int patience; /* GL_STOP_PATIENCE, GL_STOP_LOSS */
  gl_select_rule select;
  bool progress; /* progress bar on stderr (if it is a terminal) */
  int threads;   /* OpenMP threads of the run (0: the calling thread's) */
  gl_epoch_fn on_epoch;
  void *ctx;
  /* Every var_every epochs (0: never), after the epoch's steps, the
   * sampler's gradient variance at the current weights over var_draws (20)
   * batches, and their mean ||g_batch - g||^2, g the full gradient of the
   * mean training loss, all without dropout (it draws batches from the
   * sampler, so it changes the run that follows). */
  int var_every, var_draws;
  /* The spectral learner: every spectral_every epochs (10 when 0), before
   * the epoch's steps, spectral_steps (20) Lanczos steps on the Hessian of
   * the loss of one training step: the mean loss plus the L2 term of a
   * step's worth of training nodes (n_train / the sampler's steps an
   * epoch; all of them for full batches: the batch Hessian of Granziol et
   * al., whose lambda_max sets the rate for the batch size), drawn once a
   * run (the authors' fixed curvature subset), with a draw of the dropout
   * masks held fixed (a new one each estimate), on their exact L-hop graph
   * (the whole graph for models that pool it;
   * the model's exact Hessian-vector products where it has them, else
   * differences of gradients), set the optimiser's rate and momentum by
   * gl_spectral_rates with spectral_mu (for ADAM on
   * the Hessian preconditioned by Adam's second moments, from the second
   * estimate on, times (1 + beta1) / (1 - beta1): the edge of stability
   * of Adam's first moment, heavy-ball momentum).  A guard: an epoch that
   * takes the training loss (without dropout) above 1.5 times its lowest
   * since the last estimate is undone, the optimiser's moments zeroed and
   * the rate halved (a trust factor that each scheduled estimate doubles
   * back up to 1; below 1/1000: GL_EINVAL).  NONE: off. */
  gl_spectral_kind spectral;
  int spectral_every, spectral_steps;
  /* The rate's schedule over the steps (gl_lr_schedule, from the
   * optimiser's rate; without the spectral learner): a linear warm-up of
   * `warmup` steps, then, with decay_power > 0, polynomial decay to 0 at
   * the last step of `epochs` (0, 0: a constant rate). */
  long warmup;
  double decay_power;
  gl_spectral_mu spectral_mu; /* MOMENTUM's lambda_min (median: default) */
  /* Checkpoints: with `checkpoint`, after every checkpoint_every-th epoch
   * (1 when 0; not after the last) the run's whole state goes to that file,
   * atomically (gl_checkpoint_save: the model, which gl_model_load reads,
   * and the trainer's state: the optimiser's moments and rate, the
   * sampler's random stream, epoch order and history, the spectral
   * learner's guard, the epoch, the stopping rule's record, the weights
   * selected so far).  With `resume`, the run continues from such a file,
   * written by a run of the same model configuration, settings, graph,
   * split, optimiser and sampler (GL_EINVAL naming what differs): it ends
   * as the uninterrupted run would, bit for bit at the same thread count
   * (on_epoch is called for the epochs run after resuming).  A sampler
   * that draws ahead in a thread (gl_sampler_prefetch) cannot be saved.
   * A distributed task (t->comm) takes folders: every rank's state
   * (gl_checkpoint_write_ranks, gl_checkpoint_read_ranks). */
  const char *checkpoint;
  int checkpoint_every;
  const char *resume;
} gl_train_opts;

typedef struct {
  int epochs_run, best_epoch;
  double val_acc, test_acc, val_loss, train_acc;
  double seconds;      /* whole run */
  double ms_per_epoch; /* training step (forward, backward, optimiser) */
  /* spectral learner: seconds spent estimating, estimates made, the last
   * estimate's lambda_max, rate and momentum */
  double spectral_seconds, lambda_max, lr, momentum;
  int estimates;
  int restarts; /* epochs thrown away by the learner's guard */
  int resumed_epoch; /* the epoch a resumed run continued from (0: none) */
} gl_train_result;

gl_train_opts gl_train_defaults(void);
gl_status gl_train(gl_model *m, const gl_task *t, gl_sampler *s,
                   gl_optim *o, const gl_train_opts *opts,
                   gl_train_result *r);
/* Full-graph evaluation: logits (n x C) in eval mode. */
gl_status gl_model_eval(gl_model *m, const gl_task *t, float *logits);
/* The model's accuracy on the task's training, validation and test nodes
 * (acc[0], acc[1], acc[2]), from a full-graph evaluation: the whole
 * task's when it is distributed (collective then). */
gl_status gl_task_accuracy(gl_model *m, const gl_task *t, double acc[3]);

/* Appends parameter m->params[m->n_params++] (room must exist): `name` is
 * kept, not copied; rows x cols zero weights and gradient, returned in *w
 * and *g.  GL_ENOMEM leaves the entry counted, so gl_model_free_params
 * frees it. */
gl_status gl_model_add_param(gl_model *m, const char *name, int rows,
                             int cols, bool decay, float **w, float **g);
/* Frees every parameter's weights and gradient and the list. */
void gl_model_free_params(gl_model *m);

/* Copies the model's weights into *copy (allocated on first use) or, with
 * restore, back from it. */
gl_status gl_model_snapshot(gl_model *m, float **copy, bool restore);

/* ============================================================== curvature */
/* The Hessian of a model's loss on a set of nodes, as an operator for
 * Lanczos (gl_matvec_fn): the loss is the mean cross-entropy over `nodes`
 * (n ids, borrowed) plus wd/2 |w|^2 over the decayed weights, at the
 * model's weights when made or last reset (they must not change in
 * between; a product leaves them as they were), without dropout or
 * (dropout) with the masks of `key` held fixed.  On the nodes' exact L-hop
 * graph (the whole graph for models that pool it), built once; the
 * model's exact Hessian-vector products where it has them, else central
 * differences of gradients. */
typedef struct gl_curvature gl_curvature;
gl_status gl_curvature_new(gl_curvature **out, gl_model *m, const gl_task *t,
                           const gl_idx *nodes, gl_idx n, double wd,
                           bool dropout, uint64_t key);
/* The operator at the model's weights now (after training steps), with
 * the dropout masks of `key`. */
void gl_curvature_reset(gl_curvature *c, uint64_t key);
size_t gl_curvature_dim(const gl_curvature *c); /* = parameters */
/* Rows its products go over: the source nodes of its blocks, summed. */
int64_t gl_curvature_rows(const gl_curvature *c);
gl_status gl_curvature_matvec(void *ctx, const double *x, double *y);
void gl_curvature_free(gl_curvature *c);
/* The model's weights (or gradients) as one flat vector, params in order,
 * and the weights back from one. */
void gl_params_flat(const gl_model *m, float *w, bool grads);
void gl_params_load(gl_model *m, const float *w);

/* ============================================================== spectrum */
/* The Hessian spectrum of a model's training loss against the batch size
 * (Granziol et al., "Learning rates as a function of batch size", JMLR
 * 2022), at the model's weights: the loss of B training nodes is their mean
 * cross-entropy plus weight_decay/2 |w|^2 over the decayed weights, without
 * dropout (gl_curvature).  For each batch size, `draws` batches drawn
 * uniformly without replacement from the training nodes; then the full
 * loss (all of them, in order) with `probes` start vectors.  Each draw is
 * one Lanczos run of `steps` steps (gl_lanczos) from a Rademacher vector;
 * the batches and the vectors come from one stream seeded by `seed`. */
typedef struct {
  const int *batch_sizes; /* borrowed, each in [1, n_train); NULL (n 0):
                             4, 8, 16, ... below n_train (32 at most) */
  int n_batch_sizes;
  int draws;           /* batches a size: 10 */
  int probes;          /* start vectors of the full loss: 5 */
  int steps;           /* Lanczos steps a draw: 30 */
  double weight_decay; /* the L2 term's wd: 0 */
  uint64_t seed;       /* 1 */
  int threads;         /* OpenMP threads of the call (0: the calling
                          thread's) */
} gl_spectrum_opts;
gl_spectrum_opts gl_spectrum_defaults(void);
/* GL_EINVAL for options that cannot run on n_train training nodes (fewer
 * than 2; a batch size below 1 or not below n_train: "batch-sizes: ...";
 * draws, probes or steps below 1; a negative or non-finite weight decay):
 * what gl_spectrum_measure checks first, for a caller that wants to know
 * before training. */
gl_status gl_spectrum_opts_check(const gl_spectrum_opts *o, gl_idx n_train);

/* One measured loss: a batch size, or the full loss. */
typedef struct {
  int batch_size; /* B; the full loss: n_train */
  bool full;
  double lambda_max;     /* batches: the mean over the draws of the largest
                            |Ritz value|; the full loss: their largest */
  double lambda_max_std; /* its sample standard deviation over the draws
                            (the full loss: 0) */
  double lambda_min;     /* the smallest Ritz value of all draws */
  double trace;          /* Hutchinson's estimate: the parameters' count
                            times the mean of the draws' quadratures */
  gl_slq slq; /* every draw's Ritz values with their weights over the
                 draws (summing to 1): the spectral density; its
                 lambda_min, lambda_max (signed) and trace as above */
} gl_spectrum_level;

typedef struct {
  gl_spectrum_level *levels; /* the batch sizes in order, the full last */
  int n_levels;
  size_t dim;     /* parameters */
  gl_idx n_train; /* the full loss's nodes */
  double lambda_max_full;
  gl_batch_fit fit; /* of the batch sizes' lambda_max (N = n_train) */
} gl_spectrum;

/* Measures the levels above and fits them (gl_batch_fit_lmax).  The
 * weights are left as they were (the model's last forward is not).  A
 * seed and thread count fix the result.  GL_EINVAL as gl_spectrum_opts_check
 * says; GL_ENOMEM; the curvature's and Lanczos' failures.  *out is
 * zeroed on failure; gl_spectrum_free frees it either way. */
gl_status gl_spectrum_measure(gl_model *m, const gl_task *t,
                              const gl_spectrum_opts *o, gl_spectrum *out);
void gl_spectrum_free(gl_spectrum *s);
/* The levels' densities on one grid of `points` values, from 5% of the
 * Ritz values' span below the lowest of them to 5% above the highest
 * (span 1 when they are all equal), each smoothed by Gaussians of width
 * sigma times the span (gl_slq_density): grid[points], and
 * dens[n_levels x points], a row a level.  GL_EINVAL for sigma not
 * positive and finite, fewer than 2 points, or no levels. */
gl_status gl_spectrum_density(const gl_spectrum *s, double sigma, int points,
                              double *grid, double *dens);

/* ============================================================== GraphMix */
typedef struct {
  int epochs;            /* 2000 */
  double alpha;          /* Beta(alpha, alpha) for the mixing weight: 1 */
  int k;                 /* dropout-noisy predictions averaged: 10 */
  double temp;           /* sharpening temperature: 0.1 */
  double gamma;          /* max weight of the unlabelled loss: 10 (Pubmed 1) */
  int ramp_start, ramp_end; /* sigmoid ramp-up of that weight: 500 .. 1000 */
  double p_fcn;          /* probability of an FCN step: 0.5 */
  /* how the features go in: binary, each present feature 1/row count, as
   * the reference code loads its Planetoid files (the tools apply it; the
   * trainer takes the features it is given) */
  bool binary_features;
  /* the weights kept: the last epoch of the best validation accuracy (the
   * reference's), of the lowest validation cross-entropy, or the last */
  gl_select_rule select;
  bool progress;
  int threads; /* OpenMP threads of the run (0: the calling thread's) */
  gl_epoch_fn on_epoch;
  void *ctx;
  /* checkpoints, as gl_train_opts's (the state: the random stream, the
   * pseudo-labels, the optimiser, the epoch, the selection so far) */
  const char *checkpoint;
  int checkpoint_every;
  const char *resume;
} gl_graphmix_opts;
/* The reference code's values on the papers' benchmarks ("cora",
 * "citeseer", "pubmed"); on any other dataset (or NULL) gamma 1 and the
 * features as loaded. */
gl_graphmix_opts gl_graphmix_defaults(const char *dataset);
/* w(t) = gamma exp(-5 (1 - clip((t - start)/(end - start), 0, 1))^2). */
double gl_graphmix_weight(const gl_graphmix_opts *g, int epoch);
/* Trains any model with an FCN path by GraphMix, full batch; selects the
 * weights by g->select (restored in m) and reports that epoch's test
 * accuracy. */
gl_status gl_graphmix_train(gl_model *m, const gl_task *t, gl_optim *o,
                            const gl_graphmix_opts *g, uint64_t seed,
                            gl_train_result *r);

/* ============================================================== checkpoints */
/* A model's configuration and weights as an npz that numpy opens (every
 * configuration field a 0-d array, "model" its name as bytes, each
 * parameter a 2-d float32 array of its name), written atomically. */
gl_status gl_model_save(const gl_model *m, const char *path);
/* Builds the model a checkpoint holds.  GL_EFORMAT naming the file and the
 * field for anything but a glearn model: an unknown model, a configuration
 * field outside its range (checked before anything is allocated, and no
 * weights larger than the file holds), a missing or misshapen parameter,
 * a weight that is NaN or infinite; GL_EIO when it cannot be read. */
gl_status gl_model_load(gl_model **out, const char *path);
/* A run's checkpoint: the model as gl_model_save writes it (gl_model_load
 * reads it) and a trainer's state as the u8 member "glearn_state", the
 * bytes `io` saves (gl_state), written atomically. */
typedef gl_status (*gl_state_fn)(void *ctx, gl_state *s);
gl_status gl_checkpoint_write(const gl_model *m, const char *path,
                              gl_state_fn io, void *ctx);
/* Reads a run's checkpoint: the weights into m, which must have been made
 * with the configuration saved (GL_EINVAL naming the first field that
 * differs), then the state through `io` (loading), which must read it
 * all; errors name the file. */
gl_status gl_checkpoint_read(gl_model *m, const char *path, gl_state_fn io,
                             void *ctx);
/* A distributed run's checkpoint, every rank's state (comm: its ranks;
 * collective): rank R writes DIR/rank-R.slot-S.npz (gl_checkpoint_write),
 * and once every rank has, rank 0 replaces DIR/checkpoint.json (the
 * manifest: the ranks, the slot S of the last complete set, the epoch)
 * atomically; S alternates between 0 and 1, so a job killed while writing
 * keeps the set before.  DIR must exist. */
gl_status gl_checkpoint_write_ranks(const gl_model *m, const char *dir,
                                    gl_state_fn io, void *ctx,
                                    const gl_comm *c, int epoch);
/* Reads the manifest of DIR (GL_EFORMAT for anything else). */
gl_status gl_checkpoint_manifest(const char *dir, int *ranks, int *slot,
                                 int *epoch);
/* Each rank reads its file of the set the manifest names (the same rank
 * count: GL_EINVAL otherwise); every rank fails when one does. */
gl_status gl_checkpoint_read_ranks(gl_model *m, const char *dir,
                                   gl_state_fn io, void *ctx,
                                   const gl_comm *c);
/* For trainers' io: the result so far, and the selected weights (*best:
 * NULL when none yet; allocated when loading). */
gl_status gl_train_result_io(gl_train_result *r, gl_state *s);
/* The graph's size and the split must be the saved run's (GL_EINVAL). */
gl_status gl_task_same(const gl_task *t, gl_state *s);
gl_status gl_best_weights_io(gl_model *m, float **best, gl_state *s);
/* The same from the bytes of a checkpoint in memory (`name` names it in
 * messages): what a fuzzer calls. */
gl_status gl_model_load_buffer(gl_model **out, const char *name,
                               const void *buf, size_t size);

#endif
