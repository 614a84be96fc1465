/* Evaluation of node embeddings (Perozzi et al., KDD 2014;
 * Grover & Leskovec, KDD 2016): L2 logistic
 * regression by Newton's method on OpenBLAS, node classification with
 * Micro- and Macro-F1 (DeepWalk's top-k rule for multi-label nodes), and
 * node2vec's link prediction (held-out edges, a connected residual graph,
 * edge operators, ROC-AUC). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "embed/embed.h"

/* ------------------------------------------------- logistic regression */
static double log1pexp(double z) { /* log(1 + e^z), stable */
  return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* Cholesky solve of the SPD d x d matrix h (lower part used, destroyed)
 * for b in place; false when h is not positive definite. */
static bool chol_solve(double *h, int d, double *b) {
  for (int j = 0; j < d; j++) {
    double s = h[j * d + j];
    for (int k = 0; k < j; k++) s -= h[j * d + k] * h[j * d + k];
    if (!(s > 0)) return false;
    h[j * d + j] = sqrt(s);
    for (int i = j + 1; i < d; i++) {
      double t = h[i * d + j];
      for (int k = 0; k < j; k++) t -= h[i * d + k] * h[j * d + k];
      h[i * d + j] = t / h[j * d + j];
    }
  }
  for (int i = 0; i < d; i++) { /* L y = b, then L^T x = y */
    for (int k = 0; k < i; k++) b[i] -= h[i * d + k] * b[k];
    b[i] /= h[i * d + i];
  }
  for (int i = d - 1; i >= 0; i--) {
    for (int k = i + 1; k < d; k++) b[i] -= h[k * d + i] * b[k];
    b[i] /= h[i * d + i];
  }
  return true;
}

/* sum_i log-loss(z_i, y_i) + lam / 2 |w without bias|^2 at w (z = X w). */
static double objective(const double *x, int64_t n, int D, const uint8_t *y,
                        double lam, const double *w, double *z) {
  cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, D, 1.0, x, D, w, 1, 0.0,
              z, 1);
  double f = 0;
  for (int64_t i = 0; i < n; i++) f += log1pexp(z[i]) - (y[i] ? z[i] : 0);
  for (int k = 0; k + 1 < D; k++) f += 0.5 * lam * w[k] * w[k];
  return f;
}

gl_status gl_logreg_fit(const float *xf, int64_t n, int d, const uint8_t *y,
                        double c, double *w) {
  if (n < 1 || d < 1 || !(c > 0))
    return gl_error(GL_EINVAL, "logistic regression: %lld samples of %d "
                    "features, C = %g", (long long)n, d, c);
  gl_blas_init();
  const int D = d + 1; /* the bias last, not penalised */
  const double lam = 1 / c;
  double *x = gl_malloc((size_t)n * D, sizeof *x);
  double *xs = gl_malloc((size_t)n * D, sizeof *xs);
  double *z = gl_malloc((size_t)n, sizeof *z),
         *r = gl_malloc((size_t)n, sizeof *r);
  double *h = gl_malloc((size_t)D * D, sizeof *h),
         *g = gl_malloc((size_t)D, sizeof *g);
  double *wn = gl_malloc((size_t)D, sizeof *wn);
  gl_status st = GL_OK;
  if (!x || !xs || !z || !r || !h || !g || !wn) {
    st = GL_ENOMEM;
    goto out;
  }
  for (int64_t i = 0; i < n; i++) {
    for (int k = 0; k < d; k++) x[i * D + k] = xf[i * d + k];
    x[i * D + d] = 1;
  }
  memset(w, 0, (size_t)D * sizeof *w);
  double f = objective(x, n, D, y, lam, w, z);
  for (int it = 0; it < 100; it++) {
    /* gradient X^T (p - y) + lam w, Hessian X^T S X + lam I */
    for (int64_t i = 0; i < n; i++) {
      const double p = 1 / (1 + exp(-z[i])), s = sqrt(p * (1 - p));
      r[i] = p - y[i];
      for (int k = 0; k < D; k++) xs[i * D + k] = s * x[i * D + k];
    }
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, D, 1.0, x, D, r, 1, 0.0,
                g, 1);
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, D, (int)n, 1.0, xs, D,
                0.0, h, D);
    for (int k = 0; k < D; k++) {
      if (k < d) g[k] += lam * w[k];
      h[k * D + k] += k < d ? lam : 1e-9;
    }
    double gmax = 0;
    for (int k = 0; k < D; k++) gmax = fmax(gmax, fabs(g[k]));
    if (gmax < 1e-8 * (double)n) break;
    if (!chol_solve(h, D, g)) {
      st = gl_error(GL_EINTERNAL, "logistic regression: the Hessian is not "
                    "positive definite");
      goto out;
    }
    /* Newton step, halved until the objective goes down */
    double t = 1, fn = f;
    for (int half = 0; half < 30; half++, t *= 0.5) {
      for (int k = 0; k < D; k++) wn[k] = w[k] - t * g[k];
      fn = objective(x, n, D, y, lam, wn, z);
      if (fn <= f) break;
    }
    if (!(fn <= f)) { /* no progress left: converged as far as doubles go */
      objective(x, n, D, y, lam, w, z);
      break;
    }
    memcpy(w, wn, (size_t)D * sizeof *w);
    const bool done = f - fn <= 1e-10 * fmax(1, fabs(fn));
    f = fn;
    if (done) break;
  }
out:
  free(x);
  free(xs);
  free(z);
  free(r);
  free(h);
  free(g);
  free(wn);
  return st;
}

double gl_logreg_score(const float *x, int d, const double *w) {
  double s = w[d];
  for (int k = 0; k < d; k++) s += x[k] * w[k];
  return s;
}

/* ------------------------------------------------------------------ AUC */
typedef struct {
  double s;
  uint8_t y;
} scored;

static int by_s(const void *a, const void *b) {
  double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
  return (x > y) - (x < y);
}

gl_status gl_auc(const double *score, const uint8_t *y, int64_t n,
                 double *auc) {
  *auc = NAN;
  if (n < 0) return gl_error(GL_EINVAL, "AUC of %lld scores", (long long)n);
  scored *v = gl_malloc((size_t)n, sizeof *v);
  if (!v) return GL_ENOMEM;
  int64_t pos = 0;
  for (int64_t i = 0; i < n; i++) {
    v[i] = (scored){score[i], y[i] != 0};
    pos += v[i].y;
  }
  qsort(v, (size_t)n, sizeof *v, by_s);
  double rank_sum = 0; /* ranks from 1, ties get their average rank */
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j < n && v[j].s == v[i].s) j++;
    const double avg = 0.5 * (double)(i + 1 + j);
    for (int64_t k = i; k < j; k++)
      if (v[k].y) rank_sum += avg;
    i = j;
  }
  free(v);
  const int64_t neg = n - pos;
  if (pos > 0 && neg > 0)
    *auc = (rank_sum - 0.5 * (double)pos * (double)(pos + 1)) /
           ((double)pos * (double)neg);
  return GL_OK;
}

/* ------------------------------------------------- node classification */
gl_status gl_f1_scores(const gl_csr *truth, const gl_csr *pred,
                       const gl_idx *nodes, gl_idx n, int n_classes,
                       double *micro, double *macro) {
  int64_t *tp = gl_calloc(3 * (size_t)n_classes, sizeof *tp);
  if (!tp) return GL_ENOMEM;
  int64_t *fp = tp + n_classes, *fn = fp + n_classes;
  for (gl_idx t = 0; t < n; t++) {
    const gl_idx i = nodes ? nodes[t] : t;
    for (gl_off e = truth->ptr[i]; e < truth->ptr[i + 1]; e++)
      (gl_csr_has_edge(pred, t, truth->col[e]) ? tp : fn)[truth->col[e]]++;
    for (gl_off e = pred->ptr[t]; e < pred->ptr[t + 1]; e++)
      if (!gl_csr_has_edge(truth, i, pred->col[e])) fp[pred->col[e]]++;
  }
  int64_t T = 0, F = 0;
  double sum = 0;
  for (int c = 0; c < n_classes; c++) {
    T += tp[c];
    F += fp[c] + fn[c];
    const int64_t den = 2 * tp[c] + fp[c] + fn[c];
    sum += den ? 2.0 * (double)tp[c] / (double)den : 0; /* sklearn: 0 */
  }
  *micro = 2 * T + F ? 2.0 * (double)T / (double)(2 * T + F) : 0;
  *macro = sum / n_classes;
  free(tp);
  return GL_OK;
}

typedef struct {
  double s;
  int c;
} class_score;

static int by_score_desc(const void *a, const void *b) {
  const class_score *x = a, *y = b;
  if (x->s != y->s) return x->s < y->s ? 1 : -1;
  return x->c - y->c;
}

gl_status gl_eval_classify(const float *emb, int dim, const gl_csr *labels,
                           double train_frac, double c, uint64_t seed,
                           double *micro, double *macro) {
  const gl_idx n = labels->n;
  const int C = labels->m;
  gl_idx *nodes = gl_malloc((size_t)n, sizeof *nodes), m = 0;
  if (!nodes) return GL_ENOMEM;
  for (gl_idx i = 0; i < n; i++)
    if (labels->ptr[i + 1] > labels->ptr[i]) nodes[m++] = i;
  gl_idx n_train = (gl_idx)llround(train_frac * m);
  if (!(train_frac > 0 && train_frac < 1) || n_train < 1 || n_train >= m) {
    free(nodes);
    return gl_error(GL_EINVAL, "classification: training fraction %g of %d "
                    "labelled nodes leaves no training or test node",
                    train_frac, (int)m);
  }
  gl_rng r;
  gl_rng_seed(&r, seed);
  gl_rng_shuffle(&r, nodes, (size_t)m);
  const gl_idx n_test = m - n_train, *test = nodes + n_train;
  float *x = gl_malloc((size_t)n_train * dim, sizeof *x);
  uint8_t *y = gl_malloc((size_t)n_train, 1);
  double *w = gl_malloc((size_t)dim + 1, sizeof *w);
  double *score = gl_malloc((size_t)n_test * C, sizeof *score);
  class_score *row = gl_malloc((size_t)C, sizeof *row);
  gl_csr pred = {0};
  gl_status st = GL_ENOMEM;
  if (!x || !y || !w || !score || !row ||
      gl_csr_alloc(&pred, n_test, C, labels->nnz, false) != GL_OK)
    goto out;
  for (gl_idx t = 0; t < n_train; t++)
    memcpy(x + (size_t)t * dim, emb + (size_t)nodes[t] * dim,
           (size_t)dim * sizeof *x);
  for (int k = 0; k < C; k++) { /* one against the rest */
    int pos = 0;
    for (gl_idx t = 0; t < n_train; t++)
      pos += y[t] = gl_csr_has_edge(labels, nodes[t], k);
    if (pos == 0 || pos == n_train) { /* one side only: constant */
      for (gl_idx t = 0; t < n_test; t++)
        score[(size_t)t * C + k] = pos ? INFINITY : -INFINITY;
      continue;
    }
    if ((st = gl_logreg_fit(x, n_train, dim, y, c, w)) != GL_OK) goto out;
    for (gl_idx t = 0; t < n_test; t++)
      score[(size_t)t * C + k] =
          gl_logreg_score(emb + (size_t)test[t] * dim, dim, w);
  }
  /* each test node gets its k best classes, k = its number of labels */
  gl_off e = 0;
  for (gl_idx t = 0; t < n_test; t++) {
    const gl_off k = labels->ptr[test[t] + 1] - labels->ptr[test[t]];
    for (int j = 0; j < C; j++)
      row[j] = (class_score){score[(size_t)t * C + j], j};
    qsort(row, (size_t)C, sizeof *row, by_score_desc);
    gl_idx *cols = pred.col + e;
    for (gl_off j = 0; j < k; j++) cols[j] = row[j].c;
    for (gl_off a = 1; a < k; a++) /* sorted, as a CSR row */
      for (gl_off b = a; b > 0 && cols[b - 1] > cols[b]; b--) {
        gl_idx tmp = cols[b];
        cols[b] = cols[b - 1];
        cols[b - 1] = tmp;
      }
    e += k;
    pred.ptr[t + 1] = e;
  }
  pred.nnz = e;
  st = gl_f1_scores(labels, &pred, test, n_test, C, micro, macro);
out:
  gl_csr_free(&pred);
  free(nodes);
  free(x);
  free(y);
  free(w);
  free(score);
  free(row);
  return st;
}

/* ---------------------------------------------------- link prediction */
static gl_idx find(gl_idx *parent, gl_idx a) {
  while (parent[a] != a) a = parent[a] = parent[parent[a]];
  return a;
}

void gl_link_split_free(gl_link_split *s) {
  gl_csr_free(&s->residual);
  free(s->u);
  free(s->v);
  free(s->y);
  memset(s, 0, sizeof *s);
}

/* An open-addressing set of node pairs (the graph's edges are not in it:
 * it keeps the drawn non-edges distinct). */
typedef struct {
  uint64_t *k;
  size_t cap;
} pair_set;

static bool pair_add(pair_set *s, gl_idx u, gl_idx v) {
  const uint64_t key = ((uint64_t)(uint32_t)u << 32 | (uint32_t)v) + 1;
  size_t h = gl_hash64(key, 0) & (s->cap - 1);
  while (s->k[h]) {
    if (s->k[h] == key) return false;
    h = (h + 1) & (s->cap - 1);
  }
  s->k[h] = key;
  return true;
}

/* `count` distinct pairs u < v that are not edges of g and not yet in the
 * set, into u, v with label 0. */
static gl_status draw_non_edges(const gl_csr *g, pair_set *set, gl_rng *r,
                                int64_t count, gl_idx *u, gl_idx *v,
                                uint8_t *y) {
  const double n = g->n;
  if (n * (n - 1) / 2 - (double)g->nnz / 2 < 2.0 * (double)count)
    return gl_error(GL_EINVAL, "link prediction: the graph is too dense to "
                    "draw %lld non-edges", (long long)count);
  for (int64_t t = 0; t < count;) {
    gl_idx a = (gl_idx)gl_rng_below(r, (uint32_t)g->n);
    gl_idx b = (gl_idx)gl_rng_below(r, (uint32_t)g->n);
    if (a == b) continue;
    if (a > b) {
      gl_idx tmp = a;
      a = b;
      b = tmp;
    }
    if (gl_csr_has_edge(g, a, b) || !pair_add(set, a, b)) continue;
    u[t] = a;
    v[t] = b;
    y[t++] = 0;
  }
  return GL_OK;
}

gl_status gl_link_split_init(gl_link_split *s, const gl_csr *g, double hold,
                             int64_t max_train, uint64_t seed) {
  memset(s, 0, sizeof *s);
  if (!(hold > 0 && hold < 1) || max_train < 2)
    return gl_error(GL_EINVAL, "link prediction: held-out share %g is not "
                    "in (0, 1), or %lld training pairs < 2", hold,
                    (long long)max_train);
  if (g->n != g->m || !gl_csr_is_symmetric(g))
    return gl_error(GL_EINVAL, "link prediction needs an undirected graph");
  int64_t m = 0; /* undirected edges u < v */
  for (gl_idx i = 0; i < g->n; i++)
    for (gl_off e = g->ptr[i]; e < g->ptr[i + 1]; e++) m += g->col[e] > i;
  gl_idx *eu = gl_malloc((size_t)m + 1, sizeof *eu);
  gl_idx *ev = gl_malloc((size_t)m + 1, sizeof *ev);
  float *ew = g->val ? gl_malloc((size_t)m + 1, sizeof *ew) : NULL;
  int64_t *order = gl_malloc((size_t)m + 1, sizeof *order);
  gl_idx *parent = gl_malloc((size_t)g->n, sizeof *parent);
  uint8_t *out = gl_calloc((size_t)m + 1, 1);
  pair_set set = {0};
  gl_status st = GL_ENOMEM;
  if (!eu || !ev || (g->val && !ew) || !order || !parent || !out) goto fail;
  m = 0;
  for (gl_idx i = 0; i < g->n; i++)
    for (gl_off e = g->ptr[i]; e < g->ptr[i + 1]; e++)
      if (g->col[e] > i) {
        eu[m] = i;
        ev[m] = g->col[e];
        if (ew) ew[m] = g->val[e];
        m++;
      }
  gl_rng r;
  gl_rng_seed(&r, seed);
  for (int64_t i = 0; i < m; i++) order[i] = i;
  for (int64_t i = m - 1; i > 0; i--) {
    int64_t j = (int64_t)(gl_rng_u64(&r) % (uint64_t)(i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  /* a random spanning forest (Kruskal over the shuffled edges) stays; the
   * first `need` other edges in that order are held out */
  for (gl_idx i = 0; i < g->n; i++) parent[i] = i;
  const int64_t need = llround(hold * (double)m);
  int64_t free_edges = 0;
  for (int64_t t = 0; t < m; t++) {
    const int64_t e = order[t];
    gl_idx a = find(parent, eu[e]), b = find(parent, ev[e]);
    if (a != b)
      parent[a] = b;
    else
      out[e] = free_edges++ < need;
  }
  if (free_edges < need || need < 1) {
    st = gl_error(GL_EINVAL, "link prediction: cannot hold out %lld of %lld "
                  "edges and keep the graph connected (%lld are outside a "
                  "spanning forest)", (long long)need, (long long)m,
                  (long long)free_edges);
    goto fail;
  }
  const int64_t n_train_pos = m - need < max_train / 2 ? m - need
                                                        : max_train / 2;
  s->n_test = 2 * need;
  s->n_train = 2 * n_train_pos;
  const size_t pairs = (size_t)(s->n_train + s->n_test);
  s->u = gl_malloc(pairs, sizeof *s->u);
  s->v = gl_malloc(pairs, sizeof *s->v);
  s->y = gl_malloc(pairs, 1);
  set.cap = 16;
  while (set.cap < 2 * pairs) set.cap *= 2;
  set.k = gl_calloc(set.cap, sizeof *set.k);
  if (!s->u || !s->v || !s->y || !set.k) goto fail;
  /* test positives: the held-out edges, in the shuffled order */
  int64_t t = s->n_train;
  for (int64_t i = 0; i < m; i++)
    if (out[order[i]]) {
      s->u[t] = eu[order[i]];
      s->v[t] = ev[order[i]];
      s->y[t++] = 1;
    }
  /* the residual graph: every edge not held out */
  int64_t k = 0;
  for (int64_t e = 0; e < m; e++)
    if (!out[e]) {
      eu[k] = eu[e];
      ev[k] = ev[e];
      if (ew) ew[k] = ew[e];
      k++;
    }
  gl_build_opts bo = {.symmetrize = true, .weighted = ew != NULL};
  if ((st = gl_csr_from_edges(&s->residual, g->n, k, eu, ev, ew, &bo)) !=
      GL_OK)
    goto fail;
  /* training pairs: n_train_pos residual edges drawn uniformly (a
   * reservoir), as many non-edges */
  for (int64_t i = 0, got = 0; i < k; i++) {
    const int64_t slot = got < n_train_pos
                             ? got++
                             : (int64_t)(gl_rng_u64(&r) % (uint64_t)(i + 1));
    if (slot < n_train_pos) {
      s->u[slot] = eu[i];
      s->v[slot] = ev[i];
      s->y[slot] = 1;
    }
  }
  if ((st = draw_non_edges(g, &set, &r, n_train_pos, s->u + n_train_pos,
                           s->v + n_train_pos, s->y + n_train_pos)) != GL_OK)
    goto fail;
  t = s->n_train + need;
  if ((st = draw_non_edges(g, &set, &r, need, s->u + t, s->v + t, s->y + t)) !=
      GL_OK)
    goto fail;
  st = GL_OK;
  goto done;
fail:
  gl_link_split_free(s);
done:
  free(eu);
  free(ev);
  free(ew);
  free(order);
  free(parent);
  free(out);
  free(set.k);
  return st;
}

static void edge_feature(const float *a, const float *b, int dim,
                         gl_edge_op op, float *out) {
  for (int k = 0; k < dim; k++) {
    const float d = a[k] - b[k];
    out[k] = op == GL_EDGE_HADAMARD ? a[k] * b[k]
             : op == GL_EDGE_AVERAGE ? 0.5f * (a[k] + b[k])
             : op == GL_EDGE_L1      ? fabsf(d)
                                     : d * d;
  }
}

gl_status gl_eval_link(const float *emb, int dim, const gl_link_split *s,
                       gl_edge_op op, double c, double *auc) {
  const int64_t nt = s->n_train, ns = s->n_test;
  float *x = gl_malloc((size_t)(nt > ns ? nt : ns) * dim, sizeof *x);
  double *w = gl_malloc((size_t)dim + 1, sizeof *w);
  double *score = gl_malloc((size_t)ns, sizeof *score);
  gl_status st = GL_ENOMEM;
  if (!x || !w || !score) goto out;
  for (int64_t i = 0; i < nt; i++)
    edge_feature(emb + (size_t)s->u[i] * dim, emb + (size_t)s->v[i] * dim,
                 dim, op, x + (size_t)i * dim);
  if ((st = gl_logreg_fit(x, nt, dim, s->y, c, w)) != GL_OK) goto out;
  for (int64_t i = 0; i < ns; i++) {
    edge_feature(emb + (size_t)s->u[nt + i] * dim,
                 emb + (size_t)s->v[nt + i] * dim, dim, op, x);
    score[i] = gl_logreg_score(x, dim, w);
  }
  st = gl_auc(score, s->y + nt, ns, auc);
out:
  free(x);
  free(w);
  free(score);
  return st;
}
