/* The generic training loop: batches from any sampler, any model, any
 * optimiser; full-graph evaluation every epoch, early stopping and model
 * selection (the validation loss of the stopping rules includes the L2
 * term, as GCN's code has it; GL_SELECT_BEST_LOSS leaves it out, as GAT's
 * code has its validation loss). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

gl_train_opts gl_train_defaults(void) {
  gl_train_opts o;
  memset(&o, 0, sizeof o);
  o.epochs = 200;
  o.stop = GL_STOP_WINDOW;
  o.window = 10;
  o.patience = 100;
  o.select = GL_SELECT_LAST;
  return o;
}

gl_status gl_model_eval(gl_model *m, const gl_task *t, float *logits) {
  gl_block *blocks = gl_calloc((size_t)m->cfg.layers, sizeof *blocks);
  if (!blocks) return GL_ENOMEM;
  gl_batch b;
  gl_batch_full_view(&b, blocks, m->cfg.layers, t->adj, t->halo);
  gl_status st = m->ops->forward(m, t->x, &b, false, logits);
  free(blocks);
  return st;
}

/* Mean cross-entropy over `nodes` of full-graph logits. */
static double mean_xent(const float *logits, const gl_task *t,
                        const gl_idx *nodes, gl_idx n, float *wbuf) {
  if (n == 0) return 0;
  for (gl_idx i = 0; i < n; i++) wbuf[i] = 1.0f / n;
  return gl_softmax_xent(logits, t->adj->n, t->n_classes, NULL, t->y, nodes,
                         wbuf, n, NULL);
}

/* The whole task's accuracies and mean cross-entropies from full-graph
 * logits (summed across the ranks of a distributed task). */
typedef struct {
  double train_xent, val_xent, train_acc, val_acc, test_acc;
} task_stats;

static gl_status task_stats_of(const float *eval, const gl_task *t,
                               float *wbuf, task_stats *out) {
  const int C = t->n_classes;
  const gl_idx n[3] = {t->n_train, t->n_val, t->n_test};
  /* the sums (mean times count) of 5 quantities, then the 3 counts */
  double v[8] = {
      mean_xent(eval, t, t->train, n[0], wbuf) * n[0],
      mean_xent(eval, t, t->val, n[1], wbuf) * n[1],
      n[0] ? gl_accuracy(eval, C, t->y, t->train, n[0]) * n[0] : 0,
      n[1] ? gl_accuracy(eval, C, t->y, t->val, n[1]) * n[1] : 0,
      n[2] ? gl_accuracy(eval, C, t->y, t->test, n[2]) * n[2] : 0,
      n[0], n[1], n[2]};
  if (t->comm) GL_TRY(t->comm->sum(t->comm, v, 8));
  const double c[5] = {v[5], v[6], v[5], v[6], v[7]};
  double r[5];
  for (int i = 0; i < 5; i++) r[i] = c[i] > 0 ? v[i] / c[i] : 0;
  *out = (task_stats){r[0], r[1], r[2], r[3], r[4]};
  return GL_OK;
}

gl_status gl_task_accuracy(gl_model *m, const gl_task *t, double acc[3]) {
  gl_idx nw = t->n_train > t->n_val ? t->n_train : t->n_val;
  float *eval = gl_malloc((size_t)t->adj->n * t->n_classes + 1, sizeof *eval);
  float *wbuf = gl_malloc((size_t)nw + 1, sizeof *wbuf);
  gl_status st = eval && wbuf ? GL_OK : GL_ENOMEM;
  task_stats ts;
  if (st == GL_OK && (st = gl_model_eval(m, t, eval)) == GL_OK &&
      (st = task_stats_of(eval, t, wbuf, &ts)) == GL_OK) {
    acc[0] = ts.train_acc;
    acc[1] = ts.val_acc;
    acc[2] = ts.test_acc;
  }
  free(eval);
  free(wbuf);
  return st;
}

/* A distributed step's loss: each rank's batch mean weighted by its share
 * of all the ranks' loss rows (summed first), so that the ranks' losses,
 * and their gradients (which the halo exchange mixes across ranks in the
 * backward), add up to the mean over the union of their batches: the
 * whole graph's, full-batch. */
static gl_status comm_share(const gl_comm *c, gl_idx n_loss, size_t n_out,
                            int C, float *dlogits, double *loss) {
  double all = n_loss;
  GL_TRY(c->sum(c, &all, 1));
  const double k = all > 0 ? n_loss / all : 0;
  for (size_t i = 0; i < n_out * C; i++) dlogits[i] *= (float)k;
  *loss *= k;
  return GL_OK;
}

/* Then the gradients and losses summed (one sum). */
static gl_status comm_sum_grads(gl_model *m, const gl_comm *c, double *loss,
                                gl_fbuf *buf) {
  size_t n = 0;
  for (int i = 0; i < m->n_params; i++) n += m->params[i].n;
  GL_TRY(gl_fbuf_reserve(buf, n + 1));
  gl_params_flat(m, buf->p, true);
  buf->p[n] = (float)*loss;
  GL_TRY(c->sum_f(c, buf->p, n + 1));
  size_t o = 0;
  for (int i = 0; i < m->n_params; i++) {
    memcpy(m->params[i].g, buf->p + o, m->params[i].n * sizeof(float));
    o += m->params[i].n;
  }
  *loss = buf->p[n];
  return GL_OK;
}

/* The most steps an epoch of any rank's sampler: every rank runs as many
 * (the collectives of a step pair up). */
static gl_status comm_max_steps(const gl_comm *c, long *steps) {
  double *v = gl_malloc((size_t)c->size, sizeof *v), mine = (double)*steps;
  if (!v) return GL_ENOMEM;
  gl_status st = gl_comm_gather(c, &mine, 1, v);
  for (int r = 0; st == GL_OK && r < c->size; r++)
    if (v[r] > *steps) *steps = (long)v[r];
  free(v);
  return st;
}

/* After a forward: the sampler's history takes the hidden rows. */
static gl_status remember(gl_model *m, gl_sampler *s, const gl_batch *b) {
  if (!s->ops->remember) return GL_OK;
  for (int l = 0; l + 1 < b->n_layers; l++) {
    int w = 0;
    const float *rows = m->ops->hidden ? m->ops->hidden(m, l, &w) : NULL;
    if (!rows)
      return gl_error(GL_EINVAL, "the %s sampler keeps history embeddings, "
                      "which %s does not give", s->ops->name, m->ops->name);
    GL_TRY(s->ops->remember(s, b, l, rows, w));
  }
  return GL_OK;
}

/* The buffers of a batch's logits, their gradient and per-row norms. */
typedef struct {
  gl_fbuf logits, dlogits, norms;
  gl_fbuf grads; /* a distributed step's flat gradients */
} batch_ws;

static gl_status ws_fit(batch_ws *w, const gl_batch *b, int c) {
  size_t need = (size_t)b->n_out * c;
  GL_TRY(gl_fbuf_reserve(&w->logits, need));
  GL_TRY(gl_fbuf_reserve(&w->dlogits, need));
  if (b->snapshot) GL_TRY(gl_fbuf_reserve(&w->norms, b->n_out));
  return GL_OK;
}

static void ws_free(batch_ws *w) {
  free(w->logits.p);
  free(w->dlogits.p);
  free(w->norms.p);
  free(w->grads.p);
}

/* A snapshot batch (MVS-GNN): forward without dropout, history, and each
 * loss row's gradient norm back to the sampler; no step. */
static gl_status snapshot(gl_model *m, const gl_task *t, gl_sampler *s,
                          gl_batch *b, batch_ws *w) {
  if (!m->ops->grad_norms || !s->ops->feedback)
    return gl_error(GL_EINVAL, "the %s sampler needs per-node gradient "
                    "norms, which %s does not give", s->ops->name,
                    m->ops->name);
  GL_TRY(m->ops->forward(m, t->x, b, false, w->logits.p));
  GL_TRY(remember(m, s, b));
  gl_softmax_xent(w->logits.p, b->n_out, t->n_classes, b->out_ids, t->y,
                  b->loss_pos, b->loss_w, b->n_loss, w->dlogits.p);
  GL_TRY(m->ops->grad_norms(m, b, w->dlogits.p, w->norms.p));
  return s->ops->feedback(s, b, w->norms.p);
}

/* The next training batch of s (snapshots taken on the way) with its
 * loss and parameter gradients; `train`: dropout on, history kept. */
static gl_status batch_grad(gl_model *m, const gl_task *t, gl_sampler *s,
                            gl_batch *b, batch_ws *w, bool train,
                            double *loss) {
  for (;;) {
    GL_TRY(gl_sampler_next(s, b));
    GL_TRY(ws_fit(w, b, t->n_classes));
    if (!b->snapshot) break;
    GL_TRY(snapshot(m, t, s, b, w));
  }
  GL_TRY(m->ops->forward(m, t->x, b, train, w->logits.p));
  if (train) GL_TRY(remember(m, s, b));
  *loss = gl_softmax_xent(w->logits.p, b->n_out, t->n_classes, b->out_ids,
                          t->y, b->loss_pos, b->loss_w, b->n_loss,
                          w->dlogits.p);
  if (t->comm)
    GL_TRY(comm_share(t->comm, b->n_loss, (size_t)b->n_out, t->n_classes,
                      w->dlogits.p, loss));
  gl_params_zero_grad(m->params, m->n_params);
  return m->ops->backward(m, t->x, b, w->dlogits.p);
}

/* Gradient variance of a sampler at the current weights, over `draws`
 * batches (no dropout, the sampling's own noise): out[0] the variance
 * sum_j Var(g_j) of the batch gradient (unbiased over the draws), out[1]
 * its mean squared error mean ||g_batch - g||^2 against the gradient g of
 * the mean loss over all training nodes (variance plus squared bias). */
static gl_status grad_variance(gl_model *m, const gl_task *t, gl_sampler *s,
                               int draws, batch_ws *w, double out[2]) {
  const int C = t->n_classes, L = m->cfg.layers;
  size_t np = 0;
  for (int i = 0; i < m->n_params; i++) np += m->params[i].n;
  gl_status st = GL_ENOMEM;
  float *g = gl_malloc(np, sizeof *g);
  double *sum = gl_calloc(np, sizeof *sum);
  gl_block *blocks = gl_calloc((size_t)L, sizeof *blocks);
  float *wt = gl_malloc((size_t)t->n_train, sizeof *wt);
  gl_batch full, b;
  memset(&b, 0, sizeof b);
  gl_batch_full_view(&full, blocks, L, t->adj, t->halo);
  full.n_loss = t->n_train;
  full.loss_pos = (gl_idx *)t->train;
  full.loss_w = wt;
  if (!g || !sum || !blocks || !wt || ws_fit(w, &full, C) != GL_OK) goto out;
  for (gl_idx i = 0; i < t->n_train; i++) wt[i] = 1.0f / (float)t->n_train;
  if ((st = m->ops->forward(m, t->x, &full, false, w->logits.p)) != GL_OK)
    goto out;
  gl_softmax_xent(w->logits.p, full.n_out, C, NULL, t->y, full.loss_pos,
                  full.loss_w, full.n_loss, w->dlogits.p);
  gl_params_zero_grad(m->params, m->n_params);
  if ((st = m->ops->backward(m, t->x, &full, w->dlogits.p)) != GL_OK) goto out;
  for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
    memcpy(g + o, m->params[i].g, m->params[i].n * sizeof *g);
  double mse = 0, sq = 0, loss;
  for (int r = 0; r < draws; r++) {
    if ((st = batch_grad(m, t, s, &b, w, false, &loss)) != GL_OK) goto out;
    for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
      for (size_t j = 0; j < m->params[i].n; j++) {
        double v = m->params[i].g[j], d = v - g[o + j];
        mse += d * d;
        sq += v * v;
        sum[o + j] += v;
      }
  }
  double mean_sq = 0; /* ||mean of the draws||^2 */
  for (size_t j = 0; j < np; j++) mean_sq += sum[j] * sum[j];
  mean_sq /= (double)draws * draws;
  out[0] = draws > 1 ? (sq / draws - mean_sq) * draws / (draws - 1) : NAN;
  if (out[0] < 0) out[0] = 0;
  out[1] = mse / draws;
out:
  gl_batch_free(&b);
  free(g);
  free(sum);
  free(blocks);
  free(wt);
  return st;
}

/* ------------------------------------------------ the spectral learner */
/* x -> D H D x with D = diag(d): the Hessian seen through a diagonal
 * preconditioner (d = NULL: H itself); H x from mv. */
typedef struct {
  gl_matvec_fn mv;
  void *ctx;
  const double *d;
  double *tmp;
  size_t n;
} scaled_hvp;

static gl_status scaled_matvec(void *ctx, const double *x, double *y) {
  scaled_hvp *s = ctx;
  if (!s->d) return s->mv(s->ctx, x, y);
  for (size_t i = 0; i < s->n; i++) s->tmp[i] = s->d[i] * x[i];
  GL_TRY(s->mv(s->ctx, s->tmp, y));
  for (size_t i = 0; i < s->n; i++) y[i] *= s->d[i];
  return GL_OK;
}

/* The learner's curvature nodes, drawn once a run (the authors' fixed
 * curvature subset): `batch` training nodes (all for full batches). */
static gl_status curvature_batch(gl_model *m, const gl_task *t, gl_idx batch,
                                 double wd, gl_curvature **c,
                                 gl_idx **nodes) {
  if (!(*nodes = gl_malloc((size_t)t->n_train + 1, sizeof **nodes)))
    return GL_ENOMEM;
  gl_rng rng;
  gl_rng_seed(&rng, gl_hash64(m->cfg.seed, 0x5bd1e995u));
  memcpy(*nodes, t->train, (size_t)t->n_train * sizeof **nodes);
  if (batch < t->n_train)
    gl_rng_sample(&rng, *nodes, (size_t)t->n_train, (size_t)batch);
  else
    batch = t->n_train;
  /* the masks' key: each estimate resets it */
  return gl_curvature_new(c, m, t, *nodes, batch, wd, true, 0);
}

/* One estimate: Lanczos from a seeded random start on the curvature c of
 * a training step's loss at the weights now (the noisy batch Hessian of
 * Granziol et al., whose curvature bounds the step), the rates into o. */
static gl_status spectral_update(gl_model *m, gl_curvature *c, gl_optim *o,
                                 const gl_train_opts *opts, double trust,
                                 gl_train_result *r) {
  const size_t n = gl_params_count(m->params, m->n_params);
  const int k = opts->spectral_steps > 0 ? opts->spectral_steps : 20;
  double *v0 = gl_malloc(n, sizeof *v0), *d = NULL;
  double *tmp = gl_malloc(n, sizeof *tmp);
  double *th = gl_malloc((size_t)k, sizeof *th);
  double *tau = gl_malloc((size_t)k, sizeof *tau);
  gl_status st = GL_ENOMEM;
  if (!v0 || !tmp || !th || !tau) goto out;
  /* at the weights now, a new draw of the dropout masks */
  gl_curvature_reset(c, gl_hash64(m->cfg.seed ^ 0x5bd1e995u,
                                  (uint64_t)r->estimates));
  if (opts->spectral == GL_SPECTRAL_ADAM && o->v) { /* D = P^-1/2 */
    if (!(d = gl_malloc(n, sizeof *d))) {
      st = GL_ENOMEM;
      goto out;
    }
    const double bc2 = 1 - pow(o->opts.beta2, (double)o->t);
    for (int i = 0, off = 0; i < m->n_params; off += m->params[i++].n)
      for (size_t j = 0; j < m->params[i].n; j++)
        d[off + j] = 1 / sqrt(sqrt(o->v[i][j] / bc2) + o->opts.eps);
  }
  gl_rng rng;
  gl_rng_seed(&rng, gl_hash64(m->cfg.seed, (uint64_t)r->estimates));
  gl_rng_signs(&rng, v0, n);
  scaled_hvp sh = {gl_curvature_matvec, c, d, tmp, n};
  int got;
  double lr, mom;
  if ((st = gl_lanczos(scaled_matvec, &sh, n, k, v0, th, tau, &got)) !=
          GL_OK ||
      (st = gl_spectral_rates(opts->spectral, opts->spectral_mu, th, tau,
                              got, &lr, &mom)) != GL_OK)
    goto out;
  if (opts->spectral == GL_SPECTRAL_ADAM && !d) goto out; /* no moments yet */
  /* Adam's first moment is heavy-ball momentum beta1 on a rate
   * lr (1 - beta1): its edge of stability on the preconditioned Hessian is
   * (1 + beta1) / (1 - beta1) times plain SGD's (19x for 0.9) */
  if (opts->spectral == GL_SPECTRAL_ADAM)
    lr *= (1 + o->opts.beta1) / (1 - o->opts.beta1);
  gl_optim_set_lr(o, trust * lr);
  if (opts->spectral == GL_SPECTRAL_MOMENTUM) o->opts.momentum = mom;
  r->lambda_max = fmax(fabs(th[0]), fabs(th[got - 1]));
  r->lr = trust * lr;
  r->momentum = mom;
out:
  r->estimates++;
  free(v0);
  free(d);
  free(tmp);
  free(th);
  free(tau);
  return st;
}

bool gl_select_keeps(gl_select_rule rule, double acc, double xent,
                     double best_acc, double best_xent) {
  return rule == GL_SELECT_LAST ||
         (rule == GL_SELECT_BEST_VAL && acc >= best_acc) ||
         (rule == GL_SELECT_BEST_LOSS && xent <= best_xent);
}

/* ---------------------------------------------------------- checkpoints */
/* What a run carries from one epoch to the next beyond the model, the
 * optimiser, the sampler and the learner's guard. */
typedef struct {
  int epoch; /* the next to run */
  long total_steps;
  double train_time, best_val, best_loss, best_xent;
  int bad;      /* epochs without improving (the stopping rules) */
  double *hist; /* the validation loss of every epoch run */
  float *best;  /* the selected weights (NULL: none yet) */
} run_state;

static uint64_t ids_hash(const gl_idx *ids, gl_idx n) {
  uint64_t h = (uint64_t)n;
  for (gl_idx i = 0; i < n; i++) h = gl_hash64(h, (uint64_t)ids[i]);
  return h;
}

/* The objects of a run (run_io's ctx). */
typedef struct {
  run_state *rs;
  gl_model *m;
  const gl_task *t;
  gl_sampler *s;
  gl_optim *o;
  gl_spectral_guard *guard;
  const gl_train_opts *opts;
  gl_train_result *r;
} run_ref;

/* Saves or loads a run's state: the settings it must be resumed with, the
 * loop's counters and records, the result so far, the optimiser, the
 * learner's guard and the sampler (a gl_state_fn). */
static gl_status run_io(void *ctx, gl_state *s) {
  const run_ref *x = ctx;
  run_state *rs = x->rs;
  const gl_train_opts *opts = x->opts;
  const double set[] = {opts->epochs,         opts->stop,
                        opts->window,         opts->patience,
                        opts->select,         opts->spectral,
                        opts->spectral_every, opts->spectral_steps,
                        (double)opts->warmup, opts->decay_power,
                        opts->spectral_mu,    opts->var_every,
                        opts->var_draws};
  GL_TRY(gl_state_same(s, "train.opts", set, sizeof set,
                       "training settings"));
  GL_TRY(gl_task_same(x->t, s));
  GL_TRY(GL_STATE_VAR(s, "train.epoch", rs->epoch));
  if (rs->epoch < 0 || rs->epoch > opts->epochs)
    return gl_error(GL_EFORMAT, "saved state: epoch %d", rs->epoch);
  GL_TRY(GL_STATE_VAR(s, "train.steps", rs->total_steps));
  GL_TRY(GL_STATE_VAR(s, "train.time", rs->train_time));
  GL_TRY(GL_STATE_VAR(s, "train.best_val", rs->best_val));
  GL_TRY(GL_STATE_VAR(s, "train.best_loss", rs->best_loss));
  GL_TRY(GL_STATE_VAR(s, "train.best_xent", rs->best_xent));
  GL_TRY(GL_STATE_VAR(s, "train.bad", rs->bad));
  GL_TRY(gl_state_io(s, "train.hist", rs->hist, sizeof *rs->hist,
                     (size_t)opts->epochs));
  GL_TRY(gl_best_weights_io(x->m, &rs->best, s));
  GL_TRY(gl_train_result_io(x->r, s));
  GL_TRY(gl_optim_io(x->o, s, x->m->params, x->m->n_params));
  if (opts->spectral != GL_SPECTRAL_NONE)
    GL_TRY(gl_spectral_guard_io(x->guard, s));
  return gl_sampler_io(x->s, s);
}

gl_status gl_task_same(const gl_task *t, gl_state *s) {
  const uint64_t task[] = {(uint64_t)t->adj->n,   (uint64_t)t->adj->nnz,
                           (uint64_t)t->n_classes,
                           ids_hash(t->train, t->n_train),
                           ids_hash(t->val, t->n_val),
                           ids_hash(t->test, t->n_test)};
  return gl_state_same(s, "task", task, sizeof task, "graph or split");
}

gl_status gl_train_result_io(gl_train_result *r, gl_state *s) {
  GL_TRY(GL_STATE_VAR(s, "result.best_epoch", r->best_epoch));
  GL_TRY(GL_STATE_VAR(s, "result.val_acc", r->val_acc));
  GL_TRY(GL_STATE_VAR(s, "result.test_acc", r->test_acc));
  GL_TRY(GL_STATE_VAR(s, "result.val_loss", r->val_loss));
  GL_TRY(GL_STATE_VAR(s, "result.train_acc", r->train_acc));
  GL_TRY(GL_STATE_VAR(s, "result.spectral_seconds", r->spectral_seconds));
  GL_TRY(GL_STATE_VAR(s, "result.lambda_max", r->lambda_max));
  GL_TRY(GL_STATE_VAR(s, "result.lr", r->lr));
  GL_TRY(GL_STATE_VAR(s, "result.momentum", r->momentum));
  GL_TRY(GL_STATE_VAR(s, "result.estimates", r->estimates));
  return GL_STATE_VAR(s, "result.restarts", r->restarts);
}

gl_status gl_best_weights_io(gl_model *m, float **best, gl_state *s) {
  int has = *best != NULL;
  GL_TRY(GL_STATE_VAR(s, "best.has", has));
  if (has != 0 && has != 1)
    return gl_error(GL_EFORMAT, "saved state: garbled best weights");
  if (has && !*best) GL_TRY(gl_model_snapshot(m, best, false));
  if (!has) return GL_OK;
  return gl_state_io(s, "best", *best, sizeof **best,
                     gl_params_count(m->params, m->n_params));
}

static gl_status train(gl_model *m, const gl_task *t, gl_sampler *s,
                       gl_optim *o, const gl_train_opts *opts,
                       gl_train_result *r) {
  memset(r, 0, sizeof *r);
  const int C = t->n_classes;
  const gl_idx n = t->adj->n;
  if (opts->epochs < 1) return gl_error(GL_EINVAL, "epochs must be >= 1");
  if (m->cfg.n_classes != C)
    return gl_error(GL_EINVAL, "model has %d classes, task %d",
                    m->cfg.n_classes, C);
  gl_status st = GL_OK;
  batch_ws ws;
  memset(&ws, 0, sizeof ws);
  run_state rs = {.best_val = -1, .best_loss = INFINITY,
                  .best_xent = INFINITY};
  /* the spectral learner's curvature and guard (an epoch a stretch) */
  gl_curvature *curv = NULL;
  gl_spectral_guard guard;
  memset(&guard, 0, sizeof guard);
  gl_idx *curv_nodes = NULL;
  float *eval = gl_malloc((size_t)n * C, sizeof *eval);
  gl_idx nw = t->n_val > t->n_train ? t->n_val : t->n_train;
  float *wbuf = gl_malloc((size_t)(nw > t->n_test ? nw : t->n_test) + 1,
                          sizeof *wbuf);
  rs.hist = gl_calloc((size_t)opts->epochs, sizeof *rs.hist);
  gl_batch batch;
  memset(&batch, 0, sizeof batch);
  gl_progress bar;
  gl_progress_start(&bar, m->cfg.model, opts->epochs, opts->progress);
  if (!eval || !wbuf || !rs.hist) {
    st = GL_ENOMEM;
    goto done;
  }
  const double wd = o->opts.weight_decay;
  double t_start = gl_now();
  long steps = s->ops->epoch_steps(s);
  if (t->comm && (st = comm_max_steps(t->comm, &steps)) != GL_OK) goto done;
  const int every = opts->spectral_every > 0 ? opts->spectral_every : 10;
  const int ck_every = opts->checkpoint_every > 0 ? opts->checkpoint_every : 1;
  if (t->comm && opts->var_every > 0) {
    st = gl_error(GL_EINVAL, "distributed training does not yet measure "
                  "gradient variances");
    goto done;
  }
  if (opts->spectral == GL_SPECTRAL_MOMENTUM &&
      o->opts.kind != GL_OPT_MOMENTUM) {
    st = gl_error(GL_EINVAL, "spectral momentum needs a momentum optimiser");
    goto done;
  }
  /* a schedule of the rate (not with the spectral learner, which sets it) */
  const double base_lr = o->lr;
  const bool scheduled = opts->spectral == GL_SPECTRAL_NONE &&
                         (opts->warmup > 0 || opts->decay_power > 0);
  /* The spectral learner's guard on the training loss (without dropout):
   * an epoch it undoes also has the optimiser's moments zeroed and the
   * rate halved (re-estimating there instead costs an estimate a run on
   * Cora for the same accuracy). */
  task_stats ts0;
  if (opts->spectral != GL_SPECTRAL_NONE &&
      ((st = curvature_batch(m, t, (gl_idx)((t->n_train + steps - 1) / steps),
                             wd, &curv, &curv_nodes)) != GL_OK ||
       (st = gl_model_eval(m, t, eval)) != GL_OK ||
       (st = task_stats_of(eval, t, wbuf, &ts0)) != GL_OK ||
       (st = gl_spectral_guard_init(
            &guard, m->params, m->n_params,
            ts0.train_xent + wd * gl_params_l2(m->params, m->n_params))) !=
           GL_OK))
    goto done;
  run_ref ref = {&rs, m, t, s, o, &guard, opts, r};
  if (opts->resume &&
      (st = t->comm ? gl_checkpoint_read_ranks(m, opts->resume, run_io, &ref,
                                               t->comm)
                    : gl_checkpoint_read(m, opts->resume, run_io, &ref)) !=
          GL_OK)
    goto done;
  r->resumed_epoch = rs.epoch;
  for (; rs.epoch < opts->epochs; rs.epoch++) {
    const int epoch = rs.epoch;
    if (opts->spectral != GL_SPECTRAL_NONE && epoch % every == 0) {
      double s0 = gl_now();
      const double trust = gl_spectral_guard_estimate(&guard);
      /* a small curvature batch runs on one thread: its products are too
       * small to split (Cora's estimates took 35% longer on two) */
      const int threads = gl_threads_enter(
          gl_curvature_rows(curv) < 32768 ? 1 : 0);
      st = spectral_update(m, curv, o, opts, trust, r);
      gl_threads_leave(threads);
      if (st != GL_OK) goto done;
      r->spectral_seconds += gl_now() - s0;
    }
    if (opts->spectral != GL_SPECTRAL_NONE) gl_spectral_guard_begin(&guard);
    double t0 = gl_now(), train_loss = 0, loss;
    for (long k = 0; k < steps; k++) {
      if (scheduled)
        gl_optim_set_lr(o, gl_lr_schedule(base_lr, rs.total_steps + k,
                                          opts->warmup,
                                          opts->decay_power > 0
                                              ? steps * (long)opts->epochs
                                              : 0,
                                          opts->decay_power));
      if ((st = batch_grad(m, t, s, &batch, &ws, true, &loss)) != GL_OK ||
          (t->comm &&
           (st = comm_sum_grads(m, t->comm, &loss, &ws.grads)) != GL_OK) ||
          (st = gl_optim_step(o, m->params, m->n_params)) != GL_OK)
        goto done;
      train_loss += loss;
    }
    rs.total_steps += steps;
    rs.train_time += gl_now() - t0;
    double es_seconds = gl_now() - t0, var[2] = {NAN, NAN};
    if (opts->var_every > 0 && epoch % opts->var_every == 0 &&
        (st = grad_variance(m, t, s, opts->var_draws > 0 ? opts->var_draws
                                                         : 20,
                            &ws, var)) != GL_OK)
      goto done;
    task_stats ts;
    if ((st = gl_model_eval(m, t, eval)) != GL_OK ||
        (st = task_stats_of(eval, t, wbuf, &ts)) != GL_OK)
      goto done;
    double l2 = wd * gl_params_l2(m->params, m->n_params);
    if (opts->spectral != GL_SPECTRAL_NONE) {
      bool undone;
      st = gl_spectral_guard_check(&guard, ts.train_xent + l2, &undone);
      r->restarts = guard.restarts;
      if (st != GL_OK) goto done;
      if (undone) {
        for (int i = 0; o->m && i < o->n_state; i++)
          if (o->m[i]) memset(o->m[i], 0, o->state_n[i] * sizeof(float));
        gl_optim_set_lr(o, 0.5 * o->lr);
        r->lr = o->lr;
        if ((st = gl_model_eval(m, t, eval)) != GL_OK ||
            (st = task_stats_of(eval, t, wbuf, &ts)) != GL_OK)
          goto done;
        l2 = wd * gl_params_l2(m->params, m->n_params);
      }
    }
    double val_xent = ts.val_xent;
    gl_epoch_stats es = {
        .epoch = epoch,
        .train_loss = train_loss / steps + l2,
        .train_acc = ts.train_acc,
        .val_loss = val_xent + l2,
        .val_acc = ts.val_acc,
        .test_acc = ts.test_acc,
        .seconds = es_seconds,
        .steps = rs.total_steps,
        .train_seconds = rs.train_time,
        .grad_var = var[0],
        .grad_mse = var[1]};
    rs.hist[epoch] = es.val_loss;
    if (opts->on_epoch) opts->on_epoch(opts->ctx, &es);
    char extra[96];
    snprintf(extra, sizeof extra, "loss %.4f val %.3f", es.train_loss,
             es.val_acc);
    gl_progress_update(&bar, epoch + 1, extra);
    if (gl_select_keeps(opts->select, es.val_acc, val_xent, rs.best_val,
                        rs.best_xent)) {
      if (opts->select != GL_SELECT_LAST &&
          (st = gl_model_snapshot(m, &rs.best, false)) != GL_OK)
        goto done;
      r->best_epoch = epoch;
      r->val_acc = es.val_acc;
      r->test_acc = es.test_acc;
      r->val_loss = es.val_loss;
      r->train_acc = es.train_acc;
    }
    /* stopping rules */
    bool stop = false;
    if (opts->stop == GL_STOP_WINDOW && epoch > opts->window) {
      double mean = 0;
      for (int i = epoch - opts->window; i < epoch; i++) mean += rs.hist[i];
      stop = es.val_loss > mean / opts->window;
    } else if (opts->stop == GL_STOP_PATIENCE ||
               opts->stop == GL_STOP_LOSS) {
      if (es.val_loss <= rs.best_loss ||
          (opts->stop == GL_STOP_PATIENCE && es.val_acc >= rs.best_val))
        rs.bad = 0;
      else
        stop = ++rs.bad >= opts->patience;
    }
    if (stop) {
      rs.epoch++;
      break;
    }
    if (es.val_acc > rs.best_val) rs.best_val = es.val_acc;
    if (es.val_loss < rs.best_loss) rs.best_loss = es.val_loss;
    if (val_xent < rs.best_xent) rs.best_xent = val_xent;
    if (opts->checkpoint && (epoch + 1) % ck_every == 0 &&
        epoch + 1 < opts->epochs) {
      rs.epoch++; /* saved as the next epoch to run */
      st = t->comm ? gl_checkpoint_write_ranks(m, opts->checkpoint, run_io,
                                               &ref, t->comm, rs.epoch)
                   : gl_checkpoint_write(m, opts->checkpoint, run_io, &ref);
      rs.epoch--;
      if (st != GL_OK) goto done;
    }
  }
  if (opts->select != GL_SELECT_LAST && rs.best)
    gl_model_snapshot(m, &rs.best, true);
  r->epochs_run = rs.epoch;
  r->seconds = gl_now() - t_start;
  if (opts->spectral == GL_SPECTRAL_NONE) r->lr = o->lr;
  r->ms_per_epoch = 1e3 * rs.train_time / (rs.epoch > 0 ? rs.epoch : 1);
done:
  gl_progress_end(&bar);
  gl_batch_free(&batch);
  ws_free(&ws);
  free(rs.best);
  gl_spectral_guard_free(&guard);
  gl_curvature_free(curv);
  free(curv_nodes);
  free(eval);
  free(wbuf);
  free(rs.hist);
  return st;
}

gl_status gl_train(gl_model *m, const gl_task *t, gl_sampler *s,
                   gl_optim *o, const gl_train_opts *opts,
                   gl_train_result *r) {
  const int threads = gl_threads_enter(opts->threads);
  gl_status st = train(m, t, s, o, opts, r);
  gl_threads_leave(threads);
  return st;
}
