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

/* Every row of every block of 4000 batches of s estimates the row of a
 * times the layer's input h without bias: the mean of each node's estimates
 * is within 5 standard errors of the exact product, while single estimates
 * do vary (the sampling is not the whole row).  The first epoch (8
 * batches) covers every loss node (all 300) once. */
static void check_unbiased(gl_sampler *s, const gl_csr *a) {
  gl_rng r;
  gl_rng_seed(&r, 9);
  float h[300], exact[300];
  gl_test_random_vec(h, 300, &r);
  gl_csr_spmm(a, h, 1, 0.0f, exact);
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
  gl_batch_free(&b);
  free(sum);
  free(sq);
  free(cnt);
}

static void unbiased_graph(gl_test_graph *tg) {
  gl_csbm_opts o = {.n = 300, .k = 3, .d = 4, .deg = 8, .p_in = 0.7,
                    .mu = 1, .sigma = 1, .seed = 5};
  gl_test_csbm(tg, &o, 0, 0);
}

TEST(sampler_node_rows_are_unbiased) {
  gl_test_graph tg;
  unbiased_graph(&tg);
  const gl_csr *a = &tg.ahat;
  const int fan[2] = {3, 2};
  gl_sampler *s;
  CHECK_OK(gl_sampler_node_new(&s, a, 2, fan, tg.ids, 300, 40, 7));
  check_unbiased(s, a);
  gl_sampler_free(s);
  /* fan-outs of at least every degree give the exact k-hop batch */
  gl_batch b = {0};
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
  gl_test_graph_free(&tg);
}

TEST(sampler_fastgcn_rows_are_unbiased) {
  gl_test_graph tg;
  unbiased_graph(&tg);
  const int sizes[2] = {60, 40};
  gl_sampler *s;
  CHECK_OK(gl_sampler_layer_new(&s, false, &tg.ahat, 2, sizes, tg.ids, 300,
                                40, 7));
  check_unbiased(s, &tg.ahat);
  gl_sampler_free(s);
  const int bad[2] = {60, 0};
  CHECK_ERR(gl_sampler_layer_new(&s, false, &tg.ahat, 2, bad, tg.ids, 300,
                                 40, 7), GL_EINVAL, "layer size 0");
  gl_test_graph_free(&tg);
}

TEST(sampler_ladies_blocks) {
  /* LADIES draws distinct neighbours of the layer above (at most s_l of
   * them) and its rows keep the row sums of A-hat. */
  gl_test_graph tg;
  unbiased_graph(&tg);
  const gl_csr *a = &tg.ahat;
  float ones[300], rowsum[300];
  gl_fill(ones, 300, 1.0f);
  gl_csr_spmm(a, ones, 1, 0.0f, rowsum);
  const int sizes[2] = {30, 20};
  gl_sampler *s;
  CHECK_OK(gl_sampler_layer_new(&s, true, a, 2, sizes, tg.ids, 300, 25, 4));
  gl_batch b = {0};
  for (int t = 0; t < 50; t++) {
    CHECK_OK(gl_sampler_next(s, &b));
    for (int l = 0; l < 2; l++) {
      const gl_block *k = &b.layers[l];
      const gl_idx nd = gl_block_n_dst(k), ns = gl_block_n_src(k);
      CHECK(ns <= nd + sizes[l]);
      for (gl_idx i = 0; i < nd; i++) CHECK_EQ(k->src_ids[i], k->dst_ids[i]);
      for (gl_idx j = nd; j < ns; j++) { /* a neighbour of some destination */
        bool near = false;
        for (gl_idx i = 0; i < nd && !near; i++)
          near = gl_csr_has_edge(a, k->dst_ids[i], k->src_ids[j]);
        CHECK(near);
      }
      for (gl_idx i = 0; i < nd; i++) {
        double sum = 0;
        for (gl_off e = k->a.ptr[i]; e < k->a.ptr[i + 1]; e++)
          sum += k->a.val[e];
        CHECK_NEAR(sum, rowsum[k->dst_ids[i]], 1e-4);
      }
    }
  }
  gl_batch_free(&b);
  gl_sampler_free(s);
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

/* sum g_i^2 / p_i: the variance term that the probabilities minimise. */
static double mvs_objective(const float *g, const float *p, int n) {
  double v = 0;
  for (int i = 0; i < n; i++)
    if (g[i] > 0) v += (double)g[i] * g[i] / p[i];
  return v;
}

TEST(sampler_mvs_probabilities_are_optimal) {
  /* Heavy-tailed norms so that some nodes are capped at 1. */
  enum { N = 500 };
  gl_rng r;
  gl_rng_seed(&r, 3);
  float g[N], p[N], q[N];
  for (int i = 0; i < N; i++) {
    double u = gl_rng_uniform(&r);
    g[i] = i % 50 == 7 ? 0.0f : (float)(0.1 / pow(1 - u, 1.5));
  }
  const double b = 64;
  double tau;
  CHECK_OK(gl_mvs_probs(g, N, b, p, &tau));
  double sum = 0;
  int capped = 0;
  for (int i = 0; i < N; i++) {
    sum += p[i];
    if (g[i] == 0) {
      CHECK_EQ(p[i], 0);
      continue;
    }
    CHECK(p[i] > 0 && p[i] <= 1);
    if (p[i] < 1) /* KKT: g / p is the threshold below the cap */
      CHECK_NEAR(g[i] / p[i], tau, 1e-4 * tau);
    else {
      CHECK(g[i] >= tau * (1 - 1e-6));
      capped++;
    }
  }
  CHECK_NEAR(sum, b, 1e-3);
  CHECK_MSG(capped > 0 && capped < 64, "%d capped", capped);
  /* the same threshold by bisection on sum min(1, g / t) = b */
  double lo = 1e-9, hi = 1e9;
  for (int it = 0; it < 200; it++) {
    double mid = sqrt(lo * hi), s = 0;
    for (int i = 0; i < N; i++) s += fmin(1.0, g[i] / mid);
    if (s > b) lo = mid; else hi = mid;
  }
  CHECK_NEAR(tau, lo, 1e-6 * tau);
  /* lower than uniform and than feasible perturbations that keep sum p */
  double best = mvs_objective(g, p, N);
  for (int i = 0; i < N; i++) q[i] = (float)(b / N);
  CHECK(best < 0.5 * mvs_objective(g, q, N));
  for (int t = 0; t < 200; t++) {
    memcpy(q, p, sizeof q);
    int a = (int)gl_rng_below(&r, N), c = (int)gl_rng_below(&r, N);
    float d = 0.2f * fminf(q[a], 1 - q[c]);
    if (g[a] == 0 || g[c] == 0 || a == c || d <= 0) continue;
    q[a] -= d;
    q[c] += d;
    CHECK(mvs_objective(g, q, N) >= best * (1 - 1e-9));
  }
  /* b >= n: everything with a gradient; bad input */
  CHECK_OK(gl_mvs_probs(g, N, N, p, NULL));
  CHECK(p[0] == 1 && p[7] == 0);
  CHECK_ERR(gl_mvs_probs(g, N, 0, p, NULL), GL_EINVAL, "batch size");
  g[3] = -1;
  CHECK_ERR(gl_mvs_probs(g, N, b, p, NULL), GL_EINVAL, "node 3");
}

TEST(sampler_mvs_draw_variance) {
  /* Per-node gradient vectors v_i (2-d, norms g_i): the weighted batch sum
   * is unbiased for their mean, and its variance matches the closed form
   * sum (1 - p_i) / p_i |v_i|^2 / n^2, lower under MVS than uniform. */
  enum { N = 200, T = 20000 };
  gl_rng r;
  gl_rng_seed(&r, 8);
  float v[N][2], g[N], p[N], w[N];
  gl_idx out[N];
  double mean[2] = {0, 0};
  for (int i = 0; i < N; i++) {
    double s = i < 10 ? 20 : 1; /* a few large gradients */
    v[i][0] = (float)(s * (gl_rng_uniform(&r) - 0.3));
    v[i][1] = (float)(s * (gl_rng_uniform(&r) - 0.5));
    g[i] = hypotf(v[i][0], v[i][1]);
    mean[0] += v[i][0] / N;
    mean[1] += v[i][1] / N;
  }
  double var[2], sys[2];
  gl_idx perm[N];
  for (int k = 0; k < 2; k++) {
    if (k == 0)
      CHECK_OK(gl_mvs_probs(g, N, 20, p, NULL));
    else
      for (int i = 0; i < N; i++) p[i] = 20.0f / N;
    double closed = 0;
    for (int i = 0; i < N; i++)
      closed += (1 - p[i]) / p[i] * g[i] * g[i] / ((double)N * N);
    double m[2] = {0, 0}, sq = 0, size = 0;
    for (int t = 0; t < T; t++) {
      gl_idx nb = gl_mvs_draw(p, NULL, N, &r, out, w);
      size += nb;
      double e[2] = {0, 0};
      for (gl_idx j = 0; j < nb; j++)
        for (int c = 0; c < 2; c++) e[c] += w[j] * v[out[j]][c];
      for (int c = 0; c < 2; c++) {
        m[c] += e[c] / T;
        sq += (e[c] - mean[c]) * (e[c] - mean[c]) / T;
      }
    }
    var[k] = sq;
    CHECK_NEAR(size / T, 20, 0.2);
    for (int c = 0; c < 2; c++)
      CHECK_NEAR(m[c], mean[c], 5 * sqrt(closed / T) + 1e-6);
    CHECK_NEAR(sq, closed, 0.05 * closed);
    /* systematic draws: the same inclusion probabilities, batches of
     * exactly 20, unbiased, no more variance */
    int seen[N] = {0};
    double ms[2] = {0, 0};
    sys[k] = 0;
    for (int t = 0; t < T; t++) {
      gl_idx nb = gl_mvs_draw_systematic(p, NULL, N, &r, perm, out, w);
      CHECK_EQ(nb, 20);
      double e[2] = {0, 0};
      for (gl_idx j = 0; j < nb; j++) {
        seen[out[j]]++;
        for (int c = 0; c < 2; c++) e[c] += w[j] * v[out[j]][c];
      }
      for (int c = 0; c < 2; c++) {
        ms[c] += e[c] / T;
        sys[k] += (e[c] - mean[c]) * (e[c] - mean[c]) / T;
      }
    }
    for (int i = 0; i < N; i++)
      CHECK_NEAR(seen[i], p[i] * T, 5 * sqrt(p[i] * (1 - p[i]) * T) + 1e-9);
    for (int c = 0; c < 2; c++)
      CHECK_NEAR(ms[c], mean[c], 5 * sqrt(sys[k] / T) + 1e-6);
    CHECK(sys[k] <= 1.05 * var[k]);
  }
  printf("  gradient variance: MVS %.4g (systematic %.4g), uniform %.4g "
         "(systematic %.4g)\n", var[0], sys[0], var[1], sys[1]);
  CHECK(var[0] < 0.5 * var[1]);
}

/* A sampler that fails on its third batch (after two full ones). */
typedef struct {
  gl_sampler base;
  const gl_csr *adj;
  int calls;
} failing_sampler;

static gl_status failing_next(gl_sampler *s, gl_batch *b) {
  failing_sampler *f = (failing_sampler *)s;
  if (++f->calls == 3) return gl_error(GL_EFORMAT, "third batch refused");
  gl_batch_free(b);
  gl_idx one = 0;
  return gl_batch_khop(b, f->adj, &one, 1, 1);
}
static long failing_steps(const gl_sampler *s) {
  (void)s;
  return 5;
}
static void failing_free(gl_sampler *s) { free(s); }
static const gl_sampler_ops failing_ops = {"failing", failing_next,
                                           failing_steps, NULL, failing_free,
                                           NULL, NULL};

TEST(sampler_prefetch_same_batches) {
  /* Drawn ahead in a thread, the node sampler's batches are the same, in
   * the same order, as drawn inline; a failure reaches the consumer with
   * its message after the batches drawn before it. */
  gl_csbm_opts o = {.n = 400, .k = 3, .d = 4, .deg = 8, .p_in = 0.7,
                    .mu = 1, .sigma = 1, .seed = 6};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 0, 0);
  const int fan[2] = {4, 3};
  gl_sampler *plain, *ahead;
  CHECK_OK(gl_sampler_node_new(&plain, &tg.ahat, 2, fan, tg.ids, 400, 50, 3));
  CHECK_OK(gl_sampler_node_new(&ahead, &tg.ahat, 2, fan, tg.ids, 400, 50, 3));
  CHECK_OK(gl_sampler_prefetch(&ahead, 3));
  CHECK_EQ(ahead->ops->epoch_steps(ahead), 8);
  gl_batch a = {0}, b = {0};
  for (int t = 0; t < 30; t++) {
    CHECK_OK(gl_sampler_next(plain, &a));
    CHECK_OK(gl_sampler_next(ahead, &b));
    CHECK_EQ(a.n_out, b.n_out);
    CHECK_EQ(a.key, b.key);
    CHECK(!memcmp(a.out_ids, b.out_ids, sizeof(gl_idx) * a.n_out));
    for (int l = 0; l < 2; l++) {
      const gl_csr *x = &a.layers[l].a, *y = &b.layers[l].a;
      CHECK_EQ(x->nnz, y->nnz);
      CHECK(!memcmp(x->col, y->col, sizeof(gl_idx) * x->nnz));
      CHECK(!memcmp(x->val, y->val, sizeof(float) * x->nnz));
    }
  }
  gl_sampler_free(plain);
  gl_sampler_free(ahead); /* while its thread waits on a full ring */
  failing_sampler *f = calloc(1, sizeof *f);
  f->base.ops = &failing_ops;
  f->base.n_layers = 1;
  f->adj = &tg.ahat;
  gl_sampler *s = &f->base;
  CHECK_OK(gl_sampler_prefetch(&s, 4));
  CHECK_OK(gl_sampler_next(s, &b));
  CHECK_OK(gl_sampler_next(s, &b));
  CHECK_ERR(gl_sampler_next(s, &b), GL_EFORMAT, "third batch refused");
  CHECK_ERR(gl_sampler_next(s, &b), GL_EFORMAT, "third batch refused");
  gl_sampler_free(s);
  gl_batch_free(&a);
  gl_batch_free(&b);
  gl_test_graph_free(&tg);
}

TEST(sampler_cluster_batches) {
  /* An epoch covers every node once, in subgraphs normalised on their own
   * (entry u,v = 1 / sqrt((d_u + 1)(d_v + 1)) with degrees inside the
   * subgraph); all clusters in one batch is the whole graph, where a GCN's
   * outputs equal its full-graph outputs. */
  gl_csbm_opts o = {.n = 400, .k = 3, .d = 8, .deg = 6, .p_in = 0.8,
                    .mu = 1, .sigma = 1, .seed = 4};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 100, 100);
  const gl_csr *a = &tg.ahat;
  gl_sampler *s;
  CHECK_OK(gl_sampler_cluster_new(&s, a, 2, 8, 3, 1.0f, tg.ids, 100, 5));
  CHECK_EQ(s->ops->epoch_steps(s), 3);
  int seen[400] = {0};
  gl_batch b = {0};
  for (int t = 0; t < 3; t++) {
    CHECK_OK(gl_sampler_next(s, &b));
    const gl_csr *m = &b.layers[0].a;
    CHECK(b.layers[1].a.val == m->val && b.layers[0].symmetric);
    gl_idx loss = 0;
    for (gl_idx i = 0; i < b.n_out; i++) {
      seen[b.out_ids[i]]++;
      loss += b.out_ids[i] < 100;
      for (gl_off e = m->ptr[i]; e < m->ptr[i + 1]; e++) {
        gl_idx j = m->col[e];
        double want = 1.0 / sqrt((double)(m->ptr[i + 1] - m->ptr[i]) *
                                 (double)(m->ptr[j + 1] - m->ptr[j]));
        CHECK_NEAR(m->val[e], want, 1e-6);
        CHECK(gl_csr_has_edge(a, b.out_ids[i], b.out_ids[j]));
      }
    }
    CHECK_EQ(b.n_loss, loss);
  }
  for (int i = 0; i < 400; i++) CHECK_EQ(seen[i], 1);
  gl_sampler_free(s);
  CHECK_OK(gl_sampler_cluster_new(&s, a, 2, 8, 8, 1.0f, tg.ids, 100, 5));
  CHECK_OK(gl_sampler_next(s, &b));
  gl_model_cfg cfg = {.model = "gcn", .n_features = 8, .n_classes = 3,
                      .hidden = 8, .layers = 2, .seed = 2};
  gl_model *mdl;
  CHECK_OK(gl_model_new(&mdl, &cfg));
  float *full = malloc(sizeof(float) * 400 * 3),
        *part = malloc(sizeof(float) * 400 * 3);
  CHECK_OK(gl_model_eval(mdl, &tg.task, full));
  CHECK_OK(mdl->ops->forward(mdl, &tg.x, &b, false, part));
  for (gl_idx i = 0; i < 400; i++)
    for (int c = 0; c < 3; c++)
      CHECK_NEAR(part[i * 3 + c], full[b.out_ids[i] * 3 + c], 1e-5);
  gl_sampler_free(s);
  CHECK_ERR(gl_sampler_cluster_new(&s, a, 2, 8, 9, 1.0f, tg.ids, 100, 5),
            GL_EINVAL, "clusters");
  gl_model_free(mdl);
  free(full);
  free(part);
  gl_batch_free(&b);
  gl_test_graph_free(&tg);
}

TEST(sampler_saint_normalisations) {
  /* For each GraphSAINT sampler, over 3000 fresh subgraphs: the weighted
   * loss of fixed per-node losses averages to their mean over the loss
   * nodes (within 3%), and each node's aggregation, when it is drawn,
   * averages to its row of A-hat times h (within 5 standard errors plus 5%
   * of the row's mass, the noise of the pre-sampled counts).  Without the
   * normalisations both are off by the inclusion probabilities (~0.3). */
  gl_test_graph tg;
  unbiased_graph(&tg);
  const gl_csr *a = &tg.ahat;
  gl_rng r;
  gl_rng_seed(&r, 12);
  float h[300], exact[300], mass[300], loss[300], absh[300];
  gl_test_random_vec(h, 300, &r);
  for (int i = 0; i < 300; i++) {
    loss[i] = (float)gl_rng_uniform(&r);
    absh[i] = fabsf(h[i]);
  }
  gl_csr_spmm(a, h, 1, 0.0f, exact);
  gl_csr_spmm(a, absh, 1, 0.0f, mass);
  double want = 0;
  for (int i = 0; i < 150; i++) want += loss[i] / 150; /* loss nodes 0..149 */
  static const struct {
    gl_saint_kind kind;
    int budget, walk;
  } kinds[3] = {{GL_SAINT_NODE, 90, 0}, {GL_SAINT_EDGE, 50, 0},
                {GL_SAINT_RW, 30, 2}};
  for (int k = 0; k < 3; k++) {
    gl_sampler *s;
    CHECK_OK(gl_sampler_saint_new(&s, a, 2, kinds[k].kind, kinds[k].budget,
                                  kinds[k].walk, 2000, tg.ids, 150, 3));
    CHECK(s->ops->epoch_steps(s) >= 2);
    double *sum = calloc(300, sizeof *sum), *sq = calloc(300, sizeof *sq);
    int *cnt = calloc(300, sizeof *cnt);
    double got = 0;
    gl_batch b = {0};
    for (int t = 0; t < 3000; t++) {
      CHECK_OK(gl_sampler_next(s, &b));
      CHECK(b.layers[1].a.val == b.layers[0].a.val);
      for (gl_idx i = 0; i < b.n_loss; i++)
        got += b.loss_w[i] * loss[b.out_ids[b.loss_pos[i]]] / 3000;
      block_estimates(&b.layers[0], h, sum, sq, cnt);
    }
    CHECK_MSG(fabs(got - want) < 0.03 * want, "kind %d: loss %.4f, want %.4f",
              k, got, want);
    int checked = 0;
    for (int i = 0; i < 300; i++) {
      if (cnt[i] < 100) continue;
      double mean = sum[i] / cnt[i], var = sq[i] / cnt[i] - mean * mean;
      double se = sqrt(var > 0 ? var / cnt[i] : 0);
      checked++;
      CHECK_MSG(fabs(mean - exact[i]) <= 5 * se + 0.05 * mass[i],
                "kind %d node %d: %.4f vs %.4f (se %.4f)", k, i, mean,
                exact[i], se);
    }
    CHECK_MSG(checked > 200, "kind %d: %d nodes checked", k, checked);
    gl_batch_free(&b);
    gl_sampler_free(s);
    free(sum);
    free(sq);
    free(cnt);
  }
  gl_sampler *s;
  CHECK_ERR(gl_sampler_saint_new(&s, a, 2, GL_SAINT_RW, 0, 2, 10, tg.ids, 150,
                                 3), GL_EINVAL, "budget 0");
  gl_test_graph_free(&tg);
}

/* Sets the history of s to a GCN's exact hidden layers (a full-batch
 * forward) and returns its full-graph logits in full. */
static void exact_history(gl_model *m, const gl_test_graph *tg,
                          gl_sampler *s, float *full) {
  gl_sampler *fs;
  gl_batch fb = {0};
  CHECK_OK(gl_sampler_full_new(&fs, &tg->ahat, m->cfg.layers, tg->ids, 1, 1));
  CHECK_OK(gl_sampler_next(fs, &fb));
  CHECK_OK(m->ops->forward(m, &tg->x, &fb, false, full));
  for (int l = 0; l + 1 < m->cfg.layers; l++) {
    int w;
    const float *rows = m->ops->hidden(m, l, &w);
    CHECK_OK(s->ops->remember(s, &fb, l, rows, w));
  }
  gl_batch_free(&fb);
  gl_sampler_free(fs);
}

static gl_model *history_gcn(int layers) {
  gl_model_cfg cfg = {.model = "gcn", .n_features = 4, .n_classes = 3,
                      .hidden = 8, .layers = layers, .bias = true,
                      .seed = 3};
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  return m;
}

TEST(sampler_vrgcn_control_variates) {
  /* With the exact history, VR-GCN's sampled batches give a 3-layer GCN's
   * full-graph outputs exactly (the control variate cancels the sampling);
   * with any other history every layer >= 1 row is still unbiased:
   *   E[(d/S) sum_S a_ij (h_j - hbar_j)] + sum_N a_ij hbar_j = (A h)_i. */
  gl_test_graph tg;
  unbiased_graph(&tg);
  const gl_csr *a = &tg.ahat;
  gl_model *m = history_gcn(3);
  const int fan[3] = {2, 2, 2}, widths[2] = {8, 8};
  gl_sampler *s;
  CHECK_OK(gl_sampler_vrgcn_new(&s, a, 3, fan, widths, tg.ids, 300, 40, 5));
  CHECK_OK(gl_sampler_prefetch(&s, 2)); /* draws ahead, still remembers */
  float *full = malloc(sizeof(float) * 300 * 3), *part = NULL;
  exact_history(m, &tg, s, full);
  gl_batch b = {0};
  int stale = 0;
  for (int t = 0; t < 10; t++) {
    CHECK_OK(gl_sampler_next(s, &b));
    part = realloc(part, sizeof(float) * b.n_out * 3);
    CHECK_OK(m->ops->forward(m, &tg.x, &b, false, part));
    for (gl_idx i = 0; i < b.n_out; i++)
      for (int j = 0; j < 3; j++)
        CHECK_NEAR(part[i * 3 + j], full[b.out_ids[i] * 3 + j], 1e-4);
    CHECK(b.layers[0].hist == NULL);
    for (int l = 1; l < 3; l++) {
      const gl_block *k = &b.layers[l];
      CHECK(k->hist != NULL && k->hist_width == 8);
      CHECK_EQ(k->n_fresh, gl_block_n_dst(&b.layers[l - 1]));
      stale += gl_block_n_src(k) > k->n_fresh;
    }
  }
  CHECK(stale == 20);
  gl_batch_free(&b);
  gl_sampler_free(s);
  /* unbiased rows of layer 1 for random h (fresh) and hbar (stale) */
  CHECK_OK(gl_sampler_vrgcn_new(&s, a, 2, fan, widths, tg.ids, 300, 40, 6));
  gl_rng r;
  gl_rng_seed(&r, 2);
  float h[300], hb[300], exact[300];
  gl_test_random_vec(h, 300, &r);
  gl_test_random_vec(hb, 300, &r);
  gl_csr_spmm(a, h, 1, 0.0f, exact);
  double sum[300] = {0}, sq[300] = {0};
  int cnt[300] = {0};
  for (int t = 0; t < 3000; t++) {
    CHECK_OK(gl_sampler_next(s, &b));
    const gl_block *k = &b.layers[1];
    for (gl_idx i = 0; i < gl_block_n_dst(k); i++) {
      double v = 0;
      for (gl_off e = k->a.ptr[i]; e < k->a.ptr[i + 1]; e++) {
        gl_idx c = k->a.col[e];
        v += k->a.val[e] * (c < k->n_fresh ? h : hb)[k->src_ids[c]];
      }
      gl_idx g = k->dst_ids[i];
      sum[g] += v;
      sq[g] += v * v;
      cnt[g]++;
    }
  }
  int checked = 0, varied = 0;
  for (int i = 0; i < 300; i++) {
    if (cnt[i] < 50) continue;
    double mean = sum[i] / cnt[i], var = sq[i] / cnt[i] - mean * mean;
    double se = sqrt(var > 0 ? var / cnt[i] : 0);
    checked++;
    varied += var > 1e-8;
    CHECK_MSG(fabs(mean - exact[i]) <= 5 * se + 1e-5,
              "node %d: mean %.5f exact %.5f (se %.5f)", i, mean, exact[i],
              se);
  }
  CHECK_MSG(checked > 250 && varied > 150, "%d checked, %d varied", checked,
            varied);
  gl_batch_free(&b);
  gl_sampler_free(s);
  CHECK_ERR(gl_sampler_vrgcn_new(&s, a, 2, fan, NULL, tg.ids, 300, 40, 6),
            GL_EINVAL, "hidden width");
  gl_model_free(m);
  free(full);
  free(part);
  gl_test_graph_free(&tg);
}

/* Two rounds of MVS-GNN on tg's graph (n nodes) with V_S half of the
 * n_loss loss nodes: snapshot, remembered hidden rows, made-up norms fed
 * back, then 4 inner batches whose one-shot blocks give the full-graph
 * outputs exactly (the history is exact) and whose weights are
 * 1 / (p |V_S|).  whole: the snapshot is the whole graph, else the exact
 * 3-hop graph of V_S. */
static void mvs_rounds(const gl_test_graph *tg, gl_idx n, gl_idx n_loss,
                       gl_idx batch, bool whole, bool ahead) {
  const gl_csr *a = &tg->ahat;
  gl_model *m = history_gcn(3);
  const int widths[2] = {8, 8};
  const gl_idx nv = n_loss / 2;
  gl_sampler *s;
  CHECK_OK(gl_sampler_mvs_new(&s, a, 3, widths, 0.5, 4, false, tg->ids,
                              n_loss, batch, 8));
  if (ahead) CHECK_OK(gl_sampler_prefetch(&s, 2));
  CHECK_EQ(s->ops->epoch_steps(s), (n_loss + batch - 1) / batch);
  float *full = malloc(sizeof(float) * n * 3), *part = NULL, *g = NULL;
  float *p = malloc(sizeof(float) * nv), *gv = malloc(sizeof(float) * nv);
  gl_idx *vs = malloc(sizeof(gl_idx) * nv);
  bool *in_vs = malloc(n);
  gl_task task = {.adj = a, .x = &tg->x, .n_classes = 3};
  CHECK_OK(gl_model_eval(m, &task, full));
  gl_batch b = {0};
  for (int round = 0; round < 2; round++) {
    CHECK_OK(gl_sampler_next(s, &b));
    CHECK(b.snapshot);
    CHECK_EQ(b.n_loss, nv);
    CHECK(whole ? b.n_out == n : b.n_out < n);
    part = realloc(part, sizeof(float) * b.n_out * 3);
    g = realloc(g, sizeof(float) * b.n_out);
    CHECK_OK(m->ops->forward(m, &tg->x, &b, false, part));
    memset(in_vs, 0, n);
    for (gl_idx i = 0; i < b.n_out; i++) /* made-up norms */
      g[i] = 0.1f + (float)(gl_batch_out_id(&b, i) % 7);
    for (gl_idx i = 0; i < b.n_loss; i++) {
      vs[i] = gl_batch_out_id(&b, b.loss_pos[i]);
      CHECK(vs[i] < n_loss && !in_vs[vs[i]]);
      in_vs[vs[i]] = true;
      CHECK_EQ(b.loss_w[i], 1.0f);
      for (int j = 0; j < 3; j++) /* exact outputs */
        CHECK_NEAR(part[b.loss_pos[i] * 3 + j], full[vs[i] * 3 + j], 1e-4);
    }
    for (int l = 0; l < 2; l++) {
      int w;
      const float *rows = m->ops->hidden(m, l, &w);
      CHECK_OK(s->ops->remember(s, &b, l, rows, w));
    }
    gl_batch snap = b;
    memset(&b, 0, sizeof b);
    CHECK_ERR(gl_sampler_next(s, &b), GL_EINVAL, "not fed back");
    CHECK_OK(s->ops->feedback(s, &snap, g));
    CHECK_ERR(s->ops->feedback(s, &snap, g), GL_EINVAL, "snapshot");
    for (gl_idx i = 0; i < nv; i++) gv[i] = g[snap.loss_pos[i]];
    CHECK_OK(gl_mvs_probs(gv, nv, batch, p, NULL));
    for (int t = 0; t < 4; t++) {
      CHECK_OK(gl_sampler_next(s, &b));
      CHECK(!b.snapshot);
      CHECK_EQ(b.n_loss, b.n_out);
      part = realloc(part, sizeof(float) * b.n_out * 3);
      CHECK_OK(m->ops->forward(m, &tg->x, &b, false, part));
      for (int l = 0; l < 2; l++) { /* as the trainer does */
        int w;
        const float *rows = m->ops->hidden(m, l, &w);
        CHECK_OK(s->ops->remember(s, &b, l, rows, w));
      }
      for (gl_idx i = 0; i < b.n_out; i++) {
        const gl_idx id = b.out_ids[i];
        CHECK(in_vs[id]);
        gl_idx r = 0;
        while (vs[r] != id) r++;
        CHECK_NEAR(b.loss_w[i], 1.0f / (p[r] * nv), 1e-6);
        for (int j = 0; j < 3; j++)
          CHECK_NEAR(part[i * 3 + j], full[id * 3 + j], 1e-4);
      }
      for (int l = 0; l < 3; l++) { /* one block: rows all neighbours */
        const gl_block *k = &b.layers[l];
        CHECK_EQ(gl_block_n_dst(k), b.n_out);
        CHECK(l == 0 ? k->hist == NULL : k->n_fresh == b.n_out);
      }
    }
    gl_batch_free(&snap);
  }
  gl_batch_free(&b);
  gl_sampler_free(s);
  gl_model_free(m);
  free(full);
  free(part);
  free(g);
  free(p);
  free(gv);
  free(vs);
  free(in_vs);
}

TEST(sampler_mvs_snapshot_and_inner_steps) {
  /* A snapshot gives the history and, fed back its gradient norms, the
   * probabilities; the inner batches are Bernoulli draws of V_S weighted
   * 1 / (p |V_S|) whose one-shot blocks give the full-graph outputs
   * exactly while the history is exact.  The snapshot is the whole graph
   * when V_S's 3-hop graph would reach much of it, else that graph. */
  gl_test_graph tg;
  unbiased_graph(&tg);
  mvs_rounds(&tg, 300, 300, 30, true, false);
  mvs_rounds(&tg, 300, 300, 30, true, true); /* drawn ahead */
  gl_test_graph_free(&tg);
  gl_csbm_opts o = {.n = 3000, .k = 3, .d = 4, .deg = 2, .p_in = 0.7,
                    .mu = 1, .sigma = 1, .seed = 6};
  gl_test_csbm(&tg, &o, 0, 0);
  mvs_rounds(&tg, 3000, 40, 5, false, false); /* 20 nodes' 3-hop graph */
  const int widths[2] = {8, 8};
  gl_sampler *s;
  CHECK_ERR(gl_sampler_mvs_new(&s, &tg.ahat, 3, widths, 0, 4, false, tg.ids,
                               300, 30, 8),
            GL_EINVAL, "ratio");
  gl_idx twice[2] = {5, 5};
  CHECK_ERR(gl_sampler_mvs_new(&s, &tg.ahat, 3, widths, 1, 4, false, twice,
                               2, 30, 8),
            GL_EINVAL, "given twice");
  gl_test_graph_free(&tg);
}

/* Trains a GCN on a CSBM with sampler s; returns the test accuracy. */
static double train_with(gl_test_graph *tg, gl_sampler *s, int epochs,
                         gl_train_opts *to) {
  gl_model_cfg cfg = {.model = "gcn", .n_features = 16, .n_classes = 3,
                      .hidden = 16, .layers = 2, .dropout = 0.1f,
                      .hidden_dropout = 0.1f, .seed = 1};
  gl_model *m;
  CHECK_OK(gl_model_new(&m, &cfg));
  gl_optim *opt;
  gl_optim_opts oo = gl_optim_defaults(GL_OPT_ADAM);
  oo.lr = 0.01;
  CHECK_OK(gl_optim_new(&opt, &oo));
  to->stop = GL_STOP_NONE;
  to->epochs = epochs;
  gl_train_result res = {0};
  CHECK_OK(gl_train(m, &tg->task, s, opt, to, &res));
  gl_optim_free(opt);
  gl_model_free(m);
  return res.test_acc;
}

typedef struct {
  double var_sum, mse_sum;
  int n;
} var_log;

static void log_var(void *ctx, const gl_epoch_stats *s) {
  var_log *v = ctx;
  if (!isnan(s->grad_var)) {
    v->var_sum += s->grad_var;
    v->mse_sum += s->grad_mse;
    v->n++;
  }
}

TEST(sampler_history_samplers_train_gcn) {
  /* VR-GCN and MVS-GNN mini-batches (Bernoulli and systematic draws) train
   * a GCN on a CSBM as well as full-batch training; on the way, the
   * gradient variance measured by the trainer is lower for MVS-GNN (exact
   * neighbourhoods from history, minimal-variance batches) than for
   * node-wise sampling (fan-outs 5, 5) with the same batch size, and the
   * full-batch "sampler" has none (its error against the full gradient is
   * 0).  MVS-GNN drawn ahead in a thread trains exactly as without. */
  gl_csbm_opts o = {.n = 600, .k = 3, .d = 16, .deg = 8, .p_in = 0.9,
                    .mu = 0.7, .sigma = 1.0, .seed = 3};
  gl_test_graph tg;
  gl_test_csbm(&tg, &o, 240, 140);
  const gl_csr *a = tg.task.adj;
  const int fan2[2] = {2, 2}, fan5[2] = {5, 5}, widths[1] = {16};
  const gl_idx *tr = tg.task.train, ntr = tg.task.n_train;
  double acc[6], var[6], mse[6];
  for (int k = 0; k < 6; k++) {
    gl_sampler *s;
    if (k == 0)
      CHECK_OK(gl_sampler_node_new(&s, a, 2, fan5, tr, ntr, 32, 11));
    else if (k == 1)
      CHECK_OK(gl_sampler_vrgcn_new(&s, a, 2, fan2, widths, tr, ntr, 32, 11));
    else if (k != 4)
      CHECK_OK(gl_sampler_mvs_new(&s, a, 2, widths, 1.0, 20, k == 3, tr, ntr,
                                  32, 11));
    else
      CHECK_OK(gl_sampler_full_new(&s, a, 2, tr, ntr, 11));
    if (k == 5) CHECK_OK(gl_sampler_prefetch(&s, 3));
    var_log vl = {0, 0, 0};
    gl_train_opts to = gl_train_defaults();
    to.var_every = 5;
    to.var_draws = 30;
    to.on_epoch = log_var;
    to.ctx = &vl;
    acc[k] = train_with(&tg, s, k == 4 ? 160 : 40, &to);
    var[k] = vl.var_sum / vl.n;
    mse[k] = vl.mse_sum / vl.n;
    CHECK_EQ(vl.n, k == 4 ? 32 : 8);
    gl_sampler_free(s);
  }
  printf("  CSBM test accuracy: node %.3f vrgcn %.3f mvs %.3f mvs-sys %.3f "
         "full %.3f\n  gradient variance (mse): node %.3g (%.3g) vrgcn %.3g "
         "(%.3g) mvs %.3g (%.3g) mvs-sys %.3g (%.3g)\n",
         acc[0], acc[1], acc[2], acc[3], acc[4], var[0], mse[0], var[1],
         mse[1], var[2], mse[2], var[3], mse[3]);
  for (int k = 0; k < 4; k++) {
    CHECK_MSG(acc[k] > 0.9 && fabs(acc[k] - acc[4]) < 0.03, "%d: %.3f vs %.3f",
              k, acc[k], acc[4]);
    CHECK(mse[k] >= 0.9 * var[k]); /* (R - 1) / R var + bias^2 */
  }
  CHECK(var[2] < var[0] && var[3] < var[0]);
  CHECK(mse[2] < mse[0] && mse[3] < mse[0]);
  CHECK(var[4] < 1e-12 && mse[4] < 1e-12);
  CHECK(acc[5] == acc[2] && var[5] == var[2] && mse[5] == mse[2]);
  gl_test_graph_free(&tg);
}

/* The gradient of a GCN on batch b (no dropout), flattened into g. */
static void batch_gradient(gl_model *m, const gl_test_graph *tg, gl_batch *b,
                           float *g) {
  float *lg = malloc(sizeof(float) * b->n_out * 3);
  float *dl = malloc(sizeof(float) * b->n_out * 3);
  CHECK_OK(m->ops->forward(m, &tg->x, b, false, lg));
  gl_softmax_xent(lg, b->n_out, 3, b->out_ids, tg->y, b->loss_pos, b->loss_w,
                  b->n_loss, dl);
  gl_params_zero_grad(m->params, m->n_params);
  CHECK_OK(m->ops->backward(m, &tg->x, b, dl));
  for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
    memcpy(g + o, m->params[i].g, m->params[i].n * sizeof *g);
  free(lg);
  free(dl);
}

TEST(sampler_mvs_gradient_is_unbiased) {
  /* Right after a snapshot (exact history), the inner batches' output-layer
   * gradients average to those of the mean loss over V_S = all loss nodes,
   * for Bernoulli and systematic draws alike.  The first layer's do not:
   * the paper's one-shot subgraph passes no gradient through the stale
   * rows of out-of-batch neighbours (Eq. 7), and the test shows that bias
   * too. */
  gl_test_graph tg;
  gl_csbm_opts o = {.n = 300, .k = 3, .d = 4, .deg = 8, .p_in = 0.7,
                    .mu = 1, .sigma = 1, .seed = 5};
  gl_test_csbm(&tg, &o, 100, 50);
  gl_model *m = history_gcn(2);
  const int widths[1] = {8};
  size_t np = 0;
  for (int i = 0; i < m->n_params; i++) np += m->params[i].n;
  float *g = malloc(np * sizeof *g), *full = malloc(np * sizeof *full);
  double *mean = malloc(np * sizeof *mean);
  gl_batch b = {0};
  /* the exact gradient of the mean loss over the 100 training nodes */
  CHECK_OK(gl_batch_khop(&b, &tg.ahat, tg.task.train, 100, 2));
  batch_gradient(m, &tg, &b, full);
  for (int sys = 0; sys < 2; sys++) {
    gl_sampler *s;
    CHECK_OK(gl_sampler_mvs_new(&s, &tg.ahat, 2, widths, 1.0, 1000000, sys,
                                tg.task.train, 100, 20, 3));
    CHECK_OK(gl_sampler_next(s, &b)); /* the snapshot */
    float *lg = malloc(sizeof(float) * b.n_out * 3);
    float *norms = malloc(sizeof(float) * b.n_out);
    float *dl = malloc(sizeof(float) * b.n_out * 3);
    CHECK_OK(m->ops->forward(m, &tg.x, &b, false, lg));
    int w;
    const float *rows = m->ops->hidden(m, 0, &w);
    CHECK_OK(s->ops->remember(s, &b, 0, rows, w));
    gl_softmax_xent(lg, b.n_out, 3, b.out_ids, tg.y, b.loss_pos, b.loss_w,
                    b.n_loss, dl);
    CHECK_OK(m->ops->grad_norms(m, &b, dl, norms));
    CHECK_OK(s->ops->feedback(s, &b, norms));
    free(norms);
    enum { T = 4000 };
    memset(mean, 0, np * sizeof *mean);
    double sq = 0;
    for (int t = 0; t < T; t++) {
      CHECK_OK(gl_sampler_next(s, &b));
      batch_gradient(m, &tg, &b, g);
      for (size_t j = 0; j < np; j++) {
        mean[j] += (double)g[j] / T;
        sq += ((double)g[j] - full[j]) * ((double)g[j] - full[j]) / T;
      }
    }
    /* parameters: w0, b0 (layer 0), then w1, b1 (the output layer) */
    double err[2] = {0, 0}, nf[2] = {0, 0};
    for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
      for (size_t j = 0; j < m->params[i].n; j++) {
        double d = mean[o + j] - full[o + j];
        err[i >= 2] += d * d;
        nf[i >= 2] += (double)full[o + j] * full[o + j];
      }
    /* ||mean - g||^2 is about sq / T when unbiased */
    printf("  %s: bias^2 of the output layer %.3g, of the first %.3g "
           "(||g||^2 %.3g, %.3g); mse/T %.3g\n",
           sys ? "systematic" : "bernoulli", err[1], err[0], nf[1], nf[0],
           sq / T);
    CHECK_EQ(m->n_params, 4);
    CHECK_MSG(err[1] < 3 * sq / T, "%s: bias^2 %.3g vs %.3g",
              sys ? "systematic" : "bernoulli", err[1], sq / T);
    CHECK(err[0] > 100 * sq / T); /* the approximation's bias */
    free(lg);
    free(dl);
    gl_sampler_free(s);
  }
  gl_batch_free(&b);
  gl_model_free(m);
  free(g);
  free(full);
  free(mean);
  gl_test_graph_free(&tg);
}
