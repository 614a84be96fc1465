/* The GMNN / GraphMix text format (planetoid/): net.txt, feature.txt,
 * label.txt and the train/dev/test id lists.  Node ids are used as they are;
 * n = 1 + the largest id of net.txt and feature.txt, and label and split
 * ids must lie in [0, n). */
#include <stdlib.h>
#include <string.h>

#include "datasets/internal.h"

typedef struct {
  gl_coo e;     /* the non-zero entries */
  gl_idx *node; /* node id of each feature line ... */
  long *line;   /* ... and its line number */
  gl_idx lines;
  int64_t max_node, max_feat;
  long max_node_line, max_feat_line;
  long records;
} feat_buf;

static void feat_free(feat_buf *f) {
  gl_coo_free(&f->e);
  free(f->node);
  free(f->line);
  memset(f, 0, sizeof *f);
}

/* feature.txt: "node<TAB>j:x j:x ..." */
static gl_status read_features(feat_buf *f, const char *path) {
  memset(f, 0, sizeof *f);
  f->max_node = f->max_feat = -1;
  char *buf;
  size_t lines;
  gl_scan s;
  GL_TRY(gl_scan_open(&s, path, &buf, &lines));
  gl_coo *m = &f->e;
  gl_status st = gl_coo_alloc(m, gl_count_char(buf, (size_t)(s.end - buf), ':'),
                              true);
  f->node = gl_malloc(lines, sizeof *f->node);
  f->line = gl_malloc(lines, sizeof *f->line);
  if (st != GL_OK || !f->node || !f->line) {
    st = GL_ENOMEM;
    goto done;
  }
  while (gl_scan_line(&s)) {
    int64_t u, j;
    if ((st = gl_scan_int(&s, "node id", GL_MAX_ID, 0, &u))) goto done;
    if (u > f->max_node) {
      f->max_node = u;
      f->max_node_line = s.line;
    }
    f->node[f->lines] = (gl_idx)u;
    f->line[f->lines++] = s.line;
    while (gl_scan_more(&s)) {
      const char *tok = s.cur;
      if ((st = gl_scan_int(&s, "feature index", GL_MAX_ID, ':', &j)))
        goto done;
      if (s.cur >= s.eol || *s.cur != ':') {
        s.cur = tok;
        st = gl_scan_err(&s, "feature entry '%.*s' is not index:value",
                         gl_scan_toklen(&s), tok);
        goto done;
      }
      s.cur++;
      float x;
      if ((st = gl_scan_float(&s, "feature value", &x))) goto done;
      if (j > f->max_feat) {
        f->max_feat = j;
        f->max_feat_line = s.line;
      }
      if (x == 0.0f) continue;
      m->r[m->nnz] = (gl_idx)u;
      m->c[m->nnz] = (gl_idx)j;
      m->v[m->nnz++] = x;
    }
  }
  f->records = s.records;
  if (f->lines == 0)
    st = gl_error(GL_EFORMAT, "%s: no feature lines", path);
  else if (f->max_feat >= 0)
    st = gl_check_id_bound(path, f->max_feat_line, f->max_feat,
                           m->nnz + f->records, "feature index");
done:
  free(buf);
  if (st != GL_OK) feat_free(f);
  return st;
}

/* Builds x (n x (max index + 1)), rejecting nodes with two feature lines,
 * and normalises the rows to sum 1. */
static gl_status build_features(gl_csr *x, const feat_buf *f, gl_idx n,
                                const char *path) {
  long *seen = gl_calloc((size_t)n, sizeof *seen);
  if (!seen) return GL_ENOMEM;
  for (gl_idx i = 0; i < f->lines; i++) {
    gl_idx u = f->node[i];
    if (seen[u]) {
      gl_status st =
          gl_error(GL_EFORMAT, "%s:%ld: node %d already has a feature line "
                               "(line %ld)",
                   path, f->line[i], (int)u, seen[u]);
      free(seen);
      return st;
    }
    seen[u] = f->line[i];
  }
  free(seen);
  gl_idx m = (gl_idx)(f->max_feat + 1);
  GL_TRY(gl_csr_from_coo(x, n, m, f->e.nnz, f->e.r, f->e.c, f->e.v));
  return gl_csr_row_norm_inplace(x);
}

/* label.txt: "node<TAB>label".  Integer labels are class ids as they are;
 * if no label is an integer, classes are numbered by first appearance
 * (the reference loader's rule); a mix is an error. */
static gl_status read_labels(gl_dataset *d, const char *path) {
  gl_idx n = d->adj.n;
  char *buf;
  size_t lines;
  gl_scan s;
  GL_TRY(gl_scan_open(&s, path, &buf, &lines));
  gl_status st = GL_OK;
  long *seen = gl_calloc((size_t)n, sizeof *seen);
  d->y = gl_malloc((size_t)n, sizeof *d->y);
  struct name {
    const char *s;
    int len;
  } *names = NULL;
  int n_names = 0, max_class = -1;
  if (!seen || !d->y) {
    st = GL_ENOMEM;
    goto done;
  }
  for (gl_idx i = 0; i < n; i++) d->y[i] = -1;
  /* pass 1: are the labels integers? */
  int mode = 0; /* 1 integers, 2 names */
  long first_line = 0;
  while (gl_scan_line(&s)) {
    int64_t u;
    if ((st = gl_scan_int(&s, "node id", GL_MAX_ID, 0, &u))) goto done;
    if (!gl_scan_more(&s)) {
      st = gl_scan_err(&s, "truncated line: expected a label");
      goto done;
    }
    int len = gl_scan_toklen(&s);
    const char *t = s.cur + (*s.cur == '-' || *s.cur == '+');
    bool is_int = t < s.cur + len;
    for (; t < s.cur + len; t++) is_int &= (unsigned)(*t - '0') < 10u;
    int m = is_int ? 1 : 2;
    if (!mode) {
      mode = m;
      first_line = s.line;
    } else if (m != mode) {
      st = gl_scan_err(&s,
                       "label '%.*s' %s an integer but the label on line %ld "
                       "%s",
                       len, s.cur, m == 1 ? "is" : "is not", first_line,
                       m == 1 ? "is not" : "is");
      goto done;
    }
  }
  if (!mode) {
    st = gl_error(GL_EFORMAT, "%s: no labels", path);
    goto done;
  }
  /* pass 2: assign */
  gl_scan_init(&s, path, buf, (size_t)(s.end - buf));
  while (gl_scan_line(&s)) {
    int64_t u, c = 0;
    if ((st = gl_scan_int(&s, "node id", GL_MAX_ID, 0, &u))) goto done;
    if (u >= n) {
      st = gl_scan_err(&s,
                       "node %lld is out of range (net.txt and feature.txt "
                       "hold nodes 0..%d)",
                       (long long)u, (int)n - 1);
      goto done;
    }
    if (mode == 1) {
      if ((st = gl_scan_int(&s, "label", GL_MAX_CLASSES - 1, 0, &c)))
        goto done;
    } else {
      gl_scan_more(&s);
      int len = gl_scan_toklen(&s);
      for (c = 0; c < n_names; c++)
        if (names[c].len == len && !memcmp(names[c].s, s.cur, (size_t)len))
          break;
      if (c == n_names) {
        if (n_names == GL_MAX_CLASSES) {
          st = gl_scan_err(&s, "more than %d distinct labels", GL_MAX_CLASSES);
          goto done;
        }
        if (!(n_names & (n_names - 1))) { /* grow at powers of two */
          void *nn = gl_realloc(names, n_names ? 2 * (size_t)n_names : 1,
                                sizeof *names);
          if (!nn) {
            st = GL_ENOMEM;
            goto done;
          }
          names = nn;
        }
        names[n_names].s = s.cur;
        names[n_names++].len = len;
      }
      s.cur += len;
    }
    if ((st = gl_scan_end(&s))) goto done;
    if (seen[u]) {
      st = gl_scan_err(&s, "node %lld already has a label (line %ld)",
                       (long long)u, seen[u]);
      goto done;
    }
    seen[u] = s.line;
    d->y[u] = (int32_t)c;
    if (c > max_class) max_class = (int)c;
  }
  d->n_classes = max_class + 1;
done:
  free(names);
  free(seen);
  free(buf);
  return st;
}

/* train.txt / dev.txt / test.txt: one labelled node id a line; a node may
 * belong to one split only (owner[] remembers which). */
static gl_status read_split(const char *path, const gl_dataset *d,
                            char *owner, int which,
                            const char *const *files, gl_idx **ids,
                            gl_idx *count) {
  char *buf;
  size_t lines;
  gl_scan s;
  GL_TRY(gl_scan_open(&s, path, &buf, &lines));
  gl_status st = GL_OK;
  gl_idx k = 0;
  *ids = gl_malloc(lines, sizeof **ids);
  if (!*ids) {
    st = GL_ENOMEM;
    goto done;
  }
  while (gl_scan_line(&s)) {
    int64_t u;
    if ((st = gl_scan_int(&s, "node id", GL_MAX_ID, 0, &u)) ||
        (st = gl_scan_end(&s)))
      goto done;
    if (u >= d->adj.n) {
      st = gl_scan_err(&s,
                       "node %lld is out of range (net.txt and feature.txt "
                       "hold nodes 0..%d)",
                       (long long)u, (int)d->adj.n - 1);
      goto done;
    }
    if (d->y[u] < 0) {
      st = gl_scan_err(&s, "node %lld has no label in label.txt",
                       (long long)u);
      goto done;
    }
    if (owner[u]) {
      st = gl_scan_err(&s, "node %lld is already listed in %s", (long long)u,
                       files[owner[u] - 1]);
      goto done;
    }
    owner[u] = (char)(which + 1);
    (*ids)[k++] = (gl_idx)u;
  }
  if (k == 0) st = gl_error(GL_EFORMAT, "%s: no node ids", path);
done:
  free(buf);
  if (st != GL_OK) {
    free(*ids);
    *ids = NULL;
  }
  *count = k;
  return st;
}

static gl_status gmnn_load(gl_dataset *d, const char *dir) {
  size_t plen = strlen(dir) + 16;
  char *path = gl_malloc(plen, 1);
  if (!path) return GL_ENOMEM;
#define GMNN_PATH(f) (snprintf(path, plen, "%s/%s", dir, f), path)
  gl_edges e;
  feat_buf f;
  char *owner = NULL;
  gl_status st = gl_edges_read(&e, GMNN_PATH("net.txt"));
  if (st != GL_OK) {
    free(path);
    return st;
  }
  if ((st = read_features(&f, GMNN_PATH("feature.txt")))) {
    gl_edges_free(&e);
    free(path);
    return st;
  }
  int64_t n = (e.max_id > f.max_node ? e.max_id : f.max_node) + 1;
  if ((st = gl_check_id_bound(GMNN_PATH("feature.txt"), f.max_node_line,
                              f.max_node, e.records + f.records, "node id")))
    goto done;
  if ((st = gl_edges_build(&d->adj, (gl_idx)n, &e, false))) goto done;
  if ((st = build_features(&d->x, &f, (gl_idx)n, GMNN_PATH("feature.txt"))))
    goto done;
  if ((st = read_labels(d, GMNN_PATH("label.txt")))) goto done;
  static const char *const files[3] = {"train.txt", "dev.txt", "test.txt"};
  owner = gl_calloc((size_t)n, 1);
  if (!owner) {
    st = GL_ENOMEM;
    goto done;
  }
  gl_idx **ids[3] = {&d->train, &d->val, &d->test};
  gl_idx *cnt[3] = {&d->n_train, &d->n_val, &d->n_test};
  for (int i = 0; i < 3 && st == GL_OK; i++)
    st = read_split(GMNN_PATH(files[i]), d, owner, i, files, ids[i], cnt[i]);
#undef GMNN_PATH
done:
  free(owner);
  feat_free(&f);
  gl_edges_free(&e);
  free(path);
  return st;
}

gl_status gl_load_gmnn(gl_dataset *d, const char *dir) {
  memset(d, 0, sizeof *d);
  if (!gl_dir_exists(dir))
    return gl_error(GL_EIO, "%s: no such folder (expected a GMNN dataset "
                            "folder with net.txt, feature.txt, label.txt, "
                            "train.txt, dev.txt, test.txt)",
                    dir);
  return gl_dataset_finish(d, gmnn_load(d, dir), dir);
}
