/* Skip-gram with negative sampling over walks (word2vec's algorithm:
 * unigram^0.75 negatives, frequent-node subsampling, linear learning-rate
 * decay, lock-free Hogwild threads), the update loop in sgns_pair. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "embed/embed.h"
#include "optim/optim.h"

gl_sgns_opts gl_sgns_defaults(void) {
  return (gl_sgns_opts){.dim = 128, .window = 10, .negative = 5,
                        .epochs = 1, .lr = 0.025, .min_lr = 0.025 * 1e-4,
                        .sample = 1e-3, .threads = 0, .seed = 1};
}

void gl_neg_table_free(gl_neg_table *t) {
  free(t->p);
  free(t->alias);
  memset(t, 0, sizeof *t);
}

gl_status gl_neg_table_init(gl_neg_table *t, const int64_t *count,
                            gl_idx n) {
  memset(t, 0, sizeof *t);
  bool any = false;
  for (gl_idx v = 0; v < n; v++) {
    if (count[v] < 0)
      return gl_error(GL_EINVAL, "negative table: node %d has count %lld", v,
                      (long long)count[v]);
    any |= count[v] > 0;
  }
  if (!any) return gl_error(GL_EINVAL, "negative table: no node occurs");
  float *w = gl_malloc((size_t)n, sizeof *w);
  gl_idx *scratch = gl_malloc(2 * (size_t)n, sizeof *scratch);
  t->p = gl_malloc((size_t)n, sizeof *t->p);
  t->alias = gl_malloc((size_t)n, sizeof *t->alias);
  if (!w || !scratch || !t->p || !t->alias) {
    free(w);
    free(scratch);
    gl_neg_table_free(t);
    return GL_ENOMEM;
  }
  for (gl_idx v = 0; v < n; v++) w[v] = (float)pow((double)count[v], 0.75);
  gl_alias_build(w, n, t->p, t->alias, scratch);
  t->n = n;
  free(w);
  free(scratch);
  return GL_OK;
}

enum { SIG_SIZE = 1000, SIG_MAX = 6 }; /* word2vec's table of sigmoids */

/* Draws `neg` negatives into tg and starts fetching their output rows:
 * the training loop is bound by these random loads, so it draws the next
 * pair's negatives while it computes the current pair. */
static inline void draw_negatives(const gl_neg_table *nt, int neg,
                                  const float *syn1, int dim, gl_rng *r,
                                  gl_idx *tg) {
  for (int d = 0; d < neg; d++) {
    tg[d] = gl_neg_draw(nt, gl_rng_u64(r));
    for (int k = 0; k < dim; k += 16)
      __builtin_prefetch(syn1 + (size_t)tg[d] * dim + k, 1);
  }
}

static inline void prefetch_row(const float *row, int dim) {
  for (int k = 0; k < dim; k += 16) __builtin_prefetch(row + k, 1);
}

/* One skip-gram pair: the context node's vector l1 learns to predict
 * `center` (label 1) against the negatives neg_ids (label 0; the center
 * itself is skipped among them), stepping the output vectors of syn1 as it
 * goes; l1's own update is gathered in e and applied at the end. */
static void sgns_pair(float *restrict l1, float *restrict syn1,
                      gl_idx center, const gl_idx *neg_ids, int neg,
                      int dim, float lr, const float *sig,
                      float *restrict e) {
  memset(e, 0, (size_t)dim * sizeof *e);
  for (int d = -1; d < neg; d++) {
    const gl_idx target = d < 0 ? center : neg_ids[d];
    if (d >= 0 && target == center) continue;
    const float label = d < 0;
    float *restrict l2 = syn1 + (size_t)target * dim;
    float f = 0;
#pragma omp simd reduction(+ : f)
    for (int k = 0; k < dim; k++) f += l1[k] * l2[k];
    float g; /* (a NaN from a diverging rate takes the last branch) */
    if (f > SIG_MAX)
      g = (label - 1) * lr;
    else if (f >= -SIG_MAX)
      g = (label - sig[(int)((f + SIG_MAX) * (SIG_SIZE / SIG_MAX / 2))]) * lr;
    else
      g = label * lr;
    for (int k = 0; k < dim; k++) e[k] += g * l2[k];
    for (int k = 0; k < dim; k++) l2[k] += g * l1[k];
  }
  for (int k = 0; k < dim; k++) l1[k] += e[k];
}

/* ------------------------------------------------ the spectral learner */
/* The curvature of a step of the kernel: B updates, each a context node's
 * input vector u against its center's output vector (label 1) and the
 * negatives' (label 0), each on its own copy of the vectors, as Hogwild
 * applies every update to the vectors it finds: the Hessian is block
 * diagonal, a block [u, v_0 .. v_K] an update, and with s_k = u.v_k,
 * g_k = sigma(s_k) - y_k, c_k = sigma'(s_k), r_k = du.v_k + u.dv_k,
 *   H [du, dv_k] = [sum_k (c_k r_k v_k + g_k dv_k), c_k r_k u + g_k du]. */
gl_status gl_sgns_curvature_matvec(void *ctx, const double *x, double *y) {
  const gl_sgns_curvature *c = ctx;
  const int d = c->dim, k1 = c->k1;
  const size_t blk = (size_t)(k1 + 1) * d;
  for (int64_t q = 0; q < c->b; q++) {
    const float *u = c->emb + (size_t)c->in[q] * d;
    const double *du = x + q * blk;
    double *hu = y + q * blk;
    memset(hu, 0, (size_t)d * sizeof *hu);
    for (int k = 0; k < k1; k++) {
      const float *v = c->syn1 + (size_t)c->out[q * k1 + k] * d;
      const double *dv = du + (size_t)(k + 1) * d;
      double *hv = hu + (size_t)(k + 1) * d;
      double s = 0, r = 0;
      for (int i = 0; i < d; i++) {
        s += (double)u[i] * v[i];
        r += du[i] * v[i] + u[i] * dv[i];
      }
      const double sg = 1 / (1 + exp(-s)), g = sg - (k == 0),
                   cr = sg * (1 - sg) * r;
      for (int i = 0; i < d; i++) {
        hu[i] += cr * v[i] + g * dv[i];
        hv[i] = cr * u[i] + g * du[i];
      }
    }
  }
  return GL_OK;
}

enum { SPECTRAL_UPDATES = 128, SPECTRAL_STEPS = 16 };

/* The mean loss of the curvature updates at the vectors now. */
double gl_sgns_curvature_loss(const gl_sgns_curvature *c) {
  double l = 0;
  for (int64_t q = 0; q < c->b; q++) {
    const float *u = c->emb + (size_t)c->in[q] * c->dim;
    for (int k = 0; k < c->k1; k++) {
      const float *v = c->syn1 + (size_t)c->out[q * c->k1 + k] * c->dim;
      double s = 0;
      for (int i = 0; i < c->dim; i++) s += (double)u[i] * v[i];
      /* -log sigma(+-s), stably */
      const double z = k == 0 ? s : -s;
      l += z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z));
    }
  }
  return l / (double)c->b;
}

/* Walk w of the corpus c, or drawn by the walker wk into buf (sc its
 * scratch): its nodes in *walk, its length returned. */
static int64_t walk_of(const gl_walks *c, const gl_walker *wk, int64_t w,
                       gl_walk_scratch *sc, gl_idx *buf,
                       const gl_idx **walk) {
  if (c) {
    *walk = c->nodes + c->start[w];
    return c->start[w + 1] - c->start[w];
  }
  *walk = buf;
  return gl_walker_walk(wk, w, sc, buf);
}

/* The learner's fixed curvature subset, drawn once a run: b updates of
 * the kernel from the corpus (a walk uniformly, a position in it and a
 * context position within the window, negatives from the table, never
 * the center itself).  buf: room for a walk (walker only).  The draws are
 * bounded: a corpus with no walk of two nodes, or (with negatives) only
 * one node, is GL_EINVAL. */
enum { MAX_TRIES = 1 << 22 };
static gl_status curvature_updates(const gl_walks *c, const gl_walker *wk,
                                   gl_walk_scratch *sc, gl_idx *buf,
                                   const gl_neg_table *nt, int window, int k1,
                                   int64_t b, gl_rng *r, gl_idx *in,
                                   gl_idx *out) {
  const int64_t n_walks = c ? c->n_walks : gl_walker_count(wk);
  int64_t tries = 0;
  for (int64_t q = 0; q < b;) {
    if (++tries > MAX_TRIES)
      return gl_error(GL_EINVAL, "skip-gram: the spectral learner found no "
                      "context pair in %d draws (walks of one node?)",
                      MAX_TRIES);
    const int64_t w = (int64_t)(gl_rng_uniform(r) * (double)n_walks);
    const gl_idx *walk;
    const int64_t len = walk_of(c, wk, w, sc, buf, &walk);
    if (len < 2) continue; /* (a walker's walks have its length) */
    const int64_t pos = (int64_t)gl_rng_below(r, (uint32_t)len);
    int64_t j = pos + 1 + (int64_t)gl_rng_below(r, (uint32_t)window);
    if (gl_rng_u64(r) >> 63) j = pos - (j - pos);
    if (j < 0 || j >= len) continue;
    in[q] = walk[j];
    gl_idx *t = out + q * k1;
    t[0] = walk[pos];
    for (int k = 1; k < k1; k++) {
      int draws = 0;
      do
        t[k] = gl_neg_draw(nt, gl_rng_u64(r));
      while (t[k] == t[0] && ++draws < MAX_TRIES);
      if (t[k] == t[0])
        return gl_error(GL_EINVAL, "skip-gram: the spectral learner's "
                        "negatives: no node but %d occurs in the walks",
                        t[0]);
    }
    q++;
  }
  return GL_OK;
}

/* The rate of an estimate: Lanczos (steps, a Rademacher start) on the
 * curvature of the updates at the vectors now, 2 / (lambda_max + median)
 * of the Ritz values' magnitudes (gl_spectral_rates, SGD). */
static gl_status sgns_rate(const gl_sgns_curvature *c, int steps, gl_rng *r,
                           double *lr) {
  const size_t n = (size_t)c->b * (size_t)(c->k1 + 1) * (size_t)c->dim;
  double *v0 = gl_malloc(n, sizeof *v0);
  double th[64], tau[64], mom;
  int got;
  if (!v0) return GL_ENOMEM;
  gl_rng_signs(r, v0, n);
  gl_status st = gl_lanczos(gl_sgns_curvature_matvec, (void *)c, n,
                            steps < 64 ? steps : 64, v0, th, tau, &got);
  if (st == GL_OK)
    st = gl_spectral_rates(GL_SPECTRAL_SGD, GL_SPECTRAL_MU_MEDIAN, th, tau,
                           got, lr, &mom);
  free(v0);
  return st;
}

/* Node counts of every walk of the walker (drawn and dropped: the walks
 * are a function of the seed, so training draws the same ones again). */
static gl_status count_walks(const gl_walker *wk, int64_t *count,
                             int64_t *total) {
  const int T = gl_threads();
  const gl_idx n = wk->g->n;
  const int L = wk->o.length;
  int64_t *per = gl_calloc((size_t)T * (size_t)n, sizeof *per);
  gl_idx *buf = gl_malloc((size_t)T * (size_t)L, sizeof *buf);
  gl_walk_scratch *sc = gl_calloc((size_t)T, sizeof *sc);
  gl_status st = per && buf && sc ? GL_OK : GL_ENOMEM;
  for (int t = 0; t < T && st == GL_OK; t++)
    st = gl_walk_scratch_init(&sc[t], wk);
  int64_t sum = 0;
  if (st == GL_OK) {
#pragma omp parallel for schedule(dynamic, 256) reduction(+ : sum)
    for (int64_t k = 0; k < gl_walker_count(wk); k++) {
      const int t = omp_get_thread_num();
      gl_idx *b = buf + (size_t)t * (size_t)L;
      const int len = gl_walker_walk(wk, k, &sc[t], b);
      int64_t *c = per + (size_t)t * (size_t)n;
      for (int i = 0; i < len; i++) c[b[i]]++;
      sum += len;
    }
    for (int t = 0; t < T; t++)
      for (gl_idx v = 0; v < n; v++) count[v] += per[(size_t)t * n + v];
    *total = sum;
  }
  for (int t = 0; sc && t < T; t++) gl_walk_scratch_free(&sc[t]);
  free(sc);
  free(per);
  free(buf);
  return st;
}

/* Node counts of the corpus c (its entries checked) or of the walker's
 * walks, their total and the longest walk. */
static gl_status corpus_counts(const gl_walks *c, const gl_walker *wk,
                               gl_idx n, int64_t *count, int64_t *total,
                               int64_t *maxlen) {
  if (!c) {
    *maxlen = wk->o.length;
    return count_walks(wk, count, total);
  }
  *total = c->start[c->n_walks];
  *maxlen = 0;
  for (int64_t w = 0; w < c->n_walks; w++)
    if (c->start[w + 1] - c->start[w] > *maxlen)
      *maxlen = c->start[w + 1] - c->start[w];
  for (int64_t i = 0; i < *total; i++) {
    if (c->nodes[i] < 0 || c->nodes[i] >= n)
      return gl_error(GL_EINVAL, "skip-gram: walk entry %lld is node %d, "
                      "not in 0..%d", (long long)i, c->nodes[i], n - 1);
    count[c->nodes[i]]++;
  }
  return GL_OK;
}

/* The spectral learner of a run: its curvature updates (drawn once), its
 * guard on their loss (a segment a stretch), the rate before the linear
 * decay.  Its steps run in one thread of the Hogwild team (omp single),
 * maybe a worker: a failure's message is kept here and raised after the
 * region, on the calling thread (gl_errmsg is per thread). */
typedef struct {
  gl_sgns_curvature cv;
  gl_spectral_guard guard;
  gl_rng rng;
  double base, seconds; /* the rate; time spent */
  int64_t done0;        /* positions read at the segment's start */
  bool redo;            /* the segment is being redone */
  int estimates;
  gl_status st;
  char msg[512];
} learner;

static void learner_fail(learner *l, gl_status st) {
  l->st = st;
  snprintf(l->msg, sizeof l->msg, "%s", gl_errmsg());
}

/* A segment starts: an estimate (not on a redo), the guard's copy. */
static void learner_start(learner *l, int64_t done) {
  const double s0 = gl_now();
  double rate;
  gl_status st;
  if (!l->redo && l->st == GL_OK) {
    if ((st = sgns_rate(&l->cv, SPECTRAL_STEPS, &l->rng, &rate)) != GL_OK)
      learner_fail(l, st);
    else {
      l->base = gl_spectral_guard_estimate(&l->guard) * rate;
      l->estimates++;
    }
  }
  gl_spectral_guard_begin(&l->guard);
  l->done0 = done;
  l->seconds += gl_now() - s0;
}

/* A segment ended: kept, or undone (*done back to its start) to be
 * redone at half the rate. */
static void learner_end(learner *l, int64_t *done) {
  const double s0 = gl_now();
  gl_status st;
  l->redo = false;
  if (l->st == GL_OK &&
      (st = gl_spectral_guard_check(&l->guard, gl_sgns_curvature_loss(&l->cv),
                                    &l->redo)) != GL_OK)
    learner_fail(l, st);
  if (l->redo) {
    *done = l->done0;
    l->base *= 0.5;
  }
  l->seconds += gl_now() - s0;
}

/* What a run carries from one pass to the next beyond the vectors: the
 * threads' random streams, rates and negatives drawn ahead (copied out at
 * a pass's end), the positions read, the learner. */
typedef struct {
  const gl_sgns_opts *o;
  gl_idx n;
  int T;
  int64_t n_walks, total, counts; /* the corpus: a hash of its counts */
  int ep;                         /* the next pass */
  int64_t done;
  float *emb, *syn1;
  gl_rng *rng; /* T */
  float *lr;   /* T */
  gl_idx *tg;  /* T x negative */
  learner *L;
} sgns_run;

static gl_status sgns_io(sgns_run *x, gl_state *s) {
  const gl_sgns_opts *o = x->o;
  const double set[] = {o->dim,    o->window,      o->negative,
                        o->epochs, o->lr,          o->min_lr,
                        o->sample, (double)o->seed, o->spectral,
                        o->spectral_segments};
  GL_TRY(gl_state_same(s, "sgns.opts", set, sizeof set,
                       "skip-gram settings or seed"));
  const int64_t corpus[] = {x->n, x->n_walks, x->total, x->counts};
  GL_TRY(gl_state_same(s, "sgns.corpus", corpus, sizeof corpus,
                       "graph or walks"));
  GL_TRY(gl_state_same(s, "sgns.threads", &x->T, sizeof x->T,
                       "thread count (--threads)"));
  GL_TRY(GL_STATE_VAR(s, "sgns.pass", x->ep));
  GL_TRY(GL_STATE_VAR(s, "sgns.done", x->done));
  if (x->ep < 0 || x->ep > o->epochs || x->done < 0)
    return gl_error(GL_EFORMAT, "saved state: pass %d", x->ep);
  const size_t nd = (size_t)x->n * o->dim;
  GL_TRY(gl_state_io(s, "sgns.emb", x->emb, sizeof *x->emb, nd));
  GL_TRY(gl_state_io(s, "sgns.syn1", x->syn1, sizeof *x->syn1, nd));
  GL_TRY(gl_state_rng(s, "sgns.rng", x->rng, (size_t)x->T));
  GL_TRY(gl_state_io(s, "sgns.lr", x->lr, sizeof *x->lr, (size_t)x->T));
  const size_t kn = (size_t)x->T * (size_t)o->negative;
  GL_TRY(gl_state_io(s, "sgns.negatives", x->tg, sizeof *x->tg, kn));
  for (size_t i = 0; s->load && i < kn; i++)
    if (x->tg[i] < 0 || x->tg[i] >= x->n)
      return gl_error(GL_EFORMAT, "saved state: negative node %d",
                      (int)x->tg[i]);
  if (!o->spectral) return GL_OK;
  learner *L = x->L;
  GL_TRY(gl_state_rng(s, "learner.rng", &L->rng, 1));
  GL_TRY(GL_STATE_VAR(s, "learner.base", L->base));
  GL_TRY(GL_STATE_VAR(s, "learner.seconds", L->seconds));
  GL_TRY(GL_STATE_VAR(s, "learner.estimates", L->estimates));
  return gl_spectral_guard_io(&L->guard, s);
}

/* opts->resume into x (the corpus and settings must be the saved run's). */
static gl_status sgns_resume(sgns_run *x) {
  gl_state s;
  char *data;
  GL_TRY(gl_state_read(&s, x->o->resume, &data));
  gl_status st = sgns_io(x, &s);
  if (st == GL_OK) st = gl_state_end(&s);
  free(data);
  if (st != GL_OK && st != GL_ENOMEM) {
    char why[512];
    snprintf(why, sizeof why, "%s", gl_errmsg());
    st = gl_error(st, "%s: %s", x->o->resume, why);
  }
  return st;
}

static gl_status sgns_checkpoint(sgns_run *x) {
  gl_state s;
  gl_state_save_init(&s);
  gl_status st = sgns_io(x, &s);
  if (st == GL_OK) st = gl_state_write(&s, x->o->checkpoint);
  gl_state_free(&s);
  return st;
}

/* Skip-gram over the walks of a corpus c, or of a walker wk drawn as they
 * are needed (then nothing but one walk a thread is stored).  Thread t
 * trains on the walks [count t / T, count (t + 1) / T). */
/* A distributed run's node counts: summed across the ranks (in doubles:
 * exact below 2^53), the whole corpus's positions into *total_all. */
static gl_status comm_counts(const gl_comm *cm, int64_t *count, gl_idx n,
                             int64_t total, int64_t *total_all) {
  *total_all = total;
  if (!cm) return GL_OK;
  double *v = gl_malloc((size_t)n + 1, sizeof *v);
  if (!v) return GL_ENOMEM;
  for (gl_idx i = 0; i < n; i++) v[i] = (double)count[i];
  v[n] = (double)total;
  gl_status st = cm->sum(cm, v, (size_t)n + 1);
  for (gl_idx i = 0; st == GL_OK && i < n; i++) count[i] = (int64_t)v[i];
  if (st == GL_OK) *total_all = (int64_t)v[n];
  free(v);
  return st;
}

/* Synchronous model averaging of the updates: a table becomes its value
 * at the last synchronisation (base) plus the ranks' changes since,
 * summed (each rank's sparse updates count in full, as in one process's
 * Hogwild), and base takes the result. */
static gl_status comm_sync(const gl_comm *cm, float *w, float *base,
                           size_t len) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < len; i++) w[i] -= base[i];
  GL_TRY(cm->sum_f(cm, w, len));
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < len; i++) base[i] = w[i] += base[i];
  return GL_OK;
}

static gl_status run(const gl_walks *c, const gl_walker *wk,
                     const gl_sgns_opts *o, float *emb, gl_sgns_stats *st) {
  memset(st, 0, sizeof *st);
  const gl_idx n = c ? c->n_nodes : wk->g->n;
  const int dim = o->dim;
  if (dim < 1 || o->window < 1 || o->negative < 0 || o->epochs < 1 ||
      !(o->lr > 0) || !(o->min_lr >= 0) || !(o->sample >= 0))
    return gl_error(GL_EINVAL, "skip-gram: need dim, window and epochs >= 1, "
                    "negatives >= 0, lr > 0, min_lr and sample >= 0 (got "
                    "%d, %d, %d, %d, %g, %g, %g)", dim, o->window, o->epochs,
                    o->negative, o->lr, o->min_lr, o->sample);
  const int64_t n_walks = c ? c->n_walks : gl_walker_count(wk);
  if (o->comm && (o->spectral || o->checkpoint || o->resume || wk))
    return gl_error(GL_EINVAL, "skip-gram: a distributed run does not yet "
                    "stream walks, run the spectral learner or checkpoint");
  int64_t total = 0, maxlen = 0, total_all = 0;
  int64_t *count = gl_calloc((size_t)n, sizeof *count);
  if (!count) return GL_ENOMEM;
  gl_status cs = corpus_counts(c, wk, n, count, &total, &maxlen);
  if (cs == GL_OK) cs = comm_counts(o->comm, count, n, total, &total_all);
  if (cs != GL_OK) {
    free(count);
    return cs;
  }
  gl_neg_table nt;
  gl_idx *cin = NULL; /* the spectral learner's updates */
  learner L;
  memset(&L, 0, sizeof L);
  L.base = o->lr;
  float *base = NULL; /* a distributed run's tables at the last sync */
  gl_status s = gl_neg_table_init(&nt, count, n);
  const int T = gl_threads();
  float *keep = gl_malloc((size_t)n, sizeof *keep);
  float *syn1 = gl_calloc((size_t)n * dim, sizeof *syn1);
  float *err = gl_malloc((size_t)T * dim, sizeof *err); /* per thread */
  /* per thread: the walk after subsampling, and the walk (streaming) */
  gl_idx *kept = gl_malloc((size_t)T * 2 * (size_t)(maxlen + 1), sizeof *kept);
  gl_idx *targets = gl_malloc((size_t)T * 2 * (size_t)(o->negative + 1),
                              sizeof *targets);
  gl_walk_scratch *sc = wk ? gl_calloc((size_t)T, sizeof *sc) : NULL;
  sgns_run x = {.o = o, .n = n, .T = T, .n_walks = n_walks, .total = total,
                .emb = emb, .syn1 = syn1, .L = &L};
  for (gl_idx v = 0; v < n; v++)
    x.counts = (int64_t)gl_hash64((uint64_t)x.counts, (uint64_t)count[v]);
  x.rng = gl_malloc((size_t)T, sizeof *x.rng);
  x.lr = gl_malloc((size_t)T, sizeof *x.lr);
  x.tg = gl_malloc((size_t)T * (size_t)o->negative + 1, sizeof *x.tg);
  float sig[SIG_SIZE];
  if (s == GL_OK && (!keep || !syn1 || !err || !kept || !targets ||
                     (wk && !sc) || !x.rng || !x.lr || !x.tg))
    s = GL_ENOMEM;
  for (int t = 0; wk && sc && t < T && s == GL_OK; t++)
    s = gl_walk_scratch_init(&sc[t], wk);
  if (s != GL_OK) goto out;
  for (int i = 0; i < SIG_SIZE; i++) {
    double x = exp(((double)i / SIG_SIZE * 2 - 1) * SIG_MAX);
    sig[i] = (float)(x / (x + 1));
  }
  /* word2vec's subsampling: keep a node seen f times with probability
   * (sqrt(f / (s N)) + 1) s N / f */
  const double sN = o->sample * (double)total_all;
  for (gl_idx v = 0; v < n; v++)
    keep[v] = o->sample > 0 && count[v] > 0
                  ? (float)((sqrt(count[v] / sN) + 1) * sN / count[v])
                  : 1.0f;
  gl_rng init;
  gl_rng_seed(&init, o->seed);
  for (size_t i = 0; i < (size_t)n * dim; i++)
    emb[i] = (gl_rng_uniformf(&init) - 0.5f) / (float)dim;

  if (o->comm && !(base = gl_malloc((size_t)n * dim * 2, sizeof *base))) {
    s = GL_ENOMEM;
    goto out;
  }
  if (base) {
    memcpy(base, emb, (size_t)n * dim * sizeof *base);
    memset(base + (size_t)n * dim, 0, (size_t)n * dim * sizeof *base);
  }
  const double all = (double)total * o->epochs;
  const int S = o->spectral ? (o->spectral_segments > 0 ? o->spectral_segments
                                                        : 20)
                : o->comm ? (o->sync_segments > 0 ? o->sync_segments : 1000)
                          : 1;
  /* a rank's own random streams (rank 0's: the one-process run's) */
  const uint64_t seed = o->comm && o->comm->rank > 0
                            ? gl_hash64(o->seed, 0x72616e6bu + o->comm->rank)
                            : o->seed;
  const int k1 = o->negative + 1;
  L.cv = (gl_sgns_curvature){emb, syn1, dim, k1, SPECTRAL_UPDATES, NULL, NULL};
  gl_rng_seed(&L.rng, gl_hash64(o->seed, 0x5bd1e995u));
  const gl_param vectors[2] = {
      {.name = "emb", .w = emb, .n = (size_t)n * dim, .rows = n, .cols = dim},
      {.name = "syn1", .w = syn1, .n = (size_t)n * dim, .rows = n,
       .cols = dim}};
  if (o->spectral) {
    if (!(cin = gl_malloc((size_t)SPECTRAL_UPDATES * (k1 + 1), sizeof *cin))) {
      s = GL_ENOMEM;
      goto out;
    }
    L.cv.in = cin;
    L.cv.out = cin + SPECTRAL_UPDATES;
    if ((s = curvature_updates(c, wk, sc, kept + maxlen + 1, &nt, o->window,
                               k1, SPECTRAL_UPDATES, &L.rng, cin,
                               cin + SPECTRAL_UPDATES)) != GL_OK ||
        (s = gl_spectral_guard_init(&L.guard, vectors, 2,
                                    gl_sgns_curvature_loss(&L.cv))) != GL_OK)
      goto out;
  }
  if (o->resume && (s = sgns_resume(&x)) != GL_OK) goto out;
  st->resumed_pass = x.ep;
  const int ck_every = o->checkpoint_every > 0 ? o->checkpoint_every : 1;
  int64_t done = x.done; /* positions read by all threads */
  gl_progress bar;
  gl_progress_start(&bar, "skip-gram", (long)(all / 1000), o->progress);
  double t0 = gl_now();
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt_ = omp_get_num_threads();
    const int64_t w0 = n_walks * t / nt_, w1 = n_walks * (t + 1) / nt_;
    gl_rng r;
    float *e = err + (size_t)t * dim;
    gl_idx *sen = kept + (size_t)t * 2 * (size_t)(maxlen + 1);
    gl_idx *drawn = sen + maxlen + 1;
    const size_t k1n = (size_t)o->negative + 1;
    gl_idx *tg = targets + (size_t)t * 2 * k1n;
    gl_idx *tg_next = tg + k1n;
    float lr = (float)o->lr;
    if (o->resume) { /* where the saved run's thread t was */
      r = x.rng[t];
      lr = x.lr[t];
      memcpy(tg_next, x.tg + (size_t)t * o->negative,
             (size_t)o->negative * sizeof *tg_next);
    } else {
      gl_rng_seed(&r, gl_hash64(seed, (uint64_t)t + 1));
      draw_negatives(&nt, o->negative, syn1, dim, &r, tg_next);
    }
    int64_t local = 0; /* read since the last report to `done` */
    for (int ep = x.ep; ep < o->epochs && L.st == GL_OK; ep++) {
      for (int sg = 0; sg < S;) {
        if (o->spectral) {
#pragma omp barrier
#pragma omp single
          learner_start(&L, done);
          lr = (float)fmax(L.base * (1 - (double)done / (all + 1)), o->min_lr);
        }
        const int64_t a = w0 + (w1 - w0) * sg / S,
                      z = w0 + (w1 - w0) * (sg + 1) / S;
        for (int64_t w = a; w < z && L.st == GL_OK; w++) {
          const gl_idx *walk;
          const int64_t len =
              walk_of(c, wk, w, sc ? &sc[t] : NULL, drawn, &walk);
          int m = 0; /* the walk after subsampling */
          for (int64_t i = 0; i < len; i++)
            if (keep[walk[i]] >= 1 || gl_rng_uniformf(&r) < keep[walk[i]])
              sen[m++] = walk[i];
          local += len;
          if (local >= 10000 || w + 1 == z) {
            int64_t now;
#pragma omp atomic capture
            now = done += local;
            local = 0;
            lr = (float)fmax(L.base * (1 - (double)now / (all + 1)),
                             o->min_lr);
            if (t == 0) gl_progress_update(&bar, (long)(now / 1000), NULL);
          }
          for (int pos = 0; pos < m; pos++) {
            const int b = (int)gl_rng_below(&r, (uint32_t)o->window);
            const int lo = pos - o->window + b, hi = pos + o->window - b;
            if (pos + 1 < m)
              prefetch_row(syn1 + (size_t)sen[pos + 1] * dim, dim);
            for (int j = lo < 0 ? 0 : lo; j <= hi && j < m; j++) {
              if (j == pos) continue;
              gl_idx *cur = tg_next; /* drawn and fetching: this pair's */
              tg_next = tg;
              tg = cur;
              draw_negatives(&nt, o->negative, syn1, dim, &r, tg_next);
              if (j + 1 < m) prefetch_row(emb + (size_t)sen[j + 1] * dim, dim);
              sgns_pair(emb + (size_t)sen[j] * dim, syn1, sen[pos], tg,
                        o->negative, dim, lr, sig, e);
            }
          }
        }
        if (o->spectral) {
#pragma omp barrier
#pragma omp single
          learner_end(&L, &done);
        }
        if (o->comm) {
#pragma omp barrier
#pragma omp single
          {
            const size_t len = (size_t)n * dim;
            gl_status as = comm_sync(o->comm, emb, base, len);
            if (as == GL_OK) as = comm_sync(o->comm, syn1, base + len, len);
            if (as != GL_OK) learner_fail(&L, as);
          }
        }
        if (!L.redo || L.st != GL_OK) sg++;
      }
      if (o->checkpoint && (ep + 1) % ck_every == 0 && ep + 1 < o->epochs) {
        x.rng[t] = r;
        x.lr[t] = lr;
        memcpy(x.tg + (size_t)t * o->negative, tg_next,
               (size_t)o->negative * sizeof *tg_next);
#pragma omp barrier
#pragma omp single
        {
          x.ep = ep + 1;
          x.done = done;
          gl_status cs = sgns_checkpoint(&x);
          if (cs != GL_OK) learner_fail(&L, cs);
        }
      }
    }
  }
  gl_progress_end(&bar);
  st->estimates = L.estimates;
  st->restarts = L.guard.restarts;
  if (L.st != GL_OK) {
    s = gl_error(L.st, "%s", L.msg);
    goto out;
  }
  st->lr = L.base;
  st->spectral_seconds = L.seconds;
  for (size_t i = 0; i < (size_t)n * dim; i++)
    if (!isfinite(emb[i])) { /* base: --lr, or the learner's last rate */
      s = gl_error(GL_EINVAL, "diverged (node %d's vector is not "
                   "finite): the learning rate %g is too large", (int)(i / dim),
                   L.base);
      goto out;
    }
  st->seconds = gl_now() - t0;
  st->words = (int64_t)all;
  st->words_per_second = st->seconds > 0 ? all / st->seconds : 0;
out:
  free(base);
  for (int t = 0; sc && t < T; t++) gl_walk_scratch_free(&sc[t]);
  free(sc);
  free(cin);
  gl_spectral_guard_free(&L.guard);
  free(count);
  free(keep);
  free(syn1);
  free(err);
  free(kept);
  free(targets);
  free(x.rng);
  free(x.lr);
  free(x.tg);
  gl_neg_table_free(&nt);
  return s;
}

/* run at o->threads (0: the calling thread's count) */
static gl_status train(const gl_walks *c, const gl_walker *wk,
                       const gl_sgns_opts *o, float *emb, gl_sgns_stats *st) {
  const int threads = gl_threads_enter(o->threads);
  gl_status s = run(c, wk, o, emb, st);
  gl_threads_leave(threads);
  return s;
}

gl_status gl_sgns_train(const gl_walks *c, const gl_sgns_opts *o, float *emb,
                        gl_sgns_stats *st) {
  return train(c, NULL, o, emb, st);
}

gl_status gl_sgns_train_stream(const gl_walker *w, const gl_sgns_opts *o,
                               float *emb, gl_sgns_stats *st) {
  return train(NULL, w, o, emb, st);
}
