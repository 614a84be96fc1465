/* The Hessian spectrum against the batch size (gnn's gl_spectrum_measure,
 * optim's gl_batch_fit_lmax): fits of synthetic power laws whose exponents
 * are known, a sweep on a model small enough that every batch's Hessian
 * is written out and diagonalised here, and every bad option. */
#include <pthread.h>

#include "tests/test.h"

/* ------------------------------------------------------------- the fits */
TEST(spectrum_fit_power_laws) {
  /* lambda_max(B) = 0.05 + 0.3 (1/B - 1/N)^0.8 exactly: the excess line
   * has slope 0.8 and intercept log 0.3 through all six sizes */
  enum { N = 1000 };
  const double b[6] = {4, 8, 16, 32, 64, 128};
  double l[6];
  for (int i = 0; i < 6; i++)
    l[i] = 0.05 + 0.3 * pow(1.0 / b[i] - 1.0 / N, 0.8);
  gl_batch_fit f;
  CHECK_OK(gl_batch_fit_lmax(b, l, 6, N, 0.05, &f));
  CHECK_EQ(f.n_excess, 6);
  CHECK_NEAR(f.excess, 0.8, 1e-12);
  CHECK_NEAR(f.excess_icept, log(0.3), 1e-12);
  CHECK(f.exponent > 0 && f.exponent < 0.8); /* flattened by the floor */
  /* lambda_max(B) = 2 B^-0.5: the power line; every size below a full
   * value of 10, so no excess line */
  for (int i = 0; i < 6; i++) l[i] = 2 / sqrt(b[i]);
  CHECK_OK(gl_batch_fit_lmax(b, l, 6, N, 10, &f));
  CHECK_NEAR(f.exponent, 0.5, 1e-12);
  CHECK_NEAR(f.exponent_icept, log(2), 1e-12);
  CHECK_EQ(f.n_excess, 0);
  CHECK(isnan(f.excess) && isnan(f.excess_icept));
  /* by hand: lambda_max 4 at B = 2 and 1 at B = 8 is 8 / B; with a full
   * value of 0.5 at N = 10 the excess line goes through
   * (log(1/2 - 1/10), log 3.5) and (log(1/8 - 1/10), log 0.5) */
  const double b2[2] = {2, 8}, l2[2] = {4, 1};
  CHECK_OK(gl_batch_fit_lmax(b2, l2, 2, 10, 0.5, &f));
  CHECK_NEAR(f.exponent, 1, 1e-14);
  CHECK_NEAR(f.exponent_icept, log(8), 1e-14);
  CHECK_EQ(f.n_excess, 2);
  const double slope = (log(0.5) - log(3.5)) / (log(0.025) - log(0.4));
  CHECK_NEAR(f.excess, slope, 1e-14);
  CHECK_NEAR(f.excess_icept, log(3.5) - slope * log(0.4), 1e-14);
  /* only the sizes above the full value count (equal is not above) */
  const double b3[3] = {2, 4, 8}, l3[3] = {4, 2, 0.5};
  CHECK_OK(gl_batch_fit_lmax(b3, l3, 3, 10, 0.5, &f));
  CHECK_EQ(f.n_excess, 2);
  const double s3 = (log(1.5) - log(3.5)) / (log(0.15) - log(0.4));
  CHECK_NEAR(f.excess, s3, 1e-14);
  /* one of them is no line */
  CHECK_OK(gl_batch_fit_lmax(b2, l2, 2, 10, 2, &f));
  CHECK_EQ(f.n_excess, 1);
  CHECK(isnan(f.excess));
  CHECK_NEAR(f.exponent, 1, 1e-14);
}

TEST(spectrum_fit_degenerate_and_bad) {
  gl_batch_fit f;
  const double b[3] = {8, 8, 8}, l[3] = {3, 2, 1};
  /* one abscissa: no line; no sizes at all: nothing, and fine */
  CHECK_OK(gl_batch_fit_lmax(b, l, 3, 100, 0.5, &f));
  CHECK(isnan(f.excess) && isnan(f.exponent) && isnan(f.exponent_icept));
  CHECK_EQ(f.n_excess, 3);
  CHECK_OK(gl_batch_fit_lmax(NULL, NULL, 0, 100, 0.5, &f));
  CHECK(isnan(f.excess) && isnan(f.exponent) && f.n_excess == 0);
  /* a lambda_max that is not positive has no logarithm */
  const double b2[2] = {4, 16}, l2[2] = {1, 0};
  CHECK_OK(gl_batch_fit_lmax(b2, l2, 2, 100, 0.5, &f));
  CHECK(isnan(f.exponent) && isnan(f.exponent_icept) && isnan(f.excess));
  CHECK_EQ(f.n_excess, 1);
  CHECK_ERR(gl_batch_fit_lmax(b2, l2, -1, 100, 0, &f), GL_EINVAL,
            "-1 sizes");
  CHECK_ERR(gl_batch_fit_lmax(NULL, l2, 2, 100, 0, &f), GL_EINVAL,
            "no values");
  CHECK_ERR(gl_batch_fit_lmax(b2, l2, 2, 16, 0, &f), GL_EINVAL,
            "batch size 16 is not in [1, 16)");
  const double b3[2] = {0.5, 4};
  CHECK_ERR(gl_batch_fit_lmax(b3, l2, 2, 16, 0, &f), GL_EINVAL,
            "batch size 0.5");
}

/* ------------------------------------------------ the sweep, explicitly */
/* Eigenvalues of the symmetric n x n matrix a (destroyed) by cyclic
 * Jacobi rotations, into e (any order). */
static void jacobi_eig(double *a, int n, double *e) {
  for (int sweep = 0; sweep < 100; sweep++) {
    double off = 0, all = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        all += a[i * n + j] * a[i * n + j];
        if (i != j) off += a[i * n + j] * a[i * n + j];
      }
    if (off <= 1e-30 * all) break;
    for (int p = 0; p < n; p++)
      for (int q = p + 1; q < n; q++) {
        const double apq = a[p * n + q];
        if (apq == 0) continue;
        const double th = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
        const double c = 1 / sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; k++) { /* columns p, q */
          const double x = a[k * n + p], y = a[k * n + q];
          a[k * n + p] = c * x - s * y;
          a[k * n + q] = s * x + c * y;
        }
        for (int k = 0; k < n; k++) { /* rows p, q */
          const double x = a[p * n + k], y = a[q * n + k];
          a[p * n + k] = c * x - s * y;
          a[q * n + k] = s * x + c * y;
        }
      }
  }
  for (int i = 0; i < n; i++) e[i] = a[i * n + i];
}

/* The Hessian of the loss over nodes[0..k) written out column by column
 * from the curvature operator: its largest |eigenvalue|, its smallest
 * eigenvalue and its trace. */
typedef struct {
  double top, min, trace, offdiag2; /* offdiag2: sum of squares off the
                                       diagonal (Hutchinson's variance / 2) */
} explicit_spec;

enum { DIM_MAX = 32 };

static explicit_spec explicit_hessian(gl_model *m, const gl_task *t,
                                      const gl_idx *nodes, gl_idx k,
                                      double wd) {
  explicit_spec r = {0, INFINITY, 0, 0};
  gl_curvature *c;
  CHECK_OK(gl_curvature_new(&c, m, t, nodes, k, wd, false, 0));
  if (!c) return r;
  const int n = (int)gl_curvature_dim(c);
  double h[DIM_MAX * DIM_MAX], e[DIM_MAX], col[DIM_MAX], ev[DIM_MAX];
  for (int j = 0; j < n; j++) {
    memset(e, 0, sizeof e);
    e[j] = 1;
    CHECK_OK(gl_curvature_matvec(c, e, col));
    for (int i = 0; i < n; i++) h[i * n + j] = col[i];
  }
  gl_curvature_free(c);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++) {
      CHECK_NEAR(h[i * n + j], h[j * n + i], 1e-6);
      h[i * n + j] = h[j * n + i] = 0.5 * (h[i * n + j] + h[j * n + i]);
      r.offdiag2 += 2 * h[i * n + j] * h[i * n + j];
    }
  for (int i = 0; i < n; i++) r.trace += h[i * n + i];
  jacobi_eig(h, n, ev);
  for (int i = 0; i < n; i++) {
    r.top = fmax(r.top, fabs(ev[i]));
    r.min = fmin(r.min, ev[i]);
  }
  return r;
}

/* A two-layer GCN of 21 weights (4 features, 3 hidden, 3 classes, no
 * dropout: the Hessian is indefinite) on a small CSBM whose first 5 nodes
 * train. */
static gl_model *small_gcn(gl_test_graph *g, gl_idx n_train) {
  gl_csbm_opts o = {.n = 60, .k = 3, .d = 4, .deg = 4, .p_in = 0.8,
                    .mu = 1, .sigma = 1, .seed = 9};
  gl_test_csbm(g, &o, n_train, 10);
  gl_model_cfg cfg = {.model = "gcn", .n_features = 4, .n_classes = 3,
                      .hidden = 3, .layers = 2, .decay_all = true,
                      .seed = 5};
  gl_model *m = NULL;
  CHECK_OK(gl_model_new(&m, &cfg));
  return m;
}

/* The (i <= j) pair of subsets whose two draws make level l: the mean and
 * sample std of their largest |eigenvalue| and the smaller of their
 * smallest; false if no pair does. */
static bool level_from_pair(const gl_spectrum_level *l,
                            const explicit_spec *s, int n) {
  for (int i = 0; i < n; i++)
    for (int j = i; j < n; j++) {
      const double mean = 0.5 * (s[i].top + s[j].top);
      const double sd = fabs(s[i].top - s[j].top) / sqrt(2.0);
      const double tol = 1e-6 * mean;
      if (fabs(l->lambda_max - mean) <= tol &&
          fabs(l->lambda_max_std - sd) <= tol &&
          fabs(l->lambda_min - fmin(s[i].min, s[j].min)) <= tol)
        return true;
    }
  return false;
}

TEST(spectrum_measure_against_explicit_hessians) {
  /* Batch sizes 2 and 3 of 5 training nodes, two draws each, two probes
   * of the full loss, as many Lanczos steps as weights (exact extreme
   * eigenvalues): each size's lambda_max, its std and lambda_min are those
   * of two of its 10 subsets, whose Hessians are written out and
   * diagonalised here; the full loss's are its Hessian's. */
  gl_test_graph g;
  gl_model *m = small_gcn(&g, 5);
  if (!m) return;
  /* one thread: the products are tiny (a team to wake for each) */
  const int threads = gl_threads_enter(1);
  const gl_task *t = &g.task;
  const double wd = 5e-3;
  const size_t dim = gl_params_count(m->params, m->n_params);
  CHECK_EQ(dim, 4 * 3 + 3 * 3);
  explicit_spec two[10], three[10];
  int n2 = 0, n3 = 0;
  for (int mask = 0; mask < 32; mask++) {
    gl_idx s[5], k = 0;
    for (int i = 0; i < 5; i++)
      if (mask >> i & 1) s[k++] = t->train[i];
    if (k == 2) two[n2++] = explicit_hessian(m, t, s, k, wd);
    if (k == 3) three[n3++] = explicit_hessian(m, t, s, k, wd);
  }
  const explicit_spec full = explicit_hessian(m, t, t->train, 5, wd);
  CHECK_MSG(full.min < 0, "the full Hessian is definite (%g): the test "
            "sees less", full.min);

  float w0[DIM_MAX], w1[DIM_MAX];
  gl_params_flat(m, w0, false);
  const int sizes[2] = {2, 3};
  gl_spectrum_opts o = gl_spectrum_defaults();
  o.batch_sizes = sizes;
  o.n_batch_sizes = 2;
  o.draws = 2;
  o.probes = 2;
  o.steps = (int)dim;
  o.weight_decay = wd;
  o.seed = 4;
  gl_spectrum s;
  CHECK_OK(gl_spectrum_measure(m, t, &o, &s));
  if (s.n_levels != 3) {
    CHECK_EQ(s.n_levels, 3);
    gl_threads_leave(threads);
    gl_spectrum_free(&s);
    gl_model_free(m);
    gl_test_graph_free(&g);
    return;
  }
  gl_params_flat(m, w1, false);
  CHECK(memcmp(w0, w1, dim * sizeof *w0) == 0); /* the weights as they were */
  CHECK_EQ(s.dim, dim);
  CHECK_EQ(s.n_train, 5);
  CHECK(s.levels[0].batch_size == 2 && !s.levels[0].full);
  CHECK(s.levels[1].batch_size == 3 && !s.levels[1].full);
  CHECK(s.levels[2].batch_size == 5 && s.levels[2].full);
  CHECK_MSG(level_from_pair(&s.levels[0], two, n2),
            "B = 2: lambda_max %.9g (std %.9g), lambda_min %.9g is no pair "
            "of subsets", s.levels[0].lambda_max, s.levels[0].lambda_max_std,
            s.levels[0].lambda_min);
  CHECK_MSG(level_from_pair(&s.levels[1], three, n3),
            "B = 3: lambda_max %.9g (std %.9g), lambda_min %.9g is no pair "
            "of subsets", s.levels[1].lambda_max, s.levels[1].lambda_max_std,
            s.levels[1].lambda_min);
  const gl_spectrum_level *f = &s.levels[2];
  CHECK_NEAR(f->lambda_max, full.top, 1e-6 * full.top);
  CHECK_NEAR(f->lambda_min, full.min, 1e-6 * full.top);
  CHECK_EQ(f->lambda_max_std, 0);
  CHECK_NEAR(s.lambda_max_full, f->lambda_max, 0);
  /* Hutchinson's trace of two Rademacher probes: within 4 of its standard
   * errors, sqrt(2 sum_{i != j} H_ij^2 / probes) */
  const double se = sqrt(full.offdiag2 / 2);
  CHECK_MSG(fabs(f->trace - full.trace) <= 4 * se + 1e-9,
            "trace %g, exact %g (se %g)", f->trace, full.trace, se);
  for (int k = 0; k < 3; k++) {
    /* each density a distribution whose mean is the trace over dim (the
     * draws' quadratures v^T H v / |v|^2, |v|^2 = dim) */
    const gl_slq *q = &s.levels[k].slq;
    double sum = 0, mean = 0;
    for (int i = 0; i < q->n; i++) {
      sum += q->weights[i];
      mean += q->weights[i] * q->nodes[i];
    }
    CHECK_NEAR(sum, 1, 1e-12);
    CHECK_NEAR(s.levels[k].trace, mean * (double)dim,
               1e-12 * fabs(s.levels[k].trace));
    CHECK(q->n >= 2 && q->n <= 2 * (int)dim);
    CHECK_NEAR(q->lambda_min, s.levels[k].lambda_min, 0);
    CHECK_NEAR(q->trace, s.levels[k].trace, 0);
  }
  /* the fit is gl_batch_fit_lmax's of the sizes' lambda_max */
  gl_batch_fit bf;
  const double bb[2] = {2, 3},
               lb[2] = {s.levels[0].lambda_max, s.levels[1].lambda_max};
  CHECK_OK(gl_batch_fit_lmax(bb, lb, 2, 5, s.lambda_max_full, &bf));
  const double fa[4] = {bf.excess, bf.excess_icept, bf.exponent,
                        bf.exponent_icept},
               fb[4] = {s.fit.excess, s.fit.excess_icept, s.fit.exponent,
                        s.fit.exponent_icept};
  for (int i = 0; i < 4; i++)
    CHECK(fa[i] == fb[i] || (isnan(fa[i]) && isnan(fb[i])));
  CHECK_EQ(bf.n_excess, s.fit.n_excess);
  /* a seed reproduces it, bit for bit; another draws other batches */
  gl_spectrum s2;
  CHECK_OK(gl_spectrum_measure(m, t, &o, &s2));
  for (int k = 0; k < 3 && s2.n_levels == 3; k++)
    CHECK(s2.levels[k].lambda_max == s.levels[k].lambda_max &&
          s2.levels[k].trace == s.levels[k].trace &&
          s2.levels[k].slq.n == s.levels[k].slq.n);
  gl_spectrum_free(&s2);
  o.seed = 5;
  CHECK_OK(gl_spectrum_measure(m, t, &o, &s2));
  CHECK(s2.n_levels == 3 && (s2.levels[0].lambda_max != s.levels[0].lambda_max ||
                             s2.levels[1].lambda_max != s.levels[1].lambda_max));
  gl_spectrum_free(&s2);

  /* the densities: one grid over every level's Ritz values, 5% beyond
   * each end, each density of area 1 */
  enum { P = 400 };
  double grid[P], dens[3 * P], lo = INFINITY, hi = -INFINITY;
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < s.levels[k].slq.n; i++) {
      lo = fmin(lo, s.levels[k].slq.nodes[i]);
      hi = fmax(hi, s.levels[k].slq.nodes[i]);
    }
  CHECK_OK(gl_spectrum_density(&s, 0.01, P, grid, dens));
  CHECK_NEAR(grid[0], lo - 0.05 * (hi - lo), 1e-12 * (hi - lo));
  CHECK_NEAR(grid[P - 1], hi + 0.05 * (hi - lo), 1e-12 * (hi - lo));
  for (int k = 0; k < 3; k++) {
    double area = 0;
    for (int i = 1; i < P; i++)
      area += 0.5 * (dens[k * P + i] + dens[k * P + i - 1]) *
              (grid[i] - grid[i - 1]);
    CHECK_NEAR(area, 1, 1e-4);
  }
  /* the full loss's density at a few points: its Gaussians of width 1% of
   * the span, summed here */
  const gl_slq *q = &s.levels[2].slq;
  const double sig = 0.01 * (hi - lo);
  for (int i = 0; i < P; i += 57) {
    double want = 0;
    for (int j = 0; j < q->n; j++) {
      const double z = (grid[i] - q->nodes[j]) / sig;
      want += q->weights[j] * exp(-0.5 * z * z) / (sig * sqrt(2 * M_PI));
    }
    CHECK_NEAR(dens[2 * P + i], want, 1e-9 * (1 + want));
  }
  CHECK_ERR(gl_spectrum_density(&s, 0, P, grid, dens), GL_EINVAL, "sigma");
  CHECK_ERR(gl_spectrum_density(&s, NAN, P, grid, dens), GL_EINVAL, "sigma");
  CHECK_ERR(gl_spectrum_density(&s, 0.01, 1, grid, dens), GL_EINVAL,
            "1 points");
  gl_spectrum_free(&s);
  CHECK(s.levels == NULL && s.n_levels == 0);
  gl_spectrum_free(&s); /* twice is harmless */
  gl_threads_leave(threads);
  gl_model_free(m);
  gl_test_graph_free(&g);
}

TEST(spectrum_default_sizes) {
  /* no sizes given: 4, 8, 16, ... below the training set, then the full
   * loss; 5 training nodes have only 4 */
  gl_test_graph g;
  gl_model *m = small_gcn(&g, 40);
  if (!m) return;
  gl_spectrum_opts o = gl_spectrum_defaults();
  CHECK(o.draws == 10 && o.probes == 5 && o.steps == 30 && o.seed == 1 &&
        o.weight_decay == 0 && o.threads == 0 && !o.batch_sizes &&
        o.n_batch_sizes == 0);
  o.draws = o.probes = 1;
  o.steps = 4;
  o.threads = 1;
  gl_spectrum s;
  CHECK_OK(gl_spectrum_measure(m, &g.task, &o, &s));
  const int want[5] = {4, 8, 16, 32, 40};
  CHECK_EQ(s.n_levels, 5);
  for (int k = 0; k < s.n_levels && k < 5; k++) {
    CHECK_EQ(s.levels[k].batch_size, want[k]);
    CHECK_EQ(s.levels[k].full, k == 4);
  }
  gl_spectrum_free(&s);
  g.task.n_train = 5;
  CHECK_OK(gl_spectrum_measure(m, &g.task, &o, &s));
  CHECK(s.n_levels == 2 && s.levels[0].batch_size == 4 &&
        s.levels[1].batch_size == 5 && s.levels[1].full);
  gl_spectrum_free(&s);
  g.task.n_train = 16; /* a power of 2: not a batch size of its own */
  CHECK_OK(gl_spectrum_measure(m, &g.task, &o, &s));
  CHECK(s.n_levels == 3 && s.levels[1].batch_size == 8 &&
        s.levels[2].batch_size == 16 && s.levels[2].full);
  gl_spectrum_free(&s);
  g.task.n_train = 3; /* none below: the full loss alone */
  CHECK_OK(gl_spectrum_measure(m, &g.task, &o, &s));
  CHECK(s.n_levels == 1 && s.levels[0].full && isnan(s.fit.exponent) &&
        isnan(s.fit.excess));
  gl_spectrum_free(&s);
  gl_model_free(m);
  gl_test_graph_free(&g);
}

TEST(spectrum_bad_options) {
  /* every bad option a status with a message, *out zeroed; the check
   * alone says the same before any training */
  gl_test_graph g;
  gl_model *m = small_gcn(&g, 5);
  if (!m) return;
  gl_task t = g.task;
  gl_spectrum s;
  gl_spectrum_opts o = gl_spectrum_defaults();
  const int five[1] = {5}, zero[2] = {2, 0};
  o.batch_sizes = five;
  o.n_batch_sizes = 1;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL,
            "batch-sizes: 5 is not below the 5 training nodes");
  CHECK(s.levels == NULL && s.n_levels == 0);
  CHECK_ERR(gl_spectrum_opts_check(&o, 5), GL_EINVAL, "5 is not below");
  CHECK_OK(gl_spectrum_opts_check(&o, 6));
  o.batch_sizes = zero;
  o.n_batch_sizes = 2;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL,
            "batch-sizes: 0 is below 1");
  o.batch_sizes = NULL;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL, "no array");
  o.n_batch_sizes = -1;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL, "-1 sizes");
  o = gl_spectrum_defaults();
  o.draws = 0;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL,
            "draws, probes and steps must be >= 1, got 0, 5 and 30");
  o = gl_spectrum_defaults();
  o.probes = -2;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL, "got 10, -2");
  o = gl_spectrum_defaults();
  o.steps = 0;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL, "and 0");
  o = gl_spectrum_defaults();
  o.weight_decay = -1;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL, "weight_decay");
  o.weight_decay = INFINITY;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL, "weight_decay");
  o = gl_spectrum_defaults();
  t.n_train = 1;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL,
            "1 training nodes, too few");
  /* a training node outside the graph: the curvature's message */
  gl_idx bad[3] = {0, 1, 9999};
  t.train = bad;
  t.n_train = 3;
  o.draws = o.probes = 1;
  o.steps = 3;
  CHECK_ERR(gl_spectrum_measure(m, &t, &o, &s), GL_EINVAL, "node 9999");
  CHECK(s.levels == NULL && s.n_levels == 0);
  gl_model_free(m);
  gl_test_graph_free(&g);
}

TEST(spectrum_out_of_memory) {
  /* each allocation in turn fails: GL_ENOMEM, nothing left allocated (the
   * sanitizers' leak check), the weights as they were; then it runs */
  gl_test_graph g;
  gl_model *m = small_gcn(&g, 5);
  if (!m) return;
  const int sizes[1] = {2};
  gl_spectrum_opts o = gl_spectrum_defaults();
  o.batch_sizes = sizes;
  o.n_batch_sizes = 1;
  o.draws = 2;
  o.probes = 1;
  o.steps = 4;
  o.threads = 1; /* the products are tiny; no team to wake each time */
  float w0[DIM_MAX], w1[DIM_MAX];
  const size_t dim = gl_params_count(m->params, m->n_params);
  gl_params_flat(m, w0, false);
  gl_spectrum s;
  gl_status st = GL_ENOMEM;
  int n = 1;
  for (; n < 2000 && st == GL_ENOMEM; n++) {
    gl_alloc_fail_after(n);
    st = gl_spectrum_measure(m, &g.task, &o, &s);
    gl_alloc_fail_after(0);
    if (st == GL_ENOMEM) CHECK(s.levels == NULL && s.n_levels == 0);
    gl_params_flat(m, w1, false);
    CHECK(memcmp(w0, w1, dim * sizeof *w0) == 0);
  }
  CHECK_MSG(st == GL_OK && n > 10, "status %d after %d failed allocations",
            (int)st, n - 1);
  printf("  %d allocations failed in turn\n", n - 2);
  if (st == GL_OK) gl_spectrum_free(&s);
  gl_model_free(m);
  gl_test_graph_free(&g);
}

/* One measurement in a thread of its own (the checks on the main
 * thread). */
typedef struct {
  gl_model *m;
  const gl_task *t;
  gl_spectrum_opts o;
  gl_spectrum s;
  gl_status st;
} spec_job;

static void *spec_run(void *arg) {
  spec_job *j = arg;
  j->st = gl_spectrum_measure(j->m, j->t, &j->o, &j->s);
  return NULL;
}

static bool same_spectrum(const gl_spectrum *a, const gl_spectrum *b) {
  if (a->n_levels != b->n_levels || a->n_levels < 1) return false;
  for (int k = 0; k < a->n_levels; k++) {
    const gl_spectrum_level *x = &a->levels[k], *y = &b->levels[k];
    if (x->lambda_max != y->lambda_max || x->trace != y->trace ||
        x->slq.n != y->slq.n ||
        memcmp(x->slq.nodes, y->slq.nodes, x->slq.n * sizeof(double)))
      return false;
  }
  return true;
}

TEST(spectrum_reentrant) {
  /* two models measured in two threads at once (one at 1 thread, one at
   * 2) give what each gives alone; the calling thread's count is its
   * own again after a call with its own */
  gl_test_graph g1, g2;
  gl_model *m1 = small_gcn(&g1, 20), *m2 = small_gcn(&g2, 20);
  if (!m1 || !m2) {
    gl_model_free(m1);
    gl_model_free(m2);
    return;
  }
  spec_job a = {m1, &g1.task, gl_spectrum_defaults(), {0}, GL_OK};
  a.o.draws = 3;
  a.o.steps = 10;
  a.o.threads = 1;
  spec_job b = a;
  b.m = m2;
  b.t = &g2.task;
  b.o.seed = 2;
  b.o.threads = 2;
  spec_job a2 = a, b2 = b;
  spec_run(&a);
  spec_run(&b);
  pthread_t ta, tb;
  pthread_create(&ta, NULL, spec_run, &a2);
  pthread_create(&tb, NULL, spec_run, &b2);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  CHECK(a.st == GL_OK && b.st == GL_OK && a2.st == GL_OK && b2.st == GL_OK);
  CHECK_MSG(same_spectrum(&a.s, &a2.s) && same_spectrum(&b.s, &b2.s),
            "measurements in two threads differ from the same alone");
  const int mine = gl_threads();
  a.o.threads = mine + 1;
  gl_spectrum s;
  CHECK_OK(gl_spectrum_measure(m1, &g1.task, &a.o, &s));
  CHECK_EQ(gl_threads(), mine);
  gl_spectrum_free(&s);
  gl_spectrum_free(&a.s);
  gl_spectrum_free(&b.s);
  gl_spectrum_free(&a2.s);
  gl_spectrum_free(&b2.s);
  gl_model_free(m1);
  gl_model_free(m2);
  gl_test_graph_free(&g1);
  gl_test_graph_free(&g2);
}
