/* Building CSR matrices: per-row stable sort and dedupe, and the chunked
 * builder behind gl_csr_from_edges, gl_csr_from_coo, gl_csr_transpose and
 * the generators. */
#include <stdlib.h>
#include <string.h>

#include "graph/internal.h"

/* ------------------------------------------------------------ row sorting */
/* Entries are packed as (column << 32 | value bits) and sorted by the
 * column alone, stably (insertion sort on short runs, then merges). */
#define KEY(x) ((uint32_t)((x) >> 32))
enum { RUN = 24 };

static void insertion_sort(uint64_t *x, gl_off n) {
  for (gl_off i = 1; i < n; i++) {
    uint64_t t = x[i];
    gl_off j = i;
    while (j > 0 && KEY(x[j - 1]) > KEY(t)) {
      x[j] = x[j - 1];
      j--;
    }
    x[j] = t;
  }
}

static void merge_sort(uint64_t *x, uint64_t *tmp, gl_off n) {
  for (gl_off i = 0; i < n; i += RUN)
    insertion_sort(x + i, n - i < RUN ? n - i : RUN);
  uint64_t *src = x, *dst = tmp;
  for (gl_off w = RUN; w < n; w *= 2) {
    for (gl_off lo = 0; lo < n; lo += 2 * w) {
      gl_off mid = lo + w < n ? lo + w : n,
             hi = lo + 2 * w < n ? lo + 2 * w : n;
      gl_off i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        dst[k++] = KEY(src[j]) < KEY(src[i]) ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    uint64_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != x) memcpy(x, src, (size_t)n * sizeof *x);
}

/* Sorts and dedupes one row in place; returns its new length.  `buf` has
 * room for 2 * len entries. */
static gl_off sort_dedup_row(gl_idx *c, float *v, gl_off len, bool sum_dups,
                             uint64_t *buf) {
  bool sorted = true;
  for (gl_off j = 1; j < len && sorted; j++) sorted = c[j] >= c[j - 1];
  if (!sorted) {
    for (gl_off j = 0; j < len; j++) {
      uint32_t bits = 0;
      if (v) memcpy(&bits, &v[j], sizeof bits);
      buf[j] = (uint64_t)(uint32_t)c[j] << 32 | bits;
    }
    merge_sort(buf, buf + len, len);
    for (gl_off j = 0; j < len; j++) {
      c[j] = (gl_idx)KEY(buf[j]);
      if (v) {
        uint32_t bits = (uint32_t)buf[j];
        memcpy(&v[j], &bits, sizeof bits);
      }
    }
  }
  gl_off k = 0;
  for (gl_off j = 0; j < len; j++) {
    if (k > 0 && c[j] == c[k - 1]) {
      if (v && sum_dups) v[k - 1] += v[j];
      continue;
    }
    c[k] = c[j];
    if (v) v[k] = v[j];
    k++;
  }
  return k;
}

gl_status gl_csr__sort_dedup_rows(gl_csr *a, bool sum_dups) {
  gl_idx n = a->n;
  gl_off *len = gl_malloc((size_t)n, sizeof *len);
  if (!len) return GL_ENOMEM;
  int failed = 0;
#pragma omp parallel
  {
    /* Scratch only for rows that need sorting; grown on demand. */
    uint64_t *buf = NULL;
    gl_off cap = 0;
#pragma omp for schedule(dynamic, 256)
    for (gl_idx i = 0; i < n; i++) {
      gl_off b = a->ptr[i], l = a->ptr[i + 1] - b;
      if (l > 1 && l > cap) {
        gl_off want = l > 2 * cap ? l : 2 * cap;
        uint64_t *nb = gl_realloc(buf, 2 * (size_t)want, sizeof *buf);
        if (nb) {
          buf = nb;
          cap = want;
        } else {
#pragma omp atomic write
          failed = 1;
        }
      }
      if (l <= 1 || l <= cap)
        len[i] = sort_dedup_row(a->col + b, a->val ? a->val + b : NULL, l,
                                sum_dups, buf);
    }
    free(buf);
  }
  if (failed) {
    free(len);
    return gl_error(GL_ENOMEM, "out of memory sorting the rows of a %d x %d "
                    "matrix", a->n, a->m);
  }
  /* Compact: rows only shrink, so moving them left in order is safe. */
  gl_off pos = 0;
  for (gl_idx i = 0; i < n; i++) {
    gl_off b = a->ptr[i];
    a->ptr[i] = pos;
    if (pos != b) {
      memmove(a->col + pos, a->col + b, (size_t)len[i] * sizeof *a->col);
      if (a->val)
        memmove(a->val + pos, a->val + b, (size_t)len[i] * sizeof *a->val);
    }
    pos += len[i];
  }
  free(len);
  a->ptr[n] = pos;
  if (pos < a->nnz) { /* shrink; keep the larger arrays if realloc fails */
    size_t keep = pos > 0 ? (size_t)pos : 1;
    gl_idx *c = realloc(a->col, keep * sizeof *c);
    if (c) a->col = c;
    if (a->val) {
      float *v = realloc(a->val, keep * sizeof *v);
      if (v) a->val = v;
    }
  }
  a->nnz = pos;
  return GL_OK;
}

/* ------------------------------------------------------------ builders */
/* The entries go to their rows in three parallel passes without atomics:
 *  1. groups of chunks count their entries per bucket (a bucket is a range
 *     of 2^shift <= 65536 consecutive rows);
 *  2. the chunks are produced again and every entry is written, in the
 *     order of emission, to its bucket's region of col (and val), with its
 *     row inside the bucket in a 16-bit side array;
 *  3. each bucket is counting-sorted by row (stable) through a scratch copy
 *     of its region, which also gives the row offsets.
 * Every row thus holds its entries in emission order whatever the number of
 * threads, and gl_csr__sort_dedup_rows finishes.  Memory: col (and val)
 * plus 2 bytes an entry, n + 1 offsets, and scratch for the buckets being
 * sorted (each a share of the entries unless a few rows hold most of them).
 * Writes in pass 2 go to one stream per bucket and group, and passes 1 and
 * 3 touch one bucket's rows at a time, so all passes stay cache-friendly. */
gl_status gl_csr__build_chunked(gl_csr *out, gl_idx n, gl_idx m,
                                gl_off n_chunks, gl_off cap, gl_chunk_fn fill,
                                const void *ctx, bool weighted,
                                bool sum_dups) {
  memset(out, 0, sizeof *out);
  int t = gl_threads();
  int shift = 16; /* bucket width: more buckets than threads if possible */
  while (shift > 0 && ((gl_off)n >> shift) < 4 * (gl_off)t) shift--;
  gl_off nb = ((gl_off)n >> shift) + 1,
         ng = n_chunks < 4 * t ? n_chunks : 4 * t;
  gl_off *cnt = gl_calloc((size_t)(ng * nb) + 1, sizeof *cnt);
  gl_off *start = gl_calloc((size_t)nb + 1, sizeof *start);
  out->ptr = gl_calloc((size_t)n + 1, sizeof *out->ptr);
  uint16_t *loc = NULL;
  int failed = !cnt || !start || !out->ptr;
  bool par = n_chunks > 1 || cap > 4096;
#pragma omp parallel num_threads(t) if (par)
  {
    gl_idx *bu = gl_malloc((size_t)cap, sizeof *bu);
    gl_idx *bv = gl_malloc((size_t)cap, sizeof *bv);
    float *bw = weighted ? gl_malloc((size_t)cap, sizeof *bw) : NULL;
    if (!bu || !bv || (weighted && !bw)) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp barrier
    int bad = 0;
    /* Pass 1 counts entries per (group, bucket); the single thread then turns
     * the counts into offsets; pass 2 produces the same entries again and
     * puts each in its place. */
    for (int pass = 1; pass <= 2; pass++) {
#pragma omp atomic read
      bad = failed;
#pragma omp for schedule(dynamic, 1)
      for (gl_off g = 0; g < ng; g++) {
        if (bad) continue;
        gl_off *cg = cnt + g * nb;
        uint16_t mask = (uint16_t)((1u << shift) - 1);
        for (gl_off c = g * n_chunks / ng; c < (g + 1) * n_chunks / ng; c++) {
          gl_off k = fill(ctx, c, bu, bv, bw);
          if (pass == 1) {
            for (gl_off j = 0; j < k; j++) cg[bu[j] >> shift]++;
            continue;
          }
          for (gl_off j = 0; j < k; j++) {
            gl_off p = cg[bu[j] >> shift]++;
            out->col[p] = bv[j];
            loc[p] = (uint16_t)bu[j] & mask;
            if (weighted) out->val[p] = bw[j];
          }
        }
      }
#pragma omp single
      if (pass == 1 && !bad) { /* offsets: bucket-major, then group order */
        gl_off pos = 0;
        for (gl_off b = 0; b < nb; b++) {
          start[b] = pos;
          for (gl_off g = 0; g < ng; g++) {
            gl_off c = cnt[g * nb + b];
            cnt[g * nb + b] = pos;
            pos += c;
          }
        }
        start[nb] = pos;
        out->nnz = pos;
        out->col = gl_malloc((size_t)pos, sizeof *out->col);
        if (weighted) out->val = gl_malloc((size_t)pos, sizeof *out->val);
        loc = gl_malloc((size_t)pos, sizeof *loc);
        if (!out->col || (weighted && !out->val) || !loc) failed = 1;
      }
    }
    free(bu);
    free(bv);
    free(bw);
    /* Pass 3: stable counting sort of each bucket by row. */
    gl_off *lc = bad ? NULL : gl_malloc(((size_t)1 << shift) + 1, sizeof *lc);
    gl_idx *tc = NULL;
    float *tv = NULL;
    uint16_t *tl = NULL;
    gl_off tcap = 0;
    if (!bad && !lc) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (gl_off b = 0; b < nb; b++) {
      if (bad || !lc) continue; /* (start may be NULL then) */
      gl_off lo = b << shift, hi = (b + 1) << shift, s = start[b];
      gl_off len = start[b + 1] - s;
      if (hi > n) hi = n;
      if (lo >= hi) continue;
      memset(lc, 0, (size_t)(hi - lo + 1) * sizeof *lc);
      for (gl_off p = s; p < s + len; p++) lc[loc[p] + 1]++;
      for (gl_off j = 0; j < hi - lo; j++) {
        lc[j + 1] += lc[j];
        out->ptr[lo + j] = s + lc[j];
      }
      if (len == 0) continue;
      if (len > tcap) {
        free(tc);
        free(tv);
        free(tl);
        tc = gl_malloc((size_t)len, sizeof *tc);
        tv = weighted ? gl_malloc((size_t)len, sizeof *tv) : NULL;
        tl = gl_malloc((size_t)len, sizeof *tl);
        tcap = len;
        if (!tc || (weighted && !tv) || !tl) {
#pragma omp atomic write
          failed = 1;
          tcap = 0;
          continue;
        }
      }
      memcpy(tc, out->col + s, (size_t)len * sizeof *tc);
      memcpy(tl, loc + s, (size_t)len * sizeof *tl);
      if (weighted) memcpy(tv, out->val + s, (size_t)len * sizeof *tv);
      for (gl_off p = 0; p < len; p++) {
        gl_off q = s + lc[tl[p]]++;
        out->col[q] = tc[p];
        if (weighted) out->val[q] = tv[p];
      }
    }
    free(lc);
    free(tc);
    free(tv);
    free(tl);
  }
  free(cnt);
  free(start);
  free(loc);
  if (failed) { /* workers' messages are theirs: set this thread's */
    gl_csr_free(out);
    return gl_error(GL_ENOMEM, "out of memory building a %d x %d matrix", n,
                    m);
  }
  out->ptr[n] = out->nnz;
  out->n = n;
  out->m = m;
  gl_status st = gl_csr__sort_dedup_rows(out, sum_dups);
  if (st != GL_OK) gl_csr_free(out);
  return st;
}

/* Edge lists in chunks of EDGE_CHUNK edges (each gives up to twice as many
 * entries when symmetrized). */
enum { EDGE_CHUNK = 1 << 16 };
typedef struct {
  const gl_idx *src, *dst;
  const float *w;
  gl_off ne;
  bool symmetrize, self_loops;
} edge_list;

static gl_off edge_fill(const void *vctx, gl_off c, gl_idx *u, gl_idx *v,
                        float *w) {
  const edge_list *l = vctx;
  gl_off e1 = (c + 1) * EDGE_CHUNK < l->ne ? (c + 1) * EDGE_CHUNK : l->ne,
         k = 0;
  for (gl_off e = c * EDGE_CHUNK; e < e1; e++) {
    gl_idx a = l->src[e], b = l->dst[e];
    if (a == b && !l->self_loops) continue;
    float x = l->w ? l->w[e] : 1.0f;
    u[k] = a;
    v[k] = b;
    if (w) w[k] = x;
    k++;
    if (l->symmetrize && a != b) {
      u[k] = b;
      v[k] = a;
      if (w) w[k] = x;
      k++;
    }
  }
  return k;
}

static gl_status build(gl_csr *out, const char *fn, gl_idx n, gl_idx m,
                       gl_off ne, const gl_idx *src, const gl_idx *dst,
                       const float *w, const gl_build_opts *o) {
  memset(out, 0, sizeof *out);
  if (n < 0 || m < 0)
    return gl_error(GL_EINVAL, "%s: negative size (n=%d, m=%d)", fn, n, m);
  if (ne < 0)
    return gl_error(GL_EINVAL, "%s: negative edge count %lld", fn,
                    (long long)ne);
  if (ne > 0 && (!src || !dst))
    return gl_error(GL_EINVAL, "%s: edge arrays are NULL", fn);
  if (o->symmetrize && n != m)
    return gl_error(GL_EINVAL, "%s: cannot symmetrize a %d x %d matrix", fn,
                    n, m);
  gl_off bad = ne;
#pragma omp parallel for schedule(static) reduction(min : bad) if (ne > 65536)
  for (gl_off e = 0; e < ne; e++)
    if (e < bad && (src[e] < 0 || src[e] >= n || dst[e] < 0 || dst[e] >= m))
      bad = e;
  if (bad < ne) {
    gl_idx u = src[bad], v = dst[bad];
    bool bad_u = u < 0 || u >= n;
    return gl_error(GL_EINVAL, "%s: edge %lld (%d, %d): %s id %d out of "
                    "range [0, %d)", fn, (long long)bad, u, v,
                    bad_u ? "source" : "target", bad_u ? u : v, bad_u ? n : m);
  }
  edge_list l = {src, dst, w, ne, o->symmetrize, o->self_loops};
  gl_off chunks = (ne + EDGE_CHUNK - 1) / EDGE_CHUNK;
  gl_off cap = 2 * (ne < EDGE_CHUNK ? ne : EDGE_CHUNK);
  return gl_csr__build_chunked(out, n, m, chunks, cap, edge_fill, &l,
                               o->weighted, o->sum_dups);
}

gl_status gl_csr_from_edges(gl_csr *out, gl_idx n, gl_off n_edges,
                            const gl_idx *src, const gl_idx *dst,
                            const float *w, const gl_build_opts *o) {
  gl_build_opts d = {0};
  return build(out, "gl_csr_from_edges", n, n, n_edges, src, dst, w,
               o ? o : &d);
}

gl_status gl_csr_from_coo(gl_csr *out, gl_idx n, gl_idx m, gl_off nnz,
                          const gl_idx *row, const gl_idx *col,
                          const float *val) {
  gl_build_opts o = {.self_loops = true, .weighted = val != NULL,
                     .sum_dups = true};
  return build(out, "gl_csr_from_coo", n, m, nnz, row, col, val, &o);
}

/* The transpose as a build whose entries come in the order of a's entries:
 * each output row receives its columns in ascending order. */
static gl_off transpose_fill(const void *vctx, gl_off c, gl_idx *u, gl_idx *v,
                             float *w) {
  const gl_csr *a = vctx;
  gl_off e0 = c * EDGE_CHUNK, e1 = e0 + EDGE_CHUNK < a->nnz ? e0 + EDGE_CHUNK
                                                            : a->nnz;
  gl_idx lo = 0, hi = a->n - 1; /* the row of e0: first i with ptr[i+1] > e0 */
  while (lo < hi) {
    gl_idx mid = lo + (hi - lo) / 2;
    if (a->ptr[mid + 1] > e0)
      hi = mid;
    else
      lo = mid + 1;
  }
  gl_idx i = lo;
  for (gl_off e = e0; e < e1; e++) {
    while (a->ptr[i + 1] <= e) i++;
    u[e - e0] = a->col[e];
    v[e - e0] = i;
    if (w) w[e - e0] = a->val[e];
  }
  return e1 - e0;
}

gl_status gl_csr_transpose(gl_csr *out, const gl_csr *a) {
  memset(out, 0, sizeof *out);
  GL_TRY(gl_csr__check_arg(a, "gl_csr_transpose"));
  gl_off chunks = (a->nnz + EDGE_CHUNK - 1) / EDGE_CHUNK;
  gl_off cap = a->nnz < EDGE_CHUNK ? a->nnz : EDGE_CHUNK;
  return gl_csr__build_chunked(out, a->m, a->n, chunks, cap, transpose_fill, a,
                               a->val != NULL, false);
}
