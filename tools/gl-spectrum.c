/* gl-spectrum: the Hessian spectrum of a trained model's training loss, of
 * the full loss and of mini-batch losses at several batch sizes, and how
 * lambda_max falls with the batch size (Granziol et al., "Learning rates
 * as a function of batch size", JMLR 2022).  The sweep, the measurement
 * and the fits are gnn's gl_spectrum_measure; here the options, the
 * training and the outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/gl-spectrum-opts.h"

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
               d.n_train, d.n_val, d.n_test, NULL, NULL};

  /* the sweep's options, checked before the training */
  gl_spectrum_opts so = gl_spectrum_defaults();
  so.batch_sizes = o.sizes;
  so.n_batch_sizes = o.n_sizes;
  so.draws = o.draws;
  so.probes = o.probes;
  so.steps = o.steps;
  so.seed = o.seed;
  so.threads = o.threads;
  if (gl_spectrum_opts_check(&so, d.n_train) != GL_OK)
    gl_cli_die(GL_EXIT_USAGE, "--%s", gl_errmsg());

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

  /* the losses: draws batches per size (probes for the full loss), and
   * the fits */
  so.weight_decay = md.weight_decay;
  gl_spectrum sp;
  if ((st = gl_spectrum_measure(m, &t, &so, &sp)) != GL_OK)
    gl_cli_die_status(st, "measuring the spectrum");
  const gl_spectrum_level *lv = sp.levels;
  const int ns = sp.n_levels, ne = sp.fit.n_excess;
  const double lfull = sp.lambda_max_full, a_ex = sp.fit.excess,
               a_raw = sp.fit.exponent, c_raw = sp.fit.exponent_icept;

  printf("\n%10s %14s %10s %12s %12s %12s %10s\n", "batch", "lambda_max",
         "± std", "excess", "lambda_min", "trace", "2/lmax");
  for (int k = 0; k < ns; k++) {
    const gl_spectrum_level *l = &lv[k];
    char name[16];
    snprintf(name, sizeof name, k == ns - 1 ? "full %d" : "%d",
             l->batch_size);
    printf("%10s %14.6g %10.3g %12.4g %12.4g %12.4g %10.4g\n", name,
           l->lambda_max, l->lambda_max_std, l->lambda_max - lfull,
           l->lambda_min, l->trace, 2 / l->lambda_max);
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
  enum { G = 400 };
  double grid[G], *dens = malloc((size_t)ns * G * sizeof *dens);
  if (!dens) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  if ((st = gl_spectrum_density(&sp, o.sigma, G, grid, dens)) != GL_OK)
    gl_cli_die_status(st, "");

  if (o.csv) {
    gl_cli_out *f = gl_cli_out_open(o.csv);
    FILE *fp = gl_cli_out_file(f);
    fprintf(fp, "batch_size,full,lambda_max,lambda_max_std,lambda_min,trace,"
                "lr_2_over_lambda_max\n");
    for (int k = 0; k < ns; k++)
      fprintf(fp, "%d,%d,%.9g,%.9g,%.9g,%.9g,%.9g\n", lv[k].batch_size,
              k == ns - 1, lv[k].lambda_max, lv[k].lambda_max_std,
              lv[k].lambda_min, lv[k].trace, 2 / lv[k].lambda_max);
    gl_cli_out_commit(f);
  }
  char names[33][24];
  for (int k = 0; k < ns; k++)
    snprintf(names[k], sizeof names[k], k == ns - 1 ? "full (%d)" : "B = %d",
             lv[k].batch_size);
  if (o.density_csv) {
    gl_cli_out *f = gl_cli_out_open(o.density_csv);
    FILE *fp = gl_cli_out_file(f);
    fprintf(fp, "eigenvalue");
    for (int k = 0; k < ns; k++)
      fprintf(fp, k == ns - 1 ? ",full" : ",batch_%d", lv[k].batch_size);
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
      bx[k] = lv[k].batch_size;
      by[k] = lv[k].lambda_max;
    }
    hx[0] = lv[0].batch_size;
    hx[1] = d.n_train;
    hy[0] = hy[1] = lfull;
    fx[0] = lv[0].batch_size;
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
      gl_json_int(&j, "batch_size", lv[k].batch_size);
      gl_json_bool(&j, "full", k == ns - 1);
      gl_json_number(&j, "lambda_max", lv[k].lambda_max);
      gl_json_number(&j, "lambda_max_std", lv[k].lambda_max_std);
      gl_json_number(&j, "lambda_min", lv[k].lambda_min);
      gl_json_number(&j, "trace", lv[k].trace);
      gl_json_end_object(&j);
    }
    gl_json_end_array(&j);
    gl_json_end_object(&j);
    gl_json_finish(&j);
    gl_cli_out_commit(f);
  }
  gl_spectrum_free(&sp);
  free(dens);
  gl_model_free(m);
  gl_csr_free(&ahat);
  gl_dataset_free(&d);
  return 0;
}
