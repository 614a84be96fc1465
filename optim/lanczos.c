/* Lanczos with full reorthogonalisation, stochastic Lanczos quadrature and
 * Hessian-vector products by central differences of a gradient
 * (Lanczos 1950; Paige 1972; stochastic Lanczos quadrature: Ubaru, Chen
 * & Saad, SIAM J. Matrix Anal. Appl. 2017).  Everything in double
 * precision. */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim/optim.h"

/* Eigenvalues d (ascending on return) and the first components z of the
 * normalised eigenvectors of the symmetric tridiagonal matrix with
 * diagonal d[0..k) and off-diagonal e[0..k-1) (destroyed): the implicit QL
 * method with Wilkinson shifts, carrying only the first row of the
 * eigenvector matrix (Golub and Welsch). */
static gl_status tridiag_eig(double *d, double *e, int k, double *z) {
  for (int i = 0; i < k; i++) z[i] = i == 0;
  if (k > 0) e[k - 1] = 0;
  for (int l = 0; l < k; l++) {
    for (int iter = 0;; iter++) {
      int m = l;
      for (; m < k - 1; m++) {
        const double dd = fabs(d[m]) + fabs(d[m + 1]);
        if (fabs(e[m]) <= 1e-15 * dd) break;
      }
      if (m == l) break;
      if (iter == 60)
        return gl_error(GL_EINTERNAL, "lanczos: the tridiagonal eigen"
                        "solver did not converge");
      double g = (d[l + 1] - d[l]) / (2 * e[l]);
      double r = hypot(g, 1.0);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      double s = 1, c = 1, p = 0;
      int i = m - 1;
      for (; i >= l; i--) {
        double f = s * e[i], b = c * e[i];
        e[i + 1] = r = hypot(f, g);
        if (r == 0) {
          d[i + 1] -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        d[i + 1] = g + (p = s * r);
        g = c * r - b;
        f = z[i + 1]; /* rotate the first row */
        z[i + 1] = s * z[i] + c * f;
        z[i] = c * z[i] - s * f;
      }
      if (r == 0 && i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  for (int i = 1; i < k; i++) /* ascending, z along */
    for (int j = i; j > 0 && d[j - 1] > d[j]; j--) {
      double t = d[j];
      d[j] = d[j - 1];
      d[j - 1] = t;
      t = z[j];
      z[j] = z[j - 1];
      z[j - 1] = t;
    }
  return GL_OK;
}

static double dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* |w| by BLAS's dot (its dnrm2 rescales against overflow, several times
 * slower; a Hessian's Krylov vectors are far from overflow) */
static double norm(const double *w, size_t n) {
  return sqrt(cblas_ddot((int)n, w, 1, w, 1));
}

gl_status gl_lanczos(gl_matvec_fn mv, void *ctx, size_t n, int k,
                     const double *v0, double *theta, double *tau,
                     int *k_done) {
  *k_done = 0;
  if (n < 1 || k < 1)
    return gl_error(GL_EINVAL, "lanczos: %zu unknowns, %d steps", n, k);
  if (n > (size_t)INT_MAX)
    return gl_error(GL_EINVAL, "lanczos: %zu unknowns, more than BLAS "
                    "indexes", n);
  if ((size_t)k > n) k = (int)n;
  gl_blas_init();
  double nv = sqrt(dot(v0, v0, n));
  if (!(nv > 0) || !isfinite(nv))
    return gl_error(GL_EINVAL, "lanczos: the start vector has norm %g", nv);
  double *V = gl_malloc((size_t)k * n, sizeof *V);
  double *w = gl_malloc(n, sizeof *w);
  double *a = gl_malloc((size_t)k, sizeof *a),
         *b = gl_malloc((size_t)k, sizeof *b);
  double *h = gl_malloc((size_t)k, sizeof *h);
  gl_status st = GL_OK;
  if (!V || !w || !a || !b || !h) {
    st = GL_ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < n; i++) V[i] = v0[i] / nv;
  int j = 0;
  for (; j < k; j++) {
    const double *v = V + (size_t)j * n;
    if ((st = mv(ctx, v, w)) != GL_OK) goto out;
    a[j] = cblas_ddot((int)n, w, 1, v, 1);
    /* w -= a v + b v_prev (one pass, |w|^2 along), then against every
     * earlier vector (full reorthogonalisation: classical Gram-Schmidt,
     * h = V w, w -= V^T h), a second time when the first took away much of
     * w (Daniel, Gragg, Kaufman and Stewart's test: "twice is enough") */
    const double aj = a[j], bj = j > 0 ? b[j - 1] : 0.0;
    const double *vp = j > 0 ? V + (size_t)(j - 1) * n : v;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
      w[i] -= aj * v[i] + bj * vp[i];
      ss += w[i] * w[i];
    }
    double wn = sqrt(ss);
    for (int pass = 0; pass < 2; pass++) {
      const double before = wn;
      cblas_dgemv(CblasRowMajor, CblasNoTrans, j + 1, (int)n, 1.0, V, (int)n,
                  w, 1, 0.0, h, 1);
      cblas_dgemv(CblasRowMajor, CblasTrans, j + 1, (int)n, -1.0, V, (int)n,
                  h, 1, 1.0, w, 1);
      wn = norm(w, n);
      if (wn > 0.7071 * before) break;
    }
    if (!isfinite(a[j])) {
      st = gl_error(GL_EINVAL, "lanczos: the operator gave a non-finite "
                    "value at step %d", j);
      goto out;
    }
    b[j] = wn;
    if (j + 1 == k || b[j] <= 1e-12 * fabs(a[j]) + 1e-300) { /* invariant */
      j++;
      break;
    }
    double *next = V + (size_t)(j + 1) * n;
    const double inv = 1 / b[j];
    for (size_t i = 0; i < n; i++) next[i] = w[i] * inv;
  }
  memcpy(theta, a, (size_t)j * sizeof *a);
  if ((st = tridiag_eig(theta, b, j, tau)) != GL_OK) goto out;
  for (int i = 0; i < j; i++) tau[i] *= tau[i]; /* weights: squares */
  *k_done = j;
out:
  free(V);
  free(w);
  free(a);
  free(b);
  free(h);
  return st;
}

void gl_slq_free(gl_slq *s) {
  free(s->nodes);
  free(s->weights);
  memset(s, 0, sizeof *s);
}

gl_status gl_slq_run(gl_matvec_fn mv, void *ctx, size_t n, int probes,
                     int steps, uint64_t seed, gl_slq *out) {
  memset(out, 0, sizeof *out);
  if (probes < 1 || steps < 1)
    return gl_error(GL_EINVAL, "slq: %d probes of %d steps", probes, steps);
  const int k = (size_t)steps > n ? (int)n : steps;
  out->nodes = gl_malloc((size_t)probes * k, sizeof *out->nodes);
  out->weights = gl_malloc((size_t)probes * k, sizeof *out->weights);
  double *v = gl_malloc(n, sizeof *v);
  gl_status st = out->nodes && out->weights && v ? GL_OK : GL_ENOMEM;
  gl_rng r;
  gl_rng_seed(&r, seed);
  out->lambda_min = INFINITY;
  out->lambda_max = -INFINITY;
  for (int p = 0; p < probes && st == GL_OK; p++) {
    gl_rng_signs(&r, v, n);
    int got;
    double *th = out->nodes + out->n, *tw = out->weights + out->n;
    if ((st = gl_lanczos(mv, ctx, n, k, v, th, tw, &got)) != GL_OK) break;
    double tr = 0;
    for (int i = 0; i < got; i++) {
      tw[i] /= probes; /* the density is the mean over probes */
      tr += tw[i] * th[i];
    }
    out->trace += tr * (double)n; /* E[v^T A v] = tr A, |v|^2 = n */
    out->lambda_min = fmin(out->lambda_min, th[0]);
    out->lambda_max = fmax(out->lambda_max, th[got - 1]);
    out->n += got;
  }
  free(v);
  if (st != GL_OK) gl_slq_free(out);
  return st;
}

void gl_slq_density(const gl_slq *s, double sigma, const double *grid,
                    int m, double *out) {
  const double c = 1 / (sigma * sqrt(2 * M_PI));
  for (int g = 0; g < m; g++) {
    double f = 0;
    for (int i = 0; i < s->n; i++) {
      const double z = (grid[g] - s->nodes[i]) / sigma;
      f += s->weights[i] * exp(-0.5 * z * z);
    }
    out[g] = c * f;
  }
}

gl_status gl_hvp_fd(const gl_hvp *h, const double *v, double *hv) {
  const size_t n = h->n;
  double nv = sqrt(dot(v, v, n));
  if (nv == 0) {
    memset(hv, 0, n * sizeof *hv);
    return GL_OK;
  }
  /* a step of eps in the direction of v, whatever its norm */
  const double eps = (h->eps > 0 ? h->eps : 1e-3) / nv;
  double loss;
  for (size_t i = 0; i < n; i++) h->wp[i] = (float)(h->w[i] + eps * v[i]);
  GL_TRY(h->grad(h->ctx, h->wp, h->gp, &loss));
  for (size_t i = 0; i < n; i++) h->wp[i] = (float)(h->w[i] - eps * v[i]);
  GL_TRY(h->grad(h->ctx, h->wp, h->gm, &loss));
  for (size_t i = 0; i < n; i++)
    hv[i] = ((double)h->gp[i] - (double)h->gm[i]) / (2 * eps);
  return GL_OK;
}

gl_status gl_hvp_matvec(void *ctx, const double *x, double *y) {
  return gl_hvp_fd((const gl_hvp *)ctx, x, y);
}

/* ------------------------------------------------- the spectral learner */
static int by_abs(const void *a, const void *b) {
  double x = fabs(*(const double *)a), y = fabs(*(const double *)b);
  return (x > y) - (x < y);
}

gl_status gl_spectral_rates(gl_spectral_kind kind, gl_spectral_mu mu_rule,
                            const double *theta, const double *tau, int n,
                            double *lr, double *momentum) {
  if (n < 1) return gl_error(GL_EINVAL, "spectral rates: no Ritz values");
  double *a = gl_malloc((size_t)n, sizeof *a),
         *w = gl_malloc((size_t)n, sizeof *w);
  if (!a || !w) {
    free(a);
    free(w);
    return GL_ENOMEM;
  }
  memcpy(a, theta, (size_t)n * sizeof *a);
  qsort(a, (size_t)n, sizeof *a, by_abs);
  const double top = fabs(a[n - 1]);
  const double med = n % 2 ? fabs(a[n / 2])
                           : 0.5 * (fabs(a[n / 2 - 1]) + fabs(a[n / 2]));
  gl_status st = GL_OK;
  if (!(top > 0) || !isfinite(top)) {
    st = gl_error(GL_EINVAL, "spectral rates: the largest Ritz value is %g",
                  top);
  } else if (kind != GL_SPECTRAL_MOMENTUM) { /* 2 / (lambda_max + median) */
    *lr = 2 / (top + med);
    *momentum = 0;
  } else {
    /* a robust lambda_min: drop the Ritz value of largest weight while it
     * holds more than half the mass (the bulk near 0), then the smallest
     * |theta| left; Polyak's heavy ball for that condition number */
    memcpy(a, theta, (size_t)n * sizeof *a);
    memcpy(w, tau, (size_t)n * sizeof *w);
    int m = n;
    for (;;) {
      double sum = 0;
      int big = 0;
      for (int i = 0; i < m; i++) {
        sum += w[i];
        if (w[i] > w[big]) big = i;
      }
      if (m == 1 || !(w[big] > 0.5 * sum)) break;
      a[big] = a[m - 1];
      w[big] = w[--m];
    }
    double mu = INFINITY;
    for (int i = 0; i < m; i++) mu = fmin(mu, fabs(a[i]));
    if (mu_rule == GL_SPECTRAL_MU_MEDIAN) mu = med;
    mu = fmax(fmin(mu, top), 1e-6 * top); /* a positive floor */
    const double s = sqrt(top), r = sqrt(mu);
    *lr = (2 / (s + r)) * (2 / (s + r));
    *momentum = ((s - r) / (s + r)) * ((s - r) / (s + r));
  }
  free(a);
  free(w);
  return st;
}
