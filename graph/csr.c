/* The CSR store: allocation, checks, queries, normalisations and
 * subgraphs (builders and the transpose are in build.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/internal.h"

/* ------------------------------------------------------------ basics */
void gl_csr_free(gl_csr *a) {
  if (!a) return;
  free(a->ptr);
  free(a->col);
  free(a->val);
  memset(a, 0, sizeof *a);
}

gl_status gl_csr_alloc(gl_csr *a, gl_idx n, gl_idx m, gl_off nnz,
                       bool weighted) {
  memset(a, 0, sizeof *a);
  if (n < 0 || m < 0 || nnz < 0)
    return gl_error(GL_EINVAL,
                    "gl_csr_alloc: negative size (n=%d, m=%d, nnz=%lld)", n, m,
                    (long long)nnz);
  a->ptr = gl_calloc((size_t)n + 1, sizeof *a->ptr);
  a->col = gl_malloc((size_t)nnz, sizeof *a->col);
  if (weighted) a->val = gl_malloc((size_t)nnz, sizeof *a->val);
  if (!a->ptr || !a->col || (weighted && !a->val)) {
    gl_csr_free(a);
    return GL_ENOMEM;
  }
  a->n = n;
  a->m = m;
  a->nnz = nnz;
  return GL_OK;
}

gl_status gl_csr__check_arg(const gl_csr *a, const char *what) {
  if (!a) return gl_error(GL_EINVAL, "%s: matrix is NULL", what);
  if (a->n < 0 || a->m < 0 || a->nnz < 0)
    return gl_error(GL_EINVAL, "%s: negative size (n=%d, m=%d, nnz=%lld)",
                    what, a->n, a->m, (long long)a->nnz);
  if (!a->ptr || (a->nnz > 0 && !a->col))
    return gl_error(GL_EINVAL, "%s: matrix has no arrays", what);
  return GL_OK;
}

gl_status gl_csr__check_square(const gl_csr *a, const char *what) {
  GL_TRY(gl_csr__check_arg(a, what));
  if (a->n != a->m)
    return gl_error(GL_EINVAL, "%s: matrix is %d x %d, not square", what,
                    a->n, a->m);
  return GL_OK;
}

gl_status gl_csr_copy(gl_csr *dst, const gl_csr *src) {
  GL_TRY(gl_csr__check_arg(src, "gl_csr_copy"));
  GL_TRY(gl_csr_alloc(dst, src->n, src->m, src->nnz, src->val != NULL));
  memcpy(dst->ptr, src->ptr, ((size_t)src->n + 1) * sizeof *dst->ptr);
  if (src->nnz > 0) {
    memcpy(dst->col, src->col, (size_t)src->nnz * sizeof *dst->col);
    if (src->val)
      memcpy(dst->val, src->val, (size_t)src->nnz * sizeof *dst->val);
  }
  return GL_OK;
}

/* 0 if row i is fine, else 1 (column out of range) or 2 (not sorted). */
static int bad_row(const gl_csr *a, gl_idx i, bool sorted, gl_off *where) {
  for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) {
    *where = e;
    if (a->col[e] < 0 || a->col[e] >= a->m) return 1;
    if (sorted && e > a->ptr[i] && a->col[e] <= a->col[e - 1]) return 2;
  }
  return 0;
}

gl_status gl_csr_check(const gl_csr *a, bool sorted) {
  if (!a) return gl_error(GL_EFORMAT, "CSR matrix is NULL");
  if (a->n < 0 || a->m < 0 || a->nnz < 0)
    return gl_error(GL_EFORMAT, "CSR has a negative size (n=%d, m=%d, "
                    "nnz=%lld)", a->n, a->m, (long long)a->nnz);
  if (!a->ptr || (a->nnz > 0 && !a->col))
    return gl_error(GL_EFORMAT, "CSR has no arrays");
  if (a->ptr[0] != 0)
    return gl_error(GL_EFORMAT, "CSR ptr[0] is %lld, not 0",
                    (long long)a->ptr[0]);
  for (gl_idx i = 0; i < a->n; i++)
    if (a->ptr[i + 1] < a->ptr[i])
      return gl_error(GL_EFORMAT, "CSR ptr decreases at row %d", i);
  if (a->ptr[a->n] != a->nnz)
    return gl_error(GL_EFORMAT, "CSR ptr[n] is %lld but nnz is %lld",
                    (long long)a->ptr[a->n], (long long)a->nnz);
  gl_idx first = a->n;
#pragma omp parallel for schedule(dynamic, 1024) reduction(min : first)
  for (gl_idx i = 0; i < a->n; i++) {
    gl_off e;
    if (i < first && bad_row(a, i, sorted, &e)) first = i;
  }
  if (first == a->n) return GL_OK;
  gl_off e = 0;
  if (bad_row(a, first, sorted, &e) == 1)
    return gl_error(GL_EFORMAT, "CSR row %d: column %d out of range [0, %d)",
                    first, a->col[e], a->m);
  return gl_error(GL_EFORMAT, "CSR row %d: columns not sorted and unique "
                  "(%d after %d)", first, a->col[e], a->col[e - 1]);
}

gl_off gl_csr__prefix(gl_off *ptr, gl_idx n) {
  ptr[0] = 0;
  for (gl_idx i = 0; i < n; i++) ptr[i + 1] += ptr[i];
  return ptr[n];
}

gl_off gl_csr__find(const gl_csr *a, gl_idx u, gl_idx v) {
  gl_off lo = a->ptr[u], hi = a->ptr[u + 1];
  while (lo < hi) {
    gl_off mid = lo + (hi - lo) / 2;
    if (a->col[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < a->ptr[u + 1] && a->col[lo] == v ? lo : -1;
}

void gl_csr__partition_rows(const gl_csr *a, int parts, gl_idx *bound) {
  /* work(i) = ptr[i] + i is the cost of rows 0..i-1; bound[t] is the first
   * row whose prefix cost reaches t/parts of the total. */
  gl_off total = a->ptr[a->n] + a->n;
  bound[0] = 0;
  for (int t = 1; t < parts; t++) {
    gl_off target = (gl_off)((double)total * t / parts);
    gl_idx lo = bound[t - 1], hi = a->n;
    while (lo < hi) {
      gl_idx mid = lo + (hi - lo) / 2;
      if (a->ptr[mid] + mid < target)
        lo = mid + 1;
      else
        hi = mid;
    }
    bound[t] = lo;
  }
  bound[parts] = a->n;
}

/* ------------------------------------------------------------ queries */
void gl_csr_degrees(const gl_csr *a, bool weighted, float *out) {
#pragma omp parallel for schedule(static)
  for (gl_idx i = 0; i < a->n; i++) {
    if (weighted && a->val) {
      double s = 0;
      for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) s += a->val[e];
      out[i] = (float)s;
    } else {
      out[i] = (float)(a->ptr[i + 1] - a->ptr[i]);
    }
  }
}

bool gl_csr_has_edge(const gl_csr *a, gl_idx u, gl_idx v) {
  if (u < 0 || u >= a->n || v < 0 || v >= a->m) return false;
  return gl_csr__find(a, u, v) >= 0;
}

bool gl_csr_is_symmetric(const gl_csr *a) { return gl_csr__symmetric(a, true); }

bool gl_csr__symmetric(const gl_csr *a, bool values) {
  if (a->n != a->m) return false;
  int ok = 1;
#pragma omp parallel for schedule(dynamic, 1024) reduction(min : ok)
  for (gl_idx i = 0; i < a->n; i++) {
    if (!ok) continue;
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) {
      gl_off r = gl_csr__find(a, a->col[e], i);
      if (r < 0 || (values && a->val && a->val[r] != a->val[e])) {
        ok = 0;
        break;
      }
    }
  }
  return ok;
}

gl_status gl_csr_largest_component(const gl_csr *a, uint8_t *in,
                                   gl_idx *size) {
  GL_TRY(gl_csr__check_square(a, "gl_csr_largest_component"));
  const gl_idx n = a->n;
  /* breadth-first labelling; comp[i] = the component's first node */
  gl_idx *comp = gl_malloc((size_t)n + 1, sizeof *comp);
  gl_idx *queue = gl_malloc((size_t)n + 1, sizeof *queue);
  if (!comp || !queue) {
    free(comp);
    free(queue);
    return GL_ENOMEM;
  }
  for (gl_idx i = 0; i < n; i++) comp[i] = -1;
  gl_idx best = -1, best_size = 0;
  for (gl_idx s = 0; s < n; s++) {
    if (comp[s] >= 0) continue;
    gl_idx head = 0, tail = 0;
    comp[s] = s;
    queue[tail++] = s;
    while (head < tail) {
      gl_idx u = queue[head++];
      for (gl_off e = a->ptr[u]; e < a->ptr[u + 1]; e++)
        if (comp[a->col[e]] < 0) {
          comp[a->col[e]] = s;
          queue[tail++] = a->col[e];
        }
    }
    if (tail > best_size) {
      best = s;
      best_size = tail;
    }
  }
  for (gl_idx i = 0; i < n; i++) in[i] = comp[i] == best;
  *size = best_size;
  free(comp);
  free(queue);
  return GL_OK;
}

/* ------------------------------------------------------------ transforms */
/* D^-1/2 (A' + s I) D^-1/2 over a's n rows (a is n x m, m >= n, row i's
 * diagonal column i): D from deg (m degrees without self loops) when given,
 * else from a's own rows (a square). */
static gl_status gcn_norm(gl_csr *out, const gl_csr *a, const double *deg,
                          float self_weight, const char *fn) {
  memset(out, 0, sizeof *out);
  if (!(self_weight >= 0) || !isfinite(self_weight))
    return gl_error(GL_EINVAL, "%s: self weight %g is not a finite "
                    "non-negative number", fn, (double)self_weight);
  gl_idx n = a->n, m = a->m;
  gl_off *ptr = gl_calloc((size_t)n + 1, sizeof *ptr);
  double *dinv = gl_malloc((size_t)m + 1, sizeof *dinv);
  if (!ptr || !dinv) {
    free(ptr);
    free(dinv);
    return GL_ENOMEM;
  }
#pragma omp parallel for schedule(static)
  for (gl_idx i = 0; i < n; i++) {
    gl_off cnt = 1;
    double d = self_weight;
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++)
      if (a->col[e] != i) {
        cnt++;
        d += gl_csr_w(a, e);
      }
    ptr[i + 1] = cnt;
    if (deg) d = self_weight + deg[i];
    dinv[i] = d > 0 ? 1.0 / sqrt(d) : 0.0;
  }
  for (gl_idx j = n; deg && j < m; j++) {
    double d = self_weight + deg[j];
    dinv[j] = d > 0 ? 1.0 / sqrt(d) : 0.0;
  }
  gl_off nnz = gl_csr__prefix(ptr, n);
  out->ptr = ptr;
  out->col = gl_malloc((size_t)nnz, sizeof *out->col);
  out->val = gl_malloc((size_t)nnz, sizeof *out->val);
  if (!out->col || !out->val) {
    free(dinv);
    gl_csr_free(out);
    return GL_ENOMEM;
  }
  out->n = n;
  out->m = m;
  out->nnz = nnz;
#pragma omp parallel for schedule(static)
  for (gl_idx i = 0; i < n; i++) {
    gl_off k = ptr[i];
    bool self_done = false;
    for (gl_off e = a->ptr[i]; e <= a->ptr[i + 1]; e++) {
      gl_idx j = e < a->ptr[i + 1] ? a->col[e] : m; /* m: past the end */
      if (!self_done && j >= i) {
        out->col[k] = i;
        out->val[k++] = (float)(self_weight * dinv[i] * dinv[i]);
        self_done = true;
      }
      if (j == i || j == m) continue;
      out->col[k] = j;
      out->val[k++] = (float)(gl_csr_w(a, e) * dinv[i] * dinv[j]);
    }
  }
  free(dinv);
  return GL_OK;
}

gl_status gl_csr_gcn_norm(gl_csr *out, const gl_csr *a, float self_weight) {
  memset(out, 0, sizeof *out);
  GL_TRY(gl_csr__check_square(a, "gl_csr_gcn_norm"));
  return gcn_norm(out, a, NULL, self_weight, "gl_csr_gcn_norm");
}

gl_status gl_csr_gcn_norm_part(gl_csr *out, const gl_csr *a, const double *deg,
                               float self_weight) {
  static const char fn[] = "gl_csr_gcn_norm_part";
  memset(out, 0, sizeof *out);
  GL_TRY(gl_csr__check_arg(a, fn));
  if (a->m < a->n || !deg)
    return gl_error(GL_EINVAL, "%s: a is %d x %d with%s degrees; need m >= n "
                    "and the degrees", fn, a->n, a->m, deg ? "" : "out");
  for (gl_idx j = 0; j < a->m; j++)
    if (!(deg[j] >= 0) || !isfinite(deg[j]))
      return gl_error(GL_EINVAL, "%s: degree %g of column %d", fn, deg[j], j);
  return gcn_norm(out, a, deg, self_weight, fn);
}

gl_status gl_csr_row_norm_inplace(gl_csr *a) {
  GL_TRY(gl_csr__check_arg(a, "gl_csr_row_norm_inplace"));
  if (!a->val) {
    a->val = gl_malloc((size_t)a->nnz, sizeof *a->val);
    if (!a->val) return GL_ENOMEM;
#pragma omp parallel for schedule(static)
    for (gl_idx i = 0; i < a->n; i++) {
      gl_off b = a->ptr[i], l = a->ptr[i + 1] - b;
      for (gl_off e = b; e < b + l; e++) a->val[e] = (float)(1.0 / (double)l);
    }
    return GL_OK;
  }
#pragma omp parallel for schedule(static)
  for (gl_idx i = 0; i < a->n; i++) {
    double s = 0;
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) s += a->val[e];
    if (s == 0) continue;
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++)
      a->val[e] = (float)(a->val[e] / s);
  }
  return GL_OK;
}

gl_status gl_csr_row_norm(gl_csr *out, const gl_csr *a) {
  GL_TRY(gl_csr_copy(out, a));
  gl_status st = gl_csr_row_norm_inplace(out);
  if (st != GL_OK) gl_csr_free(out);
  return st;
}

/* Validates k ids of a selection (`what` names them in messages). */
static gl_status check_ids(const char *fn, const char *what, const gl_idx *ids,
                           gl_idx k, gl_idx n) {
  if (k < 0)
    return gl_error(GL_EINVAL, "%s: negative %s count %d", fn, what, k);
  if (k > 0 && !ids)
    return gl_error(GL_EINVAL, "%s: %s array is NULL", fn, what);
  for (gl_idx t = 0; t < k; t++)
    if (ids[t] < 0 || ids[t] >= n)
      return gl_error(GL_EINVAL, "%s: %s %d (position %d) out of range "
                      "[0, %d)", fn, what, ids[t], t, n);
  return GL_OK;
}

gl_status gl_csr_subgraph(gl_csr *out, const gl_csr *a, const gl_idx *nodes,
                          gl_idx k, gl_idx *map) {
  static const char fn[] = "gl_csr_subgraph";
  memset(out, 0, sizeof *out);
  GL_TRY(gl_csr__check_square(a, fn));
  GL_TRY(check_ids(fn, "node", nodes, k, a->n));
  gl_idx *mp = map ? map : gl_malloc((size_t)a->n, sizeof *mp);
  if (!mp) return GL_ENOMEM;
  gl_status st = GL_OK;
#pragma omp parallel for schedule(static)
  for (gl_idx i = 0; i < a->n; i++) mp[i] = -1;
  for (gl_idx t = 0; t < k; t++) {
    if (mp[nodes[t]] >= 0) {
      st = gl_error(GL_EINVAL, "%s: node %d appears twice (positions %d and "
                    "%d)", fn, nodes[t], mp[nodes[t]], t);
      goto done;
    }
    mp[nodes[t]] = t;
  }
  gl_off *ptr = gl_calloc((size_t)k + 1, sizeof *ptr);
  if (!ptr) {
    st = GL_ENOMEM;
    goto done;
  }
#pragma omp parallel for schedule(dynamic, 256)
  for (gl_idx t = 0; t < k; t++) {
    gl_idx u = nodes[t];
    gl_off c = 0;
    for (gl_off e = a->ptr[u]; e < a->ptr[u + 1]; e++) c += mp[a->col[e]] >= 0;
    ptr[t + 1] = c;
  }
  gl_off nnz = gl_csr__prefix(ptr, k);
  out->ptr = ptr;
  out->col = gl_malloc((size_t)nnz, sizeof *out->col);
  if (a->val) out->val = gl_malloc((size_t)nnz, sizeof *out->val);
  if (!out->col || (a->val && !out->val)) {
    st = GL_ENOMEM;
    goto done;
  }
  out->n = out->m = k;
  out->nnz = nnz;
#pragma omp parallel for schedule(dynamic, 256)
  for (gl_idx t = 0; t < k; t++) {
    gl_idx u = nodes[t];
    gl_off p = ptr[t];
    for (gl_off e = a->ptr[u]; e < a->ptr[u + 1]; e++) {
      gl_idx j = mp[a->col[e]];
      if (j < 0) continue;
      out->col[p] = j;
      if (a->val) out->val[p] = a->val[e];
      p++;
    }
  }
  st = gl_csr__sort_dedup_rows(out, false); /* local ids: re-sort rows */
done:
  if (st != GL_OK) gl_csr_free(out);
  if (!map) free(mp);
  return st;
}

gl_status gl_csr_select_rows(gl_csr *out, const gl_csr *a, const gl_idx *rows,
                             gl_idx k) {
  static const char fn[] = "gl_csr_select_rows";
  memset(out, 0, sizeof *out);
  GL_TRY(gl_csr__check_arg(a, fn));
  GL_TRY(check_ids(fn, "row", rows, k, a->n));
  gl_off *ptr = gl_calloc((size_t)k + 1, sizeof *ptr);
  if (!ptr) return GL_ENOMEM;
  for (gl_idx t = 0; t < k; t++)
    ptr[t + 1] = a->ptr[rows[t] + 1] - a->ptr[rows[t]];
  gl_off nnz = gl_csr__prefix(ptr, k);
  out->ptr = ptr;
  out->col = gl_malloc((size_t)nnz, sizeof *out->col);
  if (a->val) out->val = gl_malloc((size_t)nnz, sizeof *out->val);
  if (!out->col || (a->val && !out->val)) {
    gl_csr_free(out);
    return GL_ENOMEM;
  }
  out->n = k;
  out->m = a->m;
  out->nnz = nnz;
#pragma omp parallel for schedule(dynamic, 256)
  for (gl_idx t = 0; t < k; t++) {
    gl_off b = a->ptr[rows[t]], l = ptr[t + 1] - ptr[t];
    if (l == 0) continue;
    memcpy(out->col + ptr[t], a->col + b, (size_t)l * sizeof *out->col);
    if (a->val)
      memcpy(out->val + ptr[t], a->val + b, (size_t)l * sizeof *out->val);
  }
  return GL_OK;
}

gl_status gl_csr_first_cols(gl_csr *out, const gl_csr *a, gl_idx m) {
  static const char fn[] = "gl_csr_first_cols";
  memset(out, 0, sizeof *out);
  GL_TRY(gl_csr__check_arg(a, fn));
  if (m < 0 || m > a->m)
    return gl_error(GL_EINVAL, "%s: %d columns of %d", fn, (int)m, (int)a->m);
  gl_off nnz = 0;
  for (gl_off e = 0; e < a->nnz; e++) nnz += a->col[e] < m;
  GL_TRY(gl_csr_alloc(out, a->n, m, nnz, a->val != NULL));
  gl_off k = 0;
  for (gl_idx i = 0; i < a->n; i++) {
    for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++)
      if (a->col[e] < m) {
        out->col[k] = a->col[e];
        if (a->val) out->val[k] = a->val[e];
        k++;
      }
    out->ptr[i + 1] = k;
  }
  return GL_OK;
}
