/* glearn optimisers: any optimiser steps any list of parameters.  Knows
 * nothing of graphs: it sees parameter arrays, their gradients and, for the
 * curvature-based learners, a gradient callback. */
#ifndef GL_OPTIM_H
#define GL_OPTIM_H

#include "core/core.h"

/* One parameter tensor: weights w and gradient g of n floats.  `decay` says
 * whether weight decay applies to it.  The list handed to an optimiser must
 * be the same (same order and sizes) at every step: the optimiser keeps its
 * per-parameter state (moments) by position. */
typedef struct {
  const char *name;
  float *w, *g;
  size_t n;
  bool decay;
  int rows, cols; /* the tensor's shape for checkpoints (rows * cols == n) */
} gl_param;

/* The gradient of a loss at weights w (a flat vector of all parameters) on
 * a fixed batch: for Lanczos / Hessian-vector products. */
typedef gl_status (*gl_grad_fn)(void *ctx, const float *w, float *g,
                                double *loss);

typedef enum {
  GL_OPT_SGD,
  GL_OPT_MOMENTUM, /* heavy ball; with nesterov for Nesterov momentum */
  GL_OPT_ADAM,     /* L2: weight decay added to the gradient */
  GL_OPT_ADAMW,    /* decoupled weight decay */
  GL_OPT_LARS,     /* layer-wise trust ratio over heavy-ball momentum */
  GL_OPT_LAMB      /* layer-wise trust ratio over Adam */
} gl_optim_kind;

/* The update rules follow torch.optim (SGD, Adam, AdamW) step for step, with
 * g the gradient, w the weights and wd applied only to params with decay:
 *   SGD / MOMENTUM: g' = g + wd w;  with mu > 0: b = g' on the first step,
 *     then b = mu b + (1 - dampening) g';  d = nesterov ? g' + mu b : b
 *     (d = g' when mu = 0);  w -= lr d.  SGD with momentum > 0 is the same
 *     as MOMENTUM: the kinds differ only in their defaults.
 *   ADAM: g' = g + wd w;  m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2;
 *     w -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *   ADAMW: w *= 1 - lr wd, then the ADAM update with g' = g.
 * LARS (You, Gitman & Ginsburg, arXiv:1708.03888, 2017) and LAMB (You et
 * al., ICLR 2020, section 3 and Algorithm 2) scale each
 * tensor's step by its trust ratio |w| / |u| (1 when either norm is 0):
 *   LARS: m = b1 m + (1-b1)(g + wd w);  u = m;  w -= lr |w|/|u| u
 *   LAMB: m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *     u = m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd w;  w -= lr |w|/|u| u
 * (norms in double over the tensor). */
typedef struct {
  gl_optim_kind kind;
  double lr;           /* > 0 and finite */
  double momentum;     /* SGD with momentum: mu in [0, 1) */
  bool nesterov;       /* needs momentum > 0 and dampening 0 */
  double dampening;    /* SGD momentum dampening in [0, 1] */
  double weight_decay; /* >= 0; applies to params with decay = true */
  double beta1, beta2, eps; /* Adam: betas in [0, 1), eps > 0 */
} gl_optim_opts;
/* Defaults for a kind: lr 0.01, momentum 0.9 (MOMENTUM) or 0, Adam betas
 * 0.9 / 0.999, eps 1e-8, no dampening, no weight decay, no nesterov;
 * LAMB: the paper's eps 1e-6 and weight decay 0.01; LARS: beta1 0.9. */
gl_optim_opts gl_optim_defaults(gl_optim_kind kind);
/* Parses "sgd", "momentum", "nesterov", "adam", "adamw", "lars", "lamb".
 * "nesterov" is GL_OPT_MOMENTUM with *nesterov = true; the other names set
 * *nesterov false.  Both outputs are required: copy *nesterov into the options
 * made from gl_optim_defaults(*kind).  Unknown name: GL_EINVAL, the message
 * lists the valid ones. */
gl_status gl_optim_kind_parse(const char *s, gl_optim_kind *kind,
                              bool *nesterov);

typedef struct gl_optim gl_optim;
typedef struct {
  const char *name; /* the name gl_optim_kind_parse reads ("nesterov", ...) */
  gl_status (*step)(gl_optim *o, gl_param *p, int n_params);
  /* Releases what an optimiser holds beyond the common fields (may be NULL);
   * gl_optim_free then frees the state arrays and the object itself, so an
   * extension may embed gl_optim as the first member of a larger struct. */
  void (*free)(gl_optim *o);
} gl_optim_ops;
struct gl_optim {
  const gl_optim_ops *ops;
  gl_optim_opts opts;
  double lr;   /* current learning rate (schedules and learners set it) */
  long t;      /* steps taken */
  int n_state; /* number of params the state was made for (0: none yet) */
  float **m, **v;  /* per-param state buffers (NULL when unused), by position */
  size_t *state_n; /* the size of each param at the first step */
};

/* Validates the options (GL_EINVAL naming the offending option) and makes
 * an optimiser.  The state is allocated on the first step. */
gl_status gl_optim_new(gl_optim **out, const gl_optim_opts *o);
/* One step over the list: reads p[i].g, updates p[i].w.  A list whose
 * length or sizes differ from the first step's: GL_EINVAL, nothing changed. */
static inline gl_status gl_optim_step(gl_optim *o, gl_param *p, int n) {
  return o->ops->step(o, p, n);
}
static inline void gl_optim_set_lr(gl_optim *o, double lr) { o->lr = lr; }
void gl_optim_free(gl_optim *o);
/* Saves or loads (gl_state) an optimiser's progress for the list p it
 * steps: its rate and momentum (a schedule or learner sets them), steps
 * taken and moment buffers.  Loading needs an optimiser of the same kind
 * and options (GL_EINVAL otherwise) and replaces its progress. */
gl_status gl_optim_io(gl_optim *o, gl_state *s, const gl_param *p,
                      int n_params);

/* For optimiser implementations: on the first call allocates n_bufs
 * zero-filled state buffers per param (n_bufs 0..2: m, then v) and records
 * the list's shape; on later calls checks the list has that shape
 * (GL_EINVAL otherwise).  Also rejects a NULL w or g with n > 0. */
gl_status gl_optim_state(gl_optim *o, const gl_param *p, int n_params,
                         int n_bufs);

/* Learning-rate schedules and batch-size rules. */
/* Linear warm-up over `warmup` steps from 0, then polynomial decay of
 * `power` (1: linear) to 0 at `total` steps: the rate at step t (from 0)
 * of a base rate lr.  warmup 0: no warm-up; total 0: no decay. */
double gl_lr_schedule(double lr, long t, long warmup, long total,
                      double power);
typedef enum { GL_LR_SCALE_NONE, GL_LR_SCALE_LINEAR, GL_LR_SCALE_SQRT }
    gl_lr_scale_rule;
/* lr tuned at batch size `ref` moved to batch size `batch`: times
 * batch / ref (linear: SGD) or sqrt(batch / ref) (square root: Adam). */
double gl_lr_scale(double lr, gl_lr_scale_rule rule, double batch,
                   double ref);
/* "none", "linear", "sqrt"; GL_EINVAL naming the valid ones otherwise. */
gl_status gl_lr_scale_parse(const char *s, gl_lr_scale_rule *rule);
/* How lambda_max of the batch Hessian falls with the batch size B
 * (Granziol et al., "Learning rates as a function of batch size", JMLR
 * 2022: the batch Hessian's outliers exceed the full one's by a noise term
 * of variance ~ 1/B - 1/N, N the samples a batch is drawn from without
 * replacement, so the largest stable SGD rate 2 / lambda_max grows
 * linearly with B until it saturates).  From lambda_max at n batch sizes
 * b[i] (each in [1, n_full)) and lambda_max_full of the full loss,
 * least-squares lines of
 *   log(lmax[i] - lambda_max_full) on log(1/b[i] - 1/n_full), over the
 *     n_excess sizes whose lmax is above the full one:
 *     lambda_max(B) - lambda_max_full ~ exp(excess_icept) (1/B - 1/N)^excess
 *     (the paper's noise term: excess = 1);
 *   log lmax[i] on log b[i]: lambda_max(B) ~ exp(exponent_icept) B^-exponent
 *     (the rate 2 / lambda_max grows as B^exponent).
 * A line needs two points of different abscissas and finite values: NAN
 * (slope and intercept) otherwise.  GL_EINVAL for n < 0, NULL arrays or a
 * size outside [1, n_full); GL_ENOMEM. */
typedef struct {
  double excess, excess_icept;
  int n_excess;
  double exponent, exponent_icept;
} gl_batch_fit;
gl_status gl_batch_fit_lmax(const double *b, const double *lmax, int n,
                            double n_full, double lambda_max_full,
                            gl_batch_fit *out);

/* Helpers for parameter lists. */
void gl_params_zero_grad(gl_param *p, int n);
size_t gl_params_count(const gl_param *p, int n);
/* 0.5 * sum of squares over the params with decay = true (the L2 term). */
double gl_params_l2(const gl_param *p, int n);

/* ------------------------------------------------------ Lanczos and SLQ */
/* A symmetric linear operator: y = A x on n doubles. */
typedef gl_status (*gl_matvec_fn)(void *ctx, const double *x, double *y);

/* k steps of Lanczos from v0 (any non-zero vector; normalised here) with
 * full reorthogonalisation (every new vector orthogonalised against all
 * earlier ones by classical Gram-Schmidt, twice when the first pass takes
 * away more than 30% of its norm), in double precision.  Gives the Ritz values
 * theta (ascending) and their weights tau (the squared first components of the
 * Ritz vectors: the Gauss quadrature of v0's spectral measure, summing to
 * 1) for the *k_done <= min(k, n) steps made (fewer when an invariant
 * subspace is found).  theta and tau hold k values.  Memory: k n doubles. */
gl_status gl_lanczos(gl_matvec_fn mv, void *ctx, size_t n, int k,
                     const double *v0, double *theta, double *tau,
                     int *k_done);

/* Stochastic Lanczos quadrature: `probes` Rademacher vectors (seeded),
 * `steps` Lanczos steps each.  The spectral density is the mixture of the
 * probes' quadratures: nodes with weights summing to 1; the trace estimate
 * is n times its mean; lambda_min / lambda_max are the extreme Ritz
 * values. */
typedef struct {
  double *nodes, *weights;
  int n;
  double lambda_min, lambda_max, trace;
} gl_slq;
gl_status gl_slq_run(gl_matvec_fn mv, void *ctx, size_t n, int probes,
                     int steps, uint64_t seed, gl_slq *out);
void gl_slq_free(gl_slq *s);
/* The density smoothed by Gaussians of width sigma, at m grid points. */
void gl_slq_density(const gl_slq *s, double sigma, const double *grid,
                    int m, double *out);

/* Hessian-vector products by central differences of a gradient at w:
 * H v ~ (g(w + e v') - g(w - e v')) / 2e with v' = v / |v| scaled back, the
 * step e = eps (1e-3 when 0) along the unit direction; the gradient
 * callback runs in float, the difference in double.  wp, gp, gm: n floats
 * of scratch.  gl_hvp_matvec adapts it to gl_matvec_fn (ctx: a gl_hvp). */
typedef struct {
  gl_grad_fn grad;
  void *ctx;
  const float *w;
  size_t n;
  double eps;
  float *wp, *gp, *gm;
} gl_hvp;
gl_status gl_hvp_fd(const gl_hvp *h, const double *v, double *hv);
gl_status gl_hvp_matvec(void *ctx, const double *x, double *y);

/* The spectral learner (Granziol et al., "Learning rates as a function of
 * batch size", JMLR 2022): rates
 * from the Ritz values theta (and weights tau) of the Hessian on a fixed
 * curvature batch.
 *   SGD: lr = 2 / (lambda_max + median |theta|), no momentum;
 *   MOMENTUM: mu = the median |theta| (MU_MEDIAN, the authors' second
 *     mode) or a robust lambda_min (MU_MIN: drop the Ritz value of largest
 *     weight while it holds more than half of the mass, then the smallest
 *     |theta|); at least 1e-6 lambda_max; then Polyak's optimum
 *     lr = (2 / (sqrt(lambda_max) + sqrt(mu)))^2 and momentum
 *     ((sqrt(lambda_max) - sqrt(mu)) / (sqrt(lambda_max) + sqrt(mu)))^2;
 *   ADAM: the SGD rule on the spectrum of the preconditioned Hessian
 *     P^-1/2 H P^-1/2 (P = Adam's sqrt(v_hat) + eps), which the caller
 *     hands in. */
typedef enum {
  GL_SPECTRAL_NONE,
  GL_SPECTRAL_SGD,
  GL_SPECTRAL_MOMENTUM,
  GL_SPECTRAL_ADAM
} gl_spectral_kind;
typedef enum { GL_SPECTRAL_MU_MEDIAN, GL_SPECTRAL_MU_MIN } gl_spectral_mu;
gl_status gl_spectral_rates(gl_spectral_kind kind, gl_spectral_mu mu_rule,
                            const double *theta, const double *tau, int n,
                            double *lr, double *momentum);

/* The spectral learner's guard: the rates hold for the curvature where
 * they were measured, and it grows as training leaves the flat start.  A
 * trainer runs in stretches (an epoch, a segment of an epoch): at a
 * stretch's start gl_spectral_guard_begin keeps a copy of the weights;
 * at its end gl_spectral_guard_check takes the loss there, and when it
 * is above 1.5 times the lowest since the last estimate (a rate too large
 * oscillates up over a few stretches as well as it doubles the loss in
 * one), or NaN, puts the copy back and halves the trust, the factor on
 * the estimated rate, which each estimate (gl_spectral_guard_estimate)
 * doubles back, up to 1.  The caller scales its rate by the trust and
 * undoes the rest of the stretch (its optimiser's moments, its count). */
typedef struct {
  const gl_param *params; /* the weights kept (their w) */
  int n_params;
  float *copy;     /* the weights at the stretch's start */
  double trust;    /* 1 at first */
  double loss;     /* the last loss kept */
  double low;      /* the lowest loss since the last estimate */
  int restarts;    /* stretches undone */
} gl_spectral_guard;
/* loss: at the weights now, before any stretch. */
gl_status gl_spectral_guard_init(gl_spectral_guard *g, const gl_param *p,
                                 int n, double loss);
/* An estimate is made now: the trust doubles (up to 1) and is returned;
 * the lowest loss starts again from the last one kept. */
double gl_spectral_guard_estimate(gl_spectral_guard *g);
/* A stretch starts: the weights are copied. */
void gl_spectral_guard_begin(gl_spectral_guard *g);
/* A stretch ended at `loss`: kept (*undone false), or the weights back to
 * the stretch's start, the trust halved (*undone true); GL_EINVAL when the
 * trust falls below 1/1000. */
gl_status gl_spectral_guard_check(gl_spectral_guard *g, double loss,
                                  bool *undone);
/* Saves or loads (gl_state) the guard's trust, losses and count. */
gl_status gl_spectral_guard_io(gl_spectral_guard *g, gl_state *s);
void gl_spectral_guard_free(gl_spectral_guard *g);

#endif
