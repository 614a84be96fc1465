/* Tests of graph/: builders, queries, normalisations, transposes, subgraphs,
 * sparse products, METIS / igraph / CXSparse bridges and generators. */
#include <igraph.h>

#include "cs.h"
#include "tests/test.h"

/* ------------------------------------------------------------ helpers */
/* Checks a's structure against expected ptr / col (and val if non-NULL). */
static void check_csr(const gl_csr *a, gl_idx n, const gl_off *ptr,
                      const gl_idx *col, const float *val) {
  CHECK_OK(gl_csr_check(a, true));
  CHECK_EQ(a->n, n);
  if (a->n != n) return;
  for (gl_idx i = 0; i <= n; i++) CHECK_EQ(a->ptr[i], ptr[i]);
  CHECK_EQ(a->nnz, ptr[n]);
  if (a->nnz != ptr[n]) return;
  for (gl_off e = 0; e < a->nnz; e++) CHECK_EQ(a->col[e], col[e]);
  CHECK(!val == !a->val);
  if (val && a->val)
    for (gl_off e = 0; e < a->nnz; e++) CHECK_NEAR(a->val[e], val[e], 1e-6);
}

/* Dense n x m copy of a (row-major, doubles). */
static double *dense(const gl_csr *a) {
  double *d = calloc((size_t)a->n * a->m + 1, sizeof *d);
  for (gl_idx i = 0; i < a->n; i++)
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++)
      d[(size_t)i * a->m + a->col[e]] += gl_csr_w(a, e);
  return d;
}

/* A random n x m matrix with about density * n * m entries. */
static void random_csr(gl_csr *a, gl_idx n, gl_idx m, double density,
                       bool weighted, uint64_t seed) {
  gl_rng r;
  gl_rng_seed(&r, seed);
  gl_off cap = (gl_off)(density * n * m) + 1, k = 0;
  gl_idx *row = malloc(cap * sizeof *row), *col = malloc(cap * sizeof *col);
  float *val = malloc(cap * sizeof *val);
  for (gl_off e = 0; e < cap; e++) {
    row[k] = (gl_idx)gl_rng_below(&r, (uint32_t)n);
    col[k] = (gl_idx)gl_rng_below(&r, (uint32_t)m);
    val[k] = gl_rng_uniformf(&r) * 2 - 1;
    k++;
  }
  CHECK_OK(gl_csr_from_coo(a, n, m, k, row, col, weighted ? val : NULL));
  free(row);
  free(col);
  free(val);
}

/* Two 5-cliques {0..4} and {5..9} joined by the edge 4-5. */
static void two_cliques(gl_csr *a) {
  gl_idx src[21], dst[21];
  int k = 0;
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < 5; i++)
      for (int j = i + 1; j < 5; j++) {
        src[k] = 5 * c + i;
        dst[k++] = 5 * c + j;
      }
  src[k] = 4;
  dst[k++] = 5;
  gl_build_opts o = {.symmetrize = true};
  CHECK_OK(gl_csr_from_edges(a, 10, k, src, dst, NULL, &o));
}

static bool same_csr(const gl_csr *a, const gl_csr *b) {
  if (a->n != b->n || a->m != b->m || a->nnz != b->nnz || !a->val != !b->val)
    return false;
  return !memcmp(a->ptr, b->ptr, (a->n + 1) * sizeof *a->ptr) &&
         !memcmp(a->col, b->col, a->nnz * sizeof *a->col) &&
         (!a->val || !memcmp(a->val, b->val, a->nnz * sizeof *a->val));
}

/* ------------------------------------------------------------ building */
/* (0,1) twice, (1,0), a self loop (2,2), (3,1), (1,2). */
static const gl_idx E_SRC[] = {0, 1, 0, 2, 3, 1};
static const gl_idx E_DST[] = {1, 0, 1, 2, 1, 2};
static const float E_W[] = {1, 2, 3, 5, 0.5f, 4};

TEST(graph_build_pattern_symmetrized) {
  gl_csr a;
  gl_build_opts o = {.symmetrize = true};
  CHECK_OK(gl_csr_from_edges(&a, 4, 6, E_SRC, E_DST, NULL, &o));
  const gl_off ptr[] = {0, 1, 4, 5, 6};
  const gl_idx col[] = {1, 0, 2, 3, 1, 1};
  check_csr(&a, 4, ptr, col, NULL);
  CHECK(gl_csr_is_symmetric(&a));
  gl_csr_free(&a);
  CHECK(a.ptr == NULL && a.n == 0);

  o.self_loops = true;
  CHECK_OK(gl_csr_from_edges(&a, 4, 6, E_SRC, E_DST, NULL, &o));
  const gl_off ptr2[] = {0, 1, 4, 6, 7};
  const gl_idx col2[] = {1, 0, 2, 3, 1, 2, 1};
  check_csr(&a, 4, ptr2, col2, NULL);
  gl_csr_free(&a);

  /* Directed, self loops dropped: rows 0:{1} 1:{0,2} 2:{} 3:{1}. */
  CHECK_OK(gl_csr_from_edges(&a, 4, 6, E_SRC, E_DST, NULL, NULL));
  const gl_off ptr3[] = {0, 1, 3, 3, 4};
  const gl_idx col3[] = {1, 0, 2, 1};
  check_csr(&a, 4, ptr3, col3, NULL);
  CHECK(!gl_csr_is_symmetric(&a));
  gl_csr_free(&a);
}

TEST(graph_build_weighted_duplicates) {
  gl_csr a;
  gl_build_opts o = {.symmetrize = true, .self_loops = true, .weighted = true,
                     .sum_dups = true};
  CHECK_OK(gl_csr_from_edges(&a, 4, 6, E_SRC, E_DST, E_W, &o));
  const gl_off ptr[] = {0, 1, 4, 6, 7};
  const gl_idx col[] = {1, 0, 2, 3, 1, 2, 1};
  const float sum[] = {6, 6, 4, 0.5f, 4, 5, 0.5f};
  check_csr(&a, 4, ptr, col, sum);
  CHECK(gl_csr_is_symmetric(&a));
  gl_csr_free(&a);
  /* Without summing, the first occurrence in input order wins. */
  o.sum_dups = false;
  CHECK_OK(gl_csr_from_edges(&a, 4, 6, E_SRC, E_DST, E_W, &o));
  const float first[] = {1, 1, 4, 0.5f, 4, 5, 0.5f};
  check_csr(&a, 4, ptr, col, first);
  gl_csr_free(&a);
  /* Rectangular COO: 2 x 3, duplicates summed, order of input irrelevant. */
  const gl_idx r[] = {1, 0, 1, 1, 0}, c[] = {2, 1, 0, 2, 1};
  const float v[] = {1, 2, 3, 4, 5};
  CHECK_OK(gl_csr_from_coo(&a, 2, 3, 5, r, c, v));
  const gl_off cptr[] = {0, 1, 3};
  const gl_idx ccol[] = {1, 0, 2};
  const float cval[] = {7, 3, 5};
  check_csr(&a, 2, cptr, ccol, cval);
  CHECK_EQ(a.m, 3);
  gl_csr_free(&a);
  /* Empty graphs are fine. */
  CHECK_OK(gl_csr_from_edges(&a, 0, 0, NULL, NULL, NULL, NULL));
  CHECK_EQ(a.n, 0);
  CHECK_EQ(a.nnz, 0);
  gl_csr_free(&a);
  CHECK_OK(gl_csr_from_edges(&a, 3, 0, NULL, NULL, NULL, NULL));
  CHECK_EQ(a.ptr[3], 0);
  gl_csr_free(&a);
}

TEST(graph_build_large_rows_sorted) {
  /* Rows long enough for the merge sort: 3 rows x 1000 random columns with
   * duplicates, checked against a dense count. */
  gl_rng r;
  gl_rng_seed(&r, 5);
  enum { N = 3000, M = 500 };
  gl_idx src[N], dst[N];
  float w[N];
  double cnt[3][M] = {{0}};
  for (int e = 0; e < N; e++) {
    src[e] = e % 3;
    dst[e] = (gl_idx)gl_rng_below(&r, M);
    w[e] = (float)(e % 7);
    cnt[src[e]][dst[e]] += w[e];
  }
  gl_csr a;
  CHECK_OK(gl_csr_from_coo(&a, 3, M, N, src, dst, w));
  CHECK_OK(gl_csr_check(&a, true));
  double *d = dense(&a);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < M; j++) CHECK_NEAR(d[i * M + j], cnt[i][j], 1e-4);
  free(d);
  gl_csr_free(&a);
}

TEST(graph_build_many_chunks) {
  /* 300000 edges (several chunks and groups) on 1000 nodes, symmetrized:
   * sums against a dense reference, the first weight kept when not summing,
   * and bit-identical results at 1 and 2 threads. */
  enum { N = 1000, E = 300000 };
  gl_idx *src = malloc(E * sizeof *src), *dst = malloc(E * sizeof *dst);
  float *w = malloc(E * sizeof *w);
  double *sum = calloc((size_t)N * N, sizeof *sum);
  float *first = malloc((size_t)N * N * sizeof *first);
  for (size_t i = 0; i < (size_t)N * N; i++) first[i] = NAN;
  gl_rng r;
  gl_rng_seed(&r, 8);
  for (int e = 0; e < E; e++) {
    src[e] = (gl_idx)gl_rng_below(&r, N);
    dst[e] = (gl_idx)gl_rng_below(&r, N);
    w[e] = (float)gl_rng_below(&r, 16);
    if (src[e] == dst[e]) continue;
    size_t uv = (size_t)src[e] * N + dst[e], vu = (size_t)dst[e] * N + src[e];
    sum[uv] += w[e];
    sum[vu] += w[e];
    if (isnan(first[uv])) first[uv] = w[e];
    if (isnan(first[vu])) first[vu] = w[e];
  }
  int saved = gl_threads();
  gl_csr a[2], f;
  gl_build_opts o = {.symmetrize = true, .weighted = true, .sum_dups = true};
  for (int t = 0; t < 2; t++) {
    gl_set_threads(t + 1);
    CHECK_OK(gl_csr_from_edges(&a[t], N, E, src, dst, w, &o));
  }
  gl_set_threads(saved);
  CHECK(same_csr(&a[0], &a[1]));
  CHECK_OK(gl_csr_check(&a[0], true));
  CHECK(gl_csr_is_symmetric(&a[0]));
  double *d = dense(&a[0]);
  long bad = 0, nz = 0;
  for (size_t i = 0; i < (size_t)N * N; i++) {
    bad += d[i] != sum[i]; /* small integers: exact in float */
    nz += !isnan(first[i]);
  }
  CHECK_EQ(bad, 0);
  CHECK_EQ(a[0].nnz, nz);
  free(d);
  o.sum_dups = false;
  CHECK_OK(gl_csr_from_edges(&f, N, E, src, dst, w, &o));
  bad = 0;
  for (gl_idx i = 0; i < N; i++)
    for (gl_off e = f.ptr[i]; e < f.ptr[i + 1]; e++)
      bad += f.val[e] != first[(size_t)i * N + f.col[e]];
  CHECK_EQ(bad, 0);
  CHECK_EQ(f.nnz, nz);
  /* The transpose of a symmetric matrix is itself. */
  gl_csr t;
  CHECK_OK(gl_csr_transpose(&t, &a[0]));
  CHECK(same_csr(&t, &a[0]));
  gl_csr_free(&t);
  gl_csr_free(&f);
  gl_csr_free(&a[0]);
  gl_csr_free(&a[1]);
  free(src);
  free(dst);
  free(w);
  free(sum);
  free(first);
}

TEST(graph_check_and_queries) {
  gl_csr a;
  gl_build_opts o = {.symmetrize = true, .weighted = true, .sum_dups = true};
  CHECK_OK(gl_csr_from_edges(&a, 4, 6, E_SRC, E_DST, E_W, &o));
  float deg[4], wdeg[4];
  gl_csr_degrees(&a, false, deg);
  gl_csr_degrees(&a, true, wdeg);
  const float edeg[] = {1, 3, 1, 1}, ewdeg[] = {6, 10.5f, 4, 0.5f};
  for (int i = 0; i < 4; i++) {
    CHECK_NEAR(deg[i], edeg[i], 0);
    CHECK_NEAR(wdeg[i], ewdeg[i], 1e-6);
  }
  CHECK(gl_csr_has_edge(&a, 1, 3));
  CHECK(gl_csr_has_edge(&a, 3, 1));
  CHECK(!gl_csr_has_edge(&a, 0, 2));
  CHECK(!gl_csr_has_edge(&a, 2, 2));
  CHECK(!gl_csr_has_edge(&a, -1, 0));
  CHECK(!gl_csr_has_edge(&a, 0, 4));
  /* Weighted symmetry needs equal weights both ways. */
  a.val[0] = 7; /* (0,1) */
  CHECK(!gl_csr_is_symmetric(&a));
  a.val[0] = 6;
  CHECK(gl_csr_is_symmetric(&a));

  gl_csr b;
  CHECK_OK(gl_csr_copy(&b, &a));
  CHECK(same_csr(&a, &b));
  /* Structural checks catch each kind of damage. */
  b.col[2] = 0; /* row 1: 0, 2, 3 -> 0, 0, 3 */
  CHECK_ERR(gl_csr_check(&b, true), GL_EFORMAT, "row 1");
  CHECK_OK(gl_csr_check(&b, false));
  b.col[2] = 9;
  CHECK_ERR(gl_csr_check(&b, false), GL_EFORMAT, "column 9 out of range");
  b.col[2] = 2;
  b.ptr[2] = 6;
  CHECK_ERR(gl_csr_check(&b, true), GL_EFORMAT, "decreases at row 2");
  b.ptr[2] = 4;
  b.nnz = 5;
  CHECK_ERR(gl_csr_check(&b, true), GL_EFORMAT, "nnz is 5");
  b.nnz = 6;
  CHECK_OK(gl_csr_check(&b, true));
  gl_csr_free(&b);

  /* Row normalisation, weighted and pattern. */
  CHECK_OK(gl_csr_row_norm(&b, &a));
  const float rn[] = {1, 6 / 10.5f, 4 / 10.5f, 0.5f / 10.5f, 1, 1};
  for (int e = 0; e < 6; e++) CHECK_NEAR(b.val[e], rn[e], 1e-6);
  gl_csr_free(&b);
  free(a.val);
  a.val = NULL;
  CHECK_OK(gl_csr_row_norm_inplace(&a));
  const float rp[] = {1, 1 / 3.f, 1 / 3.f, 1 / 3.f, 1, 1};
  for (int e = 0; e < 6; e++) CHECK_NEAR(a.val[e], rp[e], 1e-6);
  gl_csr_free(&a);
}

/* ------------------------------------------------------------ transforms */
TEST(graph_gcn_norm_hand_computed) {
  /* Path 0-1-2 with a self loop at 2 (replaced): degrees with the identity
   * are 2, 3, 2. */
  const gl_idx s[] = {0, 1, 2}, d[] = {1, 2, 2};
  gl_csr a, g;
  gl_build_opts o = {.symmetrize = true, .self_loops = true};
  CHECK_OK(gl_csr_from_edges(&a, 3, 3, s, d, NULL, &o));
  CHECK_EQ(a.nnz, 5);
  CHECK_OK(gl_csr_gcn_norm(&g, &a, 1));
  const gl_off ptr[] = {0, 2, 5, 7};
  const gl_idx col[] = {0, 1, 0, 1, 2, 1, 2};
  double r6 = 1 / sqrt(6.0);
  const float val[] = {0.5f, r6, r6, 1 / 3.f, r6, r6, 0.5f};
  check_csr(&g, 3, ptr, col, val);
  CHECK(gl_csr_is_symmetric(&g));
  gl_csr_free(&g);
  gl_csr_free(&a);

  /* Weighted, self weight 2, with an isolated node: edges 0-1 (w 2) and 0-3
   * (w 1).  D = 5, 4, 2, 3. */
  const gl_idx s2[] = {0, 0}, d2[] = {1, 3};
  const float w2[] = {2, 1};
  o = (gl_build_opts){.symmetrize = true, .weighted = true};
  CHECK_OK(gl_csr_from_edges(&a, 4, 2, s2, d2, w2, &o));
  CHECK_OK(gl_csr_gcn_norm(&g, &a, 2));
  const gl_off ptr2[] = {0, 3, 5, 6, 8};
  const gl_idx col2[] = {0, 1, 3, 0, 1, 2, 0, 3};
  const float val2[] = {2 / 5.f, 2 / sqrt(20.0), 1 / sqrt(15.0),
                        2 / sqrt(20.0), 0.5f, 1, 1 / sqrt(15.0), 2 / 3.f};
  check_csr(&g, 4, ptr2, col2, val2);
  gl_csr_free(&g);
  CHECK_ERR(gl_csr_gcn_norm(&g, &a, -1), GL_EINVAL, "self weight");
  gl_csr_free(&a);
  random_csr(&a, 3, 4, 0.5, false, 1);
  CHECK_ERR(gl_csr_gcn_norm(&g, &a, 1), GL_EINVAL, "not square");
  gl_csr_free(&a);
}

TEST(graph_transpose_twice_is_identity) {
  gl_csr a, t, tt;
  random_csr(&a, 50, 30, 0.2, true, 3);
  CHECK_OK(gl_csr_transpose(&t, &a));
  CHECK_OK(gl_csr_check(&t, true));
  CHECK_EQ(t.n, 30);
  CHECK_EQ(t.m, 50);
  CHECK_EQ(t.nnz, a.nnz);
  double *da = dense(&a), *dt = dense(&t);
  int bad = 0;
  for (int i = 0; i < 50; i++)
    for (int j = 0; j < 30; j++) bad += da[i * 30 + j] != dt[j * 50 + i];
  CHECK_EQ(bad, 0);
  free(da);
  free(dt);
  CHECK_OK(gl_csr_transpose(&tt, &t));
  CHECK(same_csr(&a, &tt));
  gl_csr_free(&a);
  gl_csr_free(&t);
  gl_csr_free(&tt);
}

TEST(graph_transpose_out_of_memory) {
  /* each allocation of the calling thread in turn fails: GL_ENOMEM and
   * an empty matrix, never a read through the failed one (the bucket
   * starts were read before the failure was looked at); then the same
   * transpose as without failures */
  gl_csr a, want, t;
  random_csr(&a, 50, 30, 0.2, true, 3);
  CHECK_OK(gl_csr_transpose(&want, &a));
  gl_status st = GL_ENOMEM;
  int n = 1;
  for (; n < 100 && st == GL_ENOMEM; n++) {
    gl_alloc_fail_after(n);
    st = gl_csr_transpose(&t, &a);
    gl_alloc_fail_after(0);
    if (st == GL_ENOMEM) CHECK(t.ptr == NULL && t.col == NULL);
  }
  CHECK_MSG(st == GL_OK && n > 3, "status %d after %d failures", (int)st,
            n - 1);
  if (st == GL_OK) CHECK(same_csr(&want, &t));
  gl_csr_free(&a);
  gl_csr_free(&want);
  gl_csr_free(&t);
}

TEST(graph_subgraph_and_select_rows) {
  /* Ring 0-1-2-3-4-5-0 with the chord 1-4. */
  const gl_idx s[] = {0, 1, 2, 3, 4, 5, 1}, d[] = {1, 2, 3, 4, 5, 0, 4};
  const float w[] = {1, 2, 3, 4, 5, 6, 7};
  gl_csr a, sub;
  gl_build_opts o = {.symmetrize = true, .weighted = true};
  CHECK_OK(gl_csr_from_edges(&a, 6, 7, s, d, w, &o));
  const gl_idx nodes[] = {4, 1, 2};
  gl_idx map[6];
  CHECK_OK(gl_csr_subgraph(&sub, &a, nodes, 3, map));
  /* Local 0 = 4, 1 = 1, 2 = 2; kept edges 1-2 (w 2) and 1-4 (w 7). */
  const gl_off ptr[] = {0, 1, 3, 4};
  const gl_idx col[] = {1, 0, 2, 1};
  const float val[] = {7, 7, 2, 2};
  check_csr(&sub, 3, ptr, col, val);
  const gl_idx emap[] = {-1, 1, 2, -1, 0, -1};
  for (int i = 0; i < 6; i++) CHECK_EQ(map[i], emap[i]);
  gl_csr_free(&sub);
  CHECK_OK(gl_csr_subgraph(&sub, &a, nodes, 3, NULL));
  check_csr(&sub, 3, ptr, col, val);
  gl_csr_free(&sub);
  CHECK_OK(gl_csr_subgraph(&sub, &a, NULL, 0, NULL));
  CHECK_EQ(sub.n, 0);
  gl_csr_free(&sub);
  const gl_idx dup[] = {4, 1, 4}, out[] = {4, 6};
  CHECK_ERR(gl_csr_subgraph(&sub, &a, dup, 3, NULL), GL_EINVAL, "node 4");
  CHECK_ERR(gl_csr_subgraph(&sub, &a, out, 2, map), GL_EINVAL, "node 6");

  /* Rows 4 and 1 (repeats allowed): rows {3, 5, 1} and {0, 2, 4}. */
  const gl_idx rows[] = {4, 1, 4};
  CHECK_OK(gl_csr_select_rows(&sub, &a, rows, 3));
  CHECK_EQ(sub.m, 6);
  const gl_off rptr[] = {0, 3, 6, 9};
  const gl_idx rcol[] = {1, 3, 5, 0, 2, 4, 1, 3, 5};
  const float rval[] = {7, 4, 5, 1, 2, 7, 7, 4, 5};
  check_csr(&sub, 3, rptr, rcol, rval);
  gl_csr_free(&sub);
  CHECK_ERR(gl_csr_select_rows(&sub, &a, out, 2), GL_EINVAL, "row 6");
  CHECK_ERR(gl_csr_select_rows(&sub, &a, rows, -1), GL_EINVAL, "negative");
  gl_csr_free(&a);
}

/* ------------------------------------------------------------ products */
static void spmm_case(int d, float beta) {
  enum { N = 200, M = 150 };
  gl_csr a;
  random_csr(&a, N, M, 0.3, true, 11);
  gl_rng r;
  gl_rng_seed(&r, 12);
  float *x = malloc(sizeof(float) * N * d), *y0 = malloc(sizeof(float) * N * d);
  for (int i = 0; i < N * d; i++) x[i] = gl_rng_uniformf(&r) * 2 - 1;
  for (int i = 0; i < N * d; i++) y0[i] = gl_rng_uniformf(&r);
  double *da = dense(&a);
  double *ref = calloc(N * d, sizeof *ref), *reft = calloc(M * d, sizeof *ref);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < M; j++)
      for (int k = 0; k < d; k++) {
        ref[i * d + k] += da[i * M + j] * x[j * d + k];  /* x as M x d */
        reft[j * d + k] += da[i * M + j] * x[i * d + k]; /* x as N x d */
      }
  for (int i = 0; i < N * d; i++) ref[i] += beta * y0[i];
  for (int i = 0; i < M * d; i++) reft[i] += beta * y0[i];
  int saved = gl_threads();
  float *y[2][2], *yt[2][2];
  for (int t = 0; t < 2; t++) {
    gl_set_threads(t + 1);
    for (int rep = 0; rep < 2; rep++) {
      y[t][rep] = malloc(sizeof(float) * N * d);
      yt[t][rep] = malloc(sizeof(float) * M * d);
      memcpy(y[t][rep], y0, sizeof(float) * N * d);
      memcpy(yt[t][rep], y0, sizeof(float) * M * d);
      gl_csr_spmm(&a, x, d, beta, y[t][rep]);
      gl_csr_spmm_t(&a, x, d, beta, yt[t][rep]);
      double e = 0, et = 0;
      for (int i = 0; i < N * d; i++) e = fmax(e, fabs(y[t][rep][i] - ref[i]));
      for (int i = 0; i < M * d; i++)
        et = fmax(et, fabs(yt[t][rep][i] - reft[i]));
      CHECK_MSG(e < 1e-4, "spmm d=%d threads=%d: max error %g", d, t + 1, e);
      CHECK_MSG(et < 1e-4, "spmm_t d=%d threads=%d: max error %g", d, t + 1,
                et);
    }
    /* Repeated runs at one thread count are bit-identical. */
    CHECK(!memcmp(y[t][0], y[t][1], sizeof(float) * N * d));
    CHECK(!memcmp(yt[t][0], yt[t][1], sizeof(float) * M * d));
  }
  /* Rows of A X are independent: identical at any thread count. */
  CHECK(!memcmp(y[0][0], y[1][0], sizeof(float) * N * d));
  gl_set_threads(saved);
  for (int t = 0; t < 2; t++)
    for (int rep = 0; rep < 2; rep++) {
      free(y[t][rep]);
      free(yt[t][rep]);
    }
  free(x);
  free(y0);
  free(da);
  free(ref);
  free(reft);
  gl_csr_free(&a);
}

TEST(graph_spmm_against_dense) {
  spmm_case(16, 0);
  spmm_case(37, 0.5f);
  spmm_case(64, 1);
  /* A pattern (val NULL) multiplies with weight 1. */
  gl_csr a;
  random_csr(&a, 20, 10, 0.3, false, 4);
  float x[10 * 3], y[20 * 3], yt[10 * 3];
  for (int i = 0; i < 30; i++) x[i] = (float)i;
  gl_csr_spmm(&a, x, 3, 0, y);
  gl_csr_spmm_t(&a, y, 3, 0, yt); /* A^T A x */
  double *da = dense(&a);
  for (int i = 0; i < 20; i++)
    for (int k = 0; k < 3; k++) {
      double s = 0;
      for (int j = 0; j < 10; j++) s += da[i * 10 + j] * x[j * 3 + k];
      CHECK_NEAR(y[i * 3 + k], s, 1e-4);
    }
  for (int j = 0; j < 10; j++)
    for (int k = 0; k < 3; k++) {
      double s = 0;
      for (int i = 0; i < 20; i++) s += da[i * 10 + j] * y[i * 3 + k];
      CHECK_NEAR(yt[j * 3 + k], s, 1e-3);
    }
  free(da);
  gl_csr_free(&a);
}

/* A view as a matrix: rows in the view's order (one repeated), exactly the
 * entries the mask keeps, scaled; its products those of the view. */
TEST(graph_view_copy_matches_view) {
  gl_rng r;
  gl_rng_seed(&r, 5);
  gl_csr a, c;
  gl_test_random_csr(&a, 60, 40, 6, &r);
  const gl_idx rows[] = {7, 3, 3, 59, 0, 21};
  const int nr = 6, d = 16;
  const float p = 0.4f;
  gl_csr_view v = {rows, nr, 11, gl_mask_thr(p), 0};
  v.scale = gl_mask_scale(v.thr);
  CHECK_OK(gl_csr_view_copy(&c, &a, &v));
  CHECK_EQ(c.n, nr);
  CHECK_EQ(c.m, a.m);
  gl_off kept = 0;
  for (int q = 0; q < nr; q++) {
    gl_off o = c.ptr[q];
    for (gl_off e = a.ptr[rows[q]]; e < a.ptr[rows[q] + 1]; e++) {
      if (!gl_mask_keep(11, (uint64_t)e, v.thr)) continue;
      kept++;
      CHECK_EQ(c.col[o], a.col[e]);
      CHECK_NEAR(c.val[o], a.val[e] / (1 - p), 1e-3);
      o++;
    }
    CHECK_EQ(o, c.ptr[q + 1]);
  }
  CHECK_EQ(c.nnz, kept);
  CHECK(kept > 0 && kept < a.ptr[8] - a.ptr[7] + 2 * (a.ptr[4] - a.ptr[3]) +
                                a.ptr[60] - a.ptr[59] + a.ptr[1] + a.ptr[22] -
                                a.ptr[21]);
  float x[40 * 16], xs[6 * 16], y1[40 * 16], y2[40 * 16];
  gl_test_random_vec(x, 40 * 16, &r);
  gl_test_random_vec(xs, 6 * 16, &r);
  gl_csr_spmm_view(&a, &v, x, d, 0.0f, y1);
  gl_csr_spmm(&c, x, d, 0.0f, y2);
  for (int i = 0; i < nr * d; i++) CHECK_NEAR(y1[i], y2[i], 1e-5);
  gl_csr_spmm_t_view(&a, &v, xs, d, 0.0f, y1);
  gl_csr_spmm_t(&c, xs, d, 0.0f, y2);
  for (int i = 0; i < 40 * d; i++) CHECK_NEAR(y1[i], y2[i], 1e-5);
  gl_csr_free(&c);
  /* no rows, no mask: the matrix itself */
  gl_csr_view all = {NULL, 0, 0, 0, 1.0f};
  CHECK_OK(gl_csr_view_copy(&c, &a, &all));
  CHECK_EQ(c.nnz, a.nnz);
  for (gl_idx i = 0; i <= a.n; i++) CHECK_EQ(c.ptr[i], a.ptr[i]);
  for (gl_off e = 0; e < a.nnz; e++) CHECK(c.val[e] == a.val[e]);
  gl_csr_free(&c);
  gl_csr_free(&a);
}

/* ------------------------------------------------------------ bridges */
TEST(graph_metis_two_cliques) {
  gl_csr a;
  two_cliques(&a);
  gl_idx part[10];
  CHECK_OK(gl_metis_partition(&a, 2, 1, part));
  for (int i = 1; i < 5; i++) CHECK_EQ(part[i], part[0]);
  for (int i = 6; i < 10; i++) CHECK_EQ(part[i], part[5]);
  CHECK(part[0] != part[5]);
  CHECK(part[0] >= 0 && part[0] < 2 && part[5] >= 0 && part[5] < 2);
  gl_idx again[10];
  CHECK_OK(gl_metis_partition(&a, 2, 1, again));
  CHECK(!memcmp(part, again, sizeof part));
  CHECK_OK(gl_metis_partition(&a, 1, 1, part));
  for (int i = 0; i < 10; i++) CHECK_EQ(part[i], 0);
  CHECK_ERR(gl_metis_partition(&a, 0, 1, part), GL_EINVAL, "k=0");
  CHECK_ERR(gl_metis_partition(&a, 11, 1, part), GL_EINVAL, "k=11");
  gl_csr_free(&a);
  /* Self loops are ignored; a directed graph is refused. */
  const gl_idx s[] = {0, 1, 1, 2}, d[] = {1, 1, 2, 0};
  gl_build_opts o = {.self_loops = true};
  CHECK_OK(gl_csr_from_edges(&a, 3, 4, s, d, NULL, &o));
  CHECK_ERR(gl_metis_partition(&a, 2, 1, part), GL_EINVAL, "not symmetric");
  gl_csr_free(&a);
  o.symmetrize = true;
  CHECK_OK(gl_csr_from_edges(&a, 3, 4, s, d, NULL, &o));
  CHECK_OK(gl_metis_partition(&a, 2, 1, part));
  for (int i = 0; i < 3; i++) CHECK(part[i] == 0 || part[i] == 1);
  gl_csr_free(&a);
}

TEST(graph_igraph_round_trip_and_louvain) {
  gl_csr a;
  two_cliques(&a);
  igraph_t g;
  CHECK_OK(gl_csr_to_igraph(&a, false, &g));
  CHECK_EQ(igraph_vcount(&g), 10);
  CHECK_EQ(igraph_ecount(&g), 21);
  CHECK(!igraph_is_directed(&g));
  igraph_vector_int_t deg;
  igraph_vector_int_init(&deg, 0);
  igraph_degree(&g, &deg, igraph_vss_all(), IGRAPH_ALL, true);
  float mydeg[10];
  gl_csr_degrees(&a, false, mydeg);
  for (int i = 0; i < 10; i++) CHECK_EQ(VECTOR(deg)[i], (long long)mydeg[i]);
  igraph_vector_int_destroy(&deg);
  igraph_destroy(&g);
  CHECK_OK(gl_csr_to_igraph(&a, true, &g));
  CHECK_EQ(igraph_ecount(&g), 42);
  CHECK(igraph_is_directed(&g));
  igraph_destroy(&g);

  gl_idx memb[10], nc = 0;
  double q = 0;
  CHECK_OK(gl_communities_louvain(&a, 7, memb, &nc, &q));
  CHECK_EQ(nc, 2);
  for (int i = 1; i < 5; i++) CHECK_EQ(memb[i], memb[0]);
  for (int i = 6; i < 10; i++) CHECK_EQ(memb[i], memb[5]);
  CHECK(memb[0] != memb[5]);
  /* m = 21 edges, each community holds 10 and has degree sum 21:
   * Q = 2 (10/21 - (21/42)^2) = 20/21 - 1/2. */
  CHECK_NEAR(q, 20.0 / 21 - 0.5, 1e-9);
  /* Weighted: doubling every weight leaves Q unchanged. */
  gl_csr b;
  CHECK_OK(gl_csr_copy(&b, &a));
  b.val = malloc(b.nnz * sizeof *b.val);
  for (gl_off e = 0; e < b.nnz; e++) b.val[e] = 2;
  CHECK_OK(gl_communities_louvain(&b, 7, memb, &nc, &q));
  CHECK_EQ(nc, 2);
  CHECK_NEAR(q, 20.0 / 21 - 0.5, 1e-9);
  b.val[0] = -1;
  CHECK_ERR(gl_communities_louvain(&b, 7, memb, &nc, &q), GL_EINVAL,
            "not non-negative");
  gl_csr_free(&b);
  gl_csr_free(&a);
}

TEST(graph_cxsparse_round_trip_and_square) {
  gl_csr a, b, sq;
  random_csr(&a, 40, 25, 0.15, true, 21);
  void *c = NULL;
  CHECK_OK(gl_csr_to_cs(&a, &c));
  cs_dl *cm = c;
  CHECK_EQ(cm->m, 25); /* cs holds A^T */
  CHECK_EQ(cm->n, 40);
  CHECK_OK(gl_csr_from_cs(&b, c));
  CHECK(same_csr(&a, &b));
  cs_dl_spfree(c);
  gl_csr_free(&b);
  gl_csr_free(&a);

  /* A^2 pattern of a random directed 30-node graph against dense A^2. */
  enum { N = 30 };
  random_csr(&a, N, N, 0.08, true, 22);
  for (gl_off e = 0; e < a.nnz; e++) a.val[e] = -1; /* no cancellation */
  CHECK_OK(gl_csr_square_pattern(&sq, &a));
  CHECK_OK(gl_csr_check(&sq, true));
  CHECK(sq.val == NULL);
  bool adj[N][N] = {{false}};
  for (int i = 0; i < N; i++)
    for (gl_off e = a.ptr[i]; e < a.ptr[i + 1]; e++) adj[i][a.col[e]] = true;
  int bad = 0, count = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      bool p = false;
      for (int k = 0; k < N; k++) p = p || (adj[i][k] && adj[k][j]);
      count += p;
      bad += p != gl_csr_has_edge(&sq, i, j);
    }
  CHECK_EQ(bad, 0);
  CHECK_EQ(sq.nnz, count);
  CHECK(count > 0);
  gl_csr_free(&sq);
  gl_csr_free(&a);

  /* A triplet matrix is refused. */
  cs_dl *t = cs_dl_spalloc(2, 2, 1, 1, 1);
  CHECK_ERR(gl_csr_from_cs(&b, t), GL_EINVAL, "triplet");
  cs_dl_spfree(t);
}

/* ------------------------------------------------------------ generators */
TEST(graph_csbm_statistics) {
  gl_csbm_opts o = {.n = 20000, .k = 4, .d = 8, .deg = 10, .p_in = 0.8,
                    .mu = 2, .sigma = 1, .seed = 3};
  gl_csr a, b;
  int32_t *lab = malloc(o.n * sizeof *lab), *lab2 = malloc(o.n * sizeof *lab);
  float *x = malloc((size_t)o.n * o.d * sizeof *x);
  CHECK_OK(gl_gen_csbm(&o, &a, lab, x));
  CHECK_OK(gl_csr_check(&a, true));
  CHECK(gl_csr_is_symmetric(&a));
  long cls[4] = {0}, intra = 0, loops = 0;
  for (int i = 0; i < o.n; i++) {
    CHECK(lab[i] >= 0 && lab[i] < 4);
    cls[lab[i]]++;
    for (gl_off e = a.ptr[i]; e < a.ptr[i + 1]; e++) {
      intra += lab[a.col[e]] == lab[i];
      loops += a.col[e] == i;
    }
  }
  for (int c = 0; c < 4; c++) CHECK_EQ(cls[c], 5000);
  CHECK_EQ(loops, 0);
  /* 100000 edges drawn, a handful collide: mean degree just under 10. */
  double mean = (double)a.nnz / o.n, frac = (double)intra / a.nnz;
  CHECK_NEAR(mean, 10, 0.1);
  CHECK_NEAR(frac, 0.8, 0.006); /* sd 0.0013 */
  /* Class means have norm mu; the noise has variance sigma^2. */
  double norm = 0, var = 0;
  for (int c = 0; c < 4; c++) {
    double m[8] = {0}, s = 0;
    for (int i = 0; i < o.n; i++)
      if (lab[i] == c)
        for (int j = 0; j < 8; j++) m[j] += x[i * 8 + j] / 5000.0;
    for (int j = 0; j < 8; j++) s += m[j] * m[j];
    norm += sqrt(s) / 4;
    for (int i = 0; i < o.n; i++)
      if (lab[i] == c)
        for (int j = 0; j < 8; j++)
          var += (x[i * 8 + j] - m[j]) * (x[i * 8 + j] - m[j]);
  }
  CHECK_NEAR(norm, 2, 0.03);
  CHECK_NEAR(var / (o.n * 8.0), 1, 0.03);
  /* Same seed, same graph, whatever the thread count; another seed differs. */
  int saved = gl_threads();
  gl_set_threads(saved == 1 ? 2 : 1);
  CHECK_OK(gl_gen_csbm(&o, &b, lab2, NULL));
  gl_set_threads(saved);
  CHECK(same_csr(&a, &b));
  CHECK(!memcmp(lab, lab2, o.n * sizeof *lab));
  gl_csr_free(&b);
  o.seed = 4;
  CHECK_OK(gl_gen_csbm(&o, &b, NULL, NULL));
  CHECK(!same_csr(&a, &b));
  gl_csr_free(&b);
  gl_csr_free(&a);
  free(lab);
  free(lab2);
  free(x);
}

TEST(graph_powerlaw_statistics) {
  gl_csr a, b;
  gl_idx n = 10000;
  gl_off m = 50000;
  CHECK_OK(gl_gen_powerlaw(&a, n, m, 2.5, 9));
  CHECK_OK(gl_csr_check(&a, true));
  CHECK(gl_csr_is_symmetric(&a));
  long loops = 0;
  gl_off maxdeg = 0;
  for (gl_idx i = 0; i < n; i++) {
    gl_off d = a.ptr[i + 1] - a.ptr[i];
    if (d > maxdeg) maxdeg = d;
    for (gl_off e = a.ptr[i]; e < a.ptr[i + 1]; e++) loops += a.col[e] == i;
  }
  CHECK_EQ(loops, 0);
  double edges = a.nnz / 2.0;
  CHECK_MSG(edges > 0.9 * m && edges <= m, "%g edges for m=%lld", edges,
            (long long)m);
  /* Mean degree 10: a Poisson graph's largest degree would be about 25. */
  double mean = a.nnz / (double)n;
  CHECK_MSG(maxdeg > 10 * mean, "max degree %lld, mean %g", (long long)maxdeg,
            mean);
  int saved = gl_threads();
  gl_set_threads(saved == 1 ? 2 : 1);
  CHECK_OK(gl_gen_powerlaw(&b, n, m, 2.5, 9));
  gl_set_threads(saved);
  CHECK(same_csr(&a, &b));
  gl_csr_free(&b);
  CHECK_OK(gl_gen_powerlaw(&b, n, 0, 2.5, 9));
  CHECK_EQ(b.nnz, 0);
  gl_csr_free(&b);
  gl_csr_free(&a);
}

/* ------------------------------------------------------------ bad inputs */
TEST(graph_bad_inputs) {
  gl_csr a;
  const gl_idx s[] = {0, 1, 2}, d[] = {1, 7, 0}, neg[] = {0, -3, 1};
  CHECK_ERR(gl_csr_from_edges(&a, 3, 3, s, d, NULL, NULL), GL_EINVAL,
            "target id 7 out of range [0, 3)");
  CHECK_ERR(gl_csr_from_edges(&a, 3, 3, neg, s, NULL, NULL), GL_EINVAL,
            "source id -3");
  CHECK_ERR(gl_csr_from_edges(&a, -1, 0, NULL, NULL, NULL, NULL), GL_EINVAL,
            "negative size");
  CHECK_ERR(gl_csr_from_edges(&a, 3, -2, s, d, NULL, NULL), GL_EINVAL,
            "negative edge count");
  CHECK_ERR(gl_csr_from_edges(&a, 3, 2, NULL, d, NULL, NULL), GL_EINVAL,
            "NULL");
  CHECK_ERR(gl_csr_from_coo(&a, 2, 1, 3, s, s, NULL), GL_EINVAL,
            "edge 1 (1, 1): target id 1 out of range [0, 1)");
  CHECK_ERR(gl_csr_alloc(&a, 2, -1, 0, false), GL_EINVAL, "negative");
  CHECK_ERR(gl_gen_powerlaw(&a, -5, 10, 2.5, 1), GL_EINVAL, "n=-5");
  CHECK_ERR(gl_gen_powerlaw(&a, 10, 100, 2.5, 1), GL_EINVAL, "m=100");
  CHECK_ERR(gl_gen_powerlaw(&a, 10, 5, 1.0, 1), GL_EINVAL, "gamma");
  gl_csbm_opts o = {.n = -4, .k = 2, .deg = 3, .p_in = 0.5, .sigma = 1};
  CHECK_ERR(gl_gen_csbm(&o, &a, NULL, NULL), GL_EINVAL, "n=-4");
  o.n = 100;
  o.p_in = 1.5;
  CHECK_ERR(gl_gen_csbm(&o, &a, NULL, NULL), GL_EINVAL, "p_in");
  o.p_in = 0.5;
  o.k = 0;
  CHECK_ERR(gl_gen_csbm(&o, &a, NULL, NULL), GL_EINVAL, "k=0");
  o.k = 2;
  o.deg = 200;
  CHECK_ERR(gl_gen_csbm(&o, &a, NULL, NULL), GL_EINVAL, "degree");
  gl_csr bad = {.n = -1};
  CHECK_ERR(gl_csr_transpose(&a, &bad), GL_EINVAL, "negative size");
  CHECK_ERR(gl_csr_copy(&a, &bad), GL_EINVAL, "negative size");
  CHECK_ERR(gl_csr_check(&bad, false), GL_EFORMAT, "negative size");
}
