/* Tests of embed/: the walk rules (DeepWalk, node2vec, CARE) on small
 * graphs whose answers are known, the negative table, and skip-gram. */
#include <omp.h>

#include "tests/test.h"

/* A symmetric graph from an undirected edge list (weights optional). */
static void graph(gl_csr *g, gl_idx n, int m, const gl_idx (*e)[2],
                  const float *w) {
  gl_idx *s = malloc(sizeof(gl_idx) * m), *d = malloc(sizeof(gl_idx) * m);
  for (int i = 0; i < m; i++) {
    s[i] = e[i][0];
    d[i] = e[i][1];
  }
  gl_build_opts o = {.symmetrize = true, .weighted = w != NULL};
  CHECK_OK(gl_csr_from_edges(g, n, m, s, d, w, &o));
  free(s);
  free(d);
}

static double chi_bound(double p, int n) { /* 4.5 standard errors */
  return 4.5 * sqrt(p * (1 - p) / n);
}

TEST(embed_deepwalk_steps_by_weight) {
  /* From the centre of a weighted star, the first step goes to leaf k
   * with probability w_k / sum w (the alias table); unweighted, uniformly.
   * Every step follows an edge. */
  const gl_idx e[4][2] = {{0, 1}, {0, 2}, {0, 3}, {0, 4}};
  const float w[4] = {1, 2, 3.5f, 0.5f};
  for (int weighted = 0; weighted < 2; weighted++) {
    gl_csr g;
    graph(&g, 5, 4, e, weighted ? w : NULL);
    gl_walk_opts o = gl_walk_defaults();
    o.walks_per_node = 8000;
    o.length = 5;
    gl_walker wk;
    CHECK_OK(gl_walker_init(&wk, &g, &o));
    int cnt[5] = {0}, from0 = 0;
    gl_idx out[5];
    for (int64_t i = 0; i < gl_walker_count(&wk); i++) {
      int len = gl_walker_walk(&wk, i, NULL, out);
      CHECK_EQ(len, 5);
      for (int k = 1; k < len; k++)
        CHECK(gl_csr_has_edge(&g, out[k - 1], out[k]));
      if (out[0] == 0) {
        from0++;
        cnt[out[1]]++;
      }
    }
    CHECK_EQ(from0, 8000);
    for (int k = 1; k < 5; k++) {
      double p = weighted ? w[k - 1] / 7.0 : 0.25;
      CHECK_MSG(fabs(cnt[k] / 8000.0 - p) < chi_bound(p, 8000),
                "leaf %d: %.4f, expected %.4f", k, cnt[k] / 8000.0, p);
    }
    gl_walker_free(&wk);
    gl_csr_free(&g);
  }
}

TEST(embed_node2vec_transition_probabilities) {
  /* Graph: 0-1, 0-2, 1-2, 1-3, 1-4.  Walks 0 -> 1 -> x: x = 0 returns
   * (1/p), x = 2 is a neighbour of 0 (1), x = 3, 4 move out (1/q); with
   * weights on 1's edges the bias multiplies them.  Counted over walks
   * that start 0 -> 1, the frequencies match. */
  const gl_idx e[5][2] = {{0, 1}, {0, 2}, {1, 2}, {1, 3}, {1, 4}};
  const float w[5] = {1, 1, 2, 3, 0.5f};
  const double pq[3][2] = {{1, 1}, {0.5, 2}, {4, 0.25}};
  for (int weighted = 0; weighted < 2; weighted++)
    for (int c = 0; c < 3; c++) {
      gl_csr g;
      graph(&g, 5, 5, e, weighted ? w : NULL);
      gl_walk_opts o = gl_walk_defaults();
      o.kind = GL_WALK_NODE2VEC;
      o.p = pq[c][0];
      o.q = pq[c][1];
      o.walks_per_node = 12000;
      o.length = 3;
      o.seed = 7 + c;
      gl_walker wk;
      CHECK_OK(gl_walker_init(&wk, &g, &o));
      int cnt[5] = {0}, n = 0;
      gl_idx out[3];
      for (int64_t i = 0; i < gl_walker_count(&wk); i++) {
        if (gl_walker_start(&wk, i) != 0) continue;
        CHECK_EQ(gl_walker_walk(&wk, i, NULL, out), 3);
        if (out[1] != 1) continue;
        n++;
        cnt[out[2]]++;
      }
      /* w(1, x) for x = 0, 2, 3, 4 and the biases */
      const double wx[5] = {1, 0, weighted ? 2 : 1, weighted ? 3 : 1,
                            weighted ? 0.5 : 1};
      const double bias[5] = {1 / o.p, 0, 1, 1 / o.q, 1 / o.q};
      double z = 0;
      for (int x = 0; x < 5; x++) z += wx[x] * bias[x];
      CHECK(n > 4000);
      for (int x = 0; x < 5; x++) {
        double p = wx[x] * bias[x] / z;
        CHECK_MSG(fabs(cnt[x] / (double)n - p) < chi_bound(p, n) + 1e-9,
                  "p %g q %g weighted %d: x = %d %.4f, expected %.4f", o.p,
                  o.q, weighted, x, cnt[x] / (double)n, p);
      }
      gl_walker_free(&wk);
      gl_csr_free(&g);
    }
}

/* Two communities of 30 nodes, each a ring with chords, and 3 edges
 * between them: community of i is i / 30. */
static void two_rings(gl_csr *g, gl_idx *comm) {
  gl_idx e[200][2];
  int m = 0;
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < 30; i++) {
      e[m][0] = c * 30 + i;
      e[m++][1] = c * 30 + (i + 1) % 30;
      if (i % 3 == 0) {
        e[m][0] = c * 30 + i;
        e[m++][1] = c * 30 + (i + 7) % 30;
      }
    }
  for (int k = 0; k < 3; k++) {
    e[m][0] = k * 10;
    e[m++][1] = 30 + k * 10 + 5;
  }
  graph(g, 60, m, (const gl_idx(*)[2])e, NULL);
  for (int i = 0; i < 60; i++) comm[i] = i / 30;
}

TEST(embed_care_walk_rules) {
  /* CARE paths never revisit a node; each node joins along an edge or by
   * a jump that stays in the community; alpha = 1 never jumps, alpha = 0.5
   * does. */
  gl_csr g;
  gl_idx comm[60];
  two_rings(&g, comm);
  for (int a = 0; a < 2; a++) {
    gl_walk_opts o = gl_walk_defaults();
    o.kind = GL_WALK_CARE;
    o.alpha = a ? 1.0 : 0.5;
    o.community = comm;
    o.n_comm = 2;
    o.walks_per_node = 20;
    o.length = 25;
    gl_walker wk;
    CHECK_OK(gl_walker_init(&wk, &g, &o));
    gl_walks c;
    CHECK_OK(gl_walks_generate(&wk, &c));
    CHECK_EQ(c.n_walks, 1200);
    int64_t jumps = 0, steps = 0, full = 0;
    for (int64_t k = 0; k < c.n_walks; k++) {
      const gl_idx *p = c.nodes + c.start[k];
      const int64_t len = c.start[k + 1] - c.start[k];
      full += len == 25;
      CHECK_EQ(p[0], gl_walker_start(&wk, k));
      bool seen[60] = {false};
      for (int64_t i = 0; i < len; i++) {
        CHECK_MSG(!seen[p[i]], "walk %lld revisits %d", (long long)k, p[i]);
        seen[p[i]] = true;
        if (i == 0) continue;
        /* reached from an earlier node of the path (the last one unless
         * the walk backtracked): along an edge, or by a jump within the
         * community */
        steps++;
        bool edge = false, same = false;
        for (int64_t j = i - 1; j >= 0 && !edge; j--) {
          edge = gl_csr_has_edge(&g, p[j], p[i]);
          same |= comm[p[j]] == comm[p[i]];
        }
        if (edge) continue;
        jumps++;
        CHECK_MSG(same, "node %d joins the path from another community",
                  p[i]);
      }
    }
    if (a)
      CHECK_EQ(jumps, 0);
    else /* half the steps jump, some of them to a node next to the path
          * (not counted here) */
      CHECK_MSG(jumps > steps / 10 && jumps < steps / 2 + 50,
                "%lld jumps in %lld steps", (long long)jumps,
                (long long)steps);
    CHECK(full > 1000);
    gl_walks_free(&c);
    gl_walker_free(&wk);
  }
  gl_csr_free(&g);
}

TEST(embed_care_small_components) {
  /* Components a triangle, an edge, a path of 3 and an isolated node (each
   * its own community): a CARE walk is full length but from the isolated
   * node; it splits into paths without a revisit, and a new path starts
   * (from the last node) only when the one before has visited all it can
   * reach: every neighbour of its nodes is in it. */
  const gl_idx e[6][2] = {{0, 1}, {1, 2}, {0, 2}, {3, 4}, {5, 6}, {6, 7}};
  gl_csr g;
  graph(&g, 9, 6, e, NULL);
  gl_idx comm[9] = {0, 0, 0, 1, 1, 2, 2, 2, 3};
  gl_walk_opts o = gl_walk_defaults();
  o.kind = GL_WALK_CARE;
  o.alpha = 0.7;
  o.community = comm;
  o.n_comm = 4;
  o.walks_per_node = 50;
  o.length = 20;
  gl_walker wk;
  CHECK_OK(gl_walker_init(&wk, &g, &o));
  gl_walks c;
  CHECK_OK(gl_walks_generate(&wk, &c));
  int64_t restarts = 0;
  for (int64_t k = 0; k < c.n_walks; k++) {
    const gl_idx *p = c.nodes + c.start[k];
    const int64_t len = c.start[k + 1] - c.start[k];
    CHECK_EQ(len, p[0] == 8 ? 1 : 20);
    bool in[9] = {false};
    in[p[0]] = true;
    int64_t seg = 0; /* where the current path starts */
    for (int64_t i = 1; i < len; i++) {
      CHECK_MSG(comm[p[i]] == comm[p[i - 1]], "walk %lld leaves its "
                "component", (long long)k);
      if (!in[p[i]]) {
        in[p[i]] = true;
        continue;
      }
      /* a revisit: the path p[seg..i) must be closed */
      for (int64_t j = seg; j < i; j++)
        for (gl_off q = g.ptr[p[j]]; q < g.ptr[p[j] + 1]; q++)
          CHECK_MSG(in[g.col[q]], "walk %lld restarts at %lld with %d "
                    "unvisited", (long long)k, (long long)i, g.col[q]);
      restarts++;
      memset(in, 0, sizeof in);
      seg = i - 1;
      in[p[i - 1]] = in[p[i]] = true;
    }
  }
  CHECK(restarts > 1000); /* components of 2 and 3 nodes: many */
  gl_walks_free(&c);
  gl_walker_free(&wk);
  gl_csr_free(&g);
}

TEST(embed_care_backtracks) {
  /* Tree 0-1, 1-2, 1-3, 3-4, alpha 1, 4 nodes a walk: from 0 the path is
   * 0 1 3 4, or 0 1 2 and, stuck at the leaf 2, back to 1 and on: 0 1 2 3,
   * each half of the time.  From a leaf of a star: leaf, centre, then the
   * other leaves one by one, coming back through the centre. */
  const gl_idx e[4][2] = {{0, 1}, {1, 2}, {1, 3}, {3, 4}};
  gl_csr g;
  graph(&g, 5, 4, e, NULL);
  gl_idx comm[5] = {0, 0, 0, 0, 0};
  gl_walk_opts o = gl_walk_defaults();
  o.kind = GL_WALK_CARE;
  o.alpha = 1;
  o.community = comm;
  o.n_comm = 1;
  o.walks_per_node = 4000;
  o.length = 4;
  gl_walker wk;
  CHECK_OK(gl_walker_init(&wk, &g, &o));
  gl_walk_scratch s;
  CHECK_OK(gl_walk_scratch_init(&s, &wk));
  gl_idx out[4];
  int from0 = 0, via2 = 0;
  for (int64_t i = 0; i < gl_walker_count(&wk); i++) {
    if (gl_walker_start(&wk, i) != 0) continue;
    from0++;
    CHECK_EQ(gl_walker_walk(&wk, i, &s, out), 4);
    CHECK(out[0] == 0 && out[1] == 1);
    bool back = out[2] == 2 && out[3] == 3, on = out[2] == 3 && out[3] == 4;
    CHECK(back || on);
    via2 += back;
  }
  CHECK_EQ(from0, 4000);
  CHECK_MSG(fabs(via2 / 4000.0 - 0.5) < chi_bound(0.5, 4000), "%d of 4000",
            via2);
  gl_walk_scratch_free(&s);
  gl_walker_free(&wk);
  gl_csr_free(&g);
  const gl_idx star[4][2] = {{0, 1}, {0, 2}, {0, 3}, {0, 4}};
  graph(&g, 5, 4, star, NULL);
  o.length = 5;
  o.walks_per_node = 5;
  CHECK_OK(gl_walker_init(&wk, &g, &o));
  CHECK_OK(gl_walk_scratch_init(&s, &wk));
  gl_idx path[5];
  for (int64_t i = 0; i < gl_walker_count(&wk); i++) {
    CHECK_EQ(gl_walker_walk(&wk, i, &s, path), 5); /* every node, once */
    int sum = 0;
    for (int k = 0; k < 5; k++) sum += 1 << path[k];
    CHECK_EQ(sum, 31);
    CHECK(path[0] == 0 ? path[1] != 0 : path[1] == 0);
  }
  gl_walk_scratch_free(&s);
  gl_walker_free(&wk);
  gl_csr_free(&g);
}

TEST(embed_walks_reproducible) {
  /* The corpus depends on the seed only, not on the thread count. */
  gl_csr g;
  gl_idx comm[60];
  two_rings(&g, comm);
  for (int kind = 0; kind < 3; kind++) {
    gl_walk_opts o = gl_walk_defaults();
    o.kind = (gl_walk_kind)kind;
    o.p = 0.5;
    o.q = 2;
    o.community = comm;
    o.n_comm = 2;
    o.length = 20;
    gl_walks c[3];
    for (int r = 0; r < 3; r++) {
      o.seed = r < 2 ? 3 : 4;
      omp_set_num_threads(r == 0 ? 1 : 2);
      gl_walker wk;
      CHECK_OK(gl_walker_init(&wk, &g, &o));
      CHECK_OK(gl_walks_generate(&wk, &c[r]));
      gl_walker_free(&wk);
    }
    omp_set_num_threads(1);
    CHECK_EQ(c[0].start[c[0].n_walks], c[1].start[c[1].n_walks]);
    CHECK(memcmp(c[0].nodes, c[1].nodes,
                 sizeof(gl_idx) * c[0].start[c[0].n_walks]) == 0);
    CHECK(c[0].start[c[0].n_walks] != c[2].start[c[2].n_walks] ||
          memcmp(c[0].nodes, c[2].nodes,
                 sizeof(gl_idx) * c[0].start[c[0].n_walks]) != 0);
    for (int r = 0; r < 3; r++) gl_walks_free(&c[r]);
  }
  gl_csr_free(&g);
}

TEST(embed_walk_bad_input) {
  gl_csr g;
  gl_idx comm[60];
  two_rings(&g, comm);
  gl_walker wk;
  gl_walk_opts o = gl_walk_defaults();
  o.kind = GL_WALK_NODE2VEC;
  o.p = 0;
  CHECK_ERR(gl_walker_init(&wk, &g, &o), GL_EINVAL, "p = 0");
  o = gl_walk_defaults();
  o.length = 0;
  CHECK_ERR(gl_walker_init(&wk, &g, &o), GL_EINVAL, "at least one");
  o = gl_walk_defaults();
  o.kind = GL_WALK_CARE;
  CHECK_ERR(gl_walker_init(&wk, &g, &o), GL_EINVAL, "communities");
  o.community = comm;
  o.n_comm = 1;
  CHECK_ERR(gl_walker_init(&wk, &g, &o), GL_EINVAL, "community 1");
  o.n_comm = 2;
  o.alpha = 1.5;
  CHECK_ERR(gl_walker_init(&wk, &g, &o), GL_EINVAL, "alpha");
  gl_csr_free(&g);
  const gl_idx e[2][2] = {{0, 1}, {1, 2}};
  const float w[2] = {1, 0};
  graph(&g, 3, 2, e, w);
  o = gl_walk_defaults();
  CHECK_ERR(gl_walker_init(&wk, &g, &o), GL_EINVAL, "not positive");
  gl_csr_free(&g);
}

TEST(embed_negative_table) {
  /* Node v is drawn with probability count^0.75 / sum count^0.75: exactly
   * by the alias table's own arithmetic, and in a million draws; a node
   * that never occurs is never drawn. */
  const int64_t count[6] = {1, 16, 81, 0, 256, 16}; /* ^0.75: 1 8 27 0 64 8 */
  const double share[6] = {1 / 108.0, 8 / 108.0, 27 / 108.0, 0,
                           64 / 108.0, 8 / 108.0};
  gl_neg_table t;
  CHECK_OK(gl_neg_table_init(&t, count, 6));
  double exact[6] = {0};
  for (int k = 0; k < 6; k++) {
    exact[k] += t.p[k] / 6.0;
    exact[t.alias[k]] += (1 - t.p[k]) / 6.0;
  }
  gl_rng r;
  gl_rng_seed(&r, 5);
  int64_t drawn[6] = {0};
  const int N = 1000000;
  for (int i = 0; i < N; i++) drawn[gl_neg_draw(&t, gl_rng_u64(&r))]++;
  for (int v = 0; v < 6; v++) {
    CHECK_NEAR(exact[v], share[v], 1e-6);
    CHECK_MSG(fabs(drawn[v] / (double)N - share[v]) <=
                  chi_bound(share[v], N) + 1e-12,
              "node %d: %.5f drawn, %.5f expected", v, drawn[v] / (double)N,
              share[v]);
  }
  CHECK_EQ(drawn[3], 0);
  gl_neg_table_free(&t);
  const int64_t none[2] = {0, 0}, bad[2] = {3, -1};
  CHECK_ERR(gl_neg_table_init(&t, none, 2), GL_EINVAL, "no node");
  CHECK_ERR(gl_neg_table_init(&t, bad, 2), GL_EINVAL, "count -1");
}

static double cosine(const float *a, const float *b, int d) {
  double ab = 0, aa = 0, bb = 0;
  for (int k = 0; k < d; k++) {
    ab += a[k] * b[k];
    aa += a[k] * a[k];
    bb += b[k] * b[k];
  }
  return ab / sqrt(aa * bb);
}

/* DeepWalk walks of 40 nodes on two_rings, stored (c) and as a walker,
 * and skip-gram options for them (dim 16, window 5, one thread). */
typedef struct {
  gl_csr g;
  gl_idx comm[60];
  gl_walker wk;
  gl_walks c;
  gl_sgns_opts so;
} rings;

static void rings_corpus(rings *r) {
  two_rings(&r->g, r->comm);
  gl_walk_opts o = gl_walk_defaults();
  o.length = 40;
  CHECK_OK(gl_walker_init(&r->wk, &r->g, &o));
  CHECK_OK(gl_walks_generate(&r->wk, &r->c));
  r->so = gl_sgns_defaults();
  r->so.dim = 16;
  r->so.window = 5;
  r->so.threads = 1;
}

static void rings_free(rings *r) {
  gl_walks_free(&r->c);
  gl_walker_free(&r->wk);
  gl_csr_free(&r->g);
}

/* Mean cosine of the vectors (dim 16) of node pairs within a ring and
 * between the rings. */
static void ring_cosines(const float *emb, const gl_idx *comm, double *in,
                         double *out) {
  int ni = 0, no = 0;
  *in = *out = 0;
  for (int i = 0; i < 60; i++)
    for (int j = i + 1; j < 60; j++) {
      const double s = cosine(emb + i * 16, emb + j * 16, 16);
      *(comm[i] == comm[j] ? in : out) += s;
      *(comm[i] == comm[j] ? &ni : &no) += 1;
    }
  *in /= ni;
  *out /= no;
}

TEST(embed_skipgram_separates_communities) {
  /* DeepWalk walks on two loosely joined rings: nodes of one ring end up
   * closer to each other than to the other ring's; one thread and a seed
   * give the same vectors twice, and again when the walks are streamed
   * into the trainer instead of stored. */
  rings rg;
  rings_corpus(&rg);
  gl_sgns_opts so = rg.so;
  const gl_walks *c = &rg.c;
  so.epochs = 5;
  float *emb = malloc(sizeof(float) * 60 * 16);
  float *again = malloc(sizeof(float) * 60 * 16);
  gl_sgns_stats st;
  CHECK_OK(gl_sgns_train(c, &so, emb, &st));
  CHECK_EQ(st.words, c->start[c->n_walks] * 5);
  CHECK_OK(gl_sgns_train(c, &so, again, &st));
  CHECK(memcmp(emb, again, sizeof(float) * 60 * 16) == 0);
  memset(again, 0, sizeof(float) * 60 * 16); /* walks drawn as needed */
  CHECK_OK(gl_sgns_train_stream(&rg.wk, &so, again, &st));
  CHECK(memcmp(emb, again, sizeof(float) * 60 * 16) == 0);
  CHECK_EQ(st.words, c->start[c->n_walks] * 5);
  double in, out;
  ring_cosines(emb, rg.comm, &in, &out);
  printf("  mean cosine: within %.3f, between %.3f\n", in, out);
  CHECK(in > out + 0.3);
  /* Hogwild: runs, and still separates; the races make the vectors vary
   * from run to run (margin 0.33-0.40 here over 30 runs), so the bar is
   * lower than for the one-thread run. */
  so.threads = 2;
  CHECK_OK(gl_sgns_train(c, &so, again, &st));
  ring_cosines(again, rg.comm, &in, &out);
  printf("  two threads: within %.3f, between %.3f\n", in, out);
  CHECK(in > out + 0.2);
  so.dim = 0;
  CHECK_ERR(gl_sgns_train(c, &so, emb, &st), GL_EINVAL, "dim");
  so = gl_sgns_defaults();
  rg.c.nodes[3] = 60;
  CHECK_ERR(gl_sgns_train(c, &so, emb, &st), GL_EINVAL, "node 60");
  free(emb);
  free(again);
  rings_free(&rg);
}

/* The learner's curvature against second differences of its loss: two
 * updates on distinct nodes (so the copies are the vectors themselves and
 * the block diagonal Hessian that of the summed loss), x^T H x against
 * (L(w + h x) - 2 L(w) + L(w - h x)) / h^2, and symmetry. */
static void curv_move(float *emb, float *syn1, const gl_sgns_curvature *c,
                      const double *x, double h) {
  const int d = c->dim;
  for (int q = 0; q < c->b; q++) {
    const double *bx = x + (size_t)q * (c->k1 + 1) * d;
    for (int i = 0; i < d; i++)
      emb[(size_t)c->in[q] * d + i] += (float)(h * bx[i]);
    for (int k = 0; k < c->k1; k++)
      for (int i = 0; i < d; i++)
        syn1[(size_t)c->out[q * c->k1 + k] * d + i] +=
            (float)(h * bx[(size_t)(k + 1) * d + i]);
  }
}

TEST(embed_sgns_curvature_exact) {
  enum { D = 4, K1 = 3, B = 2, N = (K1 + 1) * D * B };
  gl_rng r;
  gl_rng_seed(&r, 8);
  float emb[10 * D], syn1[10 * D];
  for (int i = 0; i < 10 * D; i++) {
    emb[i] = (float)(gl_rng_uniform(&r) - 0.5);
    syn1[i] = (float)(gl_rng_uniform(&r) - 0.5);
  }
  const gl_idx in[B] = {0, 1}, out[B * K1] = {2, 3, 4, 5, 6, 7};
  gl_sgns_curvature c = {emb, syn1, D, K1, B, in, out};
  double x[N], z[N], hx[N], hz[N];
  for (int i = 0; i < N; i++) {
    x[i] = gl_rng_uniform(&r) - 0.5;
    z[i] = gl_rng_uniform(&r) - 0.5;
  }
  CHECK_OK(gl_sgns_curvature_matvec(&c, x, hx));
  CHECK_OK(gl_sgns_curvature_matvec(&c, z, hz));
  double xhx = 0, zhx = 0, xhz = 0;
  for (int i = 0; i < N; i++) {
    xhx += x[i] * hx[i];
    zhx += z[i] * hx[i];
    xhz += x[i] * hz[i];
  }
  CHECK_NEAR(zhx, xhz, 1e-9);
  const double h = 1e-2, l0 = B * gl_sgns_curvature_loss(&c);
  curv_move(emb, syn1, &c, x, h);
  const double lp = B * gl_sgns_curvature_loss(&c);
  curv_move(emb, syn1, &c, x, -2 * h);
  const double lm = B * gl_sgns_curvature_loss(&c);
  const double fd = (lp - 2 * l0 + lm) / (h * h);
  printf("  x^T H x %.6f, second difference %.6f\n", xhx, fd);
  CHECK_NEAR(xhx, fd, 1e-3 * fmax(1, fabs(fd)));
}

TEST(embed_skipgram_spectral_learner) {
  /* spectral-sgd on the two rings: an estimate at every segment (the
   * redone ones aside), a finite rate, reproducible for a seed and one
   * thread, the same streamed, and the rings apart as with the fixed rate */
  rings rg;
  rings_corpus(&rg);
  gl_sgns_opts so = rg.so;
  const gl_walks *c = &rg.c;
  so.epochs = 2;
  so.spectral = true;
  so.spectral_segments = 5;
  float *emb = malloc(sizeof(float) * 60 * 16);
  float *again = malloc(sizeof(float) * 60 * 16);
  gl_sgns_stats st;
  CHECK_OK(gl_sgns_train(c, &so, emb, &st));
  printf("  spectral-sgd: %d estimates, %d redone, last rate %.4f\n",
         st.estimates, st.restarts, st.lr);
  CHECK_EQ(st.estimates, 10);
  CHECK(st.lr > 1e-3 && st.lr < 10);
  CHECK_OK(gl_sgns_train(c, &so, again, &st));
  CHECK(memcmp(emb, again, sizeof(float) * 60 * 16) == 0);
  memset(again, 0, sizeof(float) * 60 * 16);
  CHECK_OK(gl_sgns_train_stream(&rg.wk, &so, again, &st));
  CHECK(memcmp(emb, again, sizeof(float) * 60 * 16) == 0);
  double in, out;
  ring_cosines(emb, rg.comm, &in, &out);
  printf("  mean cosine: within %.3f, between %.3f\n", in, out);
  CHECK(in > out + 0.3);
  free(emb);
  free(again);
  rings_free(&rg);
}

TEST(embed_skipgram_spectral_draw_bounded) {
  /* the learner's curvature draw on corpora it cannot draw from ends with
   * an error: walks of one node (no context pair), and walks of one node
   * repeated (no negative but the center) */
  gl_idx nodes[3] = {0, 1, 2};
  int64_t start[4] = {0, 1, 2, 3};
  gl_walks c = {nodes, start, 3, 3};
  gl_sgns_opts so = gl_sgns_defaults();
  so.dim = 4;
  so.threads = 1;
  so.spectral = true;
  float emb[3 * 4];
  gl_sgns_stats st;
  CHECK_ERR(gl_sgns_train(&c, &so, emb, &st), GL_EINVAL, "context pair");
  gl_idx same[3] = {0, 0, 0};
  int64_t one[2] = {0, 3};
  c = (gl_walks){same, one, 1, 3}; /* the walk 0 0 0 */
  CHECK_ERR(gl_sgns_train(&c, &so, emb, &st), GL_EINVAL, "no node but 0");
  so.negative = 0; /* no negatives to draw: it trains */
  CHECK_OK(gl_sgns_train(&c, &so, emb, &st));
}

TEST(embed_logistic_regression_optimum) {
  /* Newton's answer is the optimum: the gradient of sum log-loss +
   * |w|^2 / 2C vanishes (the bias unpenalised), on overlapping classes and
   * on separable ones (where only the penalty keeps w finite). */
  gl_rng r;
  gl_rng_seed(&r, 9);
  enum { N = 400, D = 5 };
  float x[N * D];
  uint8_t y[N];
  for (int sep = 0; sep < 2; sep++) {
    for (int i = 0; i < N; i++) {
      y[i] = gl_rng_uniform(&r) < 0.4;
      for (int k = 0; k < D; k++)
        x[i * D + k] = (float)gl_rng_normal(&r) +
                       (y[i] ? (sep ? 4.0f : 0.7f) * (k == 0) : 0);
    }
    const double c = sep ? 10 : 0.5;
    double w[D + 1], g[D + 1] = {0};
    CHECK_OK(gl_logreg_fit(x, N, D, y, c, w));
    for (int i = 0; i < N; i++) {
      double p = 1 / (1 + exp(-gl_logreg_score(x + i * D, D, w)));
      for (int k = 0; k < D; k++) g[k] += (p - y[i]) * x[i * D + k];
      g[D] += p - y[i];
    }
    for (int k = 0; k < D; k++) g[k] += w[k] / c;
    for (int k = 0; k <= D; k++)
      CHECK_MSG(fabs(g[k]) < 1e-5, "separable %d: gradient %d = %g", sep, k,
                g[k]);
    CHECK(w[0] > 0.5); /* feature 0 carries the class */
  }
  double w[D + 1];
  CHECK_ERR(gl_logreg_fit(x, N, D, y, 0, w), GL_EINVAL, "C = 0");
}

TEST(embed_auc_and_f1_by_hand) {
  const double s[4] = {0.1, 0.4, 0.35, 0.8};
  const uint8_t y[4] = {0, 0, 1, 1};
  double auc;
  CHECK_OK(gl_auc(s, y, 4, &auc));
  CHECK_NEAR(auc, 0.75, 1e-12); /* pairs won: 3 of 4 */
  const double tie[2] = {0.5, 0.5};
  const uint8_t ty[2] = {1, 0};
  CHECK_OK(gl_auc(tie, ty, 2, &auc));
  CHECK_NEAR(auc, 0.5, 1e-12);
  CHECK_OK(gl_auc(tie, y, 2, &auc)); /* one class: undefined */
  CHECK(isnan(auc));
  /* out of memory is a status, not NAN: the workspace fails, or its size
   * overflows */
  gl_alloc_fail_after(1);
  CHECK_ERR(gl_auc(s, y, 4, &auc), GL_ENOMEM, "memory");
  CHECK_ERR(gl_auc(s, y, (int64_t)1 << 61, &auc), GL_ENOMEM, "overflows");
  CHECK_ERR(gl_auc(s, y, -1, &auc), GL_EINVAL, "-1");
  /* truth {0}, {0,1}, {2}; predicted {0}, {1,2}, {2}: per class
   * tp fp fn = (1 0 1), (1 0 0), (1 1 0): F1 2/3, 1, 2/3; micro 6/8 */
  gl_csr truth, pred;
  const gl_idx tr[3] = {0, 1, 2}, tc[4] = {0, 0, 1, 2};
  const gl_idx pr[4] = {0, 1, 1, 2}, pc[4] = {0, 1, 2, 2};
  CHECK_OK(gl_csr_from_coo(&truth, 3, 3, 4, (const gl_idx[]){0, 1, 1, 2}, tc,
                           NULL));
  CHECK_OK(gl_csr_from_coo(&pred, 3, 3, 4, pr, pc, NULL));
  double mi, ma;
  CHECK_OK(gl_f1_scores(&truth, &pred, tr, 3, 3, &mi, &ma));
  CHECK_NEAR(mi, 0.75, 1e-12);
  CHECK_NEAR(ma, (2.0 / 3 + 1 + 2.0 / 3) / 3, 1e-12);
  gl_csr_free(&truth);
  gl_csr_free(&pred);
}

TEST(embed_classify_protocol) {
  /* Embeddings that carry the class (a one-hot part plus noise) score
   * near 1; pure noise scores near chance (3 classes: 1/3); multi-label
   * nodes get as many predictions as labels. */
  enum { N = 600, C = 3, DIM = 8 };
  gl_rng r;
  gl_rng_seed(&r, 4);
  float emb[N * DIM], noise[N * DIM];
  gl_idx row[N + N / 10], col[N + N / 10];
  int nnz = 0;
  for (int i = 0; i < N; i++) {
    const int c = i % C;
    row[nnz] = i;
    col[nnz++] = c;
    if (i % 10 == 0 && c != 2) { /* a second label for some */
      row[nnz] = i;
      col[nnz++] = 2;
    }
    for (int k = 0; k < DIM; k++) {
      noise[i * DIM + k] = (float)gl_rng_normal(&r);
      emb[i * DIM + k] = 0.3f * (float)gl_rng_normal(&r) + (k == c) * 2.0f +
                         (k == 2 && i % 10 == 0) * 2.0f;
    }
  }
  gl_csr labels;
  CHECK_OK(gl_csr_from_coo(&labels, N, C, nnz, row, col, NULL));
  double mi, ma;
  CHECK_OK(gl_eval_classify(emb, DIM, &labels, 0.5, 1.0, 1, &mi, &ma));
  CHECK_MSG(mi > 0.95 && ma > 0.95, "informative: %.3f %.3f", mi, ma);
  CHECK_OK(gl_eval_classify(noise, DIM, &labels, 0.5, 1.0, 1, &mi, &ma));
  CHECK_MSG(mi > 0.2 && mi < 0.5, "noise: micro %.3f", mi);
  CHECK_ERR(gl_eval_classify(emb, DIM, &labels, 1.0, 1.0, 1, &mi, &ma),
            GL_EINVAL, "fraction");
  gl_csr_free(&labels);
}

/* Connected components of g (union of each row's entries). */
static int components(const gl_csr *g) {
  gl_idx *p = malloc(sizeof(gl_idx) * g->n);
  for (gl_idx i = 0; i < g->n; i++) p[i] = i;
  int comps = g->n;
  for (gl_idx i = 0; i < g->n; i++)
    for (gl_off e = g->ptr[i]; e < g->ptr[i + 1]; e++) {
      gl_idx a = i, b = g->col[e];
      while (p[a] != a) a = p[a];
      while (p[b] != b) b = p[b];
      if (a != b) {
        p[a] = b;
        comps--;
      }
    }
  free(p);
  return comps;
}

TEST(embed_link_split_and_auc) {
  /* A quarter of the edges held out, exactly; the residual graph keeps every
   * component connected; held-out pairs are edges, the non-edges are not
   * and are all distinct; training pairs come from the residual graph.
   * Community indicators as embeddings separate edges from non-edges. */
  gl_csr g;
  gl_idx comm[60];
  two_rings(&g, comm);
  const int64_t m = g.nnz / 2;
  gl_link_split s;
  CHECK_OK(gl_link_split_init(&s, &g, 0.25, 1000000, 3)); /* 24 could go */
  CHECK_EQ(s.n_test, 2 * llround(0.25 * m));
  CHECK_EQ(s.residual.nnz / 2, m - s.n_test / 2);
  CHECK_EQ(components(&s.residual), components(&g));
  CHECK_EQ(s.n_train, 2 * (m - s.n_test / 2));
  const int64_t all = s.n_train + s.n_test;
  for (int64_t i = 0; i < all; i++) {
    const bool test = i >= s.n_train;
    CHECK(s.u[i] < s.v[i]);
    CHECK_EQ(gl_csr_has_edge(&g, s.u[i], s.v[i]), s.y[i] == 1);
    if (s.y[i]) /* held out iff a test pair */
      CHECK_EQ(gl_csr_has_edge(&s.residual, s.u[i], s.v[i]), !test);
    for (int64_t j = 0; j < i; j++)
      CHECK(s.u[i] != s.u[j] || s.v[i] != s.v[j]);
  }
  float emb[60 * 2];
  for (int i = 0; i < 60; i++) {
    emb[i * 2] = comm[i] ? 1.0f : -1.0f;
    emb[i * 2 + 1] = 0.1f * (float)(i % 7);
  }
  /* edges lie within communities; half the non-edges do too (tied with
   * them): AUC about 3/4, where noise gives about 1/2 */
  double auc;
  CHECK_OK(gl_eval_link(emb, 2, &s, GL_EDGE_HADAMARD, 1.0, &auc));
  CHECK_MSG(auc > 0.7, "hadamard AUC %.3f", auc);
  CHECK_OK(gl_eval_link(emb, 2, &s, GL_EDGE_L1, 1.0, &auc));
  CHECK_MSG(auc > 0.7, "L1 AUC %.3f", auc);
  gl_rng r;
  gl_rng_seed(&r, 8);
  for (int i = 0; i < 120; i++) emb[i] = (float)gl_rng_normal(&r);
  CHECK_OK(gl_eval_link(emb, 2, &s, GL_EDGE_HADAMARD, 1.0, &auc));
  CHECK_MSG(auc > 0.3 && auc < 0.7, "noise AUC %.3f", auc);
  gl_link_split_free(&s);
  CHECK_ERR(gl_link_split_init(&s, &g, 0.9, 1000, 3), GL_EINVAL,
            "keep the graph connected");
  CHECK_ERR(gl_link_split_init(&s, &g, 0, 1000, 3), GL_EINVAL, "share 0");
  gl_csr_free(&g);
}
