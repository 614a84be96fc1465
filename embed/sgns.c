/* Skip-gram with negative sampling over walks (word2vec's algorithm:
 * unigram^0.75 negatives, frequent-node subsampling, linear learning-rate
 * decay, lock-free Hogwild threads), the update loop in sgns_pair. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "embed/embed.h"

gl_sgns_opts gl_sgns_defaults(void) {
  return (gl_sgns_opts){.dim = 128, .window = 10, .negative = 5,
                        .epochs = 1, .lr = 0.025, .min_lr = 0.025 * 1e-4,
                        .sample = 1e-3, .threads = 0, .seed = 1};
}

void gl_neg_table_free(gl_neg_table *t) {
  free(t->p);
  free(t->alias);
  memset(t, 0, sizeof *t);
}

gl_status gl_neg_table_init(gl_neg_table *t, const int64_t *count,
                            gl_idx n) {
  memset(t, 0, sizeof *t);
  bool any = false;
  for (gl_idx v = 0; v < n; v++) {
    if (count[v] < 0)
      return gl_error(GL_EINVAL, "negative table: node %d has count %lld", v,
                      (long long)count[v]);
    any |= count[v] > 0;
  }
  if (!any) return gl_error(GL_EINVAL, "negative table: no node occurs");
  float *w = gl_malloc((size_t)n, sizeof *w);
  gl_idx *scratch = gl_malloc(2 * (size_t)n, sizeof *scratch);
  t->p = gl_malloc((size_t)n, sizeof *t->p);
  t->alias = gl_malloc((size_t)n, sizeof *t->alias);
  if (!w || !scratch || !t->p || !t->alias) {
    free(w);
    free(scratch);
    gl_neg_table_free(t);
    return GL_ENOMEM;
  }
  for (gl_idx v = 0; v < n; v++) w[v] = (float)pow((double)count[v], 0.75);
  gl_alias_build(w, n, t->p, t->alias, scratch);
  t->n = n;
  free(w);
  free(scratch);
  return GL_OK;
}

enum { SIG_SIZE = 1000, SIG_MAX = 6 }; /* word2vec's table of sigmoids */

/* Draws `neg` negatives into tg and starts fetching their output rows:
 * the training loop is bound by these random loads, so it draws the next
 * pair's negatives while it computes the current pair. */
static inline void draw_negatives(const gl_neg_table *nt, int neg,
                                  const float *syn1, int dim, gl_rng *r,
                                  gl_idx *tg) {
  for (int d = 0; d < neg; d++) {
    tg[d] = gl_neg_draw(nt, gl_rng_u64(r));
    for (int k = 0; k < dim; k += 16)
      __builtin_prefetch(syn1 + (size_t)tg[d] * dim + k, 1);
  }
}

static inline void prefetch_row(const float *row, int dim) {
  for (int k = 0; k < dim; k += 16) __builtin_prefetch(row + k, 1);
}

/* One skip-gram pair: the context node's vector l1 learns to predict
 * `center` (label 1) against the negatives neg_ids (label 0; the center
 * itself is skipped among them), stepping the output vectors of syn1 as it
 * goes; l1's own update is gathered in e and applied at the end. */
static void sgns_pair(float *restrict l1, float *restrict syn1,
                      gl_idx center, const gl_idx *neg_ids, int neg,
                      int dim, float lr, const float *sig,
                      float *restrict e) {
  memset(e, 0, (size_t)dim * sizeof *e);
  for (int d = -1; d < neg; d++) {
    const gl_idx target = d < 0 ? center : neg_ids[d];
    if (d >= 0 && target == center) continue;
    const float label = d < 0;
    float *restrict l2 = syn1 + (size_t)target * dim;
    float f = 0;
#pragma omp simd reduction(+ : f)
    for (int k = 0; k < dim; k++) f += l1[k] * l2[k];
    float g; /* (a NaN from a diverging rate takes the last branch) */
    if (f > SIG_MAX)
      g = (label - 1) * lr;
    else if (f >= -SIG_MAX)
      g = (label - sig[(int)((f + SIG_MAX) * (SIG_SIZE / SIG_MAX / 2))]) * lr;
    else
      g = label * lr;
    for (int k = 0; k < dim; k++) e[k] += g * l2[k];
    for (int k = 0; k < dim; k++) l2[k] += g * l1[k];
  }
  for (int k = 0; k < dim; k++) l1[k] += e[k];
}

/* Node counts of every walk of the walker (drawn and dropped: the walks
 * are a function of the seed, so training draws the same ones again). */
static gl_status count_walks(const gl_walker *wk, int64_t *count,
                             int64_t *total) {
  const int T = omp_get_max_threads();
  const gl_idx n = wk->g->n;
  const int L = wk->o.length;
  int64_t *per = gl_calloc((size_t)T * (size_t)n, sizeof *per);
  gl_idx *buf = gl_malloc((size_t)T * (size_t)L, sizeof *buf);
  gl_walk_scratch *sc = gl_calloc((size_t)T, sizeof *sc);
  gl_status st = per && buf && sc ? GL_OK : GL_ENOMEM;
  for (int t = 0; t < T && st == GL_OK; t++)
    st = gl_walk_scratch_init(&sc[t], wk);
  int64_t sum = 0;
  if (st == GL_OK) {
#pragma omp parallel for schedule(dynamic, 256) reduction(+ : sum)
    for (int64_t k = 0; k < gl_walker_count(wk); k++) {
      const int t = omp_get_thread_num();
      gl_idx *b = buf + (size_t)t * (size_t)L;
      const int len = gl_walker_walk(wk, k, &sc[t], b);
      int64_t *c = per + (size_t)t * (size_t)n;
      for (int i = 0; i < len; i++) c[b[i]]++;
      sum += len;
    }
    for (int t = 0; t < T; t++)
      for (gl_idx v = 0; v < n; v++) count[v] += per[(size_t)t * n + v];
    *total = sum;
  }
  for (int t = 0; sc && t < T; t++) gl_walk_scratch_free(&sc[t]);
  free(sc);
  free(per);
  free(buf);
  return st;
}

/* Skip-gram over the walks of a corpus c, or of a walker wk drawn as they
 * are needed (then nothing but one walk a thread is stored).  Thread t
 * trains on the walks [count t / T, count (t + 1) / T). */
static gl_status train(const gl_walks *c, const gl_walker *wk,
                       const gl_sgns_opts *o, float *emb, gl_sgns_stats *st) {
  memset(st, 0, sizeof *st);
  const gl_idx n = c ? c->n_nodes : wk->g->n;
  const int dim = o->dim;
  if (dim < 1 || o->window < 1 || o->negative < 0 || o->epochs < 1 ||
      !(o->lr > 0) || !(o->min_lr >= 0) || !(o->sample >= 0))
    return gl_error(GL_EINVAL, "skip-gram: need dim, window and epochs >= 1, "
                    "negatives >= 0, lr > 0, min_lr and sample >= 0 (got "
                    "%d, %d, %d, %d, %g, %g, %g)", dim, o->window, o->epochs,
                    o->negative, o->lr, o->min_lr, o->sample);
  const int64_t n_walks = c ? c->n_walks : gl_walker_count(wk);
  int64_t total = 0, maxlen = c ? 0 : wk->o.length;
  int64_t *count = gl_calloc((size_t)n, sizeof *count);
  if (!count) return GL_ENOMEM;
  if (c) {
    total = c->start[c->n_walks];
    for (int64_t w = 0; w < c->n_walks; w++)
      if (c->start[w + 1] - c->start[w] > maxlen)
        maxlen = c->start[w + 1] - c->start[w];
    for (int64_t i = 0; i < total; i++) {
      if (c->nodes[i] < 0 || c->nodes[i] >= n) {
        free(count);
        return gl_error(GL_EINVAL, "skip-gram: walk entry %lld is node %d, "
                        "not in 0..%d", (long long)i, c->nodes[i], n - 1);
      }
      count[c->nodes[i]]++;
    }
  } else {
    gl_status cs = count_walks(wk, count, &total);
    if (cs != GL_OK) {
      free(count);
      return cs;
    }
  }
  gl_neg_table nt;
  gl_status s = gl_neg_table_init(&nt, count, n);
  const int T = o->threads > 0 ? o->threads : omp_get_max_threads();
  float *keep = gl_malloc((size_t)n, sizeof *keep);
  float *syn1 = gl_calloc((size_t)n * dim, sizeof *syn1);
  float *err = gl_malloc((size_t)T * dim, sizeof *err); /* per thread */
  /* per thread: the walk after subsampling, and the walk (streaming) */
  gl_idx *kept = gl_malloc((size_t)T * 2 * (size_t)(maxlen + 1), sizeof *kept);
  gl_idx *targets = gl_malloc((size_t)T * 2 * (size_t)(o->negative + 1),
                              sizeof *targets);
  gl_walk_scratch *sc = wk ? gl_calloc((size_t)T, sizeof *sc) : NULL;
  float sig[SIG_SIZE];
  if (s == GL_OK && (!keep || !syn1 || !err || !kept || !targets ||
                     (wk && !sc)))
    s = GL_ENOMEM;
  for (int t = 0; wk && sc && t < T && s == GL_OK; t++)
    s = gl_walk_scratch_init(&sc[t], wk);
  if (s != GL_OK) goto out;
  for (int i = 0; i < SIG_SIZE; i++) {
    double x = exp(((double)i / SIG_SIZE * 2 - 1) * SIG_MAX);
    sig[i] = (float)(x / (x + 1));
  }
  /* word2vec's subsampling: keep a node seen f times with probability
   * (sqrt(f / (s N)) + 1) s N / f */
  const double sN = o->sample * (double)total;
  for (gl_idx v = 0; v < n; v++)
    keep[v] = o->sample > 0 && count[v] > 0
                  ? (float)((sqrt(count[v] / sN) + 1) * sN / count[v])
                  : 1.0f;
  gl_rng init;
  gl_rng_seed(&init, o->seed);
  for (size_t i = 0; i < (size_t)n * dim; i++)
    emb[i] = (gl_rng_uniformf(&init) - 0.5f) / (float)dim;

  const double all = (double)total * o->epochs;
  int64_t done = 0; /* positions read by all threads */
  gl_progress bar;
  gl_progress_start(&bar, "skip-gram", (long)(all / 1000), o->progress);
  double t0 = gl_now();
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt_ = omp_get_num_threads();
    const int64_t w0 = n_walks * t / nt_, w1 = n_walks * (t + 1) / nt_;
    gl_rng r;
    gl_rng_seed(&r, gl_hash64(o->seed, (uint64_t)t + 1));
    float *e = err + (size_t)t * dim;
    gl_idx *sen = kept + (size_t)t * 2 * (size_t)(maxlen + 1);
    gl_idx *drawn = sen + maxlen + 1;
    gl_idx *tg = targets + (size_t)t * 2 * (size_t)(o->negative + 1);
    gl_idx *tg_next = tg + o->negative + 1;
    draw_negatives(&nt, o->negative, syn1, dim, &r, tg_next);
    int64_t local = 0; /* read since the last report to `done` */
    float lr = (float)o->lr;
    for (int ep = 0; ep < o->epochs; ep++)
      for (int64_t w = w0; w < w1; w++) {
        const gl_idx *walk = drawn;
        int64_t len;
        if (c) {
          walk = c->nodes + c->start[w];
          len = c->start[w + 1] - c->start[w];
        } else
          len = gl_walker_walk(wk, w, &sc[t], drawn);
        int m = 0; /* the walk after subsampling */
        for (int64_t i = 0; i < len; i++)
          if (keep[walk[i]] >= 1 || gl_rng_uniformf(&r) < keep[walk[i]])
            sen[m++] = walk[i];
        local += len;
        if (local >= 10000 || w + 1 == w1) {
          int64_t now;
#pragma omp atomic capture
          now = done += local;
          local = 0;
          lr = (float)fmax(o->lr * (1 - (double)now / (all + 1)), o->min_lr);
          if (t == 0) gl_progress_update(&bar, (long)(now / 1000), NULL);
        }
        for (int pos = 0; pos < m; pos++) {
          const int b = (int)gl_rng_below(&r, (uint32_t)o->window);
          const int lo = pos - o->window + b, hi = pos + o->window - b;
          if (pos + 1 < m) prefetch_row(syn1 + (size_t)sen[pos + 1] * dim, dim);
          for (int j = lo < 0 ? 0 : lo; j <= hi && j < m; j++) {
            if (j == pos) continue;
            gl_idx *cur = tg_next; /* drawn and fetching: this pair's */
            tg_next = tg;
            tg = cur;
            draw_negatives(&nt, o->negative, syn1, dim, &r, tg_next);
            if (j + 1 < m) prefetch_row(emb + (size_t)sen[j + 1] * dim, dim);
            sgns_pair(emb + (size_t)sen[j] * dim, syn1, sen[pos], tg,
                      o->negative, dim, lr, sig, e);
          }
        }
      }
  }
  gl_progress_end(&bar);
  for (size_t i = 0; i < (size_t)n * dim; i++)
    if (!isfinite(emb[i])) {
      s = gl_error(GL_EINVAL, "diverged (node %d's vector is not "
                   "finite): the learning rate %g is too large", (int)(i / dim),
                   o->lr);
      goto out;
    }
  st->seconds = gl_now() - t0;
  st->words = (int64_t)all;
  st->words_per_second = st->seconds > 0 ? all / st->seconds : 0;
out:
  for (int t = 0; sc && t < T; t++) gl_walk_scratch_free(&sc[t]);
  free(sc);
  free(count);
  free(keep);
  free(syn1);
  free(err);
  free(kept);
  free(targets);
  gl_neg_table_free(&nt);
  return s;
}

gl_status gl_sgns_train(const gl_walks *c, const gl_sgns_opts *o, float *emb,
                        gl_sgns_stats *st) {
  return train(c, NULL, o, emb, st);
}

gl_status gl_sgns_train_stream(const gl_walker *w, const gl_sgns_opts *o,
                               float *emb, gl_sgns_stats *st) {
  return train(NULL, w, o, emb, st);
}
