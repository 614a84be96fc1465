/* Bridges to external libraries: METIS partitions, igraph graphs and
 * Louvain communities, CXSparse matrices and the A^2 pattern. */
#include <igraph.h>
#include <limits.h>
#include <metis.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cs.h"
#include "graph/internal.h"

/* ------------------------------------------------------------ METIS */
gl_status gl_metis_partition(const gl_csr *a, int k, uint64_t seed,
                             gl_idx *part) {
  return gl_metis_partition_balanced(a, k, 1, NULL, seed, part, NULL);
}

gl_status gl_metis_partition_balanced(const gl_csr *a, int k, int ncon,
                                      const int32_t *vwgt, uint64_t seed,
                                      gl_idx *part, gl_off *cut_out) {
  static const char fn[] = "gl_metis_partition";
  if (cut_out) *cut_out = 0;
  GL_TRY(gl_csr__check_square(a, fn));
  gl_idx n = a->n;
  if (k < 1) return gl_error(GL_EINVAL, "%s: k=%d parts, need k >= 1", fn, k);
  if (ncon < 1 || ncon > 8)
    return gl_error(GL_EINVAL, "%s: %d balance constraints, need 1 to 8", fn,
                    ncon);
  if (n > 0 && !part) return gl_error(GL_EINVAL, "%s: part is NULL", fn);
  if (k > 1 && k > n)
    return gl_error(GL_EINVAL, "%s: k=%d parts for only %d nodes", fn, k, n);
  if (n == 0) return GL_OK;
  if (k == 1) {
    memset(part, 0, (size_t)n * sizeof *part);
    return GL_OK;
  }
  if (!gl_csr__symmetric(a, false))
    return gl_error(GL_EINVAL, "%s: the graph is not symmetric", fn);
  /* METIS's idx_t is 32 or 64 bits depending on how it was built. */
  if (sizeof(idx_t) < sizeof(gl_off) && a->nnz > (gl_off)INT32_MAX)
    return gl_error(GL_EINVAL, "%s: %lld entries exceed METIS's 32-bit "
                    "indices", fn, (long long)a->nnz);
  idx_t *xadj = gl_malloc((size_t)n + 1, sizeof *xadj);
  idx_t *adj = gl_malloc((size_t)a->nnz, sizeof *adj);
  idx_t *pt = gl_malloc((size_t)n, sizeof *pt);
  idx_t *vw = vwgt ? gl_malloc((size_t)n * ncon, sizeof *vw) : NULL;
  gl_status st = GL_OK;
  if (!xadj || !adj || !pt || (vwgt && !vw)) {
    st = GL_ENOMEM;
    goto done;
  }
  idx_t ne = 0;
  for (gl_idx i = 0; i < n; i++) { /* METIS wants no self loops */
    xadj[i] = ne;
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++)
      if (a->col[e] != i) adj[ne++] = a->col[e];
  }
  xadj[n] = ne;
  for (size_t i = 0; vw && i < (size_t)n * ncon; i++) {
    if (vwgt[i] < 0) {
      st = gl_error(GL_EINVAL, "%s: node %zu has a negative weight", fn,
                    i / ncon);
      goto done;
    }
    vw[i] = vwgt[i];
  }
  idx_t opt[METIS_NOPTIONS];
  METIS_SetDefaultOptions(opt);
  opt[METIS_OPTION_SEED] = (idx_t)(seed % (uint64_t)INT32_MAX);
  opt[METIS_OPTION_NUMBERING] = 0;
  idx_t nv = n, nc = ncon, np = k, cut = 0;
  int r = METIS_PartGraphKway(&nv, &nc, xadj, adj, vw, NULL, NULL, &np,
                              NULL, NULL, opt, &cut, pt);
  if (r == METIS_ERROR_MEMORY)
    st = gl_error(GL_ENOMEM, "%s: METIS ran out of memory", fn);
  else if (r != METIS_OK)
    st = gl_error(GL_EINTERNAL, "%s: METIS_PartGraphKway failed (code %d)",
                  fn, r);
  else
    for (gl_idx i = 0; i < n; i++) part[i] = (gl_idx)pt[i];
  if (st == GL_OK && cut_out) *cut_out = (gl_off)cut;
done:
  free(vw);
  free(xadj);
  free(adj);
  free(pt);
  return st;
}

/* ------------------------------------------------------------ igraph */
/* igraph reports errors through global handlers that print or abort by
 * default; while glearn calls igraph they are silenced and every error comes
 * back as a return code.  Those handlers, igraph's error state and its
 * default RNG are process globals (Debian's igraph is built without
 * IGRAPH_THREAD_SAFE), so glearn's igraph calls hold one lock from
 * ig_quiet to ig_restore: calls from two threads run one after the
 * other. */
static pthread_mutex_t ig_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
  igraph_error_handler_t *err;
  igraph_warning_handler_t *warn;
} ig_handlers;

static void silent_warning(const char *reason, const char *file, int line) {
  (void)reason;
  (void)file;
  (void)line;
}

static ig_handlers ig_quiet(void) {
  ig_handlers h;
  pthread_mutex_lock(&ig_lock);
  h.err = igraph_set_error_handler(igraph_error_handler_ignore);
  h.warn = igraph_set_warning_handler(silent_warning);
  return h;
}

static void ig_restore(ig_handlers h) {
  igraph_set_error_handler(h.err);
  igraph_set_warning_handler(h.warn);
  pthread_mutex_unlock(&ig_lock);
}

static gl_status ig_fail(const char *fn, const char *call,
                             igraph_error_t e) {
  if (e == IGRAPH_ENOMEM)
    return gl_error(GL_ENOMEM, "%s: %s ran out of memory", fn, call);
  return gl_error(GL_EINTERNAL, "%s: %s failed: %s", fn, call,
                  igraph_strerror(e));
}

/* The edge list (and weights if `w` is non-NULL) of a for igraph.  When
 * undirected, (i, j) is kept if i <= j or if (j, i) is not stored, so every
 * symmetric pair gives one edge (with the weight of its upper entry). */
static gl_status ig_edges(const char *fn, const gl_csr *a, bool directed,
                              igraph_vector_int_t *edges, igraph_vector_t *w) {
  gl_idx n = a->n;
  gl_off *pos = gl_calloc((size_t)n + 1, sizeof *pos);
  if (!pos) return GL_ENOMEM;
#pragma omp parallel for schedule(dynamic, 1024)
  for (gl_idx i = 0; i < n; i++) {
    gl_off c = 0;
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++)
      c += directed || a->col[e] >= i || gl_csr__find(a, a->col[e], i) < 0;
    pos[i + 1] = c;
  }
  gl_off ne = gl_csr__prefix(pos, n);
  igraph_error_t r = igraph_vector_int_init(edges, 2 * (igraph_integer_t)ne);
  if (r != IGRAPH_SUCCESS) {
    free(pos);
    return ig_fail(fn, "igraph_vector_int_init", r);
  }
  if (w &&
      (r = igraph_vector_init(w, (igraph_integer_t)ne)) != IGRAPH_SUCCESS) {
    igraph_vector_int_destroy(edges);
    free(pos);
    return ig_fail(fn, "igraph_vector_init", r);
  }
#pragma omp parallel for schedule(dynamic, 1024)
  for (gl_idx i = 0; i < n; i++) {
    gl_off p = pos[i];
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) {
      gl_idx j = a->col[e];
      if (!(directed || j >= i || gl_csr__find(a, j, i) < 0)) continue;
      VECTOR(*edges)[2 * p] = i;
      VECTOR(*edges)[2 * p + 1] = j;
      if (w) VECTOR(*w)[p] = gl_csr_w(a, e);
      p++;
    }
  }
  free(pos);
  return GL_OK;
}

/* Builds the igraph graph with the handlers already silenced. */
static gl_status to_igraph(const char *fn, const gl_csr *a, bool directed,
                           igraph_t *g, igraph_vector_t *w) {
  GL_TRY(gl_csr__check_square(a, fn));
  igraph_vector_int_t edges;
  GL_TRY(ig_edges(fn, a, directed, &edges, w));
  igraph_error_t r = igraph_create(g, &edges, a->n, directed);
  igraph_vector_int_destroy(&edges);
  if (r != IGRAPH_SUCCESS) {
    if (w) igraph_vector_destroy(w);
    return ig_fail(fn, "igraph_create", r);
  }
  return GL_OK;
}

gl_status gl_csr_to_igraph(const gl_csr *a, bool directed, void *igraph_out) {
  if (!igraph_out)
    return gl_error(GL_EINVAL, "gl_csr_to_igraph: output graph is NULL");
  ig_handlers h = ig_quiet();
  gl_status st = to_igraph("gl_csr_to_igraph", a, directed, igraph_out, NULL);
  ig_restore(h);
  return st;
}

gl_status gl_csr_famous(gl_csr *out, const char *name) {
  memset(out, 0, sizeof *out);
  if (!name) return gl_error(GL_EINVAL, "gl_csr_famous: name is NULL");
  ig_handlers h = ig_quiet();
  igraph_t g;
  igraph_error_t r = igraph_famous(&g, name);
  if (r != IGRAPH_SUCCESS) {
    ig_restore(h);
    if (r == IGRAPH_ENOMEM) return ig_fail("gl_csr_famous", "igraph_famous", r);
    return gl_error(GL_EINVAL, "gl_csr_famous: igraph has no graph named '%s'",
                    name);
  }
  gl_status st = GL_OK;
  igraph_vector_int_t el;
  gl_idx n = (gl_idx)igraph_vcount(&g);
  gl_off m = (gl_off)igraph_ecount(&g);
  gl_idx *src = gl_malloc((size_t)m + 1, sizeof *src);
  gl_idx *dst = gl_malloc((size_t)m + 1, sizeof *dst);
  if ((r = igraph_vector_int_init(&el, 0)) != IGRAPH_SUCCESS) {
    st = ig_fail("gl_csr_famous", "igraph_vector_int_init", r);
  } else {
    if (!src || !dst)
      st = GL_ENOMEM;
    else if ((r = igraph_get_edgelist(&g, &el, false)) != IGRAPH_SUCCESS)
      st = ig_fail("gl_csr_famous", "igraph_get_edgelist", r);
    for (gl_off e = 0; st == GL_OK && e < m; e++) {
      src[e] = (gl_idx)VECTOR(el)[2 * e];
      dst[e] = (gl_idx)VECTOR(el)[2 * e + 1];
    }
    igraph_vector_int_destroy(&el);
  }
  igraph_destroy(&g);
  ig_restore(h);
  if (st == GL_OK) {
    gl_build_opts o = {.symmetrize = true, .self_loops = false};
    st = gl_csr_from_edges(out, n, m, src, dst, NULL, &o);
  }
  free(src);
  free(dst);
  return st;
}

/* Louvain (multilevel) or Leiden (modularity objective: node weights the
 * strengths, resolution 1 / 2m) through igraph, and the modularity. */
static gl_status communities(const char *fn, const gl_csr *a, bool leiden,
                             uint64_t seed, gl_idx *membership,
                             gl_idx *n_comm, double *q) {
  GL_TRY(gl_csr__check_arg(a, fn));
  if (a->n > 0 && !membership)
    return gl_error(GL_EINVAL, "%s: membership is NULL", fn);
  if (a->val)
    for (gl_off e = 0; e < a->nnz; e++)
      if (!(a->val[e] >= 0))
        return gl_error(GL_EINVAL, "%s: edge weight %g at entry %lld is not "
                        "non-negative", fn, (double)a->val[e], (long long)e);
  ig_handlers h = ig_quiet();
  igraph_t g;
  igraph_vector_t w, strength;
  igraph_vector_t *wp = a->val ? &w : NULL;
  igraph_vector_int_t memb;
  gl_status st = to_igraph(fn, a, false, &g, wp);
  if (st != GL_OK) goto out;
  igraph_error_t r = igraph_vector_int_init(&memb, 0);
  if (r == IGRAPH_SUCCESS && (r = igraph_vector_init(&strength, 0)) !=
                                 IGRAPH_SUCCESS)
    igraph_vector_int_destroy(&memb);
  if (r != IGRAPH_SUCCESS) {
    st = ig_fail(fn, "igraph_vector_init", r);
    goto graph;
  }
  igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)seed);
  igraph_real_t mod = 0;
  if (!leiden) {
    if ((r = igraph_community_multilevel(&g, wp, 1.0, &memb, NULL, NULL)) !=
        IGRAPH_SUCCESS)
      st = ig_fail(fn, "igraph_community_multilevel", r);
  } else if ((r = igraph_strength(&g, &strength, igraph_vss_all(), IGRAPH_ALL,
                                  true, wp)) != IGRAPH_SUCCESS)
    st = ig_fail(fn, "igraph_strength", r);
  else {
    double two_m = igraph_vector_sum(&strength);
    if ((r = igraph_community_leiden(&g, wp, &strength,
                                     two_m > 0 ? 1 / two_m : 1, 0.01, false,
                                     -1, &memb, NULL, NULL)) !=
        IGRAPH_SUCCESS)
      st = ig_fail(fn, "igraph_community_leiden", r);
  }
  if (st == GL_OK &&
      (r = igraph_modularity(&g, &memb, wp, 1.0, false, &mod)) !=
          IGRAPH_SUCCESS)
    st = ig_fail(fn, "igraph_modularity", r);
  if (st == GL_OK) {
    gl_idx c = 0;
    for (gl_idx i = 0; i < a->n; i++) {
      membership[i] = (gl_idx)VECTOR(memb)[i];
      if (membership[i] + 1 > c) c = membership[i] + 1;
    }
    if (n_comm) *n_comm = c;
    if (q) *q = (double)mod;
  }
  igraph_vector_destroy(&strength);
  igraph_vector_int_destroy(&memb);
graph:
  igraph_destroy(&g);
  if (wp) igraph_vector_destroy(wp);
out:
  ig_restore(h);
  return st;
}

gl_status gl_communities_louvain(const gl_csr *a, uint64_t seed,
                                 gl_idx *membership, gl_idx *n_comm,
                                 double *q) {
  return communities("gl_communities_louvain", a, false, seed, membership,
                     n_comm, q);
}

gl_status gl_communities_leiden(const gl_csr *a, uint64_t seed,
                                gl_idx *membership, gl_idx *n_comm,
                                double *q) {
  return communities("gl_communities_leiden", a, true, seed, membership,
                     n_comm, q);
}

/* ------------------------------------------------------------ CXSparse */
/* a's arrays as a compressed-column matrix (that is A^T); `values` false
 * gives a pattern (x NULL), which CXSparse products keep as a pattern. */
static gl_status to_cs(const char *fn, const gl_csr *a, bool values,
                       cs_dl **out) {
  *out = NULL;
  GL_TRY(gl_csr__check_arg(a, fn));
  cs_dl *c = cs_dl_spalloc(a->m, a->n, a->nnz, values, 0);
  if (!c) return gl_error(GL_ENOMEM, "%s: cs_dl_spalloc ran out of memory", fn);
  for (gl_idx i = 0; i <= a->n; i++) c->p[i] = a->ptr[i];
#pragma omp parallel for schedule(static)
  for (gl_off e = 0; e < a->nnz; e++) {
    c->i[e] = a->col[e];
    if (values) c->x[e] = gl_csr_w(a, e);
  }
  *out = c;
  return GL_OK;
}

gl_status gl_csr_to_cs(const gl_csr *a, void **out) {
  if (!out) return gl_error(GL_EINVAL, "gl_csr_to_cs: out is NULL");
  cs_dl *c;
  GL_TRY(to_cs("gl_csr_to_cs", a, true, &c));
  *out = c;
  return GL_OK;
}

gl_status gl_csr_from_cs(gl_csr *out, const void *cs_matrix) {
  static const char fn[] = "gl_csr_from_cs";
  memset(out, 0, sizeof *out);
  const cs_dl *c = cs_matrix;
  if (!c) return gl_error(GL_EINVAL, "%s: matrix is NULL", fn);
  if (c->nz != -1)
    return gl_error(GL_EINVAL, "%s: matrix is in triplet form, not "
                    "compressed", fn);
  if (c->m < 0 || c->n < 0 || c->m > INT32_MAX || c->n > INT32_MAX)
    return gl_error(GL_EINVAL, "%s: size %lld x %lld out of range", fn,
                    (long long)c->m, (long long)c->n);
  if (c->p[0] != 0)
    return gl_error(GL_EINVAL, "%s: p[0] is %lld, not 0", fn,
                    (long long)c->p[0]);
  for (cs_long_t j = 0; j < c->n; j++)
    if (c->p[j + 1] < c->p[j])
      return gl_error(GL_EINVAL, "%s: column pointers decrease at %lld", fn,
                      (long long)j);
  gl_off nnz = c->p[c->n];
  for (gl_off e = 0; e < nnz; e++)
    if (c->i[e] < 0 || c->i[e] >= c->m)
      return gl_error(GL_EINVAL, "%s: row index %lld out of range [0, %lld)",
                      fn, (long long)c->i[e], (long long)c->m);
  /* Compressed columns of M are the compressed rows of M^T. */
  GL_TRY(gl_csr_alloc(out, (gl_idx)c->n, (gl_idx)c->m, nnz, c->x != NULL));
  for (gl_idx i = 0; i <= out->n; i++) out->ptr[i] = c->p[i];
#pragma omp parallel for schedule(static)
  for (gl_off e = 0; e < nnz; e++) {
    out->col[e] = (gl_idx)c->i[e];
    if (c->x) out->val[e] = (float)c->x[e];
  }
  /* CXSparse leaves columns unsorted (and may hold duplicates). */
  gl_status st = gl_csr__sort_dedup_rows(out, true);
  if (st != GL_OK) gl_csr_free(out);
  return st;
}

gl_status gl_csr_square_pattern(gl_csr *out, const gl_csr *a) {
  static const char fn[] = "gl_csr_square_pattern";
  memset(out, 0, sizeof *out);
  GL_TRY(gl_csr__check_square(a, fn));
  cs_dl *c;
  GL_TRY(to_cs(fn, a, false, &c));
  /* c holds A^T, so c * c = (A A)^T, whose columns are the rows of A^2. */
  cs_dl *c2 = cs_dl_multiply(c, c);
  cs_dl_spfree(c);
  if (!c2)
    return gl_error(GL_ENOMEM, "%s: cs_dl_multiply ran out of memory", fn);
  gl_status st = gl_csr_from_cs(out, c2);
  cs_dl_spfree(c2);
  return st;
}
