/* Fixtures shared by the tests of layers and models: random sparse
 * matrices and vectors, and the central finite-difference gradient check. */
#include <stdarg.h>

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

void gl_test_csbm(gl_test_graph *g, const gl_csbm_opts *o, gl_idx n_train,
                  gl_idx n_val) {
  memset(g, 0, sizeof *g);
  const gl_idx n = o->n;
  const int d = o->d;
  float *xd = malloc(sizeof(float) * n * d);
  gl_idx *ri = malloc(sizeof(gl_idx) * n * d),
         *ci = malloc(sizeof(gl_idx) * n * d);
  g->y = malloc(sizeof(int32_t) * n);
  g->ids = malloc(sizeof(gl_idx) * n);
  gl_status st = gl_gen_csbm(o, &g->adj, g->y, xd);
  for (gl_idx i = 0; i < n * d; i++) { /* dense features as a CSR */
    ri[i] = i / d;
    ci[i] = i % d;
  }
  if (st == GL_OK) st = gl_csr_from_coo(&g->x, n, d, (gl_off)n * d, ri, ci, xd);
  if (st == GL_OK) st = gl_csr_gcn_norm(&g->ahat, &g->adj, 1.0f);
  if (st != GL_OK)
    gl_test_fail(__FILE__, __LINE__, "CSBM fixture: %s", gl_errmsg());
  for (gl_idx i = 0; i < n; i++) g->ids[i] = i;
  g->task = (gl_task){.adj = &g->ahat, .x = &g->x, .y = g->y,
                      .n_classes = o->k, .train = g->ids,
                      .val = g->ids + n_train, .test = g->ids + n_train + n_val,
                      .n_train = n_train, .n_val = n_val,
                      .n_test = n - n_train - n_val};
  free(xd);
  free(ri);
  free(ci);
}

void gl_test_graph_free(gl_test_graph *g) {
  gl_csr_free(&g->adj);
  gl_csr_free(&g->ahat);
  gl_csr_free(&g->x);
  free(g->y);
  free(g->ids);
  memset(g, 0, sizeof *g);
}

double gl_test_train(gl_model *m, const gl_task *t, double lr, double wd,
                     int epochs) {
  gl_sampler *s = NULL;
  gl_optim *opt = NULL;
  gl_optim_opts oo = gl_optim_defaults(GL_OPT_ADAM);
  oo.lr = lr;
  oo.weight_decay = wd;
  gl_train_opts to = gl_train_defaults();
  to.stop = GL_STOP_NONE;
  to.epochs = epochs;
  gl_train_result res = {0};
  gl_status st = gl_sampler_full_new(&s, t->adj, m->cfg.layers, t->train,
                                     t->n_train, 1);
  if (st == GL_OK) st = gl_optim_new(&opt, &oo);
  if (st == GL_OK) st = gl_train(m, t, s, opt, &to, &res);
  if (st != GL_OK || res.epochs_run != epochs)
    gl_test_fail(__FILE__, __LINE__, "training: %s (%d epochs run)",
                 gl_errmsg(), res.epochs_run);
  gl_sampler_free(s);
  gl_optim_free(opt);
  return res.test_acc;
}

double gl_test_accuracy_at(const char *file, int line, const char *fmt, ...) {
  char args[2048], cmd[4096], *out = NULL;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  const char *dir = getenv("GLEARN_BIN"), *json = gl_test_path("acc.json");
  remove(json);
  snprintf(cmd, sizeof cmd, "%s/gnn-train %s --quiet --json %s",
           dir && *dir ? dir : "./bin", args, json);
  int rc = gl_test_run(cmd, &out);
  if (rc != 0) {
    gl_test_fail(file, line, "gnn-train %s: exit %d: %s", args, rc,
                 out ? out : "");
    free(out);
    return NAN;
  }
  free(out);
  char buf[8192] = {0};
  FILE *f = fopen(json, "r");
  if (f) {
    if (fread(buf, 1, sizeof buf - 1, f) == 0) buf[0] = 0;
    fclose(f);
  }
  const char *p = strstr(buf, "\"test_acc\"");
  p = p ? strstr(p, "\"mean\": ") : NULL;
  if (!p)
    gl_test_fail(file, line, "gnn-train %s: no test_acc in %s", args, json);
  return p ? atof(p + 8) : NAN;
}

void gl_test_csbm_overfit(gl_test_graph *g) {
  gl_csbm_opts o = {.n = 300, .k = 3, .d = 8, .deg = 6, .p_in = 0.8,
                    .mu = 1.5, .sigma = 1.0, .seed = 4};
  gl_test_csbm(g, &o, 15, 100);
}

void gl_test_record_epoch(void *ctx, const gl_epoch_stats *s) {
  gl_test_epochs *l = ctx;
  if (s->epoch >= GL_TEST_EPOCHS) return;
  l->loss[s->epoch] = s->val_loss;
  l->xent[s->epoch] =
      s->val_loss - (l->m ? l->wd * gl_params_l2(l->m->params, l->m->n_params)
                          : 0.0);
  l->acc[s->epoch] = s->val_acc;
  l->test[s->epoch] = s->test_acc;
  l->n = s->epoch + 1;
}

int gl_test_selected(const gl_test_epochs *l, gl_select_rule rule) {
  if (rule == GL_SELECT_LAST) return l->n - 1;
  int want = 0;
  for (int e = 1; e < l->n; e++)
    if (rule == GL_SELECT_BEST_VAL ? l->acc[e] >= l->acc[want]
                                   : l->xent[e] <= l->xent[want])
      want = e;
  return want;
}

void gl_test_check_selected(const char *file, int line, gl_model *m,
                            const gl_test_graph *g, const gl_test_epochs *l,
                            int want, const gl_train_result *r) {
  if (r->best_epoch != want || r->test_acc != l->test[want])
    gl_test_fail(file, line, "kept epoch %d (test %.4f), want %d (%.4f)",
                 r->best_epoch, r->test_acc, want, l->test[want]);
  const int c = g->task.n_classes;
  float *logits = malloc(sizeof(float) * (size_t)g->adj.n * c);
  if (gl_model_eval(m, &g->task, logits) != GL_OK ||
      gl_accuracy(logits, c, g->y, g->task.test, g->task.n_test) !=
          l->test[want])
    gl_test_fail(file, line, "the model does not hold epoch %d's weights",
                 want);
  free(logits);
}
