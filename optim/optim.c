/* Optimisers: SGD (plain, momentum, Nesterov) and Adam / AdamW with the
 * update rules of torch.optim, LARS and LAMB, learning-rate schedules.  The
 * shared part (options, state by param position, list checks) lives here so
 * that LARS, LAMB and the spectral learner plug in through gl_optim_ops and
 * gl_optim_state. */
#include "optim/optim.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- options */
gl_optim_opts gl_optim_defaults(gl_optim_kind kind) {
  gl_optim_opts o = {.kind = kind,
                     .lr = 0.01,
                     .momentum = kind == GL_OPT_MOMENTUM ? 0.9 : 0.0,
                     .nesterov = false,
                     .dampening = 0.0,
                     .weight_decay = 0.0,
                     .beta1 = 0.9,
                     .beta2 = 0.999,
                     .eps = kind == GL_OPT_LAMB ? 1e-6 : 1e-8};
  if (kind == GL_OPT_LAMB) o.weight_decay = 0.01;
  return o;
}

static const struct {
  const char *name;
  gl_optim_kind kind;
  bool nesterov;
} kind_names[] = {{"sgd", GL_OPT_SGD, false},
                  {"momentum", GL_OPT_MOMENTUM, false},
                  {"nesterov", GL_OPT_MOMENTUM, true},
                  {"adam", GL_OPT_ADAM, false},
                  {"adamw", GL_OPT_ADAMW, false},
                  {"lars", GL_OPT_LARS, false},
                  {"lamb", GL_OPT_LAMB, false}};

gl_status gl_optim_kind_parse(const char *s, gl_optim_kind *kind,
                              bool *nesterov) {
  for (size_t i = 0; s && i < sizeof kind_names / sizeof kind_names[0]; i++)
    if (strcmp(s, kind_names[i].name) == 0) {
      *kind = kind_names[i].kind;
      *nesterov = kind_names[i].nesterov;
      return GL_OK;
    }
  return gl_error(GL_EINVAL,
                  "unknown optimiser \"%s\" (valid: sgd, momentum, nesterov, "
                  "adam, adamw, lars, lamb)",
                  s ? s : "(null)");
}

/* The numeric options and their ranges: lo < x (lo_open) or lo <= x, and
 * x < hi (hi_open) or x <= hi.  NaN is in no range; hi = INFINITY with
 * hi_open rejects infinities. */
static const struct {
  const char *name;
  size_t off;
  double lo, hi;
  bool lo_open, hi_open;
} opt_ranges[] = {
    {"lr", offsetof(gl_optim_opts, lr), 0, INFINITY, true, true},
    {"momentum", offsetof(gl_optim_opts, momentum), 0, 1, false, true},
    {"dampening", offsetof(gl_optim_opts, dampening), 0, 1, false, false},
    {"weight_decay", offsetof(gl_optim_opts, weight_decay), 0, INFINITY,
     false, true},
    {"beta1", offsetof(gl_optim_opts, beta1), 0, 1, false, true},
    {"beta2", offsetof(gl_optim_opts, beta2), 0, 1, false, true},
    {"eps", offsetof(gl_optim_opts, eps), 0, INFINITY, true, true}};

static gl_status check_opts(const gl_optim_opts *o) {
  if (o->kind < GL_OPT_SGD || o->kind > GL_OPT_LAMB)
    return gl_error(GL_EINVAL, "optimiser: unknown kind %d", (int)o->kind);
  for (size_t i = 0; i < sizeof opt_ranges / sizeof opt_ranges[0]; i++) {
    double x = *(const double *)((const char *)o + opt_ranges[i].off);
    double lo = opt_ranges[i].lo, hi = opt_ranges[i].hi;
    bool ok = (opt_ranges[i].lo_open ? x > lo : x >= lo) &&
              (opt_ranges[i].hi_open ? x < hi : x <= hi);
    if (!ok)
      return gl_error(GL_EINVAL, "optimiser: %s must be in %c%g, %g%c, got %g",
                      opt_ranges[i].name, opt_ranges[i].lo_open ? '(' : '[',
                      lo, hi, opt_ranges[i].hi_open ? ')' : ']', x);
  }
  if (o->nesterov && (o->momentum == 0 || o->dampening != 0))
    return gl_error(GL_EINVAL, "optimiser: nesterov needs momentum > 0 and "
                               "dampening 0");
  return GL_OK;
}

/* ---------------------------------------------------------------- state */
static void free_state(gl_optim *o) {
  for (int i = 0; i < o->n_state; i++) {
    if (o->m) free(o->m[i]);
    if (o->v) free(o->v[i]);
  }
  free(o->m);
  free(o->v);
  free(o->state_n);
  o->m = o->v = NULL;
  o->state_n = NULL;
  o->n_state = 0;
}

gl_status gl_optim_state(gl_optim *o, const gl_param *p, int n_params,
                         int n_bufs) {
  if (n_params < 0 || (n_params > 0 && !p))
    return gl_error(GL_EINVAL, "optimiser: bad parameter list (%d params)",
                    n_params);
  for (int i = 0; i < n_params; i++)
    if (p[i].n > 0 && (!p[i].w || !p[i].g))
      return gl_error(GL_EINVAL, "optimiser: param %d (%s) has no %s", i,
                      p[i].name ? p[i].name : "?", p[i].w ? "gradient"
                                                          : "weights");
  if (o->state_n) { /* later steps: the list must keep its shape */
    if (n_params != o->n_state)
      return gl_error(GL_EINVAL,
                      "optimiser: the parameter list changed from %d to %d "
                      "params",
                      o->n_state, n_params);
    for (int i = 0; i < n_params; i++)
      if (p[i].n != o->state_n[i])
        return gl_error(GL_EINVAL,
                        "optimiser: the parameter list changed: param %d (%s) "
                        "has %zu values, had %zu",
                        i, p[i].name ? p[i].name : "?", p[i].n, o->state_n[i]);
    /* a buffer wanted now but not at the first step (a learner switched
     * momentum on): zeros, as a fresh one would be */
    for (int i = 0; i < n_params; i++) {
      size_t n = p[i].n > 0 ? p[i].n : 1;
      if (n_bufs >= 1 && !o->m[i] && !(o->m[i] = gl_calloc(n, sizeof(float))))
        return GL_ENOMEM;
      if (n_bufs >= 2 && !o->v[i] && !(o->v[i] = gl_calloc(n, sizeof(float))))
        return GL_ENOMEM;
    }
    return GL_OK;
  }
  size_t np = n_params > 0 ? (size_t)n_params : 1;
  o->state_n = gl_malloc(np, sizeof *o->state_n);
  o->m = gl_calloc(np, sizeof *o->m);
  o->v = gl_calloc(np, sizeof *o->v);
  if (!o->state_n || !o->m || !o->v) goto fail;
  o->n_state = n_params; /* m and v are zeroed: free_state may run */
  for (int i = 0; i < n_params; i++) {
    o->state_n[i] = p[i].n;
    size_t n = p[i].n > 0 ? p[i].n : 1;
    if (n_bufs >= 1 && !(o->m[i] = gl_calloc(n, sizeof(float)))) goto fail;
    if (n_bufs >= 2 && !(o->v[i] = gl_calloc(n, sizeof(float)))) goto fail;
  }
  return GL_OK;
fail:
  free_state(o);
  return GL_ENOMEM;
}

/* ---------------------------------------------------------------- SGD */
/* w -= lr (g + wd w) */
static void sgd_plain(size_t n, float *restrict w, const float *restrict g,
                      float lr, float wd) {
  for (size_t i = 0; i < n; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

/* g' = g + wd w;  b = mu b + damp1 g';  w -= lr (nesterov ? g' + mu_n b : b).
 * The first step passes mu = 0, damp1 = 1 on a zeroed b: b = g'. */
static void sgd_momentum(size_t n, float *restrict w, const float *restrict g,
                         float *restrict b, float lr, float wd, float mu,
                         float damp1, bool nesterov, float mu_n) {
  for (size_t i = 0; i < n; i++) { /* -O3 unswitches the nesterov test */
    float gi = g[i] + wd * w[i];
    float bi = mu * b[i] + damp1 * gi;
    b[i] = bi;
    w[i] -= lr * (nesterov ? gi + mu_n * bi : bi);
  }
}

static gl_status sgd_step(gl_optim *o, gl_param *p, int n_params) {
  const gl_optim_opts *op = &o->opts;
  bool heavy = op->momentum != 0;
  GL_TRY(gl_optim_state(o, p, n_params, heavy ? 1 : 0));
  bool first = o->t == 0;
  float lr = (float)o->lr, mu_n = (float)op->momentum;
  float mu = first ? 0.0f : mu_n;
  float damp1 = first ? 1.0f : (float)(1.0 - op->dampening);
  for (int i = 0; i < n_params; i++) {
    float wd = p[i].decay ? (float)op->weight_decay : 0.0f;
    if (heavy)
      sgd_momentum(p[i].n, p[i].w, p[i].g, o->m[i], lr, wd, mu, damp1,
                   op->nesterov, mu_n);
    else
      sgd_plain(p[i].n, p[i].w, p[i].g, lr, wd);
  }
  o->t++;
  return GL_OK;
}

/* ---------------------------------------------------------------- Adam */
/* w *= shrink;  g' = g + l2 w;  m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2;
 * w -= step m / (sqrt(v) / bc2s + eps).  Adam: shrink 1, l2 = wd;
 * AdamW: shrink = 1 - lr wd, l2 = 0.  step = lr / (1 - b1^t),
 * bc2s = sqrt(1 - b2^t).  The loop vectorises only with -fno-math-errno
 * (GCC keeps sqrtf scalar while it may set errno). */
typedef struct {
  float shrink, l2, b1, one_b1, b2, one_b2, step, bc2s, eps;
} adam_coef;

static void adam_update(size_t n, float *restrict w, const float *restrict g,
                        float *restrict m, float *restrict v, adam_coef c) {
  for (size_t i = 0; i < n; i++) {
    float wi = w[i] * c.shrink;
    float gi = g[i] + c.l2 * wi;
    float mi = c.b1 * m[i] + c.one_b1 * gi;
    float vi = c.b2 * v[i] + c.one_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - c.step * mi / (sqrtf(vi) / c.bc2s + c.eps);
  }
}

static gl_status adam_step(gl_optim *o, gl_param *p, int n_params) {
  const gl_optim_opts *op = &o->opts;
  GL_TRY(gl_optim_state(o, p, n_params, 2));
  double t = (double)(o->t + 1);
  adam_coef c = {.b1 = (float)op->beta1,
                 .one_b1 = (float)(1.0 - op->beta1),
                 .b2 = (float)op->beta2,
                 .one_b2 = (float)(1.0 - op->beta2),
                 .step = (float)(o->lr / (1.0 - pow(op->beta1, t))),
                 .bc2s = (float)sqrt(1.0 - pow(op->beta2, t)),
                 .eps = (float)op->eps};
  bool decoupled = op->kind == GL_OPT_ADAMW;
  for (int i = 0; i < n_params; i++) {
    double wd = p[i].decay ? op->weight_decay : 0.0;
    c.shrink = decoupled ? (float)(1.0 - o->lr * wd) : 1.0f;
    c.l2 = decoupled ? 0.0f : (float)wd;
    adam_update(p[i].n, p[i].w, p[i].g, o->m[i], o->v[i], c);
  }
  o->t++;
  return GL_OK;
}

/* ---------------------------------------------------------- LARS, LAMB */
static double trust(double w2, double u2) { /* |w| / |u|, 1 if one is 0 */
  return w2 > 0 && u2 > 0 ? sqrt(w2 / u2) : 1.0;
}

static gl_status lars_step(gl_optim *o, gl_param *p, int n_params) {
  const gl_optim_opts *op = &o->opts;
  GL_TRY(gl_optim_state(o, p, n_params, 1));
  const float b1 = (float)op->beta1, one_b1 = (float)(1 - op->beta1);
  for (int i = 0; i < n_params; i++) {
    const float wd = p[i].decay ? (float)op->weight_decay : 0.0f;
    float *restrict w = p[i].w, *restrict m = o->m[i];
    const float *restrict g = p[i].g;
    double w2 = 0, u2 = 0;
    for (size_t k = 0; k < p[i].n; k++) {
      m[k] = b1 * m[k] + one_b1 * (g[k] + wd * w[k]);
      w2 += (double)w[k] * w[k];
      u2 += (double)m[k] * m[k];
    }
    const float step = (float)(o->lr * trust(w2, u2));
    for (size_t k = 0; k < p[i].n; k++) w[k] -= step * m[k];
  }
  o->t++;
  return GL_OK;
}

static gl_status lamb_step(gl_optim *o, gl_param *p, int n_params) {
  const gl_optim_opts *op = &o->opts;
  GL_TRY(gl_optim_state(o, p, n_params, 2));
  const double t = (double)(o->t + 1);
  const float b1 = (float)op->beta1, one_b1 = (float)(1 - op->beta1);
  const float b2 = (float)op->beta2, one_b2 = (float)(1 - op->beta2);
  const float c1 = (float)(1 / (1 - pow(op->beta1, t)));
  const float c2 = (float)(1 / (1 - pow(op->beta2, t)));
  const float eps = (float)op->eps;
  for (int i = 0; i < n_params; i++) {
    const float wd = p[i].decay ? (float)op->weight_decay : 0.0f;
    float *restrict w = p[i].w, *restrict m = o->m[i], *restrict v = o->v[i];
    const float *restrict g = p[i].g;
    double w2 = 0, u2 = 0;
    for (size_t k = 0; k < p[i].n; k++) { /* moments, then |u| */
      m[k] = b1 * m[k] + one_b1 * g[k];
      v[k] = b2 * v[k] + one_b2 * g[k] * g[k];
      const float u = c1 * m[k] / (sqrtf(c2 * v[k]) + eps) + wd * w[k];
      w2 += (double)w[k] * w[k];
      u2 += (double)u * u;
    }
    const float step = (float)(o->lr * trust(w2, u2));
    for (size_t k = 0; k < p[i].n; k++)
      w[k] -= step * (c1 * m[k] / (sqrtf(c2 * v[k]) + eps) + wd * w[k]);
  }
  o->t++;
  return GL_OK;
}

/* ---------------------------------------------------------- schedules */
double gl_lr_schedule(double lr, long t, long warmup, long total,
                      double power) {
  if (warmup > 0 && t < warmup) return lr * (double)(t + 1) / (double)warmup;
  if (total <= 0) return lr;
  if (t >= total) return 0;
  const double left = (double)(total - t) / (double)(total - warmup);
  return lr * pow(left, power);
}

double gl_lr_scale(double lr, gl_lr_scale_rule rule, double batch,
                   double ref) {
  return rule == GL_LR_SCALE_LINEAR ? lr * batch / ref
         : rule == GL_LR_SCALE_SQRT ? lr * sqrt(batch / ref)
                                    : lr;
}

gl_status gl_lr_scale_parse(const char *s, gl_lr_scale_rule *rule) {
  static const char *names[] = {"none", "linear", "sqrt"};
  for (int i = 0; s && i < 3; i++)
    if (!strcmp(s, names[i])) {
      *rule = (gl_lr_scale_rule)i;
      return GL_OK;
    }
  return gl_error(GL_EINVAL, "unknown learning-rate scaling \"%s\" (valid: "
                  "none, linear, sqrt)", s ? s : "(null)");
}

/* ---------------------------------------------------------------- objects */
static const gl_optim_ops sgd_ops = {"sgd", sgd_step, NULL};
static const gl_optim_ops momentum_ops = {"momentum", sgd_step, NULL};
static const gl_optim_ops nesterov_ops = {"nesterov", sgd_step, NULL};
static const gl_optim_ops adam_ops = {"adam", adam_step, NULL};
static const gl_optim_ops adamw_ops = {"adamw", adam_step, NULL};
static const gl_optim_ops lars_ops = {"lars", lars_step, NULL};
static const gl_optim_ops lamb_ops = {"lamb", lamb_step, NULL};

gl_status gl_optim_new(gl_optim **out, const gl_optim_opts *opts) {
  *out = NULL;
  GL_TRY(check_opts(opts));
  gl_optim *o = gl_calloc(1, sizeof *o);
  if (!o) return GL_ENOMEM;
  o->opts = *opts;
  switch (opts->kind) {
  case GL_OPT_SGD:
  case GL_OPT_MOMENTUM:
    o->ops = opts->nesterov ? &nesterov_ops
             : opts->kind == GL_OPT_SGD ? &sgd_ops
                                        : &momentum_ops;
    break;
  case GL_OPT_ADAM: o->ops = &adam_ops; break;
  case GL_OPT_ADAMW: o->ops = &adamw_ops; break;
  case GL_OPT_LARS: o->ops = &lars_ops; break;
  case GL_OPT_LAMB: o->ops = &lamb_ops; break;
  }
  o->lr = opts->lr;
  *out = o;
  return GL_OK;
}

void gl_optim_free(gl_optim *o) {
  if (!o) return;
  if (o->ops && o->ops->free) o->ops->free(o);
  free_state(o);
  free(o);
}

gl_status gl_optim_io(gl_optim *o, gl_state *s, const gl_param *p,
                      int n_params) {
  const gl_optim_opts *q = &o->opts;
  const double set[7] = {q->kind,  q->nesterov, q->dampening, q->weight_decay,
                         q->beta1, q->beta2,    q->eps};
  GL_TRY(gl_state_same(s, "optim.opts", set, sizeof set, "optimiser settings"));
  GL_TRY(GL_STATE_VAR(s, "optim.lr", o->lr));
  GL_TRY(GL_STATE_VAR(s, "optim.momentum", o->opts.momentum));
  GL_TRY(GL_STATE_VAR(s, "optim.t", o->t));
  /* which moment buffers exist: none before the first step */
  int bufs = o->n_state ? (o->v && o->v[0] ? 2 : o->m && o->m[0] ? 1 : 0)
                        : -1;
  GL_TRY(GL_STATE_VAR(s, "optim.buffers", bufs));
  if (bufs < -1 || bufs > 2)
    return gl_error(GL_EFORMAT, "saved state: optimiser buffers %d", bufs);
  if (s->load) {
    free_state(o);
    if (bufs >= 0) GL_TRY(gl_optim_state(o, p, n_params, bufs));
  }
  for (int i = 0; bufs > 0 && i < n_params; i++) {
    GL_TRY(gl_state_io(s, "optim.m", o->m[i], sizeof(float), p[i].n));
    if (bufs > 1)
      GL_TRY(gl_state_io(s, "optim.v", o->v[i], sizeof(float), p[i].n));
  }
  return GL_OK;
}

/* ---------------------------------------------------------------- lists */
void gl_params_zero_grad(gl_param *p, int n) {
  for (int i = 0; i < n; i++)
    if (p[i].g && p[i].n) memset(p[i].g, 0, p[i].n * sizeof(float));
}

size_t gl_params_count(const gl_param *p, int n) {
  size_t s = 0;
  for (int i = 0; i < n; i++) s += p[i].n;
  return s;
}

double gl_params_l2(const gl_param *p, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    if (p[i].decay && p[i].n) s += gl_sumsq(p[i].n, p[i].w);
  return 0.5 * s;
}
