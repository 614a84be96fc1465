/* Tests of gnn/: every layer's backward against central finite differences,
 * the loss against hand-computed values, the GCN model's gradients over full
 * and sampled (non-symmetric) batches, and training on a generated graph. */
#include "tests/test.h"

/* The shared fixtures of tests/fixtures.c under this file's names. */
#define random_csr gl_test_random_csr
#define random_vec gl_test_random_vec
#define proj gl_test_proj
#define check_fd CHECK_FD

/* ------------------------------------------------------- sparse linear */
typedef struct {
  gl_csr x;
  gl_idx rows[4];
  float w[6 * 3], r[4 * 3], out[4 * 3];
  float p;
} sl_ctx;

static double sl_f(void *c) {
  sl_ctx *s = c;
  gl_sparse_linear_forward(&s->x, s->rows, 4, s->w, 3, s->p, 99, s->out);
  return proj(s->out, s->r, 12);
}

TEST(gnn_sparse_linear_gradient) {
  gl_rng r;
  gl_rng_seed(&r, 3);
  sl_ctx s;
  random_csr(&s.x, 7, 6, 3, &r);
  gl_idx rows[4] = {5, 0, 2, 5};
  memcpy(s.rows, rows, sizeof rows);
  random_vec(s.w, 18, &r);
  random_vec(s.r, 12, &r);
  for (int k = 0; k < 2; k++) {
    s.p = k ? 0.4f : 0.0f;
    float dw[18] = {0};
    gl_sparse_linear_backward(&s.x, s.rows, 4, s.r, 3, s.p, 99, dw);
    check_fd("dW", s.w, dw, 18, sl_f, &s, 2e-3);
  }
  /* hand check of the forward without dropout: row 0 of x times W */
  s.p = 0;
  sl_f(&s);
  for (int j = 0; j < 3; j++) {
    double want = 0;
    for (gl_off e = s.x.ptr[5]; e < s.x.ptr[6]; e++)
      want += s.x.val[e] * s.w[s.x.col[e] * 3 + j];
    CHECK_NEAR(s.out[j], want, 1e-5);
  }
  gl_csr_free(&s.x);
}

TEST(gnn_dropout_rate_and_scale) {
  size_t n = 100000;
  float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  gl_fill(a, n, 1.0f);
  gl_dropout_forward(a, n, 0.3f, 1234, b);
  size_t zeros = 0;
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    zeros += b[i] == 0;
    sum += b[i];
  }
  CHECK_NEAR((double)zeros / n, 0.3, 0.005); /* sd 0.0015 */
  CHECK_NEAR(sum / n, 1.0, 0.01);            /* inverted dropout keeps E */
  /* same key, same mask; other key, other mask */
  float *c = malloc(n * sizeof *c);
  gl_dropout_forward(a, n, 0.3f, 1234, c);
  CHECK(memcmp(b, c, n * sizeof *c) == 0);
  gl_dropout_forward(a, n, 0.3f, 1235, c);
  CHECK(memcmp(b, c, n * sizeof *c) != 0);
  free(a);
  free(b);
  free(c);
}

/* ------------------------------------------------------- dense linear */
typedef struct {
  float in[5 * 4], w[4 * 3], b[3], r[5 * 3], out[5 * 3];
} lin_ctx;

static double lin_f(void *c) {
  lin_ctx *s = c;
  gl_linear_forward(s->in, 5, 4, s->w, s->b, 3, s->out);
  return proj(s->out, s->r, 15);
}

TEST(gnn_linear_gradient) {
  gl_rng r;
  gl_rng_seed(&r, 4);
  lin_ctx s;
  random_vec(s.in, 20, &r);
  random_vec(s.w, 12, &r);
  random_vec(s.b, 3, &r);
  random_vec(s.r, 15, &r);
  float dw[12] = {0}, db[3] = {0}, din[20];
  gl_linear_backward(s.in, 5, 4, s.w, 3, s.r, din, dw, db);
  check_fd("dW", s.w, dw, 12, lin_f, &s, 1e-3);
  check_fd("db", s.b, db, 3, lin_f, &s, 1e-3);
  check_fd("din", s.in, din, 20, lin_f, &s, 1e-3);
}

/* ------------------------------------------------------- relu, dropout */
typedef struct {
  float in[40], out[40], r[40], p;
} ew_ctx;

static double relu_drop_f(void *c) {
  ew_ctx *s = c;
  gl_relu_forward(s->in, 40, s->out);
  gl_dropout_forward(s->out, 40, s->p, 7, s->out);
  return proj(s->out, s->r, 40);
}

TEST(gnn_relu_dropout_gradient) {
  gl_rng r;
  gl_rng_seed(&r, 5);
  ew_ctx s;
  random_vec(s.in, 40, &r);
  for (int i = 0; i < 40; i++)
    if (fabsf(s.in[i]) < 0.01f) s.in[i] = 0.5f; /* away from the kink */
  random_vec(s.r, 40, &r);
  s.p = 0.5f;
  float relu_out[40], din[40];
  gl_relu_forward(s.in, 40, relu_out);
  gl_dropout_backward(s.r, 40, s.p, 7, din);
  gl_relu_backward(relu_out, din, 40, din);
  check_fd("din", s.in, din, 40, relu_drop_f, &s, 1e-3);
}

/* ------------------------------------------------------- propagation */
typedef struct {
  gl_block b;
  float in[9 * 2], out[6 * 2], r[6 * 2];
} prop_ctx;

static double prop_f(void *c) {
  prop_ctx *s = c;
  gl_prop_forward(&s->b, s->in, 2, s->out);
  return proj(s->out, s->r, 12);
}

TEST(gnn_propagation_gradient) {
  gl_rng r;
  gl_rng_seed(&r, 6);
  prop_ctx s;
  memset(&s.b, 0, sizeof s.b);
  random_csr(&s.b.a, 6, 9, 3, &r); /* a non-square block */
  random_vec(s.in, 18, &r);
  random_vec(s.r, 12, &r);
  float din[18];
  gl_prop_backward(&s.b, s.r, 2, din); /* through gl_csr_spmm_t */
  check_fd("din", s.in, din, 18, prop_f, &s, 1e-3);
  CHECK_OK(gl_csr_transpose(&s.b.at, &s.b.a)); /* through the transpose */
  float din2[18];
  gl_prop_backward(&s.b, s.r, 2, din2);
  for (int i = 0; i < 18; i++) CHECK_NEAR(din2[i], din[i], 1e-5);
  gl_csr_free(&s.b.a);
  gl_csr_free(&s.b.at);
}

/* ------------------------------------------------------- loss */
TEST(gnn_softmax_xent_values) {
  /* logits rows: (0, 0) and (1, 2, ...) -- hand values:
   * row 0: CE(label 1) = log 2; row 1: log(e^1 + e^2) - 1 = 1.31326169 */
  float z[4] = {0, 0, 1, 2}, dz[4];
  int32_t y[2] = {1, 0};
  gl_idx pos[2] = {0, 1};
  float w[2] = {0.5f, 0.5f};
  double loss = gl_softmax_xent(z, 2, 2, NULL, y, pos, w, 2, dz);
  CHECK_NEAR(loss, 0.5 * (log(2.0) + 1.3132616875), 1e-6);
  CHECK_NEAR(dz[0], 0.5 * 0.5, 1e-6);
  CHECK_NEAR(dz[1], 0.5 * (0.5 - 1), 1e-6);
  double s1 = 1 / (1 + exp(1.0)); /* softmax(1,2)[0] */
  CHECK_NEAR(dz[2], 0.5 * (s1 - 1), 1e-6);
  CHECK_NEAR(dz[3], 0.5 * (1 - s1), 1e-6);
  /* numerically stable with huge logits */
  float big[2] = {1000, -1000};
  int32_t yb[1] = {1};
  gl_idx p0[1] = {0};
  float w1[1] = {1};
  CHECK_NEAR(gl_softmax_xent(big, 1, 2, NULL, yb, p0, w1, 1, NULL), 2000, 1e-3);
  float acc_z[6] = {0, 1, 5, 2, 3, 3};
  int32_t ay[3] = {1, 0, 1};
  gl_idx nodes[3] = {0, 1, 2};
  CHECK_NEAR(gl_accuracy(acc_z, 2, ay, nodes, 3), 2.0 / 3, 1e-12);
}

/* ------------------------------------------------------- the GCN model */
typedef struct {
  gl_model *m;
  gl_csr x;
  gl_batch b;
  int32_t y[40];
  float *logits;
} gcn_ctx;

static double gcn_loss(gcn_ctx *c, float *dlogits) {
  c->m->ops->forward(c->m, &c->x, &c->b, true, c->logits);
  return gl_softmax_xent(c->logits, c->b.n_out, c->m->cfg.n_classes,
                         c->b.out_ids, c->y, c->b.loss_pos, c->b.loss_w,
                         c->b.n_loss, dlogits);
}
static double gcn_f(void *c) { return gcn_loss(c, NULL); }

static void check_model_grads(gcn_ctx *c) {
  int C = c->m->cfg.n_classes;
  float *dl = malloc(sizeof(float) * c->b.n_out * C);
  gcn_loss(c, dl);
  gl_params_zero_grad(c->m->params, c->m->n_params);
  CHECK_OK(c->m->ops->backward(c->m, &c->x, &c->b, dl));
  for (int i = 0; i < c->m->n_params; i++) {
    gl_param *p = &c->m->params[i];
    float *g = malloc(p->n * sizeof *g);
    memcpy(g, p->g, p->n * sizeof *g);
    check_fd(p->name, p->w, g, p->n, gcn_f, c, 3e-3);
    free(g);
  }
  free(dl);
}

static void gcn_setup(gcn_ctx *c, int layers, bool bias, float drop) {
  gl_rng r;
  gl_rng_seed(&r, 11);
  memset(c, 0, sizeof *c);
  random_csr(&c->x, 40, 10, 3, &r);
  for (int i = 0; i < 40; i++) c->y[i] = (int32_t)gl_rng_below(&r, 3);
  gl_model_cfg cfg = {.model = "gcn", .n_features = 10, .n_classes = 3,
                      .hidden = 6, .layers = layers, .dropout = drop,
                      .hidden_dropout = drop / 2, .bias = bias, .seed = 5};
  CHECK_OK(gl_model_new(&c->m, &cfg));
  for (int i = 0; i < c->m->n_params; i++) /* bias away from zero */
    if (c->m->params[i].name[0] == 'b')
      random_vec(c->m->params[i].w, c->m->params[i].n, &r);
  c->logits = malloc(sizeof(float) * 40 * 3);
}

static void gcn_teardown(gcn_ctx *c) {
  gl_model_free(c->m);
  gl_csr_free(&c->x);
  gl_batch_free(&c->b);
  free(c->logits);
}

TEST(gnn_gcn_gradient_full_batch) {
  for (int k = 0; k < 3; k++) {
    gcn_ctx c;
    gcn_setup(&c, k == 2 ? 3 : 2, k >= 1, 0.3f);
    gl_rng r;
    gl_rng_seed(&r, 12);
    /* a symmetric normalised graph over 40 nodes */
    gl_idx src[80], dst[80];
    for (int e = 0; e < 80; e++) {
      src[e] = (gl_idx)gl_rng_below(&r, 40);
      dst[e] = (gl_idx)gl_rng_below(&r, 40);
    }
    gl_build_opts bo = {.symmetrize = true};
    gl_csr a, ahat;
    CHECK_OK(gl_csr_from_edges(&a, 40, 80, src, dst, NULL, &bo));
    CHECK_OK(gl_csr_gcn_norm(&ahat, &a, 1.0f));
    gl_idx loss_nodes[10] = {0, 3, 5, 7, 11, 13, 17, 19, 23, 29};
    gl_sampler *s;
    CHECK_OK(
        gl_sampler_full_new(&s, &ahat, c.m->cfg.layers, loss_nodes, 10, 1));
    CHECK_OK(gl_sampler_next(s, &c.b));
    check_model_grads(&c);
    gl_sampler_free(s);
    gcn_teardown(&c);
    gl_csr_free(&a);
    gl_csr_free(&ahat);
  }
}

TEST(gnn_gcn_gradient_sampled_blocks) {
  /* A hand-built two-layer mini-batch: 12 input nodes -> 7 -> 4 outputs,
   * non-symmetric blocks with arbitrary weights, so backward uses A^T. */
  gcn_ctx c;
  gcn_setup(&c, 2, true, 0.2f);
  gl_rng r;
  gl_rng_seed(&r, 13);
  c.b.n_layers = 2;
  c.b.layers = calloc(2, sizeof *c.b.layers);
  gl_idx n_src[2] = {12, 7}, n_dst[2] = {7, 4};
  for (int l = 0; l < 2; l++) {
    gl_block *k = &c.b.layers[l];
    random_csr(&k->a, n_dst[l], n_src[l], 3, &r);
    k->owned = true;
    k->src_ids = malloc(sizeof(gl_idx) * n_src[l]);
    k->dst_ids = malloc(sizeof(gl_idx) * n_dst[l]);
    for (gl_idx i = 0; i < n_src[l]; i++) k->src_ids[i] = 3 * i % 40;
    for (gl_idx i = 0; i < n_dst[l]; i++) k->dst_ids[i] = 3 * i % 40;
  }
  c.b.n_out = 4;
  c.b.out_ids = malloc(sizeof(gl_idx) * 4);
  for (int i = 0; i < 4; i++) c.b.out_ids[i] = 3 * i;
  c.b.n_loss = 3;
  c.b.loss_pos = malloc(sizeof(gl_idx) * 3);
  c.b.loss_w = malloc(sizeof(float) * 3);
  for (int i = 0; i < 3; i++) {
    c.b.loss_pos[i] = i + 1;
    c.b.loss_w[i] = 0.25f + 0.1f * i;
  }
  c.b.key = 77;
  check_model_grads(&c);
  gcn_teardown(&c);
}

TEST(gnn_gcn_gradient_history_blocks) {
  /* Layer 1 reads 7 fresh rows from layer 0 and 5 stale rows from a
   * history matrix (VR-GCN / MVS-GNN); the stale rows are constants. */
  gcn_ctx c;
  gcn_setup(&c, 2, true, 0.2f);
  gl_rng r;
  gl_rng_seed(&r, 14);
  float hist[40 * 6];
  random_vec(hist, 40 * 6, &r);
  c.b.n_layers = 2;
  c.b.layers = calloc(2, sizeof *c.b.layers);
  gl_idx n_src[2] = {12, 12}, n_dst[2] = {7, 4};
  for (int l = 0; l < 2; l++) {
    gl_block *k = &c.b.layers[l];
    random_csr(&k->a, n_dst[l], n_src[l], 4, &r);
    k->owned = true;
    k->src_ids = malloc(sizeof(gl_idx) * n_src[l]);
    k->dst_ids = malloc(sizeof(gl_idx) * n_dst[l]);
    for (gl_idx i = 0; i < n_src[l]; i++) k->src_ids[i] = (5 * i + l) % 40;
    for (gl_idx i = 0; i < n_dst[l]; i++) k->dst_ids[i] = k->src_ids[i];
  }
  c.b.layers[1].n_fresh = 7;
  c.b.layers[1].hist = hist;
  c.b.layers[1].hist_width = 6;
  c.b.n_out = 4;
  c.b.out_ids = malloc(sizeof(gl_idx) * 4);
  memcpy(c.b.out_ids, c.b.layers[1].dst_ids, sizeof(gl_idx) * 4);
  c.b.n_loss = 4;
  c.b.loss_pos = malloc(sizeof(gl_idx) * 4);
  c.b.loss_w = malloc(sizeof(float) * 4);
  for (int i = 0; i < 4; i++) {
    c.b.loss_pos[i] = i;
    c.b.loss_w[i] = 0.25f;
  }
  c.b.key = 78;
  check_model_grads(&c);
  /* the history changes the outputs (it is read), and a width or fresh
   * count that does not fit is refused */
  float a[12], z[12];
  CHECK_OK(c.m->ops->forward(c.m, &c.x, &c.b, false, a));
  for (int i = 0; i < 40 * 6; i++) hist[i] *= 2;
  CHECK_OK(c.m->ops->forward(c.m, &c.x, &c.b, false, z));
  CHECK(memcmp(a, z, sizeof a) != 0);
  c.b.layers[1].n_fresh = 6;
  CHECK_ERR(c.m->ops->forward(c.m, &c.x, &c.b, false, z), GL_EINVAL,
            "history block");
  gcn_teardown(&c);
}

TEST(gnn_gcn_grad_norms_per_node) {
  /* Each output row's gradient norm (MVS-GNN) equals the norm of the
   * output layer's weight and bias gradients that backward gives when the
   * loss has that row alone; on the history batch of the test above. */
  gcn_ctx c;
  gcn_setup(&c, 2, true, 0.2f);
  gl_rng r;
  gl_rng_seed(&r, 15);
  gl_idx src[60], dst[60];
  for (int e = 0; e < 60; e++) {
    src[e] = (gl_idx)gl_rng_below(&r, 40);
    dst[e] = (gl_idx)gl_rng_below(&r, 40);
  }
  gl_build_opts bo = {.symmetrize = true};
  gl_csr a, ahat;
  CHECK_OK(gl_csr_from_edges(&a, 40, 60, src, dst, NULL, &bo));
  CHECK_OK(gl_csr_gcn_norm(&ahat, &a, 1.0f));
  gl_idx nodes[6] = {1, 4, 9, 16, 25, 36};
  CHECK_OK(gl_batch_khop(&c.b, &ahat, nodes, 6, 2));
  c.b.key = 9;
  const int C = 3;
  float dl[18], norms[6], one[18];
  random_vec(dl, 18, &r);
  CHECK_OK(c.m->ops->forward(c.m, &c.x, &c.b, true, c.logits));
  CHECK_OK(c.m->ops->grad_norms(c.m, &c.b, dl, norms));
  for (int i = 0; i < 6; i++) {
    memset(one, 0, sizeof one);
    memcpy(one + i * C, dl + i * C, sizeof(float) * C);
    gl_params_zero_grad(c.m->params, c.m->n_params);
    CHECK_OK(c.m->ops->backward(c.m, &c.x, &c.b, one));
    double g2 = 0; /* W1 and b1: the output layer */
    for (int p = 0; p < c.m->n_params; p++)
      if (!strcmp(c.m->params[p].name, "W1") ||
          !strcmp(c.m->params[p].name, "b1"))
        g2 += gl_sumsq(c.m->params[p].n, c.m->params[p].g);
    CHECK_NEAR(norms[i], sqrt(g2), 1e-4 * (1 + sqrt(g2)));
  }
  /* only the loss rows are computed: the others get 0 */
  float kept[6];
  memcpy(kept, norms, sizeof kept);
  c.b.n_loss = 4; /* rows loss_pos[0..3] */
  CHECK_OK(c.m->ops->grad_norms(c.m, &c.b, dl, norms));
  for (int i = 0; i < 6; i++) {
    bool in = false;
    for (int j = 0; j < 4; j++) in |= c.b.loss_pos[j] == i;
    CHECK_EQ(norms[i], in ? kept[i] : 0.0f);
  }
  gcn_teardown(&c);
  gl_csr_free(&a);
  gl_csr_free(&ahat);
}

TEST(gnn_gcn_exact_history_gives_full_outputs) {
  /* With the exact hidden layer of a full-graph forward as history, a
   * batch of 5 nodes that computes only its own hidden rows afresh (their
   * neighbours' come from the history) gives the full-graph logits. */
  gl_csbm_opts o = {.n = 300, .k = 3, .d = 8, .deg = 6, .p_in = 0.8,
                    .mu = 1, .sigma = 1, .seed = 4};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 0, 0);
  gl_model_cfg cfg = {.model = "gcn", .n_features = 8, .n_classes = 3,
                      .hidden = 16, .layers = 2, .bias = true, .seed = 2};
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  float *full = malloc(sizeof(float) * 300 * 3);
  float *hist = malloc(sizeof(float) * 300 * 16);
  CHECK_OK(gl_model_eval(m, &tg.task, full));
  int width = 0;
  const float *h = m->ops->hidden(m, 0, &width);
  CHECK(h && width == 16 && !m->ops->hidden(m, 1, &width));
  memcpy(hist, h, sizeof(float) * 300 * 16);
  gl_idx nodes[5] = {5, 17, 42, 100, 250};
  gl_batch k = {0}, b = {0};
  CHECK_OK(gl_batch_khop(&k, &tg.ahat, nodes, 5, 1)); /* nodes and their
                                                         neighbours */
  b.n_layers = 2;
  b.layers = calloc(2, sizeof *b.layers);
  b.layers[0] = b.layers[1] = k.layers[0];
  b.layers[0].owned = b.layers[1].owned = false;
  b.layers[1].n_fresh = 5;
  b.layers[1].hist = hist;
  b.layers[1].hist_width = 16;
  b.n_out = 5;
  float out[15];
  CHECK_OK(m->ops->forward(m, &tg.x, &b, false, out));
  for (int i = 0; i < 5; i++)
    for (int c = 0; c < 3; c++)
      CHECK_NEAR(out[i * 3 + c], full[nodes[i] * 3 + c], 1e-5);
  gl_batch_free(&b);
  gl_batch_free(&k);
  gl_model_free(m);
  free(full);
  free(hist);
  gl_test_graph_free(&tg);
}

/* The FCN path (GraphMix): same weights, no graph, mixed hidden rows. */
typedef struct {
  gcn_ctx *c;
  gl_idx nodes[9];
  gl_mix mix;
  float r[9 * 3], out[9 * 3];
} fcn_ctx;

static double fcn_f(void *v) {
  fcn_ctx *f = v;
  f->c->m->ops->forward_fcn(f->c->m, &f->c->x, f->nodes, 9, &f->mix, true, 5,
                            f->out);
  return proj(f->out, f->r, 27);
}

TEST(gnn_gcn_fcn_gradient_with_mix) {
  for (int k = 0; k < 2; k++) {
    gcn_ctx c;
    gcn_setup(&c, k ? 3 : 2, k == 1, 0.3f);
    gl_rng r;
    gl_rng_seed(&r, 14);
    fcn_ctx f = {.c = &c};
    gl_idx nodes[9] = {4, 8, 15, 16, 23, 42 % 40, 1, 2, 3};
    memcpy(f.nodes, nodes, sizeof nodes);
    gl_idx rows[5] = {0, 2, 3, 5, 7}, perm[5] = {2, 0, 4, 1, 3};
    f.mix = (gl_mix){rows, perm, 5, 0.3f};
    random_vec(f.r, 27, &r);
    CHECK_OK(c.m->ops->forward_fcn(c.m, &c.x, f.nodes, 9, &f.mix, true, 5,
                                   f.out));
    gl_params_zero_grad(c.m->params, c.m->n_params);
    CHECK_OK(c.m->ops->backward_fcn(c.m, &c.x, f.r));
    for (int i = 0; i < c.m->n_params; i++) {
      gl_param *p = &c.m->params[i];
      float *g = malloc(p->n * sizeof *g);
      memcpy(g, p->g, p->n * sizeof *g);
      check_fd(p->name, p->w, g, p->n, fcn_f, &f, 3e-3);
      free(g);
    }
    /* without dropout and mix, the FCN equals the GCN on an identity graph */
    gl_idx ids[40];
    float ones[40], *lg = malloc(sizeof(float) * 40 * 3);
    for (int i = 0; i < 40; i++) {
      ids[i] = i;
      ones[i] = 1;
    }
    gl_csr eye;
    CHECK_OK(gl_csr_from_coo(&eye, 40, 40, 40, ids, ids, ones));
    gl_sampler *s;
    CHECK_OK(gl_sampler_full_new(&s, &eye, c.m->cfg.layers, ids, 40, 1));
    CHECK_OK(gl_sampler_next(s, &c.b));
    CHECK_OK(c.m->ops->forward(c.m, &c.x, &c.b, false, lg));
    CHECK_OK(c.m->ops->forward_fcn(c.m, &c.x, f.nodes, 9, NULL, false, 5,
                                   f.out));
    for (int i = 0; i < 9; i++)
      for (int j = 0; j < 3; j++)
        CHECK_NEAR(f.out[i * 3 + j], lg[nodes[i] * 3 + j], 1e-5);
    free(lg);
    gl_sampler_free(s);
    gl_csr_free(&eye);
    gcn_teardown(&c);
  }
}

TEST(gnn_gcn_fcn_rejects_bad_mix) {
  /* GCN's mixed FCN path checks the mix as GAT's and Graph U-Net's do
   * (one shared mix kernel): a row or partner out of range is an error,
   * not a read or write out of bounds */
  gcn_ctx c;
  gcn_setup(&c, 2, false, 0.3f);
  gl_idx nodes[9] = {4, 8, 15, 16, 23, 2, 1, 2, 3};
  float out[9 * 3];
  gl_idx rows[2] = {1000000, 2}, perm[2] = {1, 0};
  gl_mix mix = {rows, perm, 2, 0.3f};
  CHECK_ERR(c.m->ops->forward_fcn(c.m, &c.x, nodes, 9, &mix, true, 5, out),
            GL_EINVAL, "mix: entry 0 (row 1000000");
  rows[0] = -1;
  CHECK_ERR(c.m->ops->forward_fcn(c.m, &c.x, nodes, 9, &mix, true, 5, out),
            GL_EINVAL, "out of range");
  rows[0] = 0;
  perm[1] = 2;
  CHECK_ERR(c.m->ops->forward_fcn(c.m, &c.x, nodes, 9, &mix, true, 5, out),
            GL_EINVAL, "entry 1");
  perm[1] = 0;
  CHECK_OK(c.m->ops->forward_fcn(c.m, &c.x, nodes, 9, &mix, true, 5, out));
  gcn_teardown(&c);
}

TEST(gnn_gcn_rejects_bad_config) {
  gl_model *m;
  gl_model_cfg cfg = {.model = "gcn", .n_features = 10, .n_classes = 3,
                      .hidden = 6, .layers = 0};
  CHECK_ERR(gl_model_new(&m, &cfg), GL_EINVAL, "layers");
  cfg.layers = 2;
  cfg.dropout = 1.0f;
  CHECK_ERR(gl_model_new(&m, &cfg), GL_EINVAL, "dropout");
  snprintf(cfg.model, sizeof cfg.model, "nope");
  CHECK_ERR(gl_model_new(&m, &cfg), GL_ENOTFOUND, "unknown model 'nope'");
}

/* ------------------------------------------------------- training */
TEST(gnn_train_gcn_on_csbm) {
  /* A contextual SBM with weak features: the GCN must beat a features-only
   * model by using the graph, and reach high accuracy. */
  gl_csbm_opts o = {.n = 600, .k = 3, .d = 16, .deg = 8, .p_in = 0.9,
                    .mu = 0.5, .sigma = 1.0, .seed = 3};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 60, 140);
  const gl_task t = tg.task;
  double acc[2];
  for (int k = 0; k < 2; k++) {
    gl_model_cfg cfg = {.model = "gcn", .n_features = 16, .n_classes = 3,
                        .hidden = 16, .layers = 2, .dropout = 0.5f,
                        .hidden_dropout = 0.5f, .seed = 1};
    gl_model *m;
    CHECK_OK(gl_model_new(&m, &cfg));
    gl_csr eye;
    gl_idx ids[600];
    for (int i = 0; i < 600; i++) ids[i] = i;
    float ones[600];
    gl_fill(ones, 600, 1.0f);
    CHECK_OK(gl_csr_from_coo(&eye, 600, 600, 600, ids, ids, ones));
    gl_task tk = t;
    if (k == 1) tk.adj = &eye; /* no graph: an MLP */
    acc[k] = gl_test_train(m, &tk, 0.01, 5e-4, 100);
    gl_model_free(m);
    gl_csr_free(&eye);
  }
  printf("  CSBM: GCN %.3f, MLP %.3f\n", acc[0], acc[1]);
  CHECK_MSG(acc[0] > 0.8, "GCN test accuracy %.3f", acc[0]);
  CHECK_MSG(acc[0] > acc[1] + 0.1, "GCN %.3f vs MLP %.3f", acc[0], acc[1]);
  gl_test_graph_free(&tg);
}

/* y = H x for an explicit symmetric matrix (row-major n x n). */
typedef struct {
  const double *h;
  size_t n;
} dense_op;

static gl_status dense_mv(void *ctx, const double *x, double *y) {
  const dense_op *d = ctx;
  for (size_t i = 0; i < d->n; i++) {
    y[i] = 0;
    for (size_t j = 0; j < d->n; j++) y[i] += d->h[i * d->n + j] * x[j];
  }
  return GL_OK;
}

static gl_task *spectral_task;
static gl_model *spectral_model;
static double spectral_wd;

/* The gradient of the trainer's curvature loss (mean training
 * cross-entropy + L2 on decayed weights), written out here. */
static gl_status explicit_grad(void *ctx, const float *w, float *g,
                               double *loss) {
  (void)ctx;
  gl_model *m = spectral_model;
  const gl_task *t = spectral_task;
  for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
    memcpy(m->params[i].w, w + o, m->params[i].n * sizeof *w);
  float *lg = malloc(sizeof(float) * t->adj->n * t->n_classes);
  float *dl = malloc(sizeof(float) * t->adj->n * t->n_classes);
  float *lw = malloc(sizeof(float) * t->n_train);
  for (gl_idx i = 0; i < t->n_train; i++) lw[i] = 1.0f / t->n_train;
  CHECK_OK(gl_model_eval(m, t, lg));
  *loss = gl_softmax_xent(lg, t->adj->n, t->n_classes, NULL, t->y, t->train,
                          lw, t->n_train, dl);
  gl_block bl[1] = {{.a = *t->adj, .symmetric = true}};
  gl_batch b = {.n_layers = 1, .layers = bl, .n_out = t->adj->n};
  gl_params_zero_grad(m->params, m->n_params);
  CHECK_OK(m->ops->forward(m, t->x, &b, false, lg));
  CHECK_OK(m->ops->backward(m, t->x, &b, dl));
  for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
    for (size_t k = 0; k < m->params[i].n; k++)
      g[o + k] = m->params[i].g[k] +
                 (m->params[i].decay ? (float)spectral_wd * w[o + k] : 0);
  free(lg);
  free(dl);
  free(lw);
  return GL_OK;
}

/* The gradient of the batch's loss (no dropout) at flat weights w. */
static void batch_grad(gl_model *m, const gl_task *t, gl_batch *b,
                       bool train, const float *w, float *g) {
  for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
    memcpy(m->params[i].w, w + o, m->params[i].n * sizeof *w);
  float *lg = malloc(sizeof(float) * b->n_out * t->n_classes);
  float *dl = malloc(sizeof(float) * b->n_out * t->n_classes);
  CHECK_OK(m->ops->forward(m, t->x, b, train, lg));
  gl_softmax_xent(lg, b->n_out, t->n_classes, b->out_ids, t->y, b->loss_pos,
                  b->loss_w, b->n_loss, dl);
  gl_params_zero_grad(m->params, m->n_params);
  CHECK_OK(m->ops->backward(m, t->x, b, dl));
  for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
    memcpy(g + o, m->params[i].g, m->params[i].n * sizeof *g);
  free(lg);
  free(dl);
}

/* The optimiser's rate after each epoch's step (ctx: the optimiser). */
static double lr_trace[8];
static void record_lr(void *ctx, const gl_epoch_stats *s) {
  if (s->epoch < 8) lr_trace[s->epoch] = ((const gl_optim *)ctx)->lr;
}

TEST(gnn_train_lr_schedule) {
  /* Full batches (a step an epoch), 6 epochs, warm-up 2, linear decay to 0
   * at step 6: rates 0.5, 1, 1, 0.75, 0.5, 0.25 of the base. */
  gl_csbm_opts o = {.n = 60, .k = 2, .d = 4, .deg = 4, .p_in = 0.8,
                    .mu = 1, .sigma = 1, .seed = 2};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 10, 10);
  gl_model_cfg cfg = {.model = "gcn", .n_features = 4, .n_classes = 2,
                      .hidden = 4, .layers = 2, .seed = 1};
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  gl_optim_opts oo = gl_optim_defaults(GL_OPT_SGD);
  oo.lr = 0.2;
  gl_optim *opt;
  CHECK_OK(gl_optim_new(&opt, &oo));
  gl_sampler *s;
  CHECK_OK(gl_sampler_full_new(&s, tg.task.adj, 2, tg.task.train,
                               tg.task.n_train, 1));
  gl_train_opts to = gl_train_defaults();
  to.epochs = 6;
  to.stop = GL_STOP_NONE;
  to.warmup = 2;
  to.decay_power = 1;
  to.on_epoch = record_lr;
  to.ctx = opt;
  gl_train_result r;
  CHECK_OK(gl_train(m, &tg.task, s, opt, &to, &r));
  const double want[6] = {0.5, 1, 1, 0.75, 0.5, 0.25};
  for (int t = 0; t < 6; t++) CHECK_NEAR(lr_trace[t], 0.2 * want[t], 1e-12);
  gl_sampler_free(s);
  gl_optim_free(opt);
  gl_model_free(m);
  gl_test_graph_free(&tg);
}

TEST(gnn_gcn_exact_hvp) {
  /* The GCN's R-operator Hessian-vector product on the training nodes'
   * 3-hop batch of a 3-layer GCN with biases, without dropout and with the
   * batch's dropout masks held: symmetric (u.Hv = v.Hu) and equal to
   * central differences of the gradient along v. */
  gl_csbm_opts o = {.n = 150, .k = 3, .d = 6, .deg = 4, .p_in = 0.8,
                    .mu = 1, .sigma = 1, .seed = 7};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 30, 30);
  const gl_task *t = &tg.task;
  gl_model_cfg cfg = {.model = "gcn", .n_features = 6, .n_classes = 3,
                      .hidden = 5, .layers = 3, .bias = true, .dropout = 0.3f,
                      .hidden_dropout = 0.4f, .seed = 5};
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  for (int i = 0; i < m->n_params; i++) /* non-zero biases */
    if (m->params[i].rows == 1)
      for (size_t k = 0; k < m->params[i].n; k++)
        m->params[i].w[k] = 0.1f * (float)((int)k % 3 - 1);
  const size_t n = gl_params_count(m->params, m->n_params);
  gl_batch b = {0};
  CHECK_OK(gl_batch_khop(&b, t->adj, t->train, t->n_train, cfg.layers));
  b.key = 99;
  float *w0 = malloc(sizeof(float) * n), *w = malloc(sizeof(float) * n);
  float *u = malloc(sizeof(float) * n), *v = malloc(sizeof(float) * n);
  float *hu = malloc(sizeof(float) * n), *hv = malloc(sizeof(float) * n);
  float *h0 = malloc(sizeof(float) * n);
  float *gp = malloc(sizeof(float) * n), *gm = malloc(sizeof(float) * n);
  for (int i = 0, off = 0; i < m->n_params; off += m->params[i++].n)
    memcpy(w0 + off, m->params[i].w, m->params[i].n * sizeof(float));
  gl_rng r;
  gl_rng_seed(&r, 11);
  for (size_t i = 0; i < n; i++) {
    u[i] = (float)gl_rng_normal(&r);
    v[i] = (float)gl_rng_normal(&r);
  }
  for (int train = 0; train < 2; train++) {
    for (int i = 0, off = 0; i < m->n_params; off += m->params[i++].n)
      memcpy(m->params[i].w, w0 + off, m->params[i].n * sizeof(float));
    CHECK_OK(m->ops->hvp(m, t->x, &b, t->y, train, false, u, hu));
    CHECK_OK(m->ops->hvp(m, t->x, &b, t->y, train, true, v, hv));
    if (!train) memcpy(h0, hv, n * sizeof *hv);
    double uhv = 0, vhu = 0, nv = 0, nhv = 0, diff = 0;
    for (size_t i = 0; i < n; i++) {
      uhv += (double)u[i] * hv[i];
      vhu += (double)v[i] * hu[i];
      nv += (double)v[i] * v[i];
      nhv += (double)hv[i] * hv[i];
      diff += ((double)hv[i] - h0[i]) * ((double)hv[i] - h0[i]);
    }
    CHECK_MSG(fabs(uhv - vhu) < 1e-4 * sqrt(nhv * nv),
              "train %d: u.Hv %.8g, v.Hu %.8g", train, uhv, vhu);
    CHECK(nhv > 1e-6);
    if (train) /* the masks change the Hessian */
      CHECK_MSG(sqrt(diff) > 0.05 * sqrt(nhv), "dropout: |dHv| %.3g",
                sqrt(diff));
    const double eps = 1e-4 / sqrt(nv); /* small: ReLU kinks */
    for (size_t i = 0; i < n; i++) w[i] = w0[i] + (float)(eps * v[i]);
    batch_grad(m, t, &b, train, w, gp);
    for (size_t i = 0; i < n; i++) w[i] = w0[i] - (float)(eps * v[i]);
    batch_grad(m, t, &b, train, w, gm);
    double err = 0;
    for (size_t i = 0; i < n; i++) {
      const double fd = ((double)gp[i] - gm[i]) / (2 * eps);
      err += (fd - hv[i]) * (fd - hv[i]);
    }
    CHECK_MSG(sqrt(err) < 1e-2 * sqrt(nhv), "train %d: |Hv - FD| %.3g, "
              "|Hv| %.3g", train, sqrt(err), sqrt(nhv));
  }
  gl_batch_free(&b);
  free(w0);
  free(w);
  free(u);
  free(v);
  free(hu);
  free(hv);
  free(h0);
  free(gp);
  free(gm);
  gl_model_free(m);
  gl_test_graph_free(&tg);
}

TEST(gnn_spectral_learner_estimate) {
  /* The trainer's first spectral estimate (before any step, all Lanczos
   * steps on a one-layer GCN of 12 weights: smooth, where ReLU's kinks
   * would make difference quotients depend on the direction) gives the
   * extreme eigenvalue of the Hessian built column by column from the
   * gradient here; the epoch then takes one plain SGD step from the
   * weights as they were at the rate it set. */
  gl_csbm_opts o = {.n = 120, .k = 3, .d = 4, .deg = 5, .p_in = 0.8,
                    .mu = 1, .sigma = 1, .seed = 4};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 40, 40);
  gl_model_cfg cfg = {.model = "gcn", .n_features = 4, .n_classes = 3,
                      .hidden = 3, .layers = 1, .decay_all = true,
                      .seed = 3}; /* no dropout: the curvature is the
                                     loss below */
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  const size_t n = gl_params_count(m->params, m->n_params);
  CHECK_EQ(n, 4 * 3);
  float *w0 = malloc(sizeof(float) * n), *after = malloc(sizeof(float) * n);
  for (int i = 0, off = 0; i < m->n_params; off += m->params[i++].n)
    memcpy(w0 + off, m->params[i].w, m->params[i].n * sizeof(float));
  /* the Hessian, column by column, symmetrised */
  spectral_task = &tg.task;
  spectral_model = m;
  spectral_wd = 5e-3;
  float wp[32], gp[32], gm[32];
  gl_hvp h = {explicit_grad, NULL, w0, n, 1e-3, wp, gp, gm};
  double *H = calloc(n * n, sizeof *H), e[32], col[32];
  for (size_t j = 0; j < n; j++) {
    memset(e, 0, sizeof e);
    e[j] = 1;
    CHECK_OK(gl_hvp_fd(&h, e, col));
    for (size_t i = 0; i < n; i++) H[i * n + j] = col[i];
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++)
      H[i * n + j] = H[j * n + i] = 0.5 * (H[i * n + j] + H[j * n + i]);
  dense_op d = {H, n};
  double v0[32], th[32], tau[32];
  for (size_t i = 0; i < n; i++) v0[i] = 1 + 0.1 * (double)i;
  int got;
  CHECK_OK(gl_lanczos(dense_mv, &d, n, (int)n, v0, th, tau, &got));
  const double lmax = fmax(fabs(th[0]), fabs(th[got - 1]));

  for (int i = 0, off = 0; i < m->n_params; off += m->params[i++].n)
    memcpy(m->params[i].w, w0 + off, m->params[i].n * sizeof(float));
  /* the trainer: one epoch of SGD with the learner, no step taken before
   * the estimate; lr read back */
  gl_optim_opts oo = gl_optim_defaults(GL_OPT_SGD);
  oo.weight_decay = spectral_wd;
  gl_optim *opt;
  CHECK_OK(gl_optim_new(&opt, &oo));
  gl_train_opts to = gl_train_defaults();
  to.epochs = 1;
  to.stop = GL_STOP_NONE;
  to.spectral = GL_SPECTRAL_SGD;
  to.spectral_steps = (int)n;
  gl_sampler *s;
  CHECK_OK(gl_sampler_full_new(&s, tg.task.adj, 1, tg.task.train,
                               tg.task.n_train, 1));
  gl_train_result res;
  CHECK_OK(gl_train(m, &tg.task, s, opt, &to, &res));
  CHECK_EQ(res.estimates, 1);
  CHECK_MSG(fabs(res.lambda_max - lmax) < 1e-3 * lmax,
            "lambda_max %.6g, explicit %.6g", res.lambda_max, lmax);
  CHECK_NEAR(opt->lr, res.lr, 0);
  for (int i = 0, off = 0; i < m->n_params; off += m->params[i++].n)
    memcpy(after + off, m->params[i].w, m->params[i].n * sizeof(float));
  /* replay: from w0, one SGD step at that rate on the same batch */
  gl_optim_opts o2 = oo;
  o2.lr = res.lr;
  gl_optim *opt2;
  CHECK_OK(gl_optim_new(&opt2, &o2));
  gl_train_opts t2 = to;
  t2.spectral = GL_SPECTRAL_NONE;
  for (int i = 0, off = 0; i < m->n_params; off += m->params[i++].n)
    memcpy(m->params[i].w, w0 + off, m->params[i].n * sizeof(float));
  gl_sampler *s2;
  CHECK_OK(gl_sampler_full_new(&s2, tg.task.adj, 1, tg.task.train,
                               tg.task.n_train, 1));
  CHECK_OK(gl_train(m, &tg.task, s2, opt2, &t2, &res));
  for (int i = 0, off = 0; i < m->n_params; off += m->params[i++].n)
    for (size_t k = 0; k < m->params[i].n; k++)
      CHECK_NEAR(m->params[i].w[k], after[off + k], 1e-6);
  gl_sampler_free(s);
  gl_sampler_free(s2);
  gl_optim_free(opt);
  gl_optim_free(opt2);
  gl_model_free(m);
  free(H);
  free(w0);
  free(after);
  gl_test_graph_free(&tg);
}

/* ------------------------------------------------------- stopping rules */
/* The epoch after which a stopping rule ends training, from the recorded
 * validation losses (with L2, as the trainer compares them) and
 * accuracies: GL_STOP_LOSS after `patience` epochs without a loss at or
 * below the lowest so far, GL_STOP_PATIENCE when neither the loss nor the
 * accuracy improved.  n if the rule never fires. */
static int stop_epoch(const gl_test_epochs *l, gl_stop_rule rule,
                      int patience) {
  double best_loss = INFINITY, best_acc = -1;
  int bad = 0;
  for (int e = 0; e < l->n; e++) {
    if (l->loss[e] <= best_loss ||
        (rule == GL_STOP_PATIENCE && l->acc[e] >= best_acc))
      bad = 0;
    else if (++bad >= patience)
      return e;
    best_loss = fmin(best_loss, l->loss[e]);
    best_acc = fmax(best_acc, l->acc[e]);
  }
  return l->n;
}

TEST(gnn_train_stop_rules) {
  /* Shchur et al.'s rule (GL_STOP_LOSS) and GAT's (GL_STOP_PATIENCE) on a
   * model that overfits: each stops at the epoch its rule gives on the
   * unstopped run's curves (the same run up to there; GAT's, which an
   * accuracy tie resets, may run to the end), the loss rule no later than
   * GAT's, and the loss rule keeps the weights of the lowest
   * validation cross-entropy */
  gl_test_graph tg;
  gl_test_csbm_overfit(&tg);
  gl_model_cfg cfg = {.model = "gcn", .n_features = 8, .n_classes = 3,
                      .hidden = 16, .layers = 2, .bias = true, .seed = 3};
  const gl_stop_rule rules[3] = {GL_STOP_NONE, GL_STOP_LOSS,
                                 GL_STOP_PATIENCE};
  gl_test_epochs full = {0};
  int stopped[3] = {0};
  for (int k = 0; k < 3; k++) {
    gl_model *m;
    CHECK_OK(gl_model_new(&m, &cfg));
    gl_sampler *s;
    CHECK_OK(gl_sampler_full_new(&s, tg.task.adj, 2, tg.task.train,
                                 tg.task.n_train, 1));
    gl_optim_opts oo = gl_optim_defaults(GL_OPT_ADAM);
    oo.lr = 0.02;
    gl_optim *opt;
    CHECK_OK(gl_optim_new(&opt, &oo));
    gl_test_epochs lg = {.m = NULL};
    gl_train_opts to = gl_train_defaults();
    to.stop = rules[k];
    to.patience = 20;
    to.epochs = GL_TEST_EPOCHS;
    to.select = GL_SELECT_BEST_LOSS;
    to.on_epoch = gl_test_record_epoch;
    to.ctx = &lg;
    gl_train_result res;
    CHECK_OK(gl_train(m, &tg.task, s, opt, &to, &res));
    stopped[k] = res.epochs_run;
    if (k == 0) {
      full = lg;
      CHECK_EQ(res.epochs_run, GL_TEST_EPOCHS);
    } else {
      const int want = stop_epoch(&full, rules[k], 20);
      CHECK_MSG(rules[k] != GL_STOP_LOSS || want < GL_TEST_EPOCHS - 1,
                "the loss rule never fires: the test needs other curves");
      CHECK_EQ(res.epochs_run, want < GL_TEST_EPOCHS ? want + 1 : want);
      for (int e = 0; e < lg.n; e++)
        CHECK_NEAR(lg.loss[e], full.loss[e], 0);
      CHECK_SELECTED(m, &tg, &lg, gl_test_selected(&lg, GL_SELECT_BEST_LOSS),
                     &res);
    }
    gl_optim_free(opt);
    gl_sampler_free(s);
    gl_model_free(m);
  }
  CHECK(stopped[1] <= stopped[2]);
  printf("  stopped after %d (loss) and %d (patience) of %d epochs\n",
         stopped[1], stopped[2], stopped[0]);
  gl_test_graph_free(&tg);
}
