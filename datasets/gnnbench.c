/* gnn-benchmark .npz datasets (Shchur et al.): the adjacency and the
 * features as CSR triples (<p>_data, <p>_indices, <p>_indptr, <p>_shape) and
 * integer labels.  Every array is checked against the others before use;
 * metadata members (node_names, attr_names, class_names) are never read. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/internal.h"

static int64_t ival(const gl_array *a, int64_t i) {
  switch (a->dtype) {
  case GL_I32: return ((const int32_t *)a->data)[i];
  case GL_I64: return ((const int64_t *)a->data)[i];
  case GL_U8:
  case GL_BOOL: return ((const uint8_t *)a->data)[i];
  default: return 0;
  }
}

static double fval(const gl_array *a, int64_t i) {
  switch (a->dtype) {
  case GL_F32: return ((const float *)a->data)[i];
  case GL_F64: return ((const double *)a->data)[i];
  default: return (double)ival(a, i);
  }
}

static bool is_int(const gl_array *a) {
  return a->dtype == GL_I32 || a->dtype == GL_I64;
}

static const char *dtype_name(gl_dtype t) {
  static const char *names[] = {"int32",   "int64", "float32",
                                "float64", "uint8", "bool"};
  return (unsigned)t < 6 ? names[t] : "?";
}

/* A 1-D member with `len` entries (len < 0: any); integer if `ints`. */
static gl_status need(const gl_npz *z, const char *name, bool ints,
                      int64_t len, const char *len_what, const gl_array **out) {
  const gl_array *a;
  GL_TRY(gl_npz_find(z, name, &a));
  if (a->ndim != 1)
    return gl_error(GL_EFORMAT, "%s: member %s has %d dimensions, expected 1",
                    z->path, name, a->ndim);
  if (ints && !is_int(a))
    return gl_error(GL_EFORMAT,
                    "%s: member %s holds %s values, expected integers",
                    z->path, name, dtype_name(a->dtype));
  if (len >= 0 && a->count != len)
    return gl_error(GL_EFORMAT, "%s: member %s has %lld entries, expected %s = "
                                "%lld",
                    z->path, name, (long long)a->count, len_what,
                    (long long)len);
  *out = a;
  return GL_OK;
}

static bool has_member(const gl_npz *z, const char *name) {
  for (int i = 0; i < z->n; i++)
    if (!strcmp(z->a[i].name, name)) return true;
  return false;
}

/* Reads the CSR triple "<p>_*" as checked COO entries (explicit zeros
 * dropped when values are read); `rows` >= 0 is the row count required. */
static gl_status read_csr(const gl_npz *z, const char *p, bool values,
                          int64_t rows, gl_coo *m) {
  memset(m, 0, sizeof *m);
  char nm[4][64];
  const char *sfx[4] = {"shape", "indptr", "indices", "data"};
  for (int i = 0; i < 4; i++) snprintf(nm[i], sizeof nm[i], "%s_%s", p, sfx[i]);
  const gl_array *shape = NULL, *ptr = NULL, *idx = NULL, *val = NULL;
  GL_TRY(need(z, nm[0], true, 2, "2", &shape));
  int64_t n = ival(shape, 0), cols = ival(shape, 1);
  if (n < 1 || cols < 1 || n > GL_MAX_ID || cols > GL_MAX_ID)
    return gl_error(GL_EFORMAT, "%s: %s = (%lld, %lld) is not a valid shape",
                    z->path, nm[0], (long long)n, (long long)cols);
  if (rows >= 0 && n != rows)
    return gl_error(GL_EFORMAT,
                    "%s: %s has %lld rows but the graph has %lld nodes",
                    z->path, nm[0], (long long)n, (long long)rows);
  GL_TRY(need(z, nm[1], true, n + 1, "rows + 1", &ptr));
  GL_TRY(need(z, nm[2], true, -1, "", &idx));
  int64_t nnz = idx->count;
  if (values || has_member(z, nm[3]))
    GL_TRY(need(z, nm[3], false, nnz, "the number of indices", &val));
  if (ival(ptr, 0) != 0 || ival(ptr, n) != nnz)
    return gl_error(GL_EFORMAT,
                    "%s: %s must start at 0 and end at the number of indices "
                    "%lld (it runs from %lld to %lld)",
                    z->path, nm[1], (long long)nnz, (long long)ival(ptr, 0),
                    (long long)ival(ptr, n));
  if (cols > gl_id_bound(nnz))
    return gl_error(GL_EFORMAT, "%s: %s has %lld columns for only %lld "
                                "entries",
                    z->path, nm[0], (long long)cols, (long long)nnz);
  for (int64_t i = 0; i < n; i++)
    if (ival(ptr, i + 1) < ival(ptr, i))
      return gl_error(GL_EFORMAT, "%s: %s is not monotone at row %lld",
                      z->path, nm[1], (long long)i);
  for (int64_t e = 0; e < nnz; e++) {
    int64_t j = ival(idx, e);
    if (j < 0 || j >= cols)
      return gl_error(GL_EFORMAT, "%s: %s[%lld] = %lld is out of range [0, "
                                  "%lld)",
                      z->path, nm[2], (long long)e, (long long)j,
                      (long long)cols);
    if (values && !isfinite(fval(val, e)))
      return gl_error(GL_EFORMAT, "%s: %s[%lld] is not finite", z->path,
                      nm[3], (long long)e);
  }
  /* all checked: convert */
  GL_TRY(gl_coo_alloc(m, (size_t)nnz, values));
  m->rows = n;
  m->cols = cols;
  for (int64_t i = 0; i < n; i++)
    for (int64_t e = ival(ptr, i); e < ival(ptr, i + 1); e++) {
      float x = values ? (float)fval(val, e) : 1.0f;
      if (x == 0.0f) continue;
      m->r[m->nnz] = (gl_idx)i;
      m->c[m->nnz] = (gl_idx)ival(idx, e);
      if (values) m->v[m->nnz] = x;
      m->nnz++;
    }
  return GL_OK;
}

static gl_status npz_dataset(gl_dataset *d, const gl_npz *z) {
  gl_coo m;
  /* the adjacency is read as a pattern (gnn-benchmark's loaders binarise it),
   * symmetrised, self loops dropped */
  GL_TRY(read_csr(z, "adj", false, -1, &m));
  if (m.rows != m.cols) {
    gl_status st = gl_error(GL_EFORMAT, "%s: adj_shape (%lld, %lld) is not "
                                        "square",
                            z->path, (long long)m.rows, (long long)m.cols);
    gl_coo_free(&m);
    return st;
  }
  gl_idx n = (gl_idx)m.rows;
  gl_build_opts o = {.symmetrize = true, .self_loops = false};
  gl_status st = gl_csr_from_edges(&d->adj, n, m.nnz, m.r, m.c, NULL, &o);
  gl_coo_free(&m);
  GL_TRY(st);
  if (has_member(z, "attr_shape")) {
    GL_TRY(read_csr(z, "attr", true, n, &m));
    st = gl_csr_from_coo(&d->x, n, (gl_idx)m.cols, m.nnz, m.r, m.c, m.v);
    gl_coo_free(&m);
    GL_TRY(st);
    GL_TRY(gl_csr_row_norm_inplace(&d->x));
  }
  if (has_member(z, "labels")) {
    const gl_array *l;
    GL_TRY(need(z, "labels", true, n, "the number of nodes", &l));
    d->y = gl_malloc((size_t)n, sizeof *d->y);
    if (!d->y) return GL_ENOMEM;
    for (gl_idx i = 0; i < n; i++) {
      int64_t c = ival(l, i);
      if (c < -1 || c >= GL_MAX_CLASSES)
        return gl_error(GL_EFORMAT, "%s: labels[%d] = %lld is not a class id",
                        z->path, (int)i, (long long)c);
      d->y[i] = (int32_t)c;
    }
    d->n_classes = gl_labels_nclasses(d->y, n);
  }
  return GL_OK;
}

gl_status gl_load_npz_dataset(gl_dataset *d, const char *path) {
  memset(d, 0, sizeof *d);
  gl_npz z;
  GL_TRY(gl_npz_read(&z, path));
  gl_status st = npz_dataset(d, &z);
  gl_npz_free(&z);
  return gl_dataset_finish(d, st, path);
}
