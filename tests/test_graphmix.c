/* Tests of GraphMix: its loss and ramp-up by hand and by finite
 * differences, and the method end to end on Cora. */
#include "tests/test.h"

TEST(graphmix_bce_values_and_gradient) {
  /* one row z = (0, ln 3): softmax (1/4, 3/4); target (1, 0):
   * BCE = -(1/2)[log(1/4) + log(1 - 3/4)] = log 4 */
  float z[2] = {0, (float)log(3.0)}, t[2] = {1, 0}, dz[2];
  double l, fp, fm;
  CHECK_OK(gl_softmax_bce(z, 1, 2, t, dz, &l));
  CHECK_NEAR(l, log(4.0), 1e-6);
  /* finite differences on random rows and soft targets */
  gl_rng r;
  gl_rng_seed(&r, 2);
  float x[12], tt[12], g[12];
  gl_uniform_init(&r, x, 12, -2, 2);
  for (int i = 0; i < 3; i++) {
    float s = 0;
    for (int j = 0; j < 4; j++) s += tt[i * 4 + j] = gl_rng_uniformf(&r);
    for (int j = 0; j < 4; j++) tt[i * 4 + j] /= s;
  }
  CHECK_OK(gl_softmax_bce(x, 3, 4, tt, g, &l));
  for (int i = 0; i < 12; i++) {
    float keep = x[i];
    x[i] = keep + 1e-3f;
    CHECK_OK(gl_softmax_bce(x, 3, 4, tt, NULL, &fp));
    x[i] = keep - 1e-3f;
    CHECK_OK(gl_softmax_bce(x, 3, 4, tt, NULL, &fm));
    x[i] = keep;
    CHECK_NEAR(g[i], (fp - fm) / 2e-3, 2e-4);
  }
  /* many classes (c > 64: a workspace): the same loss as by hand, and a
   * status, not NAN, when memory runs out */
  enum { C = 100 };
  float zc[C] = {0}, tc[C] = {0};
  tc[7] = 1; /* softmax 1/C each */
  CHECK_OK(gl_softmax_bce(zc, 1, C, tc, NULL, &l));
  CHECK_NEAR(l, -(log(1.0 / C) + (C - 1) * log1p(-1.0 / C)) / C, 1e-9);
  gl_alloc_fail_after(1);
  CHECK_ERR(gl_softmax_bce(zc, 1, C, tc, NULL, &l), GL_ENOMEM, "memory");
  gl_alloc_fail_after(0);
  CHECK_ERR(gl_softmax_bce(zc, 1, 0, tc, NULL, &l), GL_EINVAL, "classes");
}

TEST(graphmix_rampup_weight) {
  gl_graphmix_opts g = gl_graphmix_defaults("cora");
  CHECK_NEAR(g.gamma, 10, 0);
  CHECK_NEAR(gl_graphmix_defaults("pubmed").gamma, 1, 0);
  CHECK_NEAR(gl_graphmix_weight(&g, 0), 10 * exp(-5.0), 1e-9);
  CHECK_NEAR(gl_graphmix_weight(&g, 500), 10 * exp(-5.0), 1e-9);
  CHECK_NEAR(gl_graphmix_weight(&g, 750), 10 * exp(-1.25), 1e-9);
  CHECK_NEAR(gl_graphmix_weight(&g, 1000), 10, 1e-9);
  CHECK_NEAR(gl_graphmix_weight(&g, 1999), 10, 1e-9);
}

TEST(graphmix_rejects_bad_options) {
  gl_model_cfg cfg = {.model = "gcn", .n_features = 4, .n_classes = 2,
                      .hidden = 4, .layers = 2};
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  gl_graphmix_opts g = gl_graphmix_defaults(NULL);
  g.temp = 0;
  gl_task t = {0};
  gl_train_result r;
  CHECK_ERR(gl_graphmix_train(m, &t, NULL, &g, 1, &r), GL_EINVAL,
            "temperature");
  gl_model_free(m);
}

TEST(graphmix_cora_beats_gcn) {
  /* GraphMix(GCN) 83.94 published against GCN's 81.5: two seeds must reach
   * 83.0 (one seed and 82.5 under the slow sanitizers), which plain GCN
   * training does not. */
  bool san = gl_test_sanitized();
  double acc = gl_test_accuracy("cora graphmix --runs %d", san ? 1 : 2);
  printf("  GraphMix(GCN) on Cora: %.2f%%\n", 100 * acc);
  CHECK_MSG(acc >= (san ? 0.825 : 0.83), "GraphMix Cora %.4f", acc);
}

TEST(graphmix_trains_every_base_on_csbm) {
  /* GraphMix over each base model learns a CSBM whose graph carries more
   * than its features (an MLP gets ~0.6, the base models ~0.95; the
   * dropout of the papers' settings is for thousands of sparse features,
   * not 16 dense ones).  Graph
   * U-Net needs the whole graph for its pseudo-labels (no L-hop
   * sub-batch); this failed before it had one. */
  static const char *base[3] = {"gcn --hidden 16",
                                "gat --hidden 4 --heads 2 --dropout 0.2 "
                                "--attn-dropout 0.2",
                                "gunet --hidden 16 --pools 150,50 "
                                "--dropout 0.5 --hidden-dropout 0.2"};
  for (int k = 0; k < 3; k++) {
    double acc = gl_test_accuracy(
        "csbm:n=300,k=3,d=16,deg=8,pin=0.9,mu=1,sigma=1,seed=3 graphmix "
        "--features as-loaded --epochs 100 --pseudo-k 2 --ramp-start 20 "
        "--ramp-end 60 --threads 1 --base %s", base[k]);
    printf("  CSBM: GraphMix(%s) %.3f\n", base[k], acc);
    CHECK_MSG(acc > 0.85, "GraphMix(%s) test accuracy %.3f", base[k], acc);
  }
}

/* ------------------------------------------------------- model selection */
TEST(graphmix_selects_by_rule) {
  /* the weights kept: the last epoch of the best validation accuracy (the
   * reference's rule), of the lowest validation cross-entropy, or the
   * last epoch; restored in the model */
  gl_test_graph tg;
  gl_test_csbm_overfit(&tg);
  gl_model_cfg cfg = {.model = "gcn", .n_features = 8, .n_classes = 3,
                      .hidden = 16, .layers = 2, .dropout = 0.2f,
                      .seed = 2};
  const gl_select_rule rules[3] = {GL_SELECT_BEST_VAL, GL_SELECT_BEST_LOSS,
                                   GL_SELECT_LAST};
  for (int k = 0; k < 3; k++) {
    gl_model *m;
    CHECK_OK(gl_model_new(&m, &cfg));
    gl_optim_opts oo = gl_optim_defaults(GL_OPT_ADAM);
    oo.lr = 0.02;
    gl_optim *opt;
    CHECK_OK(gl_optim_new(&opt, &oo));
    gl_test_epochs lg = {.m = NULL}; /* val_loss is the cross-entropy */
    gl_graphmix_opts g = gl_graphmix_defaults(NULL);
    g.epochs = 120;
    g.k = 2;
    g.ramp_start = 10;
    g.ramp_end = 60;
    g.select = rules[k];
    g.on_epoch = gl_test_record_epoch;
    g.ctx = &lg;
    gl_train_result res;
    CHECK_OK(gl_graphmix_train(m, &tg.task, opt, &g, 1, &res));
    CHECK_EQ(lg.n, 120);
    const int want = gl_test_selected(&lg, rules[k]);
    printf("  GraphMix selection rule %d: epoch %d\n", k, want);
    if (k == 1)
      CHECK_MSG(want < lg.n - 10, "lowest loss at epoch %d: the test needs "
                "another curve", want);
    CHECK_SELECTED(m, &tg, &lg, want, &res);
    gl_optim_free(opt);
    gl_model_free(m);
  }
  gl_test_graph_free(&tg);
}
