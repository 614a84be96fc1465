/* Tests of the GAT model (gnn/gat.c): the edge softmax against hand values,
 * the whole forward against a dense double-precision reference, every
 * parameter's gradient against central finite differences (dropout on:
 * masks are fixed by the batch key) over the full graph, a sampled batch of
 * non-square blocks and the FCN path with a mix; the per-head input
 * dropout; configuration errors; training on a generated graph and the
 * training loop's choice of the epoch whose weights are kept. */
#include "tests/test.h"

enum { N = 30, NF = 10, NC = 3 };

static gl_param *param(gl_model *m, const char *name) {
  for (int i = 0; i < m->n_params; i++)
    if (strcmp(m->params[i].name, name) == 0) return &m->params[i];
  gl_test_fail(__FILE__, __LINE__, "no parameter %s", name);
  return NULL;
}

static gl_model_cfg small_cfg(float drop) {
  gl_model_cfg c = {.model = "gat", .n_features = NF, .n_classes = NC,
                    .hidden = 3, .layers = 2, .heads = 2, .out_heads = 2,
                    .dropout = drop, .attn_dropout = drop, .leaky = 0.2f,
                    .bias = true, .decay_all = true, .seed = 5};
  return c;
}

/* ------------------------------------------------------- edge softmax */
TEST(gat_edge_softmax_hand_values) {
  /* 3 nodes, edges 0-1 and 1-2 with self loops, x = I, one layer, one head:
   * z_i = W[i] = (1,0), (0,1), (1,1); a_src = (1,-1) gives source scores
   * 1, -1, 0; a_dst = (0.5, 2) destination scores 0.5, 2, 2.5.
   *   row 0: e = 1.5, lrelu(-0.5) = -0.1 -> alpha00 = sigmoid(1.6)
   *   row 1: e = 3, 1, 2             -> softmax(3, 1, 2)
   *   row 2: e = 1.5, 2.5            -> alpha22 = sigmoid(1) */
  gl_idx ri[7] = {0, 0, 1, 1, 1, 2, 2}, ci[7] = {0, 1, 0, 1, 2, 1, 2};
  gl_idx id3[3] = {0, 1, 2};
  gl_csr a, x;
  CHECK_OK(gl_csr_from_coo(&a, 3, 3, 7, ri, ci, NULL));
  CHECK_OK(gl_csr_from_coo(&x, 3, 3, 3, id3, id3, NULL));
  gl_model_cfg cfg = {.model = "gat", .n_features = 3, .n_classes = 2,
                      .layers = 1, .out_heads = 1, .leaky = 0.2f};
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  CHECK_EQ(m->n_params, 3); /* W0 a_src0 a_dst0, no bias */
  float w[6] = {1, 0, 0, 1, 1, 1}, as[2] = {1, -1}, ad[2] = {0.5f, 2};
  memcpy(param(m, "W0")->w, w, sizeof w);
  gl_block blk = {.a = a, .symmetric = true};
  gl_batch b = {.n_layers = 1, .layers = &blk, .n_out = 3};
  float out[6];
  const double want[6] = {0.8320183851, 0.1679816149, 0.9099694268,
                          0.3347590442, 0.7310585786, 1.0};
  for (int big = 0; big < 2; big++) {
    /* big: scores x100 (e up to 300): exp would overflow without the row
     * max subtracted; rows become one-hot on their largest score */
    float s = big ? 100.0f : 1.0f;
    for (int k = 0; k < 2; k++) {
      param(m, "a_src0")->w[k] = s * as[k];
      param(m, "a_dst0")->w[k] = s * ad[k];
    }
    CHECK_OK(m->ops->forward(m, &x, &b, false, out));
    const double want_big[6] = {1, 0, 1, 0, 1, 1};
    for (int i = 0; i < 6; i++)
      CHECK_NEAR(out[i], big ? want_big[i] : want[i], 1e-6);
  }
  gl_model_free(m);
  gl_csr_free(&a);
  gl_csr_free(&x);
}

/* ------------------------------------------------------- fixtures */
typedef struct {
  gl_model *m;
  gl_csr x, adj, ahat;
  gl_batch b;
  int32_t y[N];
  float logits[N * NC];
  /* FCN */
  gl_idx nodes[12];
  gl_mix mix, *mixp;
} gat_ctx;

static void ctx_setup(gat_ctx *c, const gl_model_cfg *cfg) {
  gl_rng r;
  gl_rng_seed(&r, 21);
  memset(c, 0, sizeof *c);
  gl_test_random_csr(&c->x, N, NF, 3, &r);
  for (int i = 0; i < N; i++) c->y[i] = (int32_t)gl_rng_below(&r, NC);
  gl_idx src[45], dst[45];
  for (int e = 0; e < 45; e++) {
    src[e] = (gl_idx)gl_rng_below(&r, N);
    dst[e] = (gl_idx)gl_rng_below(&r, N);
  }
  gl_build_opts bo = {.symmetrize = true};
  CHECK_OK(gl_csr_from_edges(&c->adj, N, 45, src, dst, NULL, &bo));
  CHECK_OK(gl_csr_gcn_norm(&c->ahat, &c->adj, 1.0f)); /* with self loops */
  CHECK_OK(gl_model_new(&c->m, cfg));
  for (int i = 0; c->m && i < c->m->n_params; i++) /* biases away from 0 */
    if (c->m->params[i].name[0] == 'b')
      gl_test_random_vec(c->m->params[i].w, c->m->params[i].n, &r);
}

static void ctx_teardown(gat_ctx *c) {
  gl_model_free(c->m);
  gl_csr_free(&c->x);
  gl_csr_free(&c->adj);
  gl_csr_free(&c->ahat);
  gl_batch_free(&c->b);
}

static double graph_loss(gat_ctx *c, float *dlogits) {
  CHECK_OK(c->m->ops->forward(c->m, &c->x, &c->b, true, c->logits));
  return gl_softmax_xent(c->logits, c->b.n_out, NC, c->b.out_ids, c->y,
                         c->b.loss_pos, c->b.loss_w, c->b.n_loss, dlogits);
}
static double graph_f(void *c) { return graph_loss(c, NULL); }

/* FCN loss: the mean cross-entropy over the 12 rows `nodes`. */
static double fcn_loss(gat_ctx *c, float *dlogits) {
  CHECK_OK(c->m->ops->forward_fcn(c->m, &c->x, c->nodes, 12, c->mixp, true,
                                  99, c->logits));
  gl_idx pos[12];
  float w[12];
  for (int i = 0; i < 12; i++) {
    pos[i] = i;
    w[i] = 1.0f / 12;
  }
  return gl_softmax_xent(c->logits, 12, NC, c->nodes, c->y, pos, w, 12,
                         dlogits);
}
static double fcn_f(void *c) { return fcn_loss(c, NULL); }

/* Analytic gradients of every parameter against finite differences. */
static void check_grads(gat_ctx *c, bool fcn) {
  float dl[N * NC];
  gl_params_zero_grad(c->m->params, c->m->n_params);
  if (fcn) {
    fcn_loss(c, dl);
    CHECK_OK(c->m->ops->backward_fcn(c->m, &c->x, dl));
  } else {
    graph_loss(c, dl);
    CHECK_OK(c->m->ops->backward(c->m, &c->x, &c->b, dl));
  }
  for (int i = 0; i < c->m->n_params; i++) {
    gl_param *p = &c->m->params[i];
    float *g = malloc(p->n * sizeof *g);
    memcpy(g, p->g, p->n * sizeof *g);
    /* every gradient is non-zero, but the FCN's attention vectors' (a node
     * attending only to itself has alpha = 1 whatever the scores) */
    bool att = strncmp(p->name, "a_", 2) == 0;
    double gn = gl_sumsq(p->n, g);
    CHECK_MSG(fcn && att ? gn == 0 : gn > 0, "%s: gradient norm^2 %g",
              p->name, gn);
    CHECK_FD(p->name, p->w, g, p->n, fcn ? fcn_f : graph_f, c, 3e-3);
    free(g);
  }
}

static void full_batch(gat_ctx *c, gl_idx n_loss) {
  gl_idx loss_nodes[10] = {0, 3, 5, 7, 11, 13, 17, 19, 23, 29};
  gl_sampler *s;
  CHECK_OK(gl_sampler_full_new(&s, &c->ahat, c->m->cfg.layers, loss_nodes,
                               n_loss, 1));
  CHECK_OK(gl_sampler_next(s, &c->b));
  gl_sampler_free(s);
}

/* ------------------------------------------------------- forward */
/* The GAT forward in double over a dense pattern, no dropout. */
static void ref_forward(gl_model *m, const gl_csr *x, const gl_csr *a,
                        double *logits) {
  const gl_model_cfg *cfg = &m->cfg;
  int din = cfg->n_features;
  double *h = calloc((size_t)N * 64, sizeof *h);
  for (gl_idx i = 0; i < N; i++)
    for (gl_off e = x->ptr[i]; e < x->ptr[i + 1]; e++)
      h[i * din + x->col[e]] = gl_csr_w(x, e);
  for (int l = 0; l < cfg->layers; l++) {
    bool last = l == cfg->layers - 1;
    int H = last ? cfg->out_heads : cfg->heads;
    int F = last ? cfg->n_classes : cfg->hidden;
    char nm[4][24];
    snprintf(nm[0], 24, "W%d", l);
    snprintf(nm[1], 24, "a_src%d", l);
    snprintf(nm[2], 24, "a_dst%d", l);
    snprintf(nm[3], 24, "b%d", l);
    const float *W = param(m, nm[0])->w, *as = param(m, nm[1])->w,
                *ad = param(m, nm[2])->w, *b = param(m, nm[3])->w;
    double z[N][64], out[N][64];
    for (int i = 0; i < N; i++)
      for (int k = 0; k < H * F; k++) {
        z[i][k] = 0;
        for (int q = 0; q < din; q++)
          z[i][k] += h[i * din + q] * W[q * H * F + k];
    /* values are unit-major: unit f of head hd at f H + hd */
      }
    for (int i = 0; i < N; i++)
      for (int hd = 0; hd < H; hd++) {
        double e[N], mx = -1e300, sum = 0;
        for (gl_off t = a->ptr[i]; t < a->ptr[i + 1]; t++) {
          int j = a->col[t];
          double s = 0;
          for (int f = 0; f < F; f++)
            s += ad[f * H + hd] * z[i][f * H + hd] +
                 as[f * H + hd] * z[j][f * H + hd];
          e[t - a->ptr[i]] = s > 0 ? s : cfg->leaky * s;
          if (e[t - a->ptr[i]] > mx) mx = e[t - a->ptr[i]];
        }
        for (gl_off t = a->ptr[i]; t < a->ptr[i + 1]; t++)
          sum += exp(e[t - a->ptr[i]] - mx);
        for (int f = 0; f < F; f++) {
          double v = b[f * H + hd];
          for (gl_off t = a->ptr[i]; t < a->ptr[i + 1]; t++)
            v += exp(e[t - a->ptr[i]] - mx) / sum * z[a->col[t]][f * H + hd];
          out[i][f * H + hd] = v;
        }
      }
    if (last) {
      for (int i = 0; i < N; i++)
        for (int f = 0; f < F; f++) {
          double s = 0;
          for (int hd = 0; hd < H; hd++) s += out[i][f * H + hd];
          logits[i * F + f] = s / H;
        }
    } else {
      din = H * F;
      for (int i = 0; i < N; i++)
        for (int k = 0; k < din; k++)
          h[i * din + k] = out[i][k] > 0 ? out[i][k] : expm1(out[i][k]);
    }
  }
  free(h);
}

TEST(gat_forward_matches_dense_reference) {
  for (int k = 0; k < 3; k++) {
    gl_model_cfg cfg = small_cfg(0.5f);
    if (k == 1) { /* three layers, 4 hidden heads of 5 */
      cfg.layers = 3;
      cfg.heads = 4;
      cfg.hidden = 5;
      cfg.out_heads = 3;
    } else if (k == 2) { /* the specialised kernels: 8 heads, then 1 */
      cfg.heads = 8;
      cfg.hidden = 6;
      cfg.out_heads = 1;
    }
    gat_ctx c;
    ctx_setup(&c, &cfg);
    full_batch(&c, 10);
    float lg[N * NC];
    double want[N * NC];
    CHECK_OK(c.m->ops->forward(c.m, &c.x, &c.b, false, lg));
    ref_forward(c.m, &c.x, &c.ahat, want);
    for (int i = 0; i < N * NC; i++) CHECK_NEAR(lg[i], want[i], 2e-5);
    /* dropout only in training, and fixed by the batch key */
    float t1[N * NC], t2[N * NC];
    CHECK_OK(c.m->ops->forward(c.m, &c.x, &c.b, true, t1));
    CHECK_OK(c.m->ops->forward(c.m, &c.x, &c.b, true, t2));
    CHECK(memcmp(t1, t2, sizeof t1) == 0);
    CHECK(memcmp(t1, lg, sizeof t1) != 0);
    ctx_teardown(&c);
  }
}

/* ------------------------------------------------------- gradients */
TEST(gat_gradient_full_graph) {
  /* 2 heads (the generic kernels), then 8 hidden heads and one output head
   * (the kernels specialised for them), then 8 heads of 8 and 8 output
   * heads (Pubmed's shape: every layer's input dropped per head) */
  for (int k = 0; k < 4; k++) {
    gl_model_cfg cfg = small_cfg(k ? 0.3f : 0.0f);
    if (k == 2) {
      cfg.heads = 8;
      cfg.hidden = 2;
      cfg.out_heads = 1;
    } else if (k == 3) {
      cfg.heads = cfg.hidden = cfg.out_heads = 8;
    }
    gat_ctx c;
    ctx_setup(&c, &cfg);
    CHECK_EQ(c.m->n_params, 8);
    full_batch(&c, 10);
    c.b.key = 1234;
    check_grads(&c, false);
    ctx_teardown(&c);
  }
}

/* Each head drops the layer input with a mask of its own (as the
 * reference's attn_head does): seen through the FCN path, which has no z or
 * attention dropout.  The gradient of the last layer's W for head h is
 * drop_h(in)^T dz_h, and dz_h = dlogits / H is the same for every head, so
 * its columns f H + h are equal across heads exactly when the heads share
 * one mask: without dropout they are, with it they must not be.  One layer
 * checks the sparse first layer, two the dense later layers; 4 heads run
 * the generic kernels, 8 the specialised ones. */
TEST(gat_input_dropout_per_head) {
  for (int k = 0; k < 8; k++) {
    const bool drop = k & 1;
    gl_model_cfg cfg = small_cfg(drop ? 0.5f : 0.0f);
    cfg.layers = 1 + (k >> 1 & 1);
    cfg.out_heads = k & 4 ? 8 : 4;
    gat_ctx c;
    ctx_setup(&c, &cfg);
    const int H = cfg.out_heads, L = cfg.layers;
    float dl[12 * NC];
    gl_rng r;
    gl_rng_seed(&r, 8);
    gl_test_random_vec(dl, 12 * NC, &r);
    gl_idx nodes[12] = {4, 8, 15, 16, 23, 12, 1, 2, 3, 8, 29, 0};
    gl_params_zero_grad(c.m->params, c.m->n_params);
    CHECK_OK(c.m->ops->forward_fcn(c.m, &c.x, nodes, 12, NULL, true, 7,
                                   c.logits));
    CHECK_OK(c.m->ops->backward_fcn(c.m, &c.x, dl));
    const gl_param *w = param(c.m, L == 1 ? "W0" : "W1");
    CHECK_EQ((int)w->cols, H * NC);
    for (int h = 1; h < H; h++) {
      int same = 1;
      for (int q = 0; q < (int)w->rows; q++)
        for (int f = 0; f < NC; f++)
          same &= w->g[q * H * NC + f * H + h] == w->g[q * H * NC + f * H];
      CHECK_MSG(same == !drop, "%d layers, %d heads, dropout %d: head %d's "
                "gradient %s head 0's", L, H, drop, h,
                same ? "equals" : "differs from");
    }
    ctx_teardown(&c);
  }
}

/* Removes the entries of row r of a. */
static void empty_row(gl_csr *a, gl_idx r) {
  gl_off lo = a->ptr[r], k = a->ptr[r + 1] - lo;
  memmove(a->col + lo, a->col + lo + k, (a->nnz - lo - k) * sizeof *a->col);
  if (a->val)
    memmove(a->val + lo, a->val + lo + k, (a->nnz - lo - k) * sizeof *a->val);
  for (gl_idx i = r + 1; i <= a->n; i++) a->ptr[i] -= k;
  a->nnz -= k;
}

/* A hand-built two-layer batch: 12 source nodes -> 7 -> 4 outputs, random
 * non-symmetric blocks, destinations the first sources (ids 3i mod 30);
 * destination 5 of the first block has no neighbours (its output is b). */
static void sampled_batch(gat_ctx *c, bool with_at) {
  gl_rng r;
  gl_rng_seed(&r, 13);
  c->b.n_layers = 2;
  c->b.layers = calloc(2, sizeof *c->b.layers);
  gl_idx n_src[2] = {12, 7}, n_dst[2] = {7, 4};
  for (int l = 0; l < 2; l++) {
    gl_block *k = &c->b.layers[l];
    gl_test_random_csr(&k->a, n_dst[l], n_src[l], 3, &r);
    if (l == 0) empty_row(&k->a, 5);
    if (with_at) CHECK_OK(gl_csr_transpose(&k->at, &k->a));
    k->owned = true;
    k->src_ids = malloc(sizeof(gl_idx) * n_src[l]);
    k->dst_ids = malloc(sizeof(gl_idx) * n_dst[l]);
    for (gl_idx i = 0; i < n_src[l]; i++) k->src_ids[i] = 3 * i % N;
    for (gl_idx i = 0; i < n_dst[l]; i++) k->dst_ids[i] = 3 * i % N;
  }
  c->b.n_out = 4;
  c->b.out_ids = malloc(sizeof(gl_idx) * 4);
  for (int i = 0; i < 4; i++) c->b.out_ids[i] = 3 * i;
  c->b.n_loss = 3;
  c->b.loss_pos = malloc(sizeof(gl_idx) * 3);
  c->b.loss_w = malloc(sizeof(float) * 3);
  for (int i = 0; i < 3; i++) {
    c->b.loss_pos[i] = i + 1;
    c->b.loss_w[i] = 0.25f + 0.1f * i;
  }
  c->b.key = 77;
}

TEST(gat_gradient_sampled_blocks) {
  gl_model_cfg cfg = small_cfg(0.3f);
  float *g[2][8];
  for (int k = 0; k < 2; k++) {
    gat_ctx c;
    ctx_setup(&c, &cfg);
    sampled_batch(&c, k == 1);
    if (k == 0) check_grads(&c, false); /* the transpose built by the model */
    float dl[4 * NC];
    graph_loss(&c, dl);
    gl_params_zero_grad(c.m->params, c.m->n_params);
    CHECK_OK(c.m->ops->backward(c.m, &c.x, &c.b, dl));
    for (int i = 0; i < 8; i++) {
      g[k][i] = malloc(c.m->params[i].n * sizeof(float));
      memcpy(g[k][i], c.m->params[i].g, c.m->params[i].n * sizeof(float));
      if (k == 1) /* the sampler's transpose gives the same gradients */
        CHECK(memcmp(g[0][i], g[1][i], c.m->params[i].n * sizeof(float)) ==
              0);
    }
    /* features of another width and blocks that do not chain are refused */
    c.x.m = NF + 1;
    CHECK_ERR(c.m->ops->forward(c.m, &c.x, &c.b, true, c.logits), GL_EINVAL,
              "features");
    CHECK_ERR(c.m->ops->forward_fcn(c.m, &c.x, c.nodes, 1, NULL, true, 1,
                                    c.logits), GL_EINVAL, "features");
    c.x.m = NF;
    c.b.layers[1].a.m = 5;
    CHECK_ERR(c.m->ops->forward(c.m, &c.x, &c.b, true, c.logits), GL_EINVAL,
              "block 1");
    c.b.layers[1].a.m = 7;
    ctx_teardown(&c);
  }
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < 8; i++) free(g[k][i]);
}

TEST(gat_gradient_fcn_with_mix) {
  gl_model_cfg cfg = small_cfg(0.3f);
  gat_ctx c;
  ctx_setup(&c, &cfg);
  gl_idx nodes[12] = {4, 8, 15, 16, 23, 12, 1, 2, 3, 8, 29, 0};
  memcpy(c.nodes, nodes, sizeof nodes);
  static gl_idx rows[5] = {0, 2, 3, 5, 7}, perm[5] = {2, 0, 4, 1, 3};
  c.mix = (gl_mix){rows, perm, 5, 0.3f};
  c.mixp = &c.mix;
  check_grads(&c, true);
  /* the mix acts: outputs of mixed rows change, others do not (in eval) */
  float a[12 * NC], b[12 * NC];
  CHECK_OK(c.m->ops->forward_fcn(c.m, &c.x, c.nodes, 12, &c.mix, false, 1, a));
  CHECK_OK(c.m->ops->forward_fcn(c.m, &c.x, c.nodes, 12, NULL, false, 1, b));
  CHECK(fabsf(a[0] - b[0]) > 1e-6f);
  CHECK(a[NC] == b[NC]); /* row 1 is not mixed */
  /* out-of-range mixes and nodes are refused */
  gl_idx bad_perm[5] = {2, 0, 5, 1, 3};
  gl_mix bad = {rows, bad_perm, 5, 0.3f};
  CHECK_ERR(c.m->ops->forward_fcn(c.m, &c.x, c.nodes, 12, &bad, true, 1, a),
            GL_EINVAL, "mix");
  c.nodes[3] = N;
  CHECK_ERR(c.m->ops->forward_fcn(c.m, &c.x, c.nodes, 12, NULL, true, 1, a),
            GL_EINVAL, "FCN node 3");
  ctx_teardown(&c);
}

TEST(gat_fcn_equals_graph_path_on_self_loops) {
  /* With only self loops every node attends to itself (alpha = 1): the graph
   * path is then the FCN (no dropout: the FCN has no z or alpha dropout). */
  gl_model_cfg cfg = small_cfg(0.0f);
  gat_ctx c;
  ctx_setup(&c, &cfg);
  gl_idx ids[N];
  for (int i = 0; i < N; i++) ids[i] = i;
  gl_csr eye;
  CHECK_OK(gl_csr_from_coo(&eye, N, N, N, ids, ids, NULL));
  gl_block blk[2] = {{.a = eye, .symmetric = true},
                     {.a = eye, .symmetric = true}};
  gl_batch b = {.n_layers = 2, .layers = blk, .n_out = N};
  float lg[N * NC], f[12 * NC];
  CHECK_OK(c.m->ops->forward(c.m, &c.x, &b, false, lg));
  gl_idx nodes[12] = {4, 8, 15, 16, 23, 12, 1, 2, 3, 8, 29, 0};
  CHECK_OK(c.m->ops->forward_fcn(c.m, &c.x, nodes, 12, NULL, false, 1, f));
  for (int i = 0; i < 12; i++)
    for (int j = 0; j < NC; j++)
      CHECK_NEAR(f[i * NC + j], lg[nodes[i] * NC + j], 1e-5);
  gl_csr_free(&eye);
  ctx_teardown(&c);
}

TEST(gat_backward_is_deterministic) {
  /* a graph large enough for the parallel loops: same batch, same bits */
  gl_csbm_opts o = {.n = 3000, .k = 3, .d = 12, .deg = 12, .p_in = 0.8,
                    .mu = 1, .sigma = 1, .seed = 2};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 0, 0);
  const gl_csr *x = &tg.x;
  gl_model_cfg cfg = small_cfg(0.5f);
  cfg.n_features = 12;
  cfg.hidden = 8;
  cfg.heads = 8;
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  gl_block blk[2] = {{.a = tg.ahat}, {.a = tg.ahat}}; /* not flagged
                                                         symmetric */
  gl_batch b = {.n_layers = 2, .layers = blk, .n_out = 3000, .key = 5};
  float *lg = malloc(sizeof(float) * 3000 * NC);
  float *dl = malloc(sizeof(float) * 3000 * NC);
  size_t total = gl_params_count(m->params, m->n_params);
  float *g[2] = {malloc(total * sizeof(float)), malloc(total * sizeof(float))};
  for (int k = 0; k < 3; k++) {
    if (k == 2) blk[0].symmetric = blk[1].symmetric = true;
    CHECK_OK(m->ops->forward(m, x, &b, true, lg));
    gl_rng r;
    gl_rng_seed(&r, 3);
    gl_test_random_vec(dl, (size_t)3000 * NC, &r);
    gl_params_zero_grad(m->params, m->n_params);
    CHECK_OK(m->ops->backward(m, x, &b, dl));
    float *gk = g[k == 0 ? 0 : 1];
    for (int i = 0, off = 0; i < m->n_params; off += (int)m->params[i].n, i++)
      memcpy(gk + off, m->params[i].g, m->params[i].n * sizeof(float));
    if (k == 1) CHECK(memcmp(g[0], g[1], total * sizeof(float)) == 0);
    if (k == 2) /* the symmetric pattern as its own transpose */
      for (size_t i = 0; i < total; i++)
        CHECK_NEAR(g[1][i], g[0][i], 1e-5 * (1 + fabs(g[0][i])));
  }
  /* other thread counts (the input layers' gradients are summed in parts,
   * one a thread) agree up to rounding */
  int saved = gl_threads();
  for (int t = 1; t <= 3; t += 2) {
    gl_set_threads(t);
    CHECK_OK(m->ops->forward(m, x, &b, true, lg));
    gl_params_zero_grad(m->params, m->n_params);
    CHECK_OK(m->ops->backward(m, x, &b, dl));
    for (int i = 0, off = 0; i < m->n_params; off += (int)m->params[i].n, i++)
      for (size_t j = 0; j < m->params[i].n; j++)
        CHECK_NEAR(m->params[i].g[j], g[0][off + j],
                   1e-4 * (1 + fabs(g[0][off + j])));
  }
  gl_set_threads(saved);
  free(g[0]);
  free(g[1]);
  free(lg);
  free(dl);
  gl_model_free(m);
  gl_test_graph_free(&tg);
}

/* ------------------------------------------------------- configuration */
TEST(gat_rejects_bad_config) {
  static const char *bad[] = {"layers", "n_features", "n_classes",
                              "hidden", "heads",      "out_heads",
                              "dropout", "attn_dropout", "leaky"};
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    gl_model_cfg c = small_cfg(0.5f);
    switch (k) {
    case 0: c.layers = 0; break;
    case 1: c.n_features = 0; break;
    case 2: c.n_classes = 1; break;
    case 3: c.hidden = 0; break;
    case 4: c.heads = 0; break;
    case 5: c.out_heads = 0; break;
    case 6: c.dropout = 1.0f; break;
    case 7: c.attn_dropout = -0.1f; break;
    case 8: c.leaky = NAN; break;
    }
    gl_model *m = (gl_model *)&c; /* must be reset to NULL */
    CHECK_ERR(gl_model_new(&m, &c), GL_EINVAL, bad[k]);
    CHECK(m == NULL);
  }
  gl_model_cfg c = small_cfg(0.5f);
  c.layers = 17;
  gl_model *m;
  CHECK_ERR(gl_model_new(&m, &c), GL_EINVAL, "layers must be in 1..16");
  /* one layer needs neither hidden nor heads */
  c.layers = 1;
  c.hidden = c.heads = 0;
  CHECK_OK(gl_model_new(&m, &c));
  CHECK_EQ(m->params[0].cols, c.out_heads * NC);
  gl_model_free(m);
}

/* ------------------------------------------------------- training */
TEST(gat_train_on_csbm) {
  gl_csbm_opts o = {.n = 600, .k = 3, .d = 16, .deg = 8, .p_in = 0.9,
                    .mu = 0.5, .sigma = 1.0, .seed = 3};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 60, 140);
  gl_model_cfg cfg = {.model = "gat", .n_features = 16, .n_classes = 3,
                      .hidden = 8, .layers = 2, .heads = 4, .out_heads = 1,
                      .dropout = 0.3f, .attn_dropout = 0.3f, .leaky = 0.2f,
                      .bias = true, .decay_all = true, .seed = 1};
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  double acc = gl_test_train(m, &tg.task, 0.005, 5e-4, 100);
  printf("  CSBM: GAT %.3f\n", acc);
  CHECK_MSG(acc > 0.8, "GAT test accuracy %.3f", acc);
  gl_model_free(m);
  gl_test_graph_free(&tg);
}

/* ------------------------------------------------------- model selection */
TEST(gat_train_selects_best_epoch) {
  /* the weights kept are those of the last epoch with the best validation
   * accuracy (GL_SELECT_BEST_VAL) or the lowest validation cross-entropy,
   * the L2 term left out (GL_SELECT_BEST_LOSS).  With 15 training nodes
   * the model overfits: the validation cross-entropy is lowest near epoch
   * 16 (by a margin, so that other roundings keep it there) while the L2
   * term shrinks to the end, where the loss with L2 is lowest */
  gl_test_graph tg;
  gl_test_csbm_overfit(&tg);
  gl_model_cfg cfg = small_cfg(0.0f);
  cfg.n_features = 8;
  cfg.hidden = 8;
  cfg.heads = 4;
  const gl_select_rule rules[2] = {GL_SELECT_BEST_VAL, GL_SELECT_BEST_LOSS};
  for (int k = 0; k < 2; k++) {
    gl_model *m;
    CHECK_OK(gl_model_new(&m, &cfg));
    gl_sampler *s;
    CHECK_OK(gl_sampler_full_new(&s, tg.task.adj, 2, tg.task.train,
                                 tg.task.n_train, 1));
    gl_optim_opts oo = gl_optim_defaults(GL_OPT_ADAM);
    oo.lr = 0.01;
    oo.weight_decay = 5e-3;
    gl_optim *opt;
    CHECK_OK(gl_optim_new(&opt, &oo));
    gl_test_epochs lg = {.m = m, .wd = oo.weight_decay};
    gl_train_opts to = gl_train_defaults();
    to.stop = GL_STOP_NONE;
    to.epochs = 150;
    to.select = rules[k];
    to.on_epoch = gl_test_record_epoch;
    to.ctx = &lg;
    gl_train_result res;
    CHECK_OK(gl_train(m, &tg.task, s, opt, &to, &res));
    CHECK_EQ(lg.n, 150);
    const int want = gl_test_selected(&lg, rules[k]);
    int with_l2 = 0;
    for (int e = 1; e < lg.n; e++)
      if (lg.loss[e] <= lg.loss[with_l2]) with_l2 = e;
    CHECK_MSG(want < lg.n - 1 && (k == 0 || want != with_l2),
              "rule %d: epoch %d (with L2 %d): the test needs other curves",
              k, want, with_l2);
    CHECK_SELECTED(m, &tg, &lg, want, &res);
    gl_optim_free(opt);
    gl_sampler_free(s);
    gl_model_free(m);
  }
  gl_test_graph_free(&tg);
}
