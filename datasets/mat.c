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
#include <zlib.h>

#include "datasets/internal.h"

/* matio reports problems through a log function that prints by default;
 * keep its last message instead (library code never prints). */
static _Thread_local char mat_msg[256];
static void mat_log(int level, char *msg) {
  (void)level;
  snprintf(mat_msg, sizeof mat_msg, "%s", msg ? msg : "");
}

/* Reads variable `name` as a checked sparse matrix in COO form (explicit
 * zeros dropped).  Its header is read first: a variable that is no real 2-D
 * sparse matrix, or whose non-zeros or columns the file's `bytes` (once
 * inflated) cannot hold, is rejected before matio allocates its arrays. */
static gl_status read_sparse(mat_t *mat, const char *path, const char *name,
                             size_t bytes, gl_coo *m) {
  memset(m, 0, sizeof *m);
  mat_msg[0] = 0;
  matvar_t *v = Mat_VarReadInfo(mat, name);
  if (!v)
    return gl_error(GL_EFORMAT, "%s: no variable '%s'%s%s", path, name,
                    mat_msg[0] ? ": " : "", mat_msg);
  gl_status st = GL_OK;
  if (v->class_type != MAT_C_SPARSE)
    st = gl_error(GL_EFORMAT, "%s: variable '%s' is not a sparse matrix", path,
                  name);
  else if (v->rank != 2 || v->isComplex)
    st = gl_error(GL_EFORMAT,
                  "%s: variable '%s' must be a real 2-D sparse matrix", path,
                  name);
  /* matio keeps a sparse matrix's nzmax in nbytes; each non-zero needs at
   * least a 4-byte row index and each column a 4-byte pointer */
  else if (v->nbytes > bytes / 4 || v->dims[1] > bytes / 4)
    st = gl_error(GL_EFORMAT,
                  "%s: variable '%s' declares %zu non-zeros in %zu columns, "
                  "more than the file's %zu bytes can hold",
                  path, name, v->nbytes, v->dims[1], bytes);
  Mat_VarFree(v);
  GL_TRY(st);
  mat_msg[0] = 0;
  if (!(v = Mat_VarRead(mat, name)))
    return gl_error(GL_EFORMAT, "%s: cannot read variable '%s'%s%s", path, name,
                    mat_msg[0] ? ": " : "", mat_msg);
  mat_sparse_t *s = v->data;
  if (v->class_type != MAT_C_SPARSE || !s || v->rank != 2 || v->isComplex) {
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
  /* every column pointer, not only the first and the last: one above
   * jc[cols] would make the loop below write past the COO arrays */
  for (int64_t j = 0; j < m->cols; j++)
    if (s->jc[j + 1] < s->jc[j] || s->jc[j + 1] > (mat_uint32_t)nnz) {
      st = gl_error(GL_EFORMAT,
                    "%s: variable '%s': column pointer %lld (%lld) is below "
                    "the one before or above the %lld non-zeros",
                    path, name, (long long)j + 1, (long long)s->jc[j + 1],
                    (long long)nnz);
      goto done;
    }
  int64_t rows = m->rows, cols = m->cols;
  if ((st = gl_coo_alloc(m, (size_t)nnz, true))) goto done;
  m->rows = rows;
  m->cols = cols;
  for (int64_t j = 0; j < m->cols && st == GL_OK; j++) {
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

static gl_status mat_dataset(gl_dataset *d, mat_t *mat, const char *path,
                             size_t bytes) {
  gl_coo a, g;
  GL_TRY(read_sparse(mat, path, "network", bytes, &a));
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
  GL_TRY(read_sparse(mat, path, "group", bytes, &g));
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

/* ------------------------------------------------------------ v5 checks */
/* libmatio allocates what a file's tags declare before it reads the data
 * they announce (an `ir` of 4 GB from a 1 KB file), and reads a truncated
 * compressed variable without complaint (the missing part comes back as
 * zeros).  So the data elements of a v5 file are walked first, compressed
 * ones inflated: every tag must fit the element that holds it, and every
 * array may declare no more elements than its bytes can hold; then what
 * matio allocates stays within a small multiple of the (inflated) file. */
#define MI_INT8 1
#define MI_INT32 5
#define MI_UINT32 6
#define MI_MATRIX 14
#define MI_COMPRESSED 15

typedef struct {
  const uint8_t *b;
  size_t n; /* bytes of the element's data */
  bool swap;
} v5_buf;

static uint32_t v5_u32(const v5_buf *e, size_t pos) {
  uint32_t v;
  memcpy(&v, e->b + pos, 4);
  return e->swap ? __builtin_bswap32(v) : v;
}

/* The data element at `*pos` of e: its type, the offset and length of its
 * data; *pos moves past it (and its padding).  Small elements (the length
 * in the upper half of the type word) included.  NULL if it fits, else
 * what is wrong. */
static const char *v5_next(const v5_buf *e, size_t *pos, uint32_t *type,
                           size_t *off, size_t *len) {
  if (e->n - *pos < 8) return "a data element's tag is cut short";
  uint32_t t = v5_u32(e, *pos);
  if (t >> 16) { /* small data element: at most 4 bytes in the tag */
    *type = t & 0xFFFF;
    *len = t >> 16;
    *off = *pos + 4;
    *pos += 8;
    return *len > 4 ? "a small data element declares more than 4 bytes" : NULL;
  }
  *type = t;
  *len = v5_u32(e, *pos + 4);
  *off = *pos + 8;
  if (*len > e->n - *off)
    return "a data element declares more bytes than remain";
  size_t padded = *type == MI_COMPRESSED ? *len : (*len + 7) / 8 * 8;
  *pos = *off + (padded < e->n - *off ? padded : e->n - *off);
  return NULL;
}

static const char *v5_matrix(const v5_buf *e, int depth);

/* The elements of a cell or a struct from `pos` on: each a matrix. */
static const char *v5_children(const v5_buf *e, size_t pos, int depth) {
  while (pos < e->n) {
    uint32_t type;
    size_t off, len;
    const char *why = v5_next(e, &pos, &type, &off, &len);
    if (why) return why;
    if (type != MI_MATRIX) return "a cell or field is not a matrix";
    v5_buf c = {e->b + off, len, e->swap};
    if ((why = v5_matrix(&c, depth + 1))) return why;
  }
  return NULL;
}

/* The data of a miMATRIX element: array flags, dimensions, name, then by
 * class. */
static const char *v5_matrix(const v5_buf *e, int depth) {
  if (e->n == 0) return NULL; /* an empty matrix */
  if (depth > 16) return "matrices nested too deep";
  size_t pos = 0, off, len;
  uint32_t type;
  const char *why = v5_next(e, &pos, &type, &off, &len);
  if (why || type != MI_UINT32 || len != 8)
    return why ? why : "the array flags are missing";
  uint32_t cls = v5_u32(e, off) & 0xFF, nzmax = v5_u32(e, off + 4);
  if ((why = v5_next(e, &pos, &type, &off, &len))) return why;
  if (type != MI_INT32 || len < 8 || len % 4)
    return "the dimensions are missing";
  /* the number of elements, saturated at the bytes of the element + 1 */
  uint64_t count = 1;
  for (size_t k = 0; k < len; k += 4) {
    uint64_t d = v5_u32(e, off + k);
    count = d && count > (e->n + 1) / d ? e->n + 1 : count * d;
  }
  if ((why = v5_next(e, &pos, &type, &off, &len))) return why;
  if (type != MI_INT8) return "the array name is missing";
  switch (cls) {
    case 1: /* cell: each element a matrix with its 8-byte tag */
      if (count > e->n / 8) return "a cell array declares more cells than fit";
      return v5_children(e, pos, depth);
    case 3: /* object: its class name, then as a struct */
      if ((why = v5_next(e, &pos, &type, &off, &len))) return why;
      /* fall through */
    case 2: { /* struct: field name length, names, the fields' matrices */
      if ((why = v5_next(e, &pos, &type, &off, &len))) return why;
      if (type != MI_INT32 || len != 4)
        return "the field name length is missing";
      uint32_t name_len = v5_u32(e, off);
      if ((why = v5_next(e, &pos, &type, &off, &len))) return why;
      if (name_len == 0 || type != MI_INT8 || len % name_len)
        return "the field names are malformed";
      if (len / name_len && count > e->n / 8 / (len / name_len))
        return "a struct array declares more fields than fit";
      return v5_children(e, pos, depth);
    }
    default:
      break;
  }
  /* char (4), sparse (5: ir, jc, the real and imaginary data) and numeric
   * (6 to 15) arrays: at least one byte a (non-zero) element */
  if (cls < 4 || cls > 15) return "an array of an unsupported class";
  if (cls == 5 ? nzmax > e->n : count > e->n)
    return "an array declares more elements than its bytes can hold";
  while (pos < e->n)
    if ((why = v5_next(e, &pos, &type, &off, &len))) return why;
  return NULL;
}

/* Inflates a miCOMPRESSED element (zlib) into *out (free it). */
static gl_status v5_inflate(const char *path, size_t at, const uint8_t *in,
                            size_t size, uint8_t **out, size_t *out_size) {
  size_t cap = 4 * size + 64, len = 0;
  uint8_t *buf = gl_malloc(cap, 1);
  if (!buf) return GL_ENOMEM;
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit(&z) != Z_OK) {
    free(buf);
    return gl_error(GL_ENOMEM, "%s: cannot start zlib", path);
  }
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)size;
  int r = Z_OK;
  while (r == Z_OK) {
    if (len == cap) {
      uint8_t *nb = gl_realloc(buf, 2 * cap, 1);
      if (!nb) {
        r = Z_MEM_ERROR;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    z.next_out = buf + len;
    z.avail_out = (uInt)(cap - len < (1u << 30) ? cap - len : (1u << 30));
    uInt room = z.avail_out;
    r = inflate(&z, Z_NO_FLUSH);
    len += room - z.avail_out;
    if (r == Z_BUF_ERROR && z.avail_out == 0) r = Z_OK; /* grow */
  }
  inflateEnd(&z);
  if (r != Z_STREAM_END) {
    free(buf);
    return r == Z_MEM_ERROR ? GL_ENOMEM
                            : gl_error(GL_EFORMAT,
                                       "%s: the compressed variable at byte "
                                       "%zu is corrupt or cut short",
                                       path, at);
  }
  *out = buf;
  *out_size = len;
  return GL_OK;
}

/* Walks the top-level elements of a v5 file: whatever its header's text,
 * matio reads a file of version 0x0100 as v5 (size >= 128).  *bytes
 * receives the size of its variables once inflated. */
static gl_status check_v5(const char *path, const char *buf, size_t size,
                          bool swap, size_t *bytes) {
  *bytes = size;
  v5_buf f = {(const uint8_t *)buf, size, swap};
  size_t pos = 128;
  while (pos < size) {
    size_t at = pos, off, len;
    uint32_t type;
    const char *why = v5_next(&f, &pos, &type, &off, &len);
    if (why)
      return gl_error(GL_EFORMAT,
                      "%s: truncated .mat file (the element at byte %zu: %s; "
                      "%zu bytes remain)",
                      path, at, why, size - at);
    if (type == MI_MATRIX) {
      v5_buf m = {f.b + off, len, f.swap};
      why = v5_matrix(&m, 0);
    } else if (type == MI_COMPRESSED) {
      uint8_t *z = NULL;
      size_t zn = 0, zpos = 0, zoff, zlen;
      GL_TRY(v5_inflate(path, at, f.b + off, len, &z, &zn));
      v5_buf c = {z, zn, f.swap};
      why = v5_next(&c, &zpos, &type, &zoff, &zlen);
      if (!why && type != MI_MATRIX) why = "it holds no matrix";
      if (!why) {
        v5_buf m = {z + zoff, zlen, f.swap};
        why = v5_matrix(&m, 0);
      }
      free(z);
      *bytes += zn;
    } else {
      why = "an unexpected data element type";
    }
    if (why)
      return gl_error(GL_EFORMAT, "%s: malformed variable at byte %zu: %s",
                      path, at, why);
  }
  return GL_OK;
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
  /* matio reads version 4 files too, but their header alone makes it
   * allocate what it declares: v5 (checked here) and v7.3 (HDF5) only */
  size_t bytes = 0;
  uint16_t ver = 0;
  bool swap = size >= 128 && !memcmp(buf + 126, "MI", 2);
  if (size >= 128 && (swap || !memcmp(buf + 126, "IM", 2))) {
    memcpy(&ver, buf + 124, 2);
    if (swap) ver = __builtin_bswap16(ver);
  }
  if (ver == 0x0100)
    st = check_v5(path, buf, size, swap, &bytes);
  else if (ver == 0x0200) /* HDF5 compresses with zlib: 1032 to 1 at most */
    bytes = size < SIZE_MAX / 1032 ? 1032 * size : SIZE_MAX;
  else
    st = gl_error(GL_EFORMAT, "%s: not a MATLAB .mat file (version 5 or 7.3)",
                  path);
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
  st = mat_dataset(d, mat, path, bytes);
  Mat_Close(mat);
  if (fd >= 0) close(fd);
  return gl_dataset_finish(d, st, path);
}
