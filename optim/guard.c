/* The spectral learner's guard (optim.h): a copy of the weights at each
 * stretch's start, the loss check at its end, the trust on the rate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim/optim.h"

gl_status gl_spectral_guard_init(gl_spectral_guard *g, const gl_param *p,
                                 int n, double loss) {
  memset(g, 0, sizeof *g);
  if (!(g->copy = gl_malloc(gl_params_count(p, n), sizeof *g->copy)))
    return GL_ENOMEM;
  g->params = p;
  g->n_params = n;
  g->trust = 1;
  g->loss = loss;
  g->low = INFINITY;
  return GL_OK;
}

double gl_spectral_guard_estimate(gl_spectral_guard *g) {
  g->trust = fmin(1, 2 * g->trust);
  g->low = g->loss;
  return g->trust;
}

void gl_spectral_guard_begin(gl_spectral_guard *g) {
  float *c = g->copy;
  for (int i = 0; i < g->n_params; c += g->params[i++].n)
    memcpy(c, g->params[i].w, g->params[i].n * sizeof *c);
}

gl_status gl_spectral_guard_check(gl_spectral_guard *g, double loss,
                                  bool *undone) {
  *undone = !(loss <= 1.5 * g->low); /* diverging (or NaN) */
  if (!*undone) {
    g->loss = loss;
    g->low = fmin(g->low, loss);
    return GL_OK;
  }
  const float *c = g->copy;
  for (int i = 0; i < g->n_params; c += g->params[i++].n)
    memcpy(g->params[i].w, c, g->params[i].n * sizeof *c);
  g->trust *= 0.5;
  g->restarts++;
  if (g->trust < 1e-3)
    return gl_error(GL_EINVAL, "spectral learner: the loss grows even at "
                    "1/1000 of the estimated rate");
  return GL_OK;
}

gl_status gl_spectral_guard_io(gl_spectral_guard *g, gl_state *s) {
  GL_TRY(GL_STATE_VAR(s, "guard.trust", g->trust));
  GL_TRY(GL_STATE_VAR(s, "guard.loss", g->loss));
  GL_TRY(GL_STATE_VAR(s, "guard.low", g->low));
  return GL_STATE_VAR(s, "guard.restarts", g->restarts);
}

void gl_spectral_guard_free(gl_spectral_guard *g) {
  free(g->copy);
  memset(g, 0, sizeof *g);
}
