/* A small test framework: TEST(name) { ... } registers a test; CHECK and
 * friends record failures without stopping the test; SKIP ends a test that
 * cannot run here.  The runner prints one line per failed check and closes
 * with "N passed, N failed, N skipped". */
#ifndef GL_TEST_H
#define GL_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glearn.h"

typedef void (*gl_test_fn)(void);
void gl_test_register(const char *name, const char *file, gl_test_fn fn);
void gl_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends the current test as skipped (it could not run: data or a package
 * is missing), saying why; the closing line counts it apart. */
void gl_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool gl_test_skipped(void);
/* Whether a check of the current test has failed so far. */
bool gl_test_failed(void);
#define SKIP(...)                                                              \
  do {                                                                         \
    gl_test_skip(__VA_ARGS__);                                                 \
    return;                                                                    \
  } while (0)
/* True when the registered dataset `name` is on the search path (the
 * shipped data/, $GLEARN_DATA, the download cache, ../shared/datasets);
 * otherwise marks the test skipped and returns false:
 *   if (!gl_test_have("coauthor-cs")) return; */
bool gl_test_have(const char *name);
/* A scratch folder private to this run (removed at exit). */
const char *gl_test_tmp(void);
/* Builds "<tmp>/<name>" in a static ring of buffers. */
const char *gl_test_path(const char *name);
/* Writes `text` to "<tmp>/<name>" and returns the path. */
const char *gl_test_write(const char *name, const char *text);
/* True when the suite runs under the sanitizers (slower: fewer repeats). */
int gl_test_sanitized(void);
/* Runs a shell command, capturing stdout+stderr into *out (malloc'd);
 * returns the exit code. */
int gl_test_run(const char *cmd, char **out);
/* A tool of the build under test (make sets GLEARN_BIN; else ./bin), in
 * a static buffer; gl_test_run_tool runs it with `args` as gl_test_run. */
const char *gl_test_tool(const char *name);
int gl_test_run_tool(const char *name, const char *args, char **out);
/* Mean test accuracy of `gnn-train ARGS` (the build's tool, the test
 * datasets), read from its JSON; a failed run fails the test (NAN). */
#define gl_test_accuracy(...) \
  gl_test_accuracy_at(__FILE__, __LINE__, __VA_ARGS__)
double gl_test_accuracy_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fixtures for the tests of layers and models (tests/fixtures.c). */
/* A random n x m matrix with about `per_row` entries a row, values in
 * [0.2, 1.2). */
void gl_test_random_csr(gl_csr *a, gl_idx n, gl_idx m, int per_row, gl_rng *r);
void gl_test_random_vec(float *x, size_t n, gl_rng *r); /* U(-1, 1) */
double gl_test_proj(const float *out, const float *r, size_t n); /* sum o r */
/* Checks the analytic gradient g of f at w (n values) against central
 * differences (eps 1e-3, error relative to max(1, |numeric|)); reports the
 * first entry off by more than tol at the caller's line (CHECK_FD). */
typedef double (*gl_test_scalar_fn)(void *ctx);
bool gl_test_fd(const char *file, int line, const char *what, float *w,
                const float *g, size_t n, gl_test_scalar_fn f, void *ctx,
                double tol);
#define CHECK_FD(what, w, g, n, f, ctx, tol)                                   \
  gl_test_fd(__FILE__, __LINE__, what, w, g, n, f, ctx, tol)
/* A contextual SBM (gl_gen_csbm) ready to train on: adj, its GCN
 * normalisation ahat, the dense features as an n x d CSR x, labels y and a
 * task whose split is nodes [0, n_train), the next n_val, then the rest. */
typedef struct {
  gl_csr adj, ahat, x;
  int32_t *y;
  gl_idx *ids; /* 0 .. n-1 */
  gl_task task;
} gl_test_graph;
void gl_test_csbm(gl_test_graph *g, const gl_csbm_opts *o, gl_idx n_train,
                  gl_idx n_val);
void gl_test_graph_free(gl_test_graph *g);
/* Model selection: a 300-node, 3-class CSBM with 15 training nodes (100
 * validation), on which models overfit, so that the validation loss is
 * lowest well before the end; an on_epoch callback recording what the
 * trainer reports (val_loss, its cross-entropy part: val_loss less wd
 * times the L2 of m's weights, m NULL: val_loss itself, val_acc and
 * test_acc); the epoch a rule must keep (the last best; xent: by the
 * cross-entropy), and a check that the model holds it (its test accuracy
 * and the one reported in r). */
enum { GL_TEST_EPOCHS = 200 };
typedef struct {
  gl_model *m;
  double wd, loss[GL_TEST_EPOCHS], xent[GL_TEST_EPOCHS], acc[GL_TEST_EPOCHS],
      test[GL_TEST_EPOCHS];
  int n;
} gl_test_epochs;
void gl_test_csbm_overfit(gl_test_graph *g);
void gl_test_record_epoch(void *ctx, const gl_epoch_stats *s);
int gl_test_selected(const gl_test_epochs *l, gl_select_rule rule);
#define CHECK_SELECTED(m, g, l, want, r)                                       \
  gl_test_check_selected(__FILE__, __LINE__, m, g, l, want, r)
void gl_test_check_selected(const char *file, int line, gl_model *m,
                            const gl_test_graph *g, const gl_test_epochs *l,
                            int want, const gl_train_result *r);
/* Trains m on t full-batch (Adam with lr and weight decay wd, `epochs`
 * epochs, no early stopping) and returns the last epoch's test accuracy. */
double gl_test_train(gl_model *m, const gl_task *t, double lr, double wd,
                     int epochs);

#define TEST(name)                                                             \
  static void name(void);                                                      \
  __attribute__((constructor)) static void name##_register(void) {             \
    gl_test_register(#name, __FILE__, name);                                   \
  }                                                                            \
  static void name(void)

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) gl_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);         \
  } while (0)
#define CHECK_MSG(cond, ...)                                                   \
  do {                                                                         \
    if (!(cond)) gl_test_fail(__FILE__, __LINE__, __VA_ARGS__);                \
  } while (0)
#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    long long ca_ = (long long)(a), cb_ = (long long)(b);                      \
    if (ca_ != cb_)                                                            \
      gl_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, ca_,  \
                   cb_);                                                       \
  } while (0)
#define CHECK_NEAR(a, b, tol)                                                  \
  do {                                                                         \
    double ca_ = (double)(a), cb_ = (double)(b), ct_ = (double)(tol);          \
    if (!(fabs(ca_ - cb_) <= ct_))                                             \
      gl_test_fail(__FILE__, __LINE__, "%s ~= %s: %.9g vs %.9g (tol %g)", #a,  \
                   #b, ca_, cb_, ct_);                                         \
  } while (0)
/* A call that must succeed. */
#define CHECK_OK(expr)                                                         \
  do {                                                                         \
    gl_status cs_ = (expr);                                                    \
    if (cs_ != GL_OK)                                                          \
      gl_test_fail(__FILE__, __LINE__, "%s failed (%d): %s", #expr, (int)cs_,  \
                   gl_errmsg());                                               \
  } while (0)
/* A call that must fail with status `st` and a message containing `sub`. */
#define CHECK_ERR(expr, st, sub)                                               \
  do {                                                                         \
    gl_errclear();                                                             \
    gl_status cs_ = (expr);                                                    \
    if (cs_ != (st) || !strstr(gl_errmsg(), (sub)))                            \
      gl_test_fail(__FILE__, __LINE__,                                         \
                   "%s: expected status %d with \"%s\", got %d: \"%s\"",      \
                   #expr, (int)(st), (sub), (int)cs_, gl_errmsg());            \
  } while (0)

#endif
