/* Random walks for node embeddings: DeepWalk, node2vec by rejection
 * (KnightKing) and CARE's community-aware paths (embed/embed.h). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "embed/embed.h"

gl_walk_opts gl_walk_defaults(void) {
  return (gl_walk_opts){.kind = GL_WALK_DEEPWALK, .walks_per_node = 10,
                        .length = 80, .p = 1, .q = 1, .alpha = 0.9,
                        .seed = 1};
}

void gl_walker_free(gl_walker *w) {
  free(w->alias_p);
  free(w->alias_j);
  free(w->comm_ptr);
  free(w->comm_nodes);
  free(w->order);
  memset(w, 0, sizeof *w);
}

/* Vose's alias method: weights v[0..d) (positive) become p and j such that
 * drawing k uniformly, then keeping k when a uniform u < p[k] and taking
 * j[k] otherwise, gives k with probability v[k] / sum v.  scratch: 2 d. */
void gl_alias_build(const float *v, int64_t d, float *p, gl_idx *j,
                    gl_idx *scratch) {
  double sum = 0;
  for (int64_t k = 0; k < d; k++) sum += v[k];
  gl_idx *small = scratch, *large = scratch + d;
  int64_t ns = 0, nl = 0;
  for (int64_t k = 0; k < d; k++) {
    p[k] = (float)(v[k] * (double)d / sum);
    j[k] = (gl_idx)k;
    if (p[k] < 1.0f)
      small[ns++] = (gl_idx)k;
    else
      large[nl++] = (gl_idx)k;
  }
  while (ns > 0 && nl > 0) {
    gl_idx s = small[--ns], l = large[nl - 1];
    j[s] = l;
    p[l] -= 1.0f - p[s];
    if (p[l] < 1.0f) {
      nl--;
      small[ns++] = l;
    }
  }
  while (nl > 0) p[large[--nl]] = 1.0f; /* rounding leftovers */
  while (ns > 0) p[small[--ns]] = 1.0f;
}

static gl_status build_alias(gl_walker *w) {
  const gl_csr *g = w->g;
  for (gl_off e = 0; e < g->nnz; e++)
    if (!(g->val[e] > 0) || !isfinite(g->val[e]))
      return gl_error(GL_EINVAL, "walks: edge weight %g (entry %lld) is "
                      "not positive and finite", (double)g->val[e],
                      (long long)e);
  gl_off maxd = 0;
  for (gl_idx i = 0; i < g->n; i++)
    if (g->ptr[i + 1] - g->ptr[i] > maxd) maxd = g->ptr[i + 1] - g->ptr[i];
  w->alias_p = gl_malloc((size_t)g->nnz, sizeof *w->alias_p);
  w->alias_j = gl_malloc((size_t)g->nnz, sizeof *w->alias_j);
  const int T = omp_get_max_threads();
  const size_t per = 2 * (size_t)maxd + 2;
  gl_idx *tmp = gl_malloc((size_t)T * per, sizeof *tmp);
  if (!w->alias_p || !w->alias_j || !tmp) {
    free(tmp);
    return GL_ENOMEM;
  }
#pragma omp parallel for schedule(dynamic, 1024)
  for (gl_idx i = 0; i < g->n; i++) {
    gl_idx *t = tmp + (size_t)omp_get_thread_num() * per;
    const gl_off b = g->ptr[i], d = g->ptr[i + 1] - b;
    gl_alias_build(g->val + b, d, w->alias_p + b, w->alias_j + b, t);
  }
  free(tmp);
  return GL_OK;
}

static gl_status build_communities(gl_walker *w) {
  const gl_idx n = w->g->n, k = w->o.n_comm;
  const gl_idx *c = w->o.community;
  if (!c || k < 1)
    return gl_error(GL_EINVAL, "CARE walks need the nodes' communities");
  w->comm_ptr = gl_calloc((size_t)k + 1, sizeof *w->comm_ptr);
  w->comm_nodes = gl_malloc((size_t)n, sizeof *w->comm_nodes);
  if (!w->comm_ptr || !w->comm_nodes) return GL_ENOMEM;
  for (gl_idx i = 0; i < n; i++) {
    if (c[i] < 0 || c[i] >= k)
      return gl_error(GL_EINVAL, "walks: node %d is in community %d, not "
                      "in 0..%d", i, c[i], k - 1);
    w->comm_ptr[c[i] + 1]++;
  }
  for (gl_idx t = 0; t < k; t++) w->comm_ptr[t + 1] += w->comm_ptr[t];
  gl_off *fill = gl_malloc((size_t)k, sizeof *fill);
  if (!fill) return GL_ENOMEM;
  memcpy(fill, w->comm_ptr, (size_t)k * sizeof *fill);
  for (gl_idx i = 0; i < n; i++) w->comm_nodes[fill[c[i]]++] = i;
  free(fill);
  return GL_OK;
}

gl_status gl_walker_init(gl_walker *w, const gl_csr *g,
                         const gl_walk_opts *o) {
  memset(w, 0, sizeof *w);
  w->g = g;
  w->o = *o;
  if (g->n != g->m)
    return gl_error(GL_EINVAL, "walks: the graph is %d x %d, not square",
                    g->n, g->m);
  if (g->n < 1) return gl_error(GL_EINVAL, "walks: the graph has no nodes");
  if (o->walks_per_node < 1 || o->length < 1)
    return gl_error(GL_EINVAL, "walks: need at least one walk a node (got "
                    "%d) of at least one node (got %d)", o->walks_per_node,
                    o->length);
  if (o->kind == GL_WALK_NODE2VEC &&
      !(o->p > 0 && o->q > 0 && isfinite(o->p) && isfinite(o->q)))
    return gl_error(GL_EINVAL, "node2vec: p = %g and q = %g must be "
                    "positive", o->p, o->q);
  if (o->kind == GL_WALK_CARE && !(o->alpha >= 0 && o->alpha <= 1))
    return gl_error(GL_EINVAL, "CARE: alpha = %g is not in [0, 1]",
                    o->alpha);
  gl_status st = GL_OK;
  if (g->val) st = build_alias(w);
  if (st == GL_OK && o->kind == GL_WALK_CARE) st = build_communities(w);
  const int64_t n = g->n, total = n * o->walks_per_node;
  if (st == GL_OK && !(w->order = gl_malloc((size_t)total, sizeof *w->order)))
    st = GL_ENOMEM;
  if (st != GL_OK) {
    gl_walker_free(w);
    return st;
  }
  for (int r = 0; r < o->walks_per_node; r++) {
    gl_idx *ord = w->order + (size_t)r * (size_t)n;
    for (gl_idx i = 0; i < g->n; i++) ord[i] = i;
    gl_rng rng;
    gl_rng_seed(&rng, gl_hash64(o->seed, ~(uint64_t)r));
    gl_rng_shuffle(&rng, ord, (size_t)n);
  }
  return GL_OK;
}

int64_t gl_walker_count(const gl_walker *w) {
  return (int64_t)w->g->n * w->o.walks_per_node;
}

gl_idx gl_walker_start(const gl_walker *w, int64_t i) { return w->order[i]; }

gl_status gl_walk_scratch_init(gl_walk_scratch *s, const gl_walker *w) {
  memset(s, 0, sizeof *s);
  if (w->o.kind != GL_WALK_CARE) return GL_OK;
  s->n = w->g->n;
  s->mark = gl_calloc((size_t)s->n, sizeof *s->mark);
  s->trail = gl_malloc((size_t)w->o.length, sizeof *s->trail);
  if (s->mark && s->trail) return GL_OK;
  gl_walk_scratch_free(s);
  return GL_ENOMEM;
}

void gl_walk_scratch_free(gl_walk_scratch *s) {
  free(s->mark);
  free(s->trail);
  memset(s, 0, sizeof *s);
}

/* A neighbour of c by weight (uniform when unweighted); -1 if none. */
static inline gl_idx step(const gl_walker *w, gl_idx c, gl_rng *r) {
  const gl_csr *g = w->g;
  const gl_off b = g->ptr[c], d = g->ptr[c + 1] - b;
  if (d == 0) return -1;
  gl_off k = gl_rng_below(r, (uint32_t)d);
  if (w->alias_p && gl_rng_uniformf(r) >= w->alias_p[b + k])
    k = w->alias_j[b + k];
  return g->col[b + k];
}

/* node2vec's second-order step from v, having come from t: propose by
 * weight, accept with the bias over its largest value. */
static gl_idx step2(const gl_walker *w, gl_idx t, gl_idx v, gl_rng *r) {
  const double ip = 1 / w->o.p, iq = 1 / w->o.q;
  const double top = fmax(fmax(ip, 1), iq);
  for (;;) {
    gl_idx x = step(w, v, r);
    if (x < 0) return -1;
    double f = x == t ? ip : gl_csr_has_edge(w->g, t, x) ? 1 : iq;
    if (f >= top || gl_rng_uniform(r) * top < f) return x;
  }
}

/* CARE: an unvisited member of c's community, uniformly; -1 if none. */
static gl_idx community_node(const gl_walker *w, gl_idx c, gl_rng *r,
                             const uint32_t *mark, uint32_t st) {
  const gl_idx k = w->o.community[c];
  const gl_idx *m = w->comm_nodes + w->comm_ptr[k];
  const gl_idx size = (gl_idx)(w->comm_ptr[k + 1] - w->comm_ptr[k]);
  for (int t = 0; t < 32; t++) { /* mostly unvisited: rejection */
    gl_idx x = m[gl_rng_below(r, (uint32_t)size)];
    if (mark[x] != st) return x;
  }
  gl_idx left = 0;
  for (gl_idx i = 0; i < size; i++) left += mark[m[i]] != st;
  if (left == 0) return -1;
  gl_idx pick = (gl_idx)gl_rng_below(r, (uint32_t)left);
  for (gl_idx i = 0;; i++)
    if (mark[m[i]] != st && pick-- == 0) return m[i];
}

/* A new stamp: every node unvisited for the path that takes it. */
static uint32_t new_path(gl_walk_scratch *s) {
  if (++s->stamp == 0) { /* wrapped: forget the old marks */
    memset(s->mark, 0, (size_t)s->n * sizeof *s->mark);
    s->stamp = 1;
  }
  return s->stamp;
}

static int care_walk(const gl_walker *w, gl_idx start, gl_rng *r,
                     gl_walk_scratch *s, gl_idx *out) {
  const gl_csr *g = w->g;
  uint32_t *mark = s->mark;
  uint32_t st = new_path(s);
  gl_idx *trail = s->trail; /* the way back */
  int len = 0, top = 0;
  out[len++] = trail[top++] = start;
  mark[start] = st;
  while (len < w->o.length) {
    if (top == 0) { /* all it can reach visited: a new path from here */
      const gl_idx c = out[len - 1];
      if (g->ptr[c] == g->ptr[c + 1]) break; /* an isolated node */
      st = new_path(s);
      trail[top++] = c;
      mark[c] = st;
    }
    const gl_idx c = trail[top - 1];
    double tot = 0;
    for (gl_off e = g->ptr[c]; e < g->ptr[c + 1]; e++)
      if (mark[g->col[e]] != st) tot += gl_csr_w(g, e);
    if (tot == 0) { /* stuck: go back along the trail */
      top--;
      continue;
    }
    gl_idx next = -1;
    if (w->o.alpha < 1 && gl_rng_uniform(r) >= w->o.alpha)
      next = community_node(w, c, r, mark, st);
    if (next < 0) { /* a neighbour step among the unvisited, by weight */
      double u = gl_rng_uniform(r) * tot;
      for (gl_off e = g->ptr[c]; e < g->ptr[c + 1]; e++) {
        if (mark[g->col[e]] == st) continue;
        next = g->col[e]; /* the last one if rounding runs past */
        if ((u -= gl_csr_w(g, e)) < 0) break;
      }
    }
    mark[next] = st;
    out[len++] = trail[top++] = next;
  }
  return len;
}

int gl_walker_walk(const gl_walker *w, int64_t i, gl_walk_scratch *s,
                   gl_idx *out) {
  gl_rng r;
  gl_rng_seed(&r, gl_hash64(w->o.seed, (uint64_t)i));
  const gl_idx start = w->order[i];
  if (w->o.kind == GL_WALK_CARE) return care_walk(w, start, &r, s, out);
  int len = 1;
  out[0] = start;
  while (len < w->o.length) {
    gl_idx x = w->o.kind == GL_WALK_NODE2VEC && len > 1
                   ? step2(w, out[len - 2], out[len - 1], &r)
                   : step(w, out[len - 1], &r);
    if (x < 0) break;
    out[len++] = x;
  }
  return len;
}

void gl_walks_free(gl_walks *c) {
  free(c->nodes);
  free(c->start);
  memset(c, 0, sizeof *c);
}

gl_status gl_walks_generate(const gl_walker *w, gl_walks *out) {
  return gl_walks_generate_part(w, 0, 1, out);
}

gl_status gl_walks_generate_part(const gl_walker *w, int part, int parts,
                                 gl_walks *out) {
  memset(out, 0, sizeof *out);
  if (parts < 1 || part < 0 || part >= parts)
    return gl_error(GL_EINVAL, "gl_walks_generate_part: part %d of %d", part,
                    parts);
  const int64_t all = gl_walker_count(w);
  const size_t L = (size_t)w->o.length;
  /* the walks of the schedule that start at this part's nodes */
  int64_t count = all;
  int64_t *sel = NULL;
  if (parts > 1) {
    count = 0;
    for (int64_t i = 0; i < all; i++)
      count += gl_walker_start(w, i) % parts == part;
    if (!(sel = gl_malloc((size_t)count + 1, sizeof *sel))) return GL_ENOMEM;
    for (int64_t i = 0, k = 0; i < all; i++)
      if (gl_walker_start(w, i) % parts == part) sel[k++] = i;
  }
  out->nodes = gl_malloc((size_t)count * L + 1, sizeof *out->nodes);
  out->start = gl_malloc((size_t)count + 1, sizeof *out->start);
  if (!out->nodes || !out->start) {
    free(sel);
    gl_walks_free(out);
    return GL_ENOMEM;
  }
  const int T = omp_get_max_threads();
  gl_walk_scratch *sc = gl_calloc((size_t)T, sizeof *sc);
  gl_status st = sc ? GL_OK : GL_ENOMEM;
  for (int t = 0; t < T && st == GL_OK; t++)
    st = gl_walk_scratch_init(&sc[t], w);
  if (st == GL_OK) {
#pragma omp parallel for schedule(dynamic, 256)
    for (int64_t i = 0; i < count; i++)
      out->start[i + 1] = gl_walker_walk(w, sel ? sel[i] : i,
                                         &sc[omp_get_thread_num()],
                                         out->nodes + (size_t)i * L);
  }
  for (int t = 0; sc && t < T; t++) gl_walk_scratch_free(&sc[t]);
  free(sc);
  free(sel);
  if (st != GL_OK) {
    gl_walks_free(out);
    return st;
  }
  out->start[0] = 0; /* lengths to offsets, walks packed to the front */
  for (int64_t i = 0; i < count; i++) {
    const int64_t len = out->start[i + 1], at = out->start[i];
    if ((size_t)at != (size_t)i * L)
      memmove(out->nodes + at, out->nodes + (size_t)i * L,
              (size_t)len * sizeof *out->nodes);
    out->start[i + 1] = at + len;
  }
  out->n_walks = count;
  out->n_nodes = w->g->n;
  gl_idx *shrunk =
      gl_realloc(out->nodes, (size_t)out->start[count] + 1, sizeof *shrunk);
  if (shrunk) out->nodes = shrunk;
  return GL_OK;
}
