/* How lambda_max of the batch Hessian falls with the batch size (optim.h):
 * least-squares lines through its logarithm (Granziol et al., "Learning
 * rates as a function of batch size", JMLR 2022). */
#include <math.h>
#include <stdlib.h>

#include "optim/optim.h"

/* Least squares slope and intercept of y on x over the n points; false
 * for fewer than two points or x constant. */
static bool line(const double *x, const double *y, int n, double *slope,
                 double *icept) {
  if (n < 2) return false;
  double mx = 0, my = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  for (int i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  if (!(sxx > 0)) return false;
  *slope = sxy / sxx;
  *icept = my - *slope * mx;
  return true;
}

gl_status gl_batch_fit_lmax(const double *b, const double *lmax, int n,
                            double n_full, double lambda_max_full,
                            gl_batch_fit *out) {
  *out = (gl_batch_fit){NAN, NAN, 0, NAN, NAN};
  if (n < 0 || (n > 0 && (!b || !lmax)))
    return gl_error(GL_EINVAL, "batch fit: %d sizes%s", n,
                    n > 0 ? " and no values" : "");
  for (int i = 0; i < n; i++)
    if (!(b[i] >= 1 && b[i] < n_full))
      return gl_error(GL_EINVAL, "batch fit: batch size %g is not in [1, "
                      "%g), the samples drawn from", b[i], n_full);
  /* one buffer of 3 n: the abscissas of each line, the excess's values */
  double *x = gl_malloc(3 * (size_t)n + 1, sizeof *x);
  if (!x) return GL_ENOMEM;
  double *ye = x + n, *xr = x + 2 * n;
  double slope, icept;
  /* log(lambda_max(B) - lambda_max(full)) against log(1/B - 1/N) (the
   * noise's variance in the paper's model, drawing without replacement
   * from N), over the sizes above the full value */
  int ne = 0;
  for (int i = 0; i < n; i++)
    if (lmax[i] > lambda_max_full) {
      x[ne] = log(1.0 / b[i] - 1.0 / n_full);
      ye[ne++] = log(lmax[i] - lambda_max_full);
    }
  out->n_excess = ne;
  if (line(x, ye, ne, &slope, &icept)) {
    out->excess = slope;
    out->excess_icept = icept;
  }
  /* log lambda_max(B) against log B */
  for (int i = 0; i < n; i++) {
    xr[i] = log(b[i]);
    ye[i] = log(lmax[i]);
  }
  if (line(xr, ye, n, &slope, &icept) && isfinite(slope)) {
    out->exponent = -slope;
    out->exponent_icept = icept;
  }
  if (!isfinite(out->excess)) out->excess = out->excess_icept = NAN;
  free(x);
  return GL_OK;
}
