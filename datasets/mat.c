/* MATLAB .mat files through libmatio (BlogCatalog and the other node2vec /
 * DeepWalk datasets): `network` (sparse n x n) and `group` (sparse n x c,
 * multi-label membership).  matio stores sparse matrices column-compressed:
 * column j holds rows ir[jc[j] .. jc[j+1]-1]. */
#include <errno.h>
#include <matio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "datasets/internal.h"

/* matio reports problems through a log function that prints by default;
 * keep its last message instead (library code never prints). */
static _Thread_local char mat_msg[256];
static void mat_log(int level, char *msg) {
  (void)level;
  snprintf(mat_msg, sizeof mat_msg, "%s", msg ? msg : "");
}

/* Reads variable `name` as a checked sparse matrix in COO form (explicit
 * zeros dropped). */
static gl_status read_sparse(mat_t *mat, const char *path, const char *name,
                             gl_coo *m) {
  memset(m, 0, sizeof *m);
  mat_msg[0] = 0;
  matvar_t *v = Mat_VarRead(mat, name);
  if (!v)
    return gl_error(GL_EFORMAT, "%s: no variable '%s'%s%s", path, name,
                    mat_msg[0] ? ": " : "", mat_msg);
  gl_status st = GL_OK;
  mat_sparse_t *s = v->data;
  if (v->class_type != MAT_C_SPARSE || !s) {
    st = gl_error(GL_EFORMAT, "%s: variable '%s' is not a sparse matrix", path,
                  name);
    goto done;
  }
  if (v->rank != 2 || v->isComplex) {
    st = gl_error(GL_EFORMAT,
                  "%s: variable '%s' must be a real 2-D sparse matrix", path,
                  name);
    goto done;
  }
  m->rows = (int64_t)v->dims[0];
  m->cols = (int64_t)v->dims[1];
  if (m->rows < 1 || m->cols < 1 || m->rows > GL_MAX_ID ||
      m->cols > GL_MAX_ID || !s->jc || s->njc != (uint64_t)m->cols + 1 ||
      (s->nir && !s->ir)) {
    st = gl_error(GL_EFORMAT, "%s: variable '%s' (%lld x %lld) has malformed "
                              "sparse arrays",
                  path, name, (long long)m->rows, (long long)m->cols);
    goto done;
  }
  gl_off nnz = s->jc[m->cols];
  bool is_double = v->data_type == MAT_T_DOUBLE && !v->isLogical;
  if (s->jc[0] != 0 || nnz > s->nir ||
      (is_double && (!s->data || s->ndata < nnz))) {
    st = gl_error(GL_EFORMAT, "%s: variable '%s' has inconsistent sparse "
                              "arrays (jc, ir, data)",
                  path, name);
    goto done;
  }
  int64_t rows = m->rows, cols = m->cols;
  if ((st = gl_coo_alloc(m, (size_t)nnz, true))) goto done;
  m->rows = rows;
  m->cols = cols;
  for (int64_t j = 0; j < m->cols && st == GL_OK; j++) {
    if (s->jc[j + 1] < s->jc[j]) {
      st = gl_error(GL_EFORMAT, "%s: variable '%s': column pointers decrease "
                                "at column %lld",
                    path, name, (long long)j);
      break;
    }
    for (gl_off e = s->jc[j]; e < s->jc[j + 1]; e++) {
      double x = is_double ? ((const double *)s->data)[e] : 1.0;
      if (s->ir[e] >= m->rows || !isfinite(x)) {
        st = gl_error(GL_EFORMAT, "%s: variable '%s': entry %lld (row %lld) "
                                  "is out of range or not finite",
                      path, name, (long long)e, (long long)s->ir[e]);
        break;
      }
      if (x == 0) continue;
      m->r[m->nnz] = (gl_idx)s->ir[e];
      m->c[m->nnz] = (gl_idx)j;
      m->v[m->nnz++] = (float)x;
      if (x != 1) m->weighted = true;
    }
  }
done:
  Mat_VarFree(v);
  if (st != GL_OK) gl_coo_free(m);
  return st;
}

static gl_status mat_dataset(gl_dataset *d, mat_t *mat, const char *path) {
  gl_coo a, g;
  GL_TRY(read_sparse(mat, path, "network", &a));
  if (a.rows != a.cols) {
    gl_coo_free(&a);
    return gl_error(GL_EFORMAT, "%s: network is %lld x %lld, not square", path,
                    (long long)a.rows, (long long)a.cols);
  }
  gl_idx n = (gl_idx)a.rows;
  gl_build_opts o = {.symmetrize = true,
                     .self_loops = false,
                     .weighted = a.weighted,
                     .sum_dups = false};
  /* stored by columns: entry (r, c) is the edge r-c either way round */
  gl_status st = gl_csr_from_edges(&d->adj, n, a.nnz, a.r, a.c,
                                   a.weighted ? a.v : NULL, &o);
  gl_coo_free(&a);
  GL_TRY(st);
  GL_TRY(read_sparse(mat, path, "group", &g));
  if (g.rows != n || g.cols > GL_MAX_CLASSES) {
    st = gl_error(GL_EFORMAT,
                  "%s: group is %lld x %lld, expected %d rows (one a node) "
                  "and at most %d classes",
                  path, (long long)g.rows, (long long)g.cols, (int)n,
                  GL_MAX_CLASSES);
    gl_coo_free(&g);
    return st;
  }
  st = gl_csr_from_coo(&d->ymulti, n, (gl_idx)g.cols, g.nnz, g.r, g.c, NULL);
  d->n_classes = (int)g.cols;
  d->multilabel = true;
  gl_coo_free(&g);
  return st;
}

/* matio reads a truncated compressed variable without complaint (the
 * missing part comes back as zeros), so the top-level data elements of a v5
 * file are walked first: each 8-byte tag (type, size) must fit the file. */
static gl_status check_v5_elements(const char *path, const char *buf,
                                   size_t size) {
  gl_status st = GL_OK;
  const uint8_t *b = (const uint8_t *)buf;
  if (size >= 128 && !memcmp(buf, "MATLAB 5.0", 10) &&
      (!memcmp(buf + 126, "IM", 2) || !memcmp(buf + 126, "MI", 2))) {
    bool swap = buf[126] == 'M';
    size_t pos = 128;
    while (pos < size && st == GL_OK) {
      uint32_t t[2];
      if (size - pos < 8) {
        st = gl_error(GL_EFORMAT, "%s: truncated .mat file (partial element "
                                  "tag at byte %zu)",
                      path, pos);
        break;
      }
      memcpy(t, b + pos, 8);
      if (swap)
        for (int i = 0; i < 2; i++) t[i] = __builtin_bswap32(t[i]);
      uint64_t len = t[1];
      if (t[0] != 15 /* miCOMPRESSED is not padded */) len = (len + 7) / 8 * 8;
      if (len > size - pos - 8 && !(t[0] != 15 && t[1] <= size - pos - 8))
        st = gl_error(GL_EFORMAT,
                      "%s: truncated .mat file (the element at byte %zu "
                      "declares %u bytes, %zu remain)",
                      path, pos, (unsigned)t[1], size - pos - 8);
      pos += 8 + (size_t)(len < size - pos - 8 ? len : size - pos - 8);
    }
  }
  return st;
}

/* matio opens files by name: a gzip-compressed .mat is inflated into an
 * anonymous in-memory file and opened through /proc/self/fd. */
static gl_status open_inflated(const char *path, const char *buf, size_t size,
                               int *fd, char *name, size_t cap) {
  *fd = memfd_create("glearn-mat", MFD_CLOEXEC);
  if (*fd < 0)
    return gl_error(GL_EIO, "%s: cannot inflate: %s", path, strerror(errno));
  for (size_t off = 0; off < size;) {
    ssize_t w = write(*fd, buf + off, size - off);
    if (w <= 0) {
      gl_status st = gl_error(GL_EIO, "%s: cannot inflate: %s", path,
                              strerror(errno));
      close(*fd);
      *fd = -1;
      return st;
    }
    off += (size_t)w;
  }
  snprintf(name, cap, "/proc/self/fd/%d", *fd);
  return GL_OK;
}

gl_status gl_load_mat(gl_dataset *d, const char *path) {
  memset(d, 0, sizeof *d);
  if (!gl_data_file_exists(path))
    return gl_error(GL_EIO, "cannot open %s: no such file", path);
  /* path itself, or path.gz; gzip content either way is inflated */
  char name[64], *buf, *raw;
  size_t size, raw_size;
  size_t plen = strlen(path) + 4;
  char *file = gl_malloc(plen, 1);
  if (!file) return GL_ENOMEM;
  snprintf(file, plen, gl_file_exists(path) ? "%s" : "%s.gz", path);
  gl_status st = gl_read_file(file, &raw, &raw_size);
  free(file);
  GL_TRY(st);
  const bool inflated = gl_is_gzip(raw, raw_size);
  if (inflated) {
    st = gl_gunzip(path, raw, raw_size, &buf, &size);
    free(raw);
    GL_TRY(st);
  } else {
    buf = raw;
    size = raw_size;
  }
  st = check_v5_elements(path, buf, size);
  int fd = -1;
  if (st == GL_OK && inflated)
    st = open_inflated(path, buf, size, &fd, name, sizeof name);
  free(buf);
  if (st != GL_OK) return st;
  Mat_LogInitFunc("glearn", mat_log);
  mat_msg[0] = 0;
  mat_t *mat = Mat_Open(inflated ? name : path, MAT_ACC_RDONLY);
  if (!mat) {
    if (fd >= 0) close(fd);
    return gl_error(GL_EFORMAT, "%s: not a MATLAB .mat file%s%s", path,
                    mat_msg[0] ? ": " : "", mat_msg);
  }
  st = mat_dataset(d, mat, path);
  Mat_Close(mat);
  if (fd >= 0) close(fd);
  return gl_dataset_finish(d, st, path);
}
