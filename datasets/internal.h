/* Private helpers of datasets/: a line scanner for the text formats, edge
 * lists shared by the GMNN and edge-list loaders, raw zip writing (also used
 * by the tests to build malformed archives) and small dataset utilities. */
#ifndef GL_DATASETS_INTERNAL_H
#define GL_DATASETS_INTERNAL_H

#include "datasets/datasets.h"

/* Largest node id or feature index any loader accepts; on top of it, ids
 * must stay below gl_id_bound(records) so that a stray huge id in a small
 * file gives an error instead of a multi-gigabyte allocation. */
#define GL_MAX_ID ((int64_t)INT32_MAX - 1)
#define GL_MAX_CLASSES 65536
static inline int64_t gl_id_bound(int64_t records) {
  int64_t b = 16 * records + ((int64_t)1 << 22);
  return b < GL_MAX_ID ? b : GL_MAX_ID;
}

/* qsort's comparison of node ids, ascending. */
int gl_idx_cmp(const void *a, const void *b);

/* ------------------------------------------------------------ files */
/* Whether buf starts with gzip's magic bytes. */
bool gl_is_gzip(const void *buf, size_t size);
/* Inflates gzip data (one or more members) into *out (NUL-terminated,
 * free it); GL_EFORMAT naming `path` when it is corrupt or truncated. */
gl_status gl_gunzip(const char *path, const void *in, size_t size, char **out,
                    size_t *out_size);
/* Whether a data file exists as `path` or as `path`.gz. */
bool gl_data_file_exists(const char *path);
/* Reads a data file whole (NUL-terminated): `path`, or `path`.gz when only
 * that exists; gzip content (by its magic bytes) is inflated. */
gl_status gl_data_read(const char *path, char **buf, size_t *size);

/* ------------------------------------------------------------ text scanner */
/* Walks a text buffer line by line, skipping blank lines and '#' comments.
 * Fields are separated by spaces, tabs or commas; a trailing '\r' is ignored.
 * Errors name "path:line". */
typedef struct {
  const char *path;
  const char *p, *end;   /* rest of the buffer */
  const char *cur, *eol; /* the current line, cur advancing over its fields */
  long line, next_line;
  long records; /* lines returned so far */
} gl_scan;

void gl_scan_init(gl_scan *s, const char *path, const char *buf, size_t size);
/* Reads a whole text file (gl_read_text) into *buf (free it) and starts a
 * scanner on it; *lines receives an upper bound of its number of lines. */
gl_status gl_scan_open(gl_scan *s, const char *path, char **buf,
                       size_t *lines);
bool gl_scan_line(gl_scan *s);
/* Skips separators; true if a field follows on this line. */
bool gl_scan_more(gl_scan *s);
/* Parses an integer field in [0, hi]; `stop` (or 0) is an extra character
 * that may end it (':' in "index:value"). */
gl_status gl_scan_int(gl_scan *s, const char *what, int64_t hi, char stop,
                      int64_t *out);
gl_status gl_scan_float(gl_scan *s, const char *what, float *out);
/* Fails if anything but separators is left on the line. */
gl_status gl_scan_end(gl_scan *s);
/* Records "path:line: message" as GL_EFORMAT. */
gl_status gl_scan_err(const gl_scan *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Length of the field at the cursor (for messages), at most 40. */
int gl_scan_toklen(const gl_scan *s);
/* Number of occurrences of `c` in buf[0..size). */
size_t gl_count_char(const char *buf, size_t size, char c);
/* Reads a whole text file; an empty one is GL_EFORMAT "<path>: empty file". */
gl_status gl_read_text(const char *path, char **buf, size_t *size);

/* ------------------------------------------------------------ COO */
/* Entries (r[k], c[k], v[k]) of a rows x cols matrix on their way to CSR. */
typedef struct {
  gl_idx *r, *c;
  float *v; /* NULL when only the pattern is kept */
  gl_off nnz;
  int64_t rows, cols;
  bool weighted; /* some value differs from 1 */
} gl_coo;
/* Room for `cap` entries (zeroed struct first); values when `values`. */
gl_status gl_coo_alloc(gl_coo *m, size_t cap, bool values);
void gl_coo_free(gl_coo *m);

/* ------------------------------------------------------------ edge lists */
typedef struct {
  gl_coo e;       /* edge (r, c) with weight v; e.weighted as above */
  int64_t max_id; /* -1 when empty */
  long max_line;  /* line of max_id */
  long records;
} gl_edges;
/* Parses "u v [w]" lines (weights finite and > 0). */
gl_status gl_edges_read(gl_edges *e, const char *path);
void gl_edges_free(gl_edges *e);
/* n x n adjacency without self loops: symmetrised unless `directed`,
 * duplicates merged (first weight kept), val NULL unless e->weighted. */
gl_status gl_edges_build(gl_csr *adj, gl_idx n, const gl_edges *e,
                         bool directed);
/* Checks a largest id against gl_id_bound(records). */
gl_status gl_check_id_bound(const char *path, long line, int64_t max_id,
                            int64_t records, const char *what);

/* ------------------------------------------------------------ zip / npy */
typedef struct {
  const char *name; /* full member name, e.g. "labels.npy" */
  const void *data;
  size_t size;
} gl_zip_member;
/* Writes a zip archive (stored, or raw-deflated when `deflate`), atomically. */
gl_status gl_zip_write(const char *path, const gl_zip_member *m, int n,
                       bool deflate);
/* Builds a .npy header around the dict text `dict` ("{'descr': ...}"):
 * magic, version (1, 2 or 3), length, the dict, space padding to a multiple
 * of 64 and '\n'.  Returns the header length, 0 if it does not fit `cap`. */
size_t gl_npy_header(char *buf, size_t cap, int version, const char *dict);
/* Checks an array for writing and builds its v1 header into buf[256];
 * *dsize receives the size of its data in bytes. */
gl_status gl_npy_make_header(const gl_array *a, char *buf, size_t *hlen,
                             size_t *dsize);

/* ------------------------------------------------------------ datasets */
/* Number of classes from labels in [-1, ...): max + 1 (0 if none). */
int gl_labels_nclasses(const int32_t *y, gl_idx n);
/* Dense row-major n x d features to CSR (exact zeros dropped). */
gl_status gl_dense_to_csr(gl_csr *x, const float *dense, gl_idx n, int d);
/* Ends a loader: on failure frees d and returns st; on success names the
 * dataset after `path`. */
gl_status gl_dataset_finish(gl_dataset *d, gl_status st, const char *path);
/* Copies `src` into the name field (truncating). */
void gl_dataset_set_name(gl_dataset *d, const char *src);
/* Names a dataset after a path: the last component without trailing
 * slashes and without a .npz / .mat / .txt / .edges extension. */
void gl_dataset_name_from_path(gl_dataset *d, const char *path);
/* The registry's own split policy: split_per_class(20, 30) when the dataset
 * has single labels and no split, and every class is large enough or
 * (`strict`: an npz file) among Shchur et al.'s split_nodes. */
gl_status gl_dataset_default_split(gl_dataset *d, uint64_t seed, bool strict);

#endif
