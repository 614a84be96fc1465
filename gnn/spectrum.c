/* The Hessian spectrum of a model's training loss, of the full loss and of
 * mini-batch losses at several batch sizes, and how lambda_max falls with
 * the batch size (gnn.h; Granziol et al., "Learning rates as a function of
 * batch size", JMLR 2022): what gl-spectrum measures.  Products by the
 * curvature operator, spectra by optim's Lanczos. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

enum { MAX_DEFAULT_SIZES = 32 };

gl_spectrum_opts gl_spectrum_defaults(void) {
  gl_spectrum_opts o;
  memset(&o, 0, sizeof o);
  o.draws = 10;
  o.probes = 5;
  o.steps = 30;
  o.seed = 1;
  return o;
}

gl_status gl_spectrum_opts_check(const gl_spectrum_opts *o, gl_idx n_train) {
  if (n_train < 2)
    return gl_error(GL_EINVAL, "spectrum: %d training nodes, too few for "
                    "batches", (int)n_train);
  if (o->n_batch_sizes < 0 || (o->n_batch_sizes > 0 && !o->batch_sizes))
    return gl_error(GL_EINVAL, "batch-sizes: %d sizes%s", o->n_batch_sizes,
                    o->n_batch_sizes > 0 ? " and no array" : "");
  for (int i = 0; i < o->n_batch_sizes; i++) {
    if (o->batch_sizes[i] < 1)
      return gl_error(GL_EINVAL, "batch-sizes: %d is below 1",
                      o->batch_sizes[i]);
    if (o->batch_sizes[i] >= n_train)
      return gl_error(GL_EINVAL, "batch-sizes: %d is not below the %d "
                      "training nodes (the full loss is measured anyway)",
                      o->batch_sizes[i], (int)n_train);
  }
  if (o->draws < 1 || o->probes < 1 || o->steps < 1)
    return gl_error(GL_EINVAL, "spectrum: draws, probes and steps must be "
                    ">= 1, got %d, %d and %d", o->draws, o->probes,
                    o->steps);
  if (!(o->weight_decay >= 0) || !isfinite(o->weight_decay))
    return gl_error(GL_EINVAL, "spectrum: weight_decay must be >= 0 and "
                    "finite, got %g", o->weight_decay);
  return GL_OK;
}

void gl_spectrum_free(gl_spectrum *s) {
  for (int k = 0; s->levels && k < s->n_levels; k++)
    gl_slq_free(&s->levels[k].slq);
  free(s->levels);
  memset(s, 0, sizeof *s);
}

/* One draw: Lanczos on the curvature of the loss over nodes[0..n) into l's
 * density (weights over `draws`, trace along); its largest |theta| in
 * *top, its smallest theta in *lmin. */
static gl_status draw(gl_model *m, const gl_task *t, const gl_idx *nodes,
                      gl_idx n, const gl_spectrum_opts *o, int draws,
                      gl_rng *r, double *v0, gl_spectrum_level *l,
                      double *top, double *lmin) {
  gl_curvature *c;
  GL_TRY(gl_curvature_new(&c, m, t, nodes, n, o->weight_decay, false, 0));
  const size_t dim = gl_curvature_dim(c);
  gl_rng_signs(r, v0, dim);
  double *th = l->slq.nodes + l->slq.n, *tau = l->slq.weights + l->slq.n;
  int got;
  gl_status st = gl_lanczos(gl_curvature_matvec, c, dim, o->steps, v0, th,
                            tau, &got);
  gl_curvature_free(c);
  if (st != GL_OK) return st;
  double tr = 0;
  *top = 0;
  for (int i = 0; i < got; i++) {
    *top = fmax(*top, fabs(th[i]));
    tr += tau[i] * th[i];
    tau[i] /= draws;
  }
  l->trace += tr * (double)dim / draws;
  *lmin = th[0];
  l->slq.lambda_max = fmax(l->slq.lambda_max, th[got - 1]);
  l->slq.n += got;
  return GL_OK;
}

/* Level l (its batch size set): `draws` batches (the full loss: `probes`
 * vectors) drawn from r; lm: room for the draws' lambda_max. */
static gl_status level(gl_model *m, const gl_task *t,
                       const gl_spectrum_opts *o, gl_rng *r, double *v0,
                       gl_idx *pool, double *lm, gl_spectrum_level *l) {
  const int draws = l->full ? o->probes : o->draws;
  const size_t room = (size_t)draws * (size_t)o->steps;
  if (!(l->slq.nodes = gl_malloc(room, sizeof *l->slq.nodes)) ||
      !(l->slq.weights = gl_malloc(room, sizeof *l->slq.weights)))
    return GL_ENOMEM;
  l->lambda_min = INFINITY;
  l->slq.lambda_max = -INFINITY;
  for (int q = 0; q < draws; q++) {
    memcpy(pool, t->train, (size_t)t->n_train * sizeof *pool);
    if (!l->full) /* a uniform subset */
      gl_rng_sample(r, pool, (size_t)t->n_train, (size_t)l->batch_size);
    double lo;
    GL_TRY(draw(m, t, pool, l->batch_size, o, draws, r, v0, l, &lm[q], &lo));
    l->lambda_min = fmin(l->lambda_min, lo);
  }
  gl_meanstd ms = gl_mean_std(lm, draws);
  l->lambda_max = l->full ? 0 : ms.mean;
  for (int q = 0; l->full && q < draws; q++)
    l->lambda_max = fmax(l->lambda_max, lm[q]);
  l->lambda_max_std = l->full ? 0 : ms.std;
  l->slq.lambda_min = l->lambda_min;
  l->slq.trace = l->trace;
  return GL_OK;
}

static gl_status measure(gl_model *m, const gl_task *t,
                         const gl_spectrum_opts *o, gl_spectrum *out) {
  const gl_idx n_train = t->n_train;
  int ns = o->n_batch_sizes;
  if (!ns) /* powers of 2 from 4 */
    for (long b = 4; b < n_train && ns < MAX_DEFAULT_SIZES; b *= 2) ns++;
  if (!(out->levels = gl_calloc((size_t)ns + 1, sizeof *out->levels)))
    return GL_ENOMEM;
  out->n_levels = ns + 1;
  for (int k = 0; k < ns; k++)
    out->levels[k].batch_size =
        o->n_batch_sizes ? o->batch_sizes[k] : 4 << k;
  out->levels[ns].batch_size = (int)n_train;
  out->levels[ns].full = true;
  out->dim = gl_params_count(m->params, m->n_params);
  out->n_train = n_train;

  const int most = o->draws > o->probes ? o->draws : o->probes;
  double *v0 = gl_malloc(out->dim, sizeof *v0);
  gl_idx *pool = gl_malloc((size_t)n_train, sizeof *pool);
  double *lm = gl_malloc((size_t)most, sizeof *lm);
  double *b = gl_malloc((size_t)ns + 1, sizeof *b),
         *lb = gl_malloc((size_t)ns + 1, sizeof *lb);
  gl_status st = v0 && pool && lm && b && lb ? GL_OK : GL_ENOMEM;
  gl_rng r;
  gl_rng_seed(&r, gl_hash64(o->seed, 0x5eed));
  for (int k = 0; k < out->n_levels && st == GL_OK; k++)
    st = level(m, t, o, &r, v0, pool, lm, &out->levels[k]);
  if (st == GL_OK) {
    out->lambda_max_full = out->levels[ns].lambda_max;
    for (int k = 0; k < ns; k++) {
      b[k] = out->levels[k].batch_size;
      lb[k] = out->levels[k].lambda_max;
    }
    st = gl_batch_fit_lmax(b, lb, ns, (double)n_train, out->lambda_max_full,
                           &out->fit);
  }
  free(v0);
  free(pool);
  free(lm);
  free(b);
  free(lb);
  return st;
}

gl_status gl_spectrum_measure(gl_model *m, const gl_task *t,
                              const gl_spectrum_opts *o, gl_spectrum *out) {
  memset(out, 0, sizeof *out);
  GL_TRY(gl_spectrum_opts_check(o, t->n_train));
  const int threads = gl_threads_enter(o->threads);
  gl_status st = measure(m, t, o, out);
  gl_threads_leave(threads);
  if (st != GL_OK) gl_spectrum_free(out);
  return st;
}

gl_status gl_spectrum_density(const gl_spectrum *s, double sigma, int points,
                              double *grid, double *dens) {
  if (!(sigma > 0) || !isfinite(sigma))
    return gl_error(GL_EINVAL, "spectrum density: sigma must be > 0 and "
                    "finite, got %g", sigma);
  if (points < 2 || s->n_levels < 1)
    return gl_error(GL_EINVAL, "spectrum density: %d points of %d levels, "
                    "2 and 1 at least", points, s->n_levels);
  double lo = INFINITY, hi = -INFINITY;
  for (int k = 0; k < s->n_levels; k++)
    for (int i = 0; i < s->levels[k].slq.n; i++) {
      lo = fmin(lo, s->levels[k].slq.nodes[i]);
      hi = fmax(hi, s->levels[k].slq.nodes[i]);
    }
  const double span = hi > lo ? hi - lo : 1, sig = sigma * span;
  for (int g = 0; g < points; g++)
    grid[g] = lo - 0.05 * span + 1.1 * span * g / (points - 1);
  for (int k = 0; k < s->n_levels; k++)
    gl_slq_density(&s->levels[k].slq, sig, grid, points,
                   dens + (size_t)k * points);
  return GL_OK;
}
