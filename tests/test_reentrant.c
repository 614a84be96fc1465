/* The library is reentrant: trainings in two threads of one process give
 * bit for bit what they give one after the other, at the same or at
 * different thread counts, whether the count comes in the options or from
 * each thread's gl_set_threads. */
#include <pthread.h>

#include "tests/test.h"

/* One training in a thread of its own: GCN (with or without the spectral
 * learner) or skip-gram over DeepWalk walks, on g; its weights (vectors)
 * in out.  The checks run on the main thread (the test runner's counters
 * are not thread-safe): the job only records its status and message. */
typedef struct {
  const gl_test_graph *g;
  bool sgns, spectral;
  int threads;
  bool set; /* the count from gl_set_threads (the tools' way), not options */
  float *out;
  size_t n_out;
  gl_status st;
  char msg[256];
} job;

static gl_status gcn_job(job *j, int threads) {
  const gl_task *t = &j->g->task;
  gl_model_cfg cfg = {.model = "gcn", .n_features = j->g->x.m,
                      .n_classes = t->n_classes, .hidden = 16, .layers = 2,
                      .dropout = 0.5f, .hidden_dropout = 0.5f, .seed = 7};
  gl_model *m = NULL;
  gl_sampler *s = NULL;
  gl_optim *o = NULL;
  gl_optim_opts oo = gl_optim_defaults(j->spectral ? GL_OPT_SGD : GL_OPT_ADAM);
  oo.lr = 0.01;
  oo.weight_decay = 5e-4;
  gl_train_opts to = gl_train_defaults();
  to.epochs = 30;
  to.stop = GL_STOP_NONE;
  to.threads = threads;
  to.spectral = j->spectral ? GL_SPECTRAL_SGD : GL_SPECTRAL_NONE;
  to.spectral_every = 5;
  gl_train_result r;
  gl_status st = gl_model_new(&m, &cfg);
  if (st == GL_OK)
    st = gl_sampler_full_new(&s, t->adj, 2, t->train, t->n_train, 1);
  if (st == GL_OK) st = gl_optim_new(&o, &oo);
  if (st == GL_OK) st = gl_train(m, t, s, o, &to, &r);
  if (st == GL_OK) {
    j->n_out = gl_params_count(m->params, m->n_params);
    if (!(j->out = malloc(j->n_out * sizeof *j->out))) st = GL_ENOMEM;
  }
  if (st == GL_OK) gl_params_flat(m, j->out, false);
  gl_optim_free(o);
  gl_sampler_free(s);
  gl_model_free(m);
  return st;
}

static gl_status sgns_job(job *j, int threads) {
  const gl_csr *g = &j->g->adj;
  gl_walk_opts wo = gl_walk_defaults();
  wo.length = 20;
  wo.walks_per_node = 2;
  gl_walker wk;
  gl_walks c;
  memset(&c, 0, sizeof c);
  gl_sgns_opts so = gl_sgns_defaults();
  so.dim = 16;
  so.window = 5;
  so.threads = threads; /* Hogwild: one thread, or the runs race */
  so.spectral = j->spectral;
  so.spectral_segments = 4;
  gl_sgns_stats ss;
  j->n_out = (size_t)g->n * so.dim;
  gl_status st = gl_walker_init(&wk, g, &wo);
  if (st != GL_OK) return st;
  if (!(j->out = malloc(j->n_out * sizeof *j->out))) st = GL_ENOMEM;
  if (st == GL_OK) st = gl_walks_generate(&wk, &c);
  if (st == GL_OK) st = gl_sgns_train(&c, &so, j->out, &ss);
  gl_walks_free(&c);
  gl_walker_free(&wk);
  return st;
}

static void *run_job(void *arg) {
  job *j = arg;
  if (j->set) gl_set_threads(j->threads);
  const int threads = j->set ? 0 : j->threads;
  j->st = j->sgns ? sgns_job(j, threads) : gcn_job(j, threads);
  snprintf(j->msg, sizeof j->msg, "%s", j->st ? gl_errmsg() : "");
  return NULL;
}

/* Runs jobs a and b in two threads at once (together) or one after the
 * other, each in a fresh thread. */
static void run_pair(job *a, job *b, bool together) {
  pthread_t ta, tb;
  pthread_create(&ta, NULL, run_job, a);
  if (!together) pthread_join(ta, NULL);
  pthread_create(&tb, NULL, run_job, b);
  if (together) pthread_join(ta, NULL);
  pthread_join(tb, NULL);
}

static bool same_result(const job *x, const job *y) {
  return x->st == GL_OK && y->st == GL_OK && x->n_out == y->n_out &&
         memcmp(x->out, y->out, x->n_out * sizeof *x->out) == 0;
}

/* Jobs a and b, one after the other and then together: the same weights,
 * bit for bit. */
static void check_pair(const char *what, job a, job b) {
  job sa = a, sb = b, ca = a, cb = b;
  run_pair(&sa, &sb, false);
  CHECK_MSG(sa.st == GL_OK && sb.st == GL_OK, "%s: %s %s", what, sa.msg,
            sb.msg);
  for (int rep = 0; rep < 2; rep++) {
    run_pair(&ca, &cb, true);
    CHECK_MSG(same_result(&sa, &ca) && same_result(&sb, &cb),
              "%s, run %d: trainings in two threads differ from the same "
              "one after the other (%s %s)", what, rep, ca.msg, cb.msg);
    free(ca.out);
    free(cb.out);
  }
  free(sa.out);
  free(sb.out);
}

/* A CSBM large enough that the dense and sparse products split their
 * sums over threads (their last bits depend on the count). */
static void big_csbm(gl_test_graph *g) {
  gl_csbm_opts o = {.n = 3000, .k = 4, .d = 32, .deg = 8, .p_in = 0.7,
                    .mu = 1.0, .sigma = 1.0, .seed = 11};
  gl_test_csbm(g, &o, 300, 300);
}

TEST(reentrant_two_trainings_in_two_threads) {
  /* GCN with the spectral learner (its estimates run on one thread) beside
   * skip-gram with the learner (one thread), and beside a plain GCN at
   * two threads: as one after the other */
  gl_test_graph g;
  big_csbm(&g);
  job gcn = {.g = &g, .spectral = true, .threads = 2};
  job sg = {.g = &g, .sgns = true, .spectral = true, .threads = 1};
  job plain = {.g = &g, .threads = 2};
  check_pair("spectral GCN and skip-gram", gcn, sg);
  check_pair("spectral GCN and GCN", gcn, plain);
  gl_test_graph_free(&g);
}

TEST(reentrant_different_thread_counts) {
  /* GCN at one thread beside GCN at two, the counts in the options or set
   * by each thread: each as alone; and the two counts do give different
   * last bits here, so a count leaking from one thread to the other
   * would show */
  gl_test_graph g;
  big_csbm(&g);
  job one = {.g = &g, .threads = 1}, two = {.g = &g, .threads = 2};
  run_pair(&one, &two, false);
  CHECK(one.st == GL_OK && two.st == GL_OK && one.n_out == two.n_out);
  CHECK_MSG(one.st == GL_OK && two.st == GL_OK &&
                memcmp(one.out, two.out, one.n_out * sizeof(float)) != 0,
            "one and two threads give the same weights: the test sees "
            "nothing");
  free(one.out);
  free(two.out);
  check_pair("options: 1 and 2 threads", one, two);
  one.set = two.set = true;
  check_pair("gl_set_threads: 1 and 2 threads", one, two);
  /* the calling thread's count is its own, and entering restores it */
  const int mine = gl_threads();
  const int saved = gl_threads_enter(mine + 1);
  CHECK_EQ(saved, mine);
  CHECK_EQ(gl_threads(), mine + 1);
  gl_threads_leave(saved);
  CHECK_EQ(gl_threads(), mine);
  gl_test_graph_free(&g);
}
