/* Tests of Graph U-Net (gnn/gunet.c): gPool / gUnpool values by hand, the
 * augmented graph against CXSparse's A^2, every backward against central
 * finite differences (gPool with its gate, gUnpool, the mix, the whole
 * model with dropout on, the FCN path), bad configurations, and training on
 * a generated graph. */
#include "tests/test.h"

/* A scalar function of the weights that also says whether the piecewise
 * constant part (the top-k selection) stayed as at the base point. */
typedef double (*fd_fn)(void *ctx, bool *same);

/* Central differences over the n weights w against the analytic g; a
 * coordinate whose perturbation changes the selection is skipped (counted
 * in *skipped).  Relative error max(1, |numeric|). */
static void fd_check(const char *what, float *w, const float *g, size_t n,
                     fd_fn f, void *ctx, float eps, double tol, int *skipped) {
  for (size_t i = 0; i < n; i++) {
    float keep = w[i];
    bool s1, s2;
    w[i] = keep + eps;
    double fp = f(ctx, &s1);
    w[i] = keep - eps;
    double fm = f(ctx, &s2);
    w[i] = keep;
    if (!s1 || !s2) {
      (*skipped)++;
      continue;
    }
    double num = (fp - fm) / (2.0 * eps);
    if (fabs(num - g[i]) / fmax(1.0, fabs(num)) > tol) {
      gl_test_fail(__FILE__, __LINE__, "%s[%zu]: analytic %.6g, numeric %.6g",
                   what, i, (double)g[i], num);
      return;
    }
  }
}

/* A symmetric random graph on n nodes with m edge draws. */
static void rand_graph(gl_csr *a, gl_idx n, int m, uint64_t seed) {
  gl_rng r;
  gl_rng_seed(&r, seed);
  gl_idx *src = malloc(sizeof(gl_idx) * m), *dst = malloc(sizeof(gl_idx) * m);
  for (int e = 0; e < m; e++) {
    src[e] = (gl_idx)gl_rng_below(&r, (uint32_t)n);
    dst[e] = (gl_idx)gl_rng_below(&r, (uint32_t)n);
  }
  gl_build_opts bo = {.symmetrize = true};
  CHECK_OK(gl_csr_from_edges(a, n, m, src, dst, NULL, &bo));
  free(src);
  free(dst);
}

/* ------------------------------------------------------- by hand */
TEST(gunet_gpool_values_by_hand) {
  /* 5 nodes, 2 features, p = (3, 4): y = (3 x0 + 4 x1) / 5 */
  float x[10] = {1, 0, 0, 1, -1, 0, 0.5f, 0.5f, 0, -1};
  float p[2] = {3, 4}, y[5], out[6];
  gl_idx idx[3];
  CHECK_OK(gl_gpool_forward(x, 5, 2, p, 3, idx, y, out));
  const float want_y[5] = {0.6f, 0.8f, -0.6f, 0.7f, -0.8f};
  for (int i = 0; i < 5; i++) CHECK_NEAR(y[i], want_y[i], 1e-6);
  /* the three highest, 1 (0.8), 3 (0.7), 0 (0.6), in ascending order */
  CHECK_EQ(idx[0], 0);
  CHECK_EQ(idx[1], 1);
  CHECK_EQ(idx[2], 3);
  const double g0 = 1 / (1 + exp(-0.6)), g1 = 1 / (1 + exp(-0.8)),
               g3 = 1 / (1 + exp(-0.7));
  CHECK_NEAR(out[0], 1 * g0, 1e-6);
  CHECK_NEAR(out[1], 0, 1e-7);
  CHECK_NEAR(out[2], 0, 1e-7);
  CHECK_NEAR(out[3], 1 * g1, 1e-6);
  CHECK_NEAR(out[4], 0.5 * g3, 1e-6);
  CHECK_NEAR(out[5], 0.5 * g3, 1e-6);
  /* p's scale does not matter (y uses p / ||p||) */
  float p2[2] = {30, 40}, y2[5], out2[6];
  gl_idx idx2[3];
  CHECK_OK(gl_gpool_forward(x, 5, 2, p2, 3, idx2, y2, out2));
  for (int i = 0; i < 6; i++) CHECK_NEAR(out2[i], out[i], 1e-6);
  /* ties: the lower row wins; k = n keeps all */
  float xt[8] = {1, 0, 2, 0, 1, 0, 1, 0}, pt[2] = {1, 0}, yt[4], ot[8];
  gl_idx it[4];
  CHECK_OK(gl_gpool_forward(xt, 4, 2, pt, 2, it, yt, ot));
  CHECK_EQ(it[0], 0);
  CHECK_EQ(it[1], 1);
  CHECK_OK(gl_gpool_forward(xt, 4, 2, pt, 4, it, yt, ot));
  for (int i = 0; i < 4; i++) CHECK_EQ(it[i], i);
  /* bad k and a zero projection */
  CHECK_ERR(gl_gpool_forward(x, 5, 2, p, 6, idx, y, out), GL_EINVAL, "k = 6");
  CHECK_ERR(gl_gpool_forward(x, 5, 2, p, 0, idx, y, out), GL_EINVAL, "k = 0");
  float p0[2] = {0, 0};
  CHECK_ERR(gl_gpool_forward(x, 5, 2, p0, 2, idx, y, out), GL_EINVAL, "norm");
}

TEST(gunet_gunpool_values_by_hand) {
  float in[4] = {1, 2, 3, 4}, out[8], back[4];
  gl_idx idx[2] = {3, 1};
  gl_fill(out, 8, 9);
  gl_gunpool_forward(in, 2, 2, idx, 4, out);
  const float want[8] = {0, 0, 3, 4, 0, 0, 1, 2};
  for (int i = 0; i < 8; i++) CHECK_NEAR(out[i], want[i], 0);
  float dout[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  gl_gunpool_backward(dout, 2, 2, idx, back);
  CHECK_NEAR(back[0], 7, 0);
  CHECK_NEAR(back[1], 8, 0);
  CHECK_NEAR(back[2], 3, 0);
  CHECK_NEAR(back[3], 4, 0);
}

TEST(gunet_pool_graph_two_hops) {
  /* the path 0-1-2-3-4-5 keeping {0, 2, 3, 5}: 0-2 via 1, 2-3 directly,
   * 3-5 via 4, but not 0-3 or 2-5 (three hops) */
  gl_idx s[5] = {0, 1, 2, 3, 4}, d[5] = {1, 2, 3, 4, 5};
  gl_build_opts bo = {.symmetrize = true};
  gl_csr a, g;
  CHECK_OK(gl_csr_from_edges(&a, 6, 5, s, d, NULL, &bo));
  gl_idx keep[4] = {0, 2, 3, 5};
  CHECK_OK(gl_gpool_graph(&g, &a, keep, 4));
  const gl_off want_ptr[5] = {0, 2, 5, 8, 10};
  const gl_idx want_col[10] = {0, 1, 0, 1, 2, 1, 2, 3, 2, 3};
  CHECK_EQ(g.n, 4);
  CHECK_EQ(g.m, 4);
  CHECK(g.val == NULL);
  for (int i = 0; i < 5; i++) CHECK_EQ(g.ptr[i], want_ptr[i]);
  for (int e = 0; e < 10 && e < g.nnz; e++) CHECK_EQ(g.col[e], want_col[e]);
  gl_csr_free(&g);
  /* the local order follows idx */
  gl_idx rev[2] = {3, 2};
  CHECK_OK(gl_gpool_graph(&g, &a, rev, 2));
  CHECK_EQ(g.nnz, 4);
  gl_csr_free(&g);
  gl_idx dup[2] = {3, 3};
  CHECK_ERR(gl_gpool_graph(&g, &a, dup, 2), GL_EINVAL, "repeated");
  gl_csr_free(&a);

  /* a random graph: the same as CXSparse's (A + I)^2, then the subgraph */
  gl_csr r, ri, sq, sub, mine;
  rand_graph(&r, 300, 500, 21);
  CHECK_OK(gl_csr_gcn_norm(&ri, &r, 1.0f)); /* A + I (values unused) */
  CHECK_OK(gl_csr_square_pattern(&sq, &ri));
  gl_idx ids[120];
  gl_rng rng;
  gl_rng_seed(&rng, 4);
  gl_idx perm[300];
  for (int i = 0; i < 300; i++) perm[i] = i;
  gl_rng_shuffle(&rng, perm, 300);
  memcpy(ids, perm, sizeof ids); /* an arbitrary order */
  CHECK_OK(gl_csr_subgraph(&sub, &sq, ids, 120, NULL));
  CHECK_OK(gl_gpool_graph(&mine, &r, ids, 120));
  CHECK_EQ(mine.nnz, sub.nnz);
  bool same = mine.nnz == sub.nnz;
  for (gl_idx i = 0; same && i <= 120; i++) same = mine.ptr[i] == sub.ptr[i];
  for (gl_off e = 0; same && e < sub.nnz; e++) same = mine.col[e] == sub.col[e];
  CHECK(same);
  CHECK(gl_csr_is_symmetric(&mine));
  CHECK_OK(gl_csr_check(&mine, true));
  /* 2-hop links exist that A itself lacks */
  CHECK(mine.nnz > 120 + 2 * 10);
  gl_csr_free(&r);
  gl_csr_free(&ri);
  gl_csr_free(&sq);
  gl_csr_free(&sub);
  gl_csr_free(&mine);
}

/* ------------------------------------------------------- kernel gradients */
typedef struct {
  float x[12 * 5], p[5], r[6 * 5], y[12], out[6 * 5];
  gl_idx idx[6], idx0[6];
} gp_ctx;

static double gp_f(void *c, bool *same) {
  gp_ctx *s = c;
  gl_gpool_forward(s->x, 12, 5, s->p, 6, s->idx, s->y, s->out);
  *same = memcmp(s->idx, s->idx0, sizeof s->idx) == 0;
  return gl_test_proj(s->out, s->r, 30);
}

TEST(gunet_gpool_gradient) {
  gl_rng r;
  gl_rng_seed(&r, 31);
  gp_ctx s;
  gl_test_random_vec(s.x, 60, &r);
  gl_test_random_vec(s.p, 5, &r);
  gl_test_random_vec(s.r, 30, &r);
  CHECK_OK(gl_gpool_forward(s.x, 12, 5, s.p, 6, s.idx0, s.y, s.out));
  float dx[60] = {0}, dp[5] = {0};
  gl_gpool_backward(s.x, 12, 5, s.p, 6, s.idx0, s.y, s.r, dx, dp);
  int skipped = 0;
  fd_check("dX", s.x, dx, 60, gp_f, &s, 1e-3f, 2e-3, &skipped);
  fd_check("dp", s.p, dp, 5, gp_f, &s, 1e-3f, 2e-3, &skipped);
  CHECK_MSG(skipped <= 3, "%d of 65 coordinates changed the selection",
            skipped);
  /* dropped rows get no gradient, kept ones do; dp is nonzero */
  double kept = 0, dropped = 0;
  for (int i = 0; i < 12; i++) {
    bool k = false;
    for (int t = 0; t < 6; t++) k |= s.idx0[t] == i;
    for (int j = 0; j < 5; j++) *(k ? &kept : &dropped) += fabs(dx[i * 5 + j]);
  }
  CHECK(kept > 0);
  CHECK(dropped == 0);
  CHECK(gl_sumsq(5, dp) > 0);
  /* backward accumulates */
  CHECK_OK(gl_gpool_forward(s.x, 12, 5, s.p, 6, s.idx0, s.y, s.out));
  float dx2[60], dp2[5];
  memcpy(dx2, dx, sizeof dx);
  memcpy(dp2, dp, sizeof dp);
  gl_gpool_backward(s.x, 12, 5, s.p, 6, s.idx0, s.y, s.r, dx2, dp2);
  for (int i = 0; i < 60; i++) CHECK_NEAR(dx2[i], 2 * dx[i], 1e-5);
  for (int j = 0; j < 5; j++) CHECK_NEAR(dp2[j], 2 * dp[j], 1e-5);
}

typedef struct {
  float in[4 * 3], r[7 * 3], out[7 * 3];
  gl_idx idx[4];
  gl_mix mix;
  bool use_mix;
} up_ctx;

static double up_f(void *c, bool *same) {
  up_ctx *s = c;
  *same = true;
  if (s->use_mix) {
    gl_mix_forward(s->in, 4, 3, &s->mix, s->out);
    return gl_test_proj(s->out, s->r, 12);
  }
  gl_gunpool_forward(s->in, 4, 3, s->idx, 7, s->out);
  return gl_test_proj(s->out, s->r, 21);
}

TEST(gunet_gunpool_and_mix_gradient) {
  gl_rng r;
  gl_rng_seed(&r, 32);
  up_ctx s = {.idx = {5, 0, 2, 6}};
  gl_test_random_vec(s.in, 12, &r);
  gl_test_random_vec(s.r, 21, &r);
  float din[12];
  gl_gunpool_backward(s.r, 4, 3, s.idx, din);
  int skipped = 0;
  fd_check("gunpool din", s.in, din, 12, up_f, &s, 1e-2f, 1e-3, &skipped);
  /* the mix: rows 1 and 3 swap with weights 0.3 / 0.7, row 0 from row 3 */
  gl_idx rows[3] = {1, 3, 0}, perm[3] = {1, 0, 0};
  s.mix = (gl_mix){rows, perm, 3, 0.3f};
  s.use_mix = true;
  CHECK_OK(gl_mix_check(&s.mix, 4));
  float out[12];
  gl_mix_forward(s.in, 4, 3, &s.mix, out);
  for (int j = 0; j < 3; j++) {
    CHECK_NEAR(out[3 + j], 0.3f * s.in[3 + j] + 0.7f * s.in[9 + j], 1e-6);
    CHECK_NEAR(out[9 + j], 0.3f * s.in[9 + j] + 0.7f * s.in[3 + j], 1e-6);
    CHECK_NEAR(out[0 + j], 0.3f * s.in[0 + j] + 0.7f * s.in[3 + j], 1e-6);
    CHECK_NEAR(out[6 + j], s.in[6 + j], 0);
  }
  gl_mix_backward(s.r, 4, 3, &s.mix, din);
  fd_check("mix din", s.in, din, 12, up_f, &s, 1e-2f, 1e-3, &skipped);
  CHECK_EQ(skipped, 0);
  gl_idx bad[3] = {1, 3, 4};
  gl_mix bm = {bad, perm, 3, 0.5f};
  CHECK_ERR(gl_mix_check(&bm, 4), GL_EINVAL, "out of range");
}

/* ------------------------------------------------------- the model */
typedef struct {
  gl_model *m;
  gl_csr adj, ahat, x;
  gl_batch b;
  int32_t y[40];
  float logits[40 * 3];
  gl_idx kept0[8][40], nkept0[8];
  /* FCN */
  gl_idx nodes[9];
  gl_mix mix;
  float r[9 * 3], fout[9 * 3];
} model_ctx;

static gl_model_cfg small_cfg(void) {
  gl_model_cfg c = {.model = "gunet", .n_features = 10, .n_classes = 3,
                    .hidden = 6, .n_pools = 2, .pool_k = {20, 10},
                    .dropout = 0.3f, .adj_dropout = 0.2f, .bias = true,
                    .seed = 5};
  return c;
}

static void model_setup(model_ctx *c, const gl_model_cfg *cfg) {
  gl_rng r;
  gl_rng_seed(&r, 41);
  memset(c, 0, sizeof *c);
  /* dense-ish features so that the scores spread */
  gl_idx ri[400], ci[400];
  float v[400];
  for (int i = 0; i < 400; i++) {
    ri[i] = i / 10;
    ci[i] = i % 10;
    v[i] = gl_rng_uniformf(&r) < 0.5f ? 0.2f + gl_rng_uniformf(&r) : 0.0f;
  }
  CHECK_OK(gl_csr_from_coo(&c->x, 40, 10, 400, ri, ci, v));
  for (int i = 0; i < 40; i++) c->y[i] = (int32_t)gl_rng_below(&r, 3);
  rand_graph(&c->adj, 40, 60, 42);
  CHECK_OK(gl_csr_gcn_norm(&c->ahat, &c->adj, 1.0f));
  CHECK_OK(gl_model_new(&c->m, cfg));
  for (int i = 0; i < c->m->n_params; i++) { /* biases away from zero */
    gl_param *p = &c->m->params[i];
    if (strstr(p->name, ".b")) gl_test_random_vec(p->w, p->n, &r);
  }
  gl_idx loss[12] = {0, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
  gl_sampler *s;
  CHECK_OK(gl_sampler_full_new(&s, &c->ahat, 1, loss, 12, 1));
  CHECK_OK(gl_sampler_next(s, &c->b));
  gl_sampler_free(s);
}

static void model_teardown(model_ctx *c) {
  gl_model_free(c->m);
  gl_csr_free(&c->adj);
  gl_csr_free(&c->ahat);
  gl_csr_free(&c->x);
  gl_batch_free(&c->b);
}

static double model_loss(model_ctx *c, float *dlogits) {
  CHECK_OK(c->m->ops->forward(c->m, &c->x, &c->b, true, c->logits));
  return gl_softmax_xent(c->logits, 40, 3, NULL, c->y, c->b.loss_pos,
                         c->b.loss_w, c->b.n_loss, dlogits);
}

static bool same_selection(model_ctx *c) {
  for (int l = 1; l <= c->m->cfg.n_pools; l++) {
    gl_idx k;
    const gl_idx *ids = gl_gunet_kept(c->m, l, &k);
    if (!ids || k != c->nkept0[l] ||
        memcmp(ids, c->kept0[l], sizeof(gl_idx) * k) != 0)
      return false;
  }
  return true;
}

static double model_f(void *v, bool *same) {
  model_ctx *c = v;
  double loss = model_loss(c, NULL);
  *same = same_selection(c);
  return loss;
}

/* Every parameter's gradient against finite differences, with activation
 * `act` in the hidden blocks (CogDL's linear blocks when `linear`). */
static void model_gradient(gl_act act, bool linear) {
  model_ctx c;
  gl_model_cfg cfg = small_cfg();
  cfg.act = (int)act;
  cfg.linear_blocks = linear;
  model_setup(&c, &cfg);
  float dl[40 * 3];
  model_loss(&c, dl);
  for (int l = 1; l <= 2; l++) {
    gl_idx k;
    const gl_idx *ids = gl_gunet_kept(c.m, l, &k);
    CHECK(ids != NULL);
    CHECK_EQ(k, l == 1 ? 20 : 10);
    if (!ids) break;
    c.nkept0[l] = k;
    memcpy(c.kept0[l], ids, sizeof(gl_idx) * k);
    for (gl_idx i = 1; i < k; i++) CHECK(ids[i] > ids[i - 1]);
  }
  CHECK(gl_gunet_kept(c.m, 3, &(gl_idx){0}) == NULL);
  gl_params_zero_grad(c.m->params, c.m->n_params);
  CHECK_OK(c.m->ops->backward(c.m, &c.x, &c.b, dl));
  int skipped = 0;
  size_t total = 0;
  for (int i = 0; i < c.m->n_params; i++) {
    gl_param *p = &c.m->params[i];
    float *g = malloc(p->n * sizeof *g);
    memcpy(g, p->g, p->n * sizeof *g);
    CHECK_MSG(gl_sumsq(p->n, g) > 0, "%s has no gradient", p->name);
    fd_check(p->name, p->w, g, p->n, model_f, &c, 1e-3f, 5e-3, &skipped);
    total += p->n;
    free(g);
  }
  CHECK_MSG(skipped * 20 < (int)total, "%d of %zu coordinates changed the "
            "selection", skipped, total);
  /* eval mode: no dropout, the same logits twice; backward before any
   * forward of the right kind is refused */
  float l1[120], l2[120];
  CHECK_OK(c.m->ops->forward(c.m, &c.x, &c.b, false, l1));
  CHECK_OK(c.m->ops->forward(c.m, &c.x, &c.b, false, l2));
  CHECK(memcmp(l1, l2, sizeof l1) == 0);
  CHECK_ERR(c.m->ops->backward_fcn(c.m, &c.x, dl), GL_EINVAL, "FCN forward");
  model_teardown(&c);
}

TEST(gunet_model_gradient) {
  int saved = gl_threads();
  gl_set_threads(1); /* hundreds of forwards on 40 nodes: threads only wait */
  model_gradient(GL_ACT_ELU, false);
  model_gradient(GL_ACT_RELU, false);
  model_gradient(GL_ACT_NONE, false);
  model_gradient(GL_ACT_ELU, true);
  gl_set_threads(saved);
}

static double fcn_f(void *v, bool *same) {
  model_ctx *c = v;
  *same = true;
  CHECK_OK(c->m->ops->forward_fcn(c->m, &c->x, c->nodes, 9, &c->mix, true, 5,
                                  c->fout));
  return gl_test_proj(c->fout, c->r, 27);
}

TEST(gunet_fcn_gradient_with_mix) {
  model_ctx c;
  gl_model_cfg cfg = small_cfg();
  model_setup(&c, &cfg);
  gl_rng r;
  gl_rng_seed(&r, 43);
  gl_idx nodes[9] = {4, 8, 15, 16, 23, 2, 1, 39, 3};
  memcpy(c.nodes, nodes, sizeof nodes);
  gl_idx rows[5] = {0, 2, 3, 5, 7}, perm[5] = {2, 0, 4, 1, 3};
  c.mix = (gl_mix){rows, perm, 5, 0.3f};
  gl_test_random_vec(c.r, 27, &r);
  CHECK_OK(c.m->ops->forward_fcn(c.m, &c.x, c.nodes, 9, &c.mix, true, 5,
                                 c.fout));
  gl_params_zero_grad(c.m->params, c.m->n_params);
  CHECK_OK(c.m->ops->backward_fcn(c.m, &c.x, c.r));
  int skipped = 0;
  for (int i = 0; i < c.m->n_params; i++) {
    gl_param *p = &c.m->params[i];
    float *g = malloc(p->n * sizeof *g);
    memcpy(g, p->g, p->n * sizeof *g);
    /* every weight, the gates' projections too, is on the FCN path */
    CHECK_MSG(gl_sumsq(p->n, g) > 0, "%s: gradient norm %g", p->name,
              gl_sumsq(p->n, g));
    fd_check(p->name, p->w, g, p->n, fcn_f, &c, 1e-3f, 5e-3, &skipped);
    free(g);
  }
  /* without mix and dropout a row depends on its own features only */
  float all[9 * 3], one[3];
  CHECK_OK(c.m->ops->forward_fcn(c.m, &c.x, c.nodes, 9, NULL, false, 5, all));
  CHECK_OK(c.m->ops->forward_fcn(c.m, &c.x, &c.nodes[4], 1, NULL, false, 5,
                                 one));
  for (int j = 0; j < 3; j++) CHECK_NEAR(one[j], all[4 * 3 + j], 1e-5);
  float dl[120];
  memset(dl, 0, sizeof dl);
  CHECK_ERR(c.m->ops->backward(c.m, &c.x, &c.b, dl), GL_EINVAL,
            "graph forward");
  gl_idx bad_rows[1] = {9}, bad_perm[1] = {0};
  gl_mix bad = {bad_rows, bad_perm, 1, 0.5f};
  CHECK_ERR(c.m->ops->forward_fcn(c.m, &c.x, c.nodes, 9, &bad, true, 5,
                                  c.fout), GL_EINVAL, "mix");
  model_teardown(&c);
}

TEST(gunet_rejects_bad_config_and_batches) {
  gl_model *m = NULL;
  gl_model_cfg c = small_cfg();
  c.n_pools = 0;
  CHECK_ERR(gl_model_new(&m, &c), GL_EINVAL, "n_pools");
  c.n_pools = 9;
  CHECK_ERR(gl_model_new(&m, &c), GL_EINVAL, "n_pools");
  c = small_cfg();
  c.pool_k[1] = 0;
  CHECK_ERR(gl_model_new(&m, &c), GL_EINVAL, "pool_k[1]");
  c = small_cfg();
  c.dropout = 1.0f;
  CHECK_ERR(gl_model_new(&m, &c), GL_EINVAL, "dropout");
  c = small_cfg();
  c.adj_dropout = -0.1f;
  CHECK_ERR(gl_model_new(&m, &c), GL_EINVAL, "adj_dropout");
  c.adj_dropout = 0;
  c.act = 7;
  CHECK_ERR(gl_model_new(&m, &c), GL_EINVAL, "activation");
  c = small_cfg();
  c.hidden = 0;
  CHECK_ERR(gl_model_new(&m, &c), GL_EINVAL, "hidden");
  CHECK(m == NULL);
  /* a sampled (non-square) block is refused */
  model_ctx mc;
  c = small_cfg();
  model_setup(&mc, &c);
  gl_batch b;
  memset(&b, 0, sizeof b);
  gl_block blk;
  memset(&blk, 0, sizeof blk);
  gl_idx rows[5] = {0, 1, 2, 3, 4};
  CHECK_OK(gl_csr_select_rows(&blk.a, &mc.ahat, rows, 5));
  b.n_layers = 1;
  b.layers = &blk;
  b.n_out = 5;
  float lg[120];
  CHECK_ERR(mc.m->ops->forward(mc.m, &mc.x, &b, false, lg), GL_EINVAL,
            "needs the full graph");
  gl_csr_free(&blk.a);
  /* another model has no kept nodes */
  gl_model *g;
  gl_model_cfg gc = {.model = "gcn", .n_features = 10, .n_classes = 3,
                     .hidden = 4, .layers = 2};
  CHECK_OK(gl_model_new(&g, &gc));
  gl_idx k = 7;
  CHECK(gl_gunet_kept(g, 1, &k) == NULL);
  CHECK_EQ(k, 0);
  gl_model_free(g);
  model_teardown(&mc);
}

/* ------------------------------------------------------- training */
TEST(gunet_train_on_csbm) {
  /* Weak features, informative graph: the U-Net must use the graph to beat
   * a features-only model (a two-layer MLP) by a margin. */
  gl_csbm_opts o = {.n = 600, .k = 3, .d = 16, .deg = 8, .p_in = 0.9,
                    .mu = 0.5, .sigma = 1.0, .seed = 3};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 60, 140);
  gl_csr eye;
  float ones[600];
  gl_fill(ones, 600, 1.0f);
  CHECK_OK(gl_csr_from_coo(&eye, 600, 600, 600, tg.ids, tg.ids, ones));
  double acc[2];
  for (int k = 0; k < 2; k++) {
    gl_model_cfg cfg = {.model = "gunet", .n_features = 16, .n_classes = 3,
                        .hidden = 16, .n_pools = 2, .pool_k = {300, 100},
                        .dropout = 0.5f, .adj_dropout = 0.2f, .bias = true,
                        .seed = 1};
    if (k == 1)
      cfg = (gl_model_cfg){.model = "gcn", .n_features = 16, .n_classes = 3,
                           .hidden = 16, .layers = 2, .dropout = 0.5f,
                           .hidden_dropout = 0.5f, .seed = 1};
    gl_task t = tg.task;
    if (k == 1) t.adj = &eye; /* no graph: an MLP */
    gl_model *m;
    CHECK_OK(gl_model_new(&m, &cfg));
    acc[k] = gl_test_train(m, &t, 0.01, 5e-4, 60);
    gl_model_free(m);
  }
  printf("  CSBM: Graph U-Net %.3f, MLP %.3f\n", acc[0], acc[1]);
  CHECK_MSG(acc[0] > 0.8, "Graph U-Net test accuracy %.3f", acc[0]);
  CHECK_MSG(acc[0] > acc[1] + 0.1, "Graph U-Net %.3f vs MLP %.3f", acc[0],
            acc[1]);
  gl_csr_free(&eye);
  gl_test_graph_free(&tg);
}
