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
