/* Fixtures shared by the tests of layers and models: random sparse
 * matrices and vectors, and the central finite-difference gradient check. */
#include "tests/test.h"

void gl_test_random_csr(gl_csr *a, gl_idx n, gl_idx m, int per_row,
                        gl_rng *r) {
  gl_idx *ri = malloc(sizeof(gl_idx) * n * per_row);
  gl_idx *ci = malloc(sizeof(gl_idx) * n * per_row);
  float *v = malloc(sizeof(float) * n * per_row);
  gl_off k = 0;
  for (gl_idx i = 0; i < n; i++)
    for (int j = 0; j < per_row; j++) {
      ri[k] = i;
      ci[k] = (gl_idx)gl_rng_below(r, (uint32_t)m);
      v[k++] = 0.2f + gl_rng_uniformf(r);
    }
  gl_status st = gl_csr_from_coo(a, n, m, k, ri, ci, v);
  if (st != GL_OK)
    gl_test_fail(__FILE__, __LINE__, "gl_csr_from_coo: %s", gl_errmsg());
  free(ri);
  free(ci);
  free(v);
}

void gl_test_random_vec(float *x, size_t n, gl_rng *r) {
  gl_uniform_init(r, x, n, -1, 1);
}

double gl_test_proj(const float *out, const float *r, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)out[i] * r[i];
  return s;
}

bool gl_test_fd(const char *file, int line, const char *what, float *w,
                const float *g, size_t n, gl_test_scalar_fn f, void *ctx,
                double tol) {
  const float eps = 1e-3f;
  for (size_t i = 0; i < n; i++) {
    float keep = w[i];
    w[i] = keep + eps;
    double fp = f(ctx);
    w[i] = keep - eps;
    double fm = f(ctx);
    w[i] = keep;
    double num = (fp - fm) / (2.0 * eps);
    double err = fabs(num - g[i]) / fmax(1.0, fabs(num));
    if (err > tol) {
      gl_test_fail(file, line, "%s[%zu]: analytic %.6g, numeric %.6g", what,
                   i, (double)g[i], num);
      return false;
    }
  }
  return true;
}
