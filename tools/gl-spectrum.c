/* gl-spectrum: the Hessian spectrum of a trained model's training loss, of
 * the full loss and of mini-batch losses at several batch sizes, and how
 * lambda_max falls with the batch size (Granziol et al., "Learning rates
 * as a function of batch size", JMLR 2022).  Hessian-vector products by gnn's curvature operator,
 * spectra by optim's Lanczos and stochastic Lanczos quadrature. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/gl-spectrum-opts.h"

/* One measured loss: the full one (b = n_train) or a batch size. */
typedef struct {
  int b;
  double lmax, lmax_std, lmin, trace;
  gl_slq slq; /* Ritz values and weights: the density */
} level;

/* Lanczos on the curvature of the loss over nodes[0..n) into l's density
 * (weights scaled by 1/draws), returns max |theta| and, in *lmin, the
 * smallest Ritz value. */
static double measure(gl_model *m, const gl_task *t, const gl_idx *nodes,
                      gl_idx n, double wd, int steps, int draws, gl_rng *r,
                      double *v0, level *l, double *lmin) {
  gl_curvature *c;
  gl_status st = gl_curvature_new(&c, m, t, nodes, n, wd, false, 0);
  if (st != GL_OK) gl_cli_die_status(st, "curvature");
  const size_t dim = gl_curvature_dim(c);
  gl_rng_signs(r, v0, dim);
  double *th = l->slq.nodes + l->slq.n, *tau = l->slq.weights + l->slq.n;
  int got;
  if ((st = gl_lanczos(gl_curvature_matvec, c, dim, steps, v0, th, tau,
                       &got)) != GL_OK)
    gl_cli_die_status(st, "lanczos");
  gl_curvature_free(c);
  double top = 0, tr = 0;
  for (int i = 0; i < got; i++) {
    top = fmax(top, fabs(th[i]));
    tr += tau[i] * th[i];
    tau[i] /= draws;
  }
  l->trace += tr * (double)dim / draws;
  *lmin = th[0];
  l->slq.n += got;
  return top;
}

/* Least squares slope and intercept of y on x over the n points. */
static bool fit(const double *x, const double *y, int n, double *slope,
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

int main(int argc, char **argv) {
  gl_cli_init(argv[0]);
  options o;
  gl_status st = gl_spectrum_parse(argc, argv, &o);
  gl_cli_parsed(&gl_spectrum_tool, st, o.help, o.version);
  const char *const outs[][2] = {{"--csv", o.csv},
                                 {"--density-csv", o.density_csv},
                                 {"--plot", o.plot},
                                 {"--density-plot", o.density_plot},
                                 {"--json", o.json}};
  gl_cli_check_outputs(outs, 5);
  gl_set_threads(o.threads);
  const bool chatty = !o.quiet;

  gl_dataset d;
  gl_cli_load_classes(&d, o.dataset, o.data_dir, o.seed);
  if (o.split[0] > 0 &&
      (st = gl_split_random(&d, o.split[0], o.split[1], o.seed)) != GL_OK)
    gl_cli_die_status(st, "--split");
  if (d.n_train < 2)
    gl_cli_die(GL_EXIT_USAGE, "dataset '%s' has %d training nodes: too few "
               "for batches", o.dataset, (int)d.n_train);
  gl_csr ahat;
  if ((st = gl_csr_gcn_norm(&ahat, &d.adj, 1.0f)) != GL_OK)
    gl_cli_die_status(st, "normalising the graph");
  gl_task t = {&ahat, &d.x, d.y, d.n_classes, d.train, d.val, d.test,
               d.n_train, d.n_val, d.n_test};

  /* the batch sizes: given (each below the training set), or powers of 2 */
  int sizes[33], ns = 0;
  if (o.n_sizes) {
    for (int i = 0; i < o.n_sizes; i++) {
      if (o.sizes[i] >= d.n_train)
        gl_cli_die(GL_EXIT_USAGE, "--batch-sizes: %d is not below the %d "
                   "training nodes (the full loss is measured anyway)",
                   o.sizes[i], (int)d.n_train);
      sizes[ns++] = o.sizes[i];
    }
  } else {
    for (int b = 4; b < d.n_train && ns < 32; b *= 2) sizes[ns++] = b;
  }
  sizes[ns++] = (int)d.n_train; /* the full loss, last */

  /* train with the model's defaults */
  gl_model_defaults_t md;
  if ((st = gl_model_defaults(o.model, d.name, &md)) != GL_OK)
    gl_cli_die_status(st, "");
  md.cfg.n_features = d.x.m;
  md.cfg.n_classes = d.n_classes;
  md.cfg.seed = o.seed;
  gl_model *m;
  if ((st = gl_model_new(&m, &md.cfg)) != GL_OK) gl_cli_die_status(st, "");
  const int epochs = o.epochs >= 0 ? o.epochs : md.epochs;
  double test_acc = NAN;
  if (epochs > 0) {
    gl_optim_opts oo = gl_optim_defaults(GL_OPT_ADAM);
    oo.lr = md.lr;
    oo.weight_decay = md.weight_decay;
    gl_optim *opt;
    gl_sampler *s;
    if ((st = gl_optim_new(&opt, &oo)) != GL_OK ||
        (st = gl_sampler_full_new(&s, &ahat, m->cfg.layers, d.train,
                                  d.n_train, o.seed)) != GL_OK)
      gl_cli_die_status(st, "");
    gl_train_opts to = gl_train_defaults();
    to.epochs = epochs;
    to.stop = (gl_stop_rule)md.stop;
    to.window = md.window;
    to.patience = md.patience;
    to.select = (gl_select_rule)md.select;
    to.progress = chatty;
    gl_train_result res;
    if ((st = gl_train(m, &t, s, opt, &to, &res)) != GL_OK)
      gl_cli_die_status(st, "training");
    test_acc = res.test_acc;
    gl_sampler_free(s);
    gl_optim_free(opt);
  }
  const size_t dim = gl_params_count(m->params, m->n_params);
  if (chatty)
    printf("%s %s: %d training nodes, %zu parameters, trained %d epochs "
           "(test %.2f%%); Hessian at these weights\n",
           d.name, o.model, (int)d.n_train, dim, epochs, 100 * test_acc);

  /* the losses: draws batches per size (probes for the full loss) */
  level *lv = calloc((size_t)ns, sizeof *lv);
  double *v0 = malloc(dim * sizeof *v0);
  gl_idx *pool = malloc((size_t)d.n_train * sizeof *pool);
  double *lm = malloc((size_t)(o.draws > o.probes ? o.draws : o.probes) *
                      sizeof *lm);
  if (!lv || !v0 || !pool || !lm) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  gl_rng r;
  gl_rng_seed(&r, gl_hash64(o.seed, 0x5eed));
  for (int k = 0; k < ns; k++) {
    level *l = &lv[k];
    const bool full = k == ns - 1;
    const int draws = full ? o.probes : o.draws;
    l->b = sizes[k];
    l->slq.nodes = malloc((size_t)draws * o.steps * sizeof(double));
    l->slq.weights = malloc((size_t)draws * o.steps * sizeof(double));
    if (!l->slq.nodes || !l->slq.weights)
      gl_cli_die(GL_EXIT_FAIL, "out of memory");
    l->lmin = INFINITY;
    for (int q = 0; q < draws; q++) {
      memcpy(pool, d.train, (size_t)d.n_train * sizeof *pool);
      if (!full) /* a uniform subset */
        gl_rng_sample(&r, pool, (size_t)d.n_train, (size_t)l->b);
      double lo;
      lm[q] = measure(m, &t, pool, l->b, md.weight_decay, o.steps, draws, &r,
                      v0, l, &lo);
      l->lmin = fmin(l->lmin, lo);
    }
    gl_meanstd ms = gl_mean_std(lm, draws);
    l->lmax = full ? 0 : ms.mean;
    for (int q = 0; full && q < draws; q++) l->lmax = fmax(l->lmax, lm[q]);
    l->lmax_std = full ? 0 : ms.std;
  }
  const double lfull = lv[ns - 1].lmax;

  /* the fits: log(lambda_max(B) - lambda_max(full)) against
   * log(1/B - 1/N) (the noise's variance in the paper's model, drawing
   * without replacement from N), and log lambda_max(B) against log B */
  double xs[32], ye[32], yr[32], a_ex = NAN, c_ex = NAN, a_raw = NAN,
         c_raw = NAN;
  int ne = 0;
  for (int k = 0; k < ns - 1; k++) {
    yr[k] = log(lv[k].lmax);
    if (lv[k].lmax > lfull) {
      xs[ne] = log(1.0 / lv[k].b - 1.0 / (double)d.n_train);
      ye[ne++] = log(lv[k].lmax - lfull);
    }
  }
  if (!fit(xs, ye, ne, &a_ex, &c_ex)) a_ex = NAN;
  double xr[32];
  for (int k = 0; k < ns - 1; k++) xr[k] = log(lv[k].b);
  if (fit(xr, yr, ns - 1, &a_raw, &c_raw)) a_raw = -a_raw;

  printf("\n%10s %14s %10s %12s %12s %12s %10s\n", "batch", "lambda_max",
         "± std", "excess", "lambda_min", "trace", "2/lmax");
  for (int k = 0; k < ns; k++) {
    const level *l = &lv[k];
    char name[16];
    snprintf(name, sizeof name, k == ns - 1 ? "full %d" : "%d", l->b);
    printf("%10s %14.6g %10.3g %12.4g %12.4g %12.4g %10.4g\n", name, l->lmax,
           l->lmax_std, l->lmax - lfull, l->lmin, l->trace, 2 / l->lmax);
  }
  if (isfinite(a_ex))
    printf("\nlambda_max(B) - lambda_max(full) ~ (1/B - 1/N)^a: a = %.3f (%d "
           "sizes above the full value; the paper's noise term: 1)\n", a_ex,
           ne);
  else
    printf("\nlambda_max(B) - lambda_max(full) ~ (1/B - 1/N)^a: no fit (%d "
           "sizes above the full value, 2 needed)\n", ne);
  if (isfinite(a_raw))
    printf("lambda_max(B) ~ B^-a: a = %.3f (the rate 2/lambda_max ~ B^a)\n",
           a_raw);

  /* the densities on one grid */
  double lo = INFINITY, hi = -INFINITY;
  for (int k = 0; k < ns; k++)
    for (int i = 0; i < lv[k].slq.n; i++) {
      lo = fmin(lo, lv[k].slq.nodes[i]);
      hi = fmax(hi, lv[k].slq.nodes[i]);
    }
  const double span = hi > lo ? hi - lo : 1, sig = o.sigma * span;
  enum { G = 400 };
  double grid[G], *dens = malloc((size_t)ns * G * sizeof *dens);
  if (!dens) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  for (int g = 0; g < G; g++)
    grid[g] = lo - 0.05 * span + 1.1 * span * g / (G - 1);
  for (int k = 0; k < ns; k++)
    gl_slq_density(&lv[k].slq, sig, grid, G, dens + (size_t)k * G);

  if (o.csv) {
    gl_cli_out *f = gl_cli_out_open(o.csv);
    FILE *fp = gl_cli_out_file(f);
    fprintf(fp, "batch_size,full,lambda_max,lambda_max_std,lambda_min,trace,"
                "lr_2_over_lambda_max\n");
    for (int k = 0; k < ns; k++)
      fprintf(fp, "%d,%d,%.9g,%.9g,%.9g,%.9g,%.9g\n", lv[k].b, k == ns - 1,
              lv[k].lmax, lv[k].lmax_std, lv[k].lmin, lv[k].trace,
              2 / lv[k].lmax);
    gl_cli_out_commit(f);
  }
  char names[33][24];
  for (int k = 0; k < ns; k++)
    snprintf(names[k], sizeof names[k], k == ns - 1 ? "full (%d)" : "B = %d",
             lv[k].b);
  if (o.density_csv) {
    gl_cli_out *f = gl_cli_out_open(o.density_csv);
    FILE *fp = gl_cli_out_file(f);
    fprintf(fp, "eigenvalue");
    for (int k = 0; k < ns; k++)
      fprintf(fp, k == ns - 1 ? ",full" : ",batch_%d", lv[k].b);
    fprintf(fp, "\n");
    for (int g = 0; g < G; g++) {
      fprintf(fp, "%.9g", grid[g]);
      for (int k = 0; k < ns; k++)
        fprintf(fp, ",%.9g", dens[(size_t)k * G + g]);
      fprintf(fp, "\n");
    }
    gl_cli_out_commit(f);
  }
  char title[160];
  if (o.plot) {
    double bx[33], by[33], fx[2], fy[2], hx[2], hy[2];
    for (int k = 0; k < ns - 1; k++) {
      bx[k] = lv[k].b;
      by[k] = lv[k].lmax;
    }
    hx[0] = lv[0].b;
    hx[1] = d.n_train;
    hy[0] = hy[1] = lfull;
    fx[0] = lv[0].b;
    fx[1] = d.n_train;
    for (int i = 0; i < 2; i++) fy[i] = exp(c_raw - a_raw * log(fx[i]));
    char fitname[48];
    snprintf(fitname, sizeof fitname, "fit B^-%.2f", a_raw);
    gl_plot_series s[3] = {{"batch", bx, by, ns - 1, true},
                           {fitname, fx, fy, 2, false},
                           {"full loss", hx, hy, 2, false}};
    snprintf(title, sizeof title, "%s %s: lambda_max of the batch Hessian",
             d.name, o.model);
    gl_cli_out *f = gl_cli_out_open(o.plot);
    gl_cli_plot_svg(gl_cli_out_file(f), title, "batch size B", "lambda_max",
                    true, true, s, isfinite(a_raw) ? 3 : 1);
    gl_cli_out_commit(f);
  }
  if (o.density_plot) {
    gl_plot_series s[33];
    for (int k = 0; k < ns; k++)
      s[k] = (gl_plot_series){names[k], grid, dens + (size_t)k * G, G, false};
    snprintf(title, sizeof title, "%s %s: Hessian spectral density", d.name,
             o.model);
    gl_cli_out *f = gl_cli_out_open(o.density_plot);
    /* a floor a million times below the peak keeps the log axis readable */
    double peak = 0;
    for (size_t i = 0; i < (size_t)ns * G; i++) peak = fmax(peak, dens[i]);
    for (size_t i = 0; i < (size_t)ns * G; i++)
      if (dens[i] < 1e-6 * peak) dens[i] = NAN;
    gl_cli_plot_svg(gl_cli_out_file(f), title, "eigenvalue", "density", false,
                    true, s, ns);
    gl_cli_out_commit(f);
  }
  if (o.json) {
    gl_cli_out *f = gl_cli_out_open(o.json);
    gl_json j;
    gl_json_init(&j, gl_cli_out_file(f));
    gl_json_begin_object(&j, NULL);
    gl_json_string(&j, "dataset", d.name);
    gl_json_string(&j, "model", o.model);
    gl_json_int(&j, "seed", (long long)o.seed);
    gl_json_int(&j, "epochs", epochs);
    gl_json_int(&j, "parameters", (long long)dim);
    gl_json_int(&j, "n_train", d.n_train);
    gl_json_number(&j, "lambda_max_full", lfull);
    gl_json_number(&j, "exponent_excess", a_ex); /* no fit: null */
    gl_json_number(&j, "exponent", a_raw);
    gl_json_begin_array(&j, "levels");
    for (int k = 0; k < ns; k++) {
      gl_json_begin_object(&j, NULL);
      gl_json_int(&j, "batch_size", lv[k].b);
      gl_json_bool(&j, "full", k == ns - 1);
      gl_json_number(&j, "lambda_max", lv[k].lmax);
      gl_json_number(&j, "lambda_max_std", lv[k].lmax_std);
      gl_json_number(&j, "lambda_min", lv[k].lmin);
      gl_json_number(&j, "trace", lv[k].trace);
      gl_json_end_object(&j);
    }
    gl_json_end_array(&j);
    gl_json_end_object(&j);
    gl_json_finish(&j);
    gl_cli_out_commit(f);
  }
  for (int k = 0; k < ns; k++) gl_slq_free(&lv[k].slq);
  free(lv);
  free(v0);
  free(pool);
  free(lm);
  free(dens);
  gl_model_free(m);
  gl_csr_free(&ahat);
  gl_dataset_free(&d);
  return 0;
}
