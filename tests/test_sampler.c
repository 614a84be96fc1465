/* Tests of sampler/: the full-batch sampler and exact k-hop batches. */
#include "tests/test.h"

TEST(sampler_khop_matches_full_graph) {
  /* A GCN's outputs on the exact 2-hop batch of a few nodes equal its
   * full-graph outputs on them. */
  gl_csbm_opts o = {.n = 300, .k = 3, .d = 8, .deg = 6, .p_in = 0.8,
                    .mu = 1, .sigma = 1, .seed = 4};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 0, 0);
  const gl_csr ahat = tg.ahat, x = tg.x;
  gl_model_cfg cfg = {.model = "gcn", .n_features = 8, .n_classes = 3,
                      .hidden = 16, .layers = 2, .bias = true, .seed = 2};
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  gl_task t = {.adj = &ahat, .x = &x, .n_classes = 3};
  float *full = malloc(sizeof(float) * 300 * 3);
  CHECK_OK(gl_model_eval(m, &t, full));
  gl_idx nodes[6] = {17, 250, 17, 3, 299, 100}; /* with a duplicate */
  gl_batch b = {0};
  CHECK_OK(gl_batch_khop(&b, &ahat, nodes, 6, 2));
  CHECK_EQ(b.n_out, 5);
  CHECK_EQ(b.n_loss, 6);
  CHECK_EQ(b.loss_pos[0], b.loss_pos[2]);
  /* destinations prefix sources; layer sizes chain */
  for (int l = 0; l < 2; l++) {
    gl_block *k = &b.layers[l];
    CHECK(gl_block_n_dst(k) <= gl_block_n_src(k));
    for (gl_idx i = 0; i < gl_block_n_dst(k); i++)
      CHECK_EQ(k->src_ids[i], k->dst_ids[i]);
  }
  CHECK_EQ(gl_block_n_src(&b.layers[1]), gl_block_n_dst(&b.layers[0]));
  CHECK(gl_block_n_src(&b.layers[0]) < 300); /* not the whole graph */
  float *part = malloc(sizeof(float) * b.n_out * 3);
  CHECK_OK(m->ops->forward(m, &x, &b, false, part));
  for (gl_idx i = 0; i < 6; i++)
    for (int j = 0; j < 3; j++)
      CHECK_NEAR(part[b.loss_pos[i] * 3 + j], full[nodes[i] * 3 + j], 1e-5);
  gl_idx bad = 300;
  CHECK_ERR(gl_batch_khop(&b, &ahat, &bad, 1, 2), GL_EINVAL, "out of range");
  gl_batch_free(&b);
  gl_model_free(m);
  free(full);
  free(part);
  gl_test_graph_free(&tg);
}

/* Block l of a batch times h (n x 1 over global ids): one estimate per
 * destination row, into est (indexed by global id) with counts. */
static void block_estimates(const gl_block *k, const float *h, double *sum,
                            double *sq, int *cnt) {
  for (gl_idx r = 0; r < gl_block_n_dst(k); r++) {
    double v = 0;
    for (gl_off e = k->a.ptr[r]; e < k->a.ptr[r + 1]; e++)
      v += gl_csr_w(&k->a, e) * h[k->src_ids[k->a.col[e]]];
    gl_idx g = k->dst_ids[r];
    sum[g] += v;
    sq[g] += v * v;
    cnt[g]++;
  }
}

TEST(sampler_node_rows_are_unbiased) {
  /* Every row of every sampled block estimates the row of A-hat times the
   * layer's input without bias: over 4000 batches the mean of each node's
   * estimates is within 5 standard errors of the exact product, while
   * single estimates do vary (the sampling is not the whole row). */
  gl_csbm_opts o = {.n = 300, .k = 3, .d = 4, .deg = 8, .p_in = 0.7,
                    .mu = 1, .sigma = 1, .seed = 5};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 0, 0);
  const gl_csr *a = &tg.ahat;
  gl_rng r;
  gl_rng_seed(&r, 9);
  float h[300], exact[300];
  gl_test_random_vec(h, 300, &r);
  gl_csr_spmm(a, h, 1, 0.0f, exact);
  const int fan[2] = {3, 2};
  gl_sampler *s;
  CHECK_OK(gl_sampler_node_new(&s, a, 2, fan, tg.ids, 300, 40, 7));
  CHECK_EQ(s->ops->epoch_steps(s), 8);
  double *sum = calloc(600, sizeof *sum), *sq = calloc(600, sizeof *sq);
  int *cnt = calloc(600, sizeof *cnt), seen[300] = {0};
  gl_batch b = {0};
  for (int t = 0; t < 4000; t++) {
    CHECK_OK(gl_sampler_next(s, &b));
    CHECK_EQ(gl_block_n_src(&b.layers[1]), gl_block_n_dst(&b.layers[0]));
    for (int l = 0; l < 2; l++) {
      const gl_block *k = &b.layers[l];
      for (gl_idx i = 0; i < gl_block_n_dst(k); i++)
        CHECK_EQ(k->src_ids[i], k->dst_ids[i]);
      for (gl_idx i = 0; i < gl_block_n_dst(k); i++) /* unique columns */
        for (gl_off e = k->a.ptr[i]; e < k->a.ptr[i + 1]; e++)
          for (gl_off f = e + 1; f < k->a.ptr[i + 1]; f++)
            CHECK(k->a.col[e] != k->a.col[f]);
      block_estimates(k, h, sum + 300 * l, sq + 300 * l, cnt + 300 * l);
    }
    if (t < 8) /* the first epoch: every loss node exactly once */
      for (gl_idx i = 0; i < b.n_loss; i++)
        seen[b.out_ids[b.loss_pos[i]]]++;
  }
  for (int i = 0; i < 300; i++) CHECK_EQ(seen[i], 1);
  int varied = 0, checked = 0;
  for (int l = 0; l < 2; l++)
    for (int i = 0; i < 300; i++) {
      int c = cnt[300 * l + i];
      if (c < 50) continue;
      double mean = sum[300 * l + i] / c;
      double var = sq[300 * l + i] / c - mean * mean;
      double se = sqrt(var > 0 ? var / c : 0);
      varied += var > 1e-8;
      checked++;
      CHECK_MSG(fabs(mean - exact[i]) <= 5 * se + 1e-5,
                "layer %d node %d: mean %.5f exact %.5f (se %.5f, %d)", l, i,
                mean, exact[i], se, c);
    }
  CHECK_MSG(checked > 400 && varied > 200, "%d rows checked, %d varied",
            checked, varied);
  /* fan-outs of at least every degree give the exact k-hop batch */
  gl_sampler_free(s);
  const int all[2] = {1000, 0};
  CHECK_OK(gl_sampler_node_new(&s, a, 2, all, tg.ids, 300, 25, 7));
  CHECK_OK(gl_sampler_next(s, &b));
  gl_batch k = {0};
  CHECK_OK(gl_batch_khop(&k, a, b.out_ids, b.n_out, 2));
  for (int l = 0; l < 2; l++) {
    CHECK_EQ(b.layers[l].a.nnz, k.layers[l].a.nnz);
    CHECK_EQ(gl_block_n_src(&b.layers[l]), gl_block_n_src(&k.layers[l]));
  }
  gl_sampler_free(s);
  CHECK_ERR(gl_sampler_node_new(&s, a, 2, fan, tg.ids, 300, 0, 7), GL_EINVAL,
            "batch size");
  gl_batch_free(&k);
  gl_batch_free(&b);
  free(sum);
  free(sq);
  free(cnt);
  gl_test_graph_free(&tg);
}

TEST(sampler_node_trains_gcn) {
  /* Mini-batch GCN with fan-outs 5, 5 learns the CSBM about as well as
   * full-batch training (both above 0.9; an MLP gets ~0.6). */
  gl_csbm_opts o = {.n = 600, .k = 3, .d = 16, .deg = 8, .p_in = 0.9,
                    .mu = 0.7, .sigma = 1.0, .seed = 3};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 120, 140);
  gl_model_cfg cfg = {.model = "gcn", .n_features = 16, .n_classes = 3,
                      .hidden = 16, .layers = 2, .dropout = 0.5f,
                      .hidden_dropout = 0.5f, .seed = 1};
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  gl_sampler *s;
  const int fan[2] = {5, 5};
  CHECK_OK(gl_sampler_node_new(&s, tg.task.adj, 2, fan, tg.task.train,
                               tg.task.n_train, 32, 11));
  gl_optim *opt;
  gl_optim_opts oo = gl_optim_defaults(GL_OPT_ADAM);
  oo.lr = 0.01;
  CHECK_OK(gl_optim_new(&opt, &oo));
  gl_train_opts to = gl_train_defaults();
  to.stop = GL_STOP_NONE;
  to.epochs = 40;
  gl_train_result res = {0};
  CHECK_OK(gl_train(m, &tg.task, s, opt, &to, &res));
  gl_model *f;
  CHECK_OK(gl_model_new(&f, &cfg));
  double full = gl_test_train(f, &tg.task, 0.01, 0, 160);
  printf("  CSBM: node-wise GCN %.3f (%d steps), full batch %.3f\n",
         res.test_acc, 40 * 4, full);
  CHECK_MSG(res.test_acc > 0.9 && full > 0.9, "node %.3f full %.3f",
            res.test_acc, full);
  CHECK(fabs(res.test_acc - full) < 0.03);
  gl_optim_free(opt);
  gl_sampler_free(s);
  gl_model_free(m);
  gl_model_free(f);
  gl_test_graph_free(&tg);
}
