/* Partitions for distributed training: a dataset cut by METIS into parts,
 * each written as an npz of its own (its rows of the graph with their halo,
 * features, labels, split and id maps) beside a partition book in JSON;
 * reading one part, or all of them back into the whole dataset. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/internal.h"

#define PART_VERSION 1
/* meta: the part's counts and settings, in this order */
enum {
  M_VERSION, M_PARTS, M_PART, M_GLOBAL, M_OWN, M_HALO, M_FEATURES, M_CLASSES,
  M_MULTILABEL, M_WEIGHTED, M_TRAIN_ALL, M_VAL_ALL, M_TEST_ALL, M_KEY,
  M_HOPS, M_COUNT
};

void gl_part_free(gl_part *p) {
  if (!p) return;
  free(p->starts);
  free(p->orig);
  free(p->gid);
  free(p->owner);
  free(p->deg);
  free(p->train_pos);
  free(p->val_pos);
  free(p->test_pos);
  gl_dataset_free(&p->d);
  memset(p, 0, sizeof *p);
}

bool gl_partition_is_dir(const char *dir) {
  if (!gl_dir_exists(dir)) return false;
  char *p = gl_malloc(strlen(dir) + 32, 1);
  if (!p) return false;
  sprintf(p, "%s/partition.json", dir);
  bool ok = gl_file_exists(p);
  free(p);
  return ok;
}

/* ------------------------------------------------------------ checksum */
typedef struct {
  EVP_MD_CTX *ctx;
  bool ok;
} hasher;

static void hash_bytes(hasher *h, const void *p, size_t n) {
  if (h->ok && n > 0) h->ok = EVP_DigestUpdate(h->ctx, p, n) == 1;
}

static void hash_csr(hasher *h, const gl_csr *a) {
  int64_t dims[3] = {a->n, a->m, a->nnz};
  hash_bytes(h, dims, sizeof dims);
  if (!a->ptr) return;
  hash_bytes(h, a->ptr, ((size_t)a->n + 1) * sizeof *a->ptr);
  hash_bytes(h, a->col, (size_t)a->nnz * sizeof *a->col);
  if (a->val) hash_bytes(h, a->val, (size_t)a->nnz * sizeof *a->val);
}

gl_status gl_dataset_sha256(const gl_dataset *d, char hex[65]) {
  hasher h = {EVP_MD_CTX_new(), true};
  h.ok = h.ctx && EVP_DigestInit_ex(h.ctx, EVP_sha256(), NULL) == 1;
  hash_csr(&h, &d->adj);
  hash_csr(&h, &d->x);
  int64_t c[5] = {d->n_classes, d->multilabel, d->n_train, d->n_val,
                  d->n_test};
  hash_bytes(&h, c, sizeof c);
  if (d->y) hash_bytes(&h, d->y, (size_t)d->adj.n * sizeof *d->y);
  if (d->multilabel) hash_csr(&h, &d->ymulti);
  hash_bytes(&h, d->train, (size_t)d->n_train * sizeof *d->train);
  hash_bytes(&h, d->val, (size_t)d->n_val * sizeof *d->val);
  hash_bytes(&h, d->test, (size_t)d->n_test * sizeof *d->test);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  h.ok = h.ok && EVP_DigestFinal_ex(h.ctx, md, &len) == 1 && len == 32;
  EVP_MD_CTX_free(h.ctx);
  if (!h.ok)
    return gl_error(GL_EINTERNAL, "gl_dataset_sha256: SHA-256 failed "
                                  "(OpenSSL)");
  for (unsigned i = 0; i < len; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return GL_OK;
}

/* ------------------------------------------------------------ writing */
/* The arrays of one part's file, built from the whole dataset. */
typedef struct {
  gl_idx *ids;            /* original ids: n_own own, then n_halo halo (in
                             global id order) */
  gl_idx n_own, n_halo;
  gl_csr adj, x, ymulti;  /* local adjacency rows, features, labels */
  gl_idx *gid, *owner, *y;
  double *deg;
  gl_idx *split[3], *pos[3], n_split[3];
} part_arrays;

static void part_arrays_free(part_arrays *a) {
  gl_csr_free(&a->adj);
  gl_csr_free(&a->x);
  gl_csr_free(&a->ymulti);
  free(a->ids);
  free(a->gid);
  free(a->owner);
  free(a->y);
  free(a->deg);
  for (int s = 0; s < 3; s++) {
    free(a->split[s]);
    free(a->pos[s]);
  }
  memset(a, 0, sizeof *a);
}

typedef struct {
  gl_idx c;
  float v;
} entry;

static int entry_cmp(const void *x, const void *y) {
  gl_idx a = ((const entry *)x)->c, b = ((const entry *)y)->c;
  return (a > b) - (a < b);
}

static int gid_cmp_ctx(const void *x, const void *y, void *ctx) {
  const gl_idx *gid = ctx;
  gl_idx a = gid[*(const gl_idx *)x], b = gid[*(const gl_idx *)y];
  return (a > b) - (a < b);
}

/* Part p's arrays.  local[] (n entries, all -1) is the scratch map from
 * original to local ids, left all -1 again. */
static gl_status part_build(const gl_dataset *d, const gl_idx *part,
                            const gl_idx *gid, const double *deg, int p,
                            gl_idx *local, part_arrays *a) {
  memset(a, 0, sizeof *a);
  const gl_csr *g = &d->adj;
  const gl_idx n = g->n;
  gl_status st = GL_OK;
  gl_idx n_own = 0;
  for (gl_idx v = 0; v < n; v++) n_own += part[v] == p;
  gl_idx cap = n_own + 1024;
  a->ids = gl_malloc((size_t)cap, sizeof *a->ids);
  if (!a->ids) return GL_ENOMEM;
  for (gl_idx v = 0; v < n; v++)
    if (part[v] == p) local[v] = a->n_own, a->ids[a->n_own++] = v;
  /* then the halo: neighbours owned elsewhere, each once, by global id */
  for (gl_idx i = 0; i < n_own; i++) {
    gl_idx v = a->ids[i];
    for (gl_off e = g->ptr[v]; e < g->ptr[v + 1]; e++) {
      gl_idx u = g->col[e];
      if (local[u] >= 0) continue;
      if (n_own + a->n_halo == cap) {
        cap = cap < n / 2 ? 2 * cap : n;
        gl_idx *h = gl_realloc(a->ids, (size_t)cap, sizeof *h);
        if (!h) {
          st = GL_ENOMEM;
          goto done;
        }
        a->ids = h;
      }
      local[u] = n_own + a->n_halo; /* marks it; renumbered below */
      a->ids[n_own + a->n_halo++] = u;
    }
  }
  gl_idx *halo = a->ids + n_own;
  if (a->n_halo > 0)
    qsort_r(halo, (size_t)a->n_halo, sizeof *halo, gid_cmp_ctx, (void *)gid);
  const gl_idx nl = n_own + a->n_halo;
  for (gl_idx j = 0; j < a->n_halo; j++) local[halo[j]] = n_own + j;
  a->gid = gl_malloc((size_t)nl + 1, sizeof *a->gid);
  a->owner = gl_malloc((size_t)a->n_halo + 1, sizeof *a->owner);
  a->deg = gl_malloc((size_t)nl + 1, sizeof *a->deg);
  if (!a->gid || !a->owner || !a->deg) {
    st = GL_ENOMEM;
    goto done;
  }
  for (gl_idx i = 0; i < nl; i++) {
    a->gid[i] = gid[a->ids[i]];
    a->deg[i] = deg[a->ids[i]];
  }
  for (gl_idx j = 0; j < a->n_halo; j++) a->owner[j] = part[halo[j]];
  /* the own rows in local columns, sorted */
  gl_off nnz = 0;
  for (gl_idx i = 0; i < n_own; i++)
    nnz += g->ptr[a->ids[i] + 1] - g->ptr[a->ids[i]];
  if ((st = gl_csr_alloc(&a->adj, n_own, nl, nnz, g->val != NULL)) != GL_OK)
    goto done;
  entry *row = NULL;
  gl_idx row_cap = 0;
  for (gl_idx i = 0; i < n_own && st == GL_OK; i++) {
    gl_idx v = a->ids[i];
    gl_off b = g->ptr[v], len = g->ptr[v + 1] - b;
    if (len > row_cap) {
      entry *r = gl_realloc(row, (size_t)len, sizeof *r);
      if (!r) {
        st = GL_ENOMEM;
        break;
      }
      row = r;
      row_cap = (gl_idx)len;
    }
    for (gl_off e = 0; e < len; e++)
      row[e] = (entry){local[g->col[b + e]], gl_csr_w(g, b + e)};
    if (len > 1) qsort(row, (size_t)len, sizeof *row, entry_cmp);
    gl_off o = a->adj.ptr[i];
    a->adj.ptr[i + 1] = o + len;
    for (gl_off e = 0; e < len; e++) {
      a->adj.col[o + e] = row[e].c;
      if (a->adj.val) a->adj.val[o + e] = row[e].v;
    }
  }
  free(row);
  if (st != GL_OK) goto done;
  if (d->x.n > 0 && (st = gl_csr_select_rows(&a->x, &d->x, a->ids, n_own)))
    goto done;
  if (d->multilabel) {
    if ((st = gl_csr_select_rows(&a->ymulti, &d->ymulti, a->ids, n_own)))
      goto done;
  } else if (d->y) {
    if (!(a->y = gl_malloc((size_t)n_own + 1, sizeof *a->y))) {
      st = GL_ENOMEM;
      goto done;
    }
    for (gl_idx i = 0; i < n_own; i++) a->y[i] = d->y[a->ids[i]];
  }
  const gl_idx *lists[3] = {d->train, d->val, d->test};
  const gl_idx counts[3] = {d->n_train, d->n_val, d->n_test};
  for (int s = 0; s < 3; s++) {
    a->split[s] = gl_malloc((size_t)counts[s] + 1, sizeof *a->split[s]);
    a->pos[s] = gl_malloc((size_t)counts[s] + 1, sizeof *a->pos[s]);
    if (!a->split[s] || !a->pos[s]) {
      st = GL_ENOMEM;
      goto done;
    }
    for (gl_idx k = 0; k < counts[s]; k++) {
      gl_idx v = lists[s][k];
      if (part[v] != p) continue;
      a->split[s][a->n_split[s]] = local[v];
      a->pos[s][a->n_split[s]++] = k;
    }
  }
done:
  for (gl_idx i = 0; a->ids && i < a->n_own + a->n_halo; i++)
    local[a->ids[i]] = -1;
  if (st != GL_OK) part_arrays_free(a);
  return st;
}

/* The members of a CSR matrix: NAME_indptr, NAME_indices, NAME_data (when
 * weighted), NAME_shape; shape[] (2 entries) must outlive the writing. */
static int csr_members(gl_array *z, const char *name, const gl_csr *m,
                       int64_t *shape) {
  char nm[96];
  int k = 0;
  shape[0] = m->n;
  shape[1] = m->m;
  snprintf(nm, sizeof nm, "%s_shape", name);
  z[k++] = gl_array_of(nm, GL_I64, 1, 2, shape);
  snprintf(nm, sizeof nm, "%s_indptr", name);
  z[k++] = gl_array_of(nm, GL_I64, 1, (int64_t)m->n + 1, m->ptr);
  snprintf(nm, sizeof nm, "%s_indices", name);
  z[k++] = gl_array_of(nm, GL_I32, 1, m->nnz, m->col);
  if (m->val) {
    snprintf(nm, sizeof nm, "%s_data", name);
    z[k++] = gl_array_of(nm, GL_F32, 1, m->nnz, m->val);
  }
  return k;
}

static gl_status part_write(const char *path, const gl_dataset *d,
                            const part_arrays *a, int parts, int p,
                            const gl_idx *starts, uint64_t key) {
  int64_t meta[M_COUNT] = {0};
  meta[M_VERSION] = PART_VERSION;
  meta[M_PARTS] = parts;
  meta[M_PART] = p;
  meta[M_GLOBAL] = d->adj.n;
  meta[M_OWN] = a->n_own;
  meta[M_HALO] = a->n_halo;
  meta[M_FEATURES] = d->x.n > 0 ? d->x.m : 0;
  meta[M_CLASSES] = d->n_classes;
  meta[M_MULTILABEL] = d->multilabel;
  meta[M_WEIGHTED] = d->adj.val != NULL;
  meta[M_TRAIN_ALL] = d->n_train;
  meta[M_VAL_ALL] = d->n_val;
  meta[M_TEST_ALL] = d->n_test;
  meta[M_KEY] = (int64_t)(key >> 1); /* non-negative */
  meta[M_HOPS] = 1;
  const gl_idx nl = a->n_own + a->n_halo;
  gl_array z[32];
  int64_t s_adj[2], s_x[2], s_y[2];
  int k = 0;
  z[k++] = gl_array_of("meta", GL_I64, 1, M_COUNT, meta);
  z[k++] = gl_array_of("name", GL_U8, 1, (int64_t)strlen(d->name),
                       (void *)d->name);
  z[k++] = gl_array_of("starts", GL_I32, 1, (int64_t)parts + 1,
                       (void *)starts);
  z[k++] = gl_array_of("orig", GL_I32, 1, nl, a->ids);
  z[k++] = gl_array_of("gid", GL_I32, 1, nl, a->gid);
  z[k++] = gl_array_of("owner", GL_I32, 1, a->n_halo, a->owner);
  z[k++] = gl_array_of("deg", GL_F64, 1, nl, a->deg);
  k += csr_members(z + k, "adj", &a->adj, s_adj);
  if (d->x.n > 0) k += csr_members(z + k, "x", &a->x, s_x);
  if (d->multilabel) k += csr_members(z + k, "ymulti", &a->ymulti, s_y);
  else if (a->y) z[k++] = gl_array_of("y", GL_I32, 1, a->n_own, a->y);
  static const char *names[3][2] = {{"train", "train_pos"},
                                    {"val", "val_pos"},
                                    {"test", "test_pos"}};
  for (int s = 0; s < 3; s++) {
    z[k++] =
        gl_array_of(names[s][0], GL_I32, 1, a->n_split[s], a->split[s]);
    z[k++] = gl_array_of(names[s][1], GL_I32, 1, a->n_split[s], a->pos[s]);
  }
  return gl_npz_write(path, z, k);
}

/* What the book says of each part. */
typedef struct {
  gl_idx own, halo;
  gl_off edges;
  gl_idx split[3];
} part_counts;

static void book_write(FILE *f, const gl_dataset *d, const char *source,
                       const gl_partition_opts *o, const gl_idx *starts,
                       const part_counts *pc, uint64_t key,
                       const gl_partition_stats *s) {
  gl_json j;
  gl_json_init(&j, f);
  gl_json_begin_object(&j, NULL);
  gl_json_string(&j, "format", "glearn-partition");
  gl_json_int(&j, "version", PART_VERSION);
  gl_json_string(&j, "dataset", d->name);
  gl_json_string(&j, "source", source);
  gl_json_string(&j, "source_sha256", s->sha256);
  char kh[24];
  snprintf(kh, sizeof kh, "%016llx", (unsigned long long)(key >> 1));
  gl_json_string(&j, "key", kh);
  gl_json_int(&j, "nodes", d->adj.n);
  gl_json_int(&j, "edges", (long long)(d->adj.nnz / 2));
  gl_json_int(&j, "features", d->x.n > 0 ? d->x.m : 0);
  gl_json_int(&j, "classes", d->n_classes);
  gl_json_bool(&j, "multilabel", d->multilabel);
  gl_json_int(&j, "train", d->n_train);
  gl_json_int(&j, "val", d->n_val);
  gl_json_int(&j, "test", d->n_test);
  gl_json_int(&j, "parts", o->parts);
  gl_json_begin_object(&j, "settings");
  gl_json_string(&j, "method", "metis-kway");
  gl_json_int(&j, "seed", (long long)o->seed);
  gl_json_begin_array(&j, "balance");
  gl_json_string(&j, NULL, "nodes");
  gl_json_string(&j, NULL, "train");
  gl_json_string(&j, NULL, "edges");
  gl_json_end_array(&j);
  gl_json_int(&j, "halo_hops", 1);
  gl_json_end_object(&j);
  gl_json_number(&j, "seconds", s->seconds);
  gl_json_int(&j, "edge_cut", (long long)s->edge_cut);
  gl_json_begin_array(&j, "imbalance");
  for (int c = 0; c < 3; c++) gl_json_number(&j, NULL, s->imbalance[c]);
  gl_json_end_array(&j);
  gl_json_begin_array(&j, "part");
  for (int p = 0; p < o->parts; p++) {
    char file[32];
    snprintf(file, sizeof file, "part-%d.npz", p);
    gl_json_begin_object(&j, NULL);
    gl_json_string(&j, "file", file);
    gl_json_int(&j, "first", starts[p]);
    gl_json_int(&j, "nodes", starts[p + 1] - starts[p]);
    gl_json_int(&j, "halo", pc[p].halo);
    gl_json_int(&j, "edges", (long long)pc[p].edges);
    gl_json_int(&j, "train", pc[p].split[0]);
    gl_json_int(&j, "val", pc[p].split[1]);
    gl_json_int(&j, "test", pc[p].split[2]);
    gl_json_end_object(&j);
  }
  gl_json_end_array(&j);
  gl_json_end_object(&j);
  gl_json_finish(&j);
}

/* Removes the files written to the temporary folder, then the folder. */
static void tmp_remove(const char *tmp, int parts) {
  char *p = gl_malloc(strlen(tmp) + 64, 1);
  if (!p) return;
  for (int k = -1; k < parts; k++) {
    if (k < 0) sprintf(p, "%s/partition.json", tmp);
    else sprintf(p, "%s/part-%d.npz", tmp, k);
    unlink(p);
  }
  free(p);
  rmdir(tmp);
}

static bool dir_empty(const char *dir) {
  DIR *dd = opendir(dir);
  if (!dd) return false;
  struct dirent *e;
  bool empty = true;
  while (empty && (e = readdir(dd)))
    empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
  closedir(dd);
  return empty;
}

gl_status gl_partition_write(const gl_dataset *d, const char *source,
                             const gl_partition_opts *o, const char *dir,
                             gl_partition_stats *out) {
  static const char fn[] = "gl-partition";
  gl_partition_stats s;
  memset(&s, 0, sizeof s);
  const gl_idx n = d->adj.n;
  const int P = o->parts;
  if (P < 1 || P > n)
    return gl_error(GL_EINVAL, "%s: %d parts for a graph of %d nodes; need "
                    "1 to %d", fn, P, (int)n, (int)n);
  if (!d->y && !d->multilabel)
    return gl_error(GL_EINVAL, "%s: %s has no labels", fn, d->name);
  struct stat sb;
  if (lstat(dir, &sb) == 0 && !(S_ISDIR(sb.st_mode) && dir_empty(dir)))
    return gl_error(GL_EINVAL, "%s: %s exists and is not an empty folder; "
                    "remove it or choose another --out", fn, dir);
  double t0 = gl_now();
  GL_TRY(gl_dataset_sha256(d, s.sha256));
  size_t dl = strlen(dir);
  char *tmp = gl_malloc(dl + 16, 1), *path = gl_malloc(dl + 64, 1);
  gl_idx *part = gl_malloc((size_t)n, sizeof *part);
  gl_idx *gid = gl_malloc((size_t)n, sizeof *gid);
  gl_idx *local = gl_malloc((size_t)n, sizeof *local);
  int32_t *vw = gl_malloc((size_t)n * 3, sizeof *vw);
  double *deg = gl_malloc((size_t)n, sizeof *deg);
  gl_idx *starts = gl_calloc((size_t)P + 1, sizeof *starts);
  part_counts *counts = gl_calloc((size_t)P, sizeof *counts);
  gl_status st = GL_OK;
  bool made = false;
  if (!tmp || !path || !part || !gid || !local || !vw || !deg || !starts ||
      !counts) {
    st = GL_ENOMEM;
    goto done;
  }
  /* balance: nodes, training nodes, edges */
  for (gl_idx v = 0; v < n; v++) {
    vw[3 * (size_t)v] = 1;
    vw[3 * (size_t)v + 1] = 0;
    gl_off dv = d->adj.ptr[v + 1] - d->adj.ptr[v];
    vw[3 * (size_t)v + 2] = dv > INT32_MAX / 4 ? INT32_MAX / 4 : (int32_t)dv;
    double w = 0;
    for (gl_off e = d->adj.ptr[v]; e < d->adj.ptr[v + 1]; e++)
      if (d->adj.col[e] != v) w += gl_csr_w(&d->adj, e);
    deg[v] = w;
    local[v] = -1;
  }
  for (gl_idx k = 0; k < d->n_train; k++) vw[3 * (size_t)d->train[k] + 1] = 1;
  for (gl_idx v = 0; d->n_train == 0 && v < n; v++) /* no constraint of 0 */
    vw[3 * (size_t)v + 1] = 1;
  if ((st = gl_metis_partition_balanced(&d->adj, P, 3, vw, o->seed, part,
                                        &s.edge_cut)) != GL_OK)
    goto done;
  /* global ids part by part, in original order */
  for (gl_idx v = 0; v < n; v++) starts[part[v] + 1]++;
  for (int p = 0; p < P; p++) {
    if (starts[p + 1] == 0) {
      st = gl_error(GL_EINVAL, "%s: METIS left part %d empty; ask for fewer "
                    "parts", fn, p);
      goto done;
    }
    starts[p + 1] += starts[p];
  }
  {
    gl_idx *fill = gl_malloc((size_t)P, sizeof *fill);
    if (!fill) {
      st = GL_ENOMEM;
      goto done;
    }
    memcpy(fill, starts, (size_t)P * sizeof *fill);
    for (gl_idx v = 0; v < n; v++) gid[v] = fill[part[v]]++;
    free(fill);
  }
  /* the key: the settings and the source, for matching parts */
  uint64_t key = gl_hash64(gl_hash64(o->seed, (uint64_t)P), (uint64_t)n);
  for (int i = 0; i < 16; i++) key = gl_hash64(key, (uint64_t)s.sha256[i]);
  /* each part built, written to a temporary folder and freed in turn; the
   * folder renamed at the end */
  sprintf(tmp, "%s.tmp.XXXXXX", dir);
  if (!mkdtemp(tmp)) {
    st = gl_error(GL_EIO, "%s: cannot create a folder beside %s: %s", fn, dir,
                  strerror(errno));
    goto done;
  }
  made = true;
  double tot[3] = {0}, mx[3] = {0};
  for (int p = 0; p < P; p++) {
    part_arrays a;
    if ((st = part_build(d, part, gid, deg, p, local, &a)) != GL_OK) goto done;
    sprintf(path, "%s/part-%d.npz", tmp, p);
    st = part_write(path, d, &a, P, p, starts, key);
    counts[p] = (part_counts){a.n_own, a.n_halo, a.adj.nnz, {a.n_split[0],
                              a.n_split[1], a.n_split[2]}};
    part_arrays_free(&a);
    if (st != GL_OK) goto done;
    double c[3] = {counts[p].own, counts[p].split[0], (double)counts[p].edges};
    for (int k = 0; k < 3; k++) {
      tot[k] += c[k];
      if (c[k] > mx[k]) mx[k] = c[k];
    }
    if (counts[p].halo > s.max_halo) s.max_halo = counts[p].halo;
  }
  for (int k = 0; k < 3; k++)
    s.imbalance[k] = tot[k] > 0 ? mx[k] * P / tot[k] : 1;
  s.seconds = gl_now() - t0;
  sprintf(path, "%s/partition.json", tmp);
  gl_afile af;
  if ((st = gl_afile_open(&af, path)) != GL_OK) goto done;
  book_write(af.f, d, source ? source : d->name, o, starts, counts, key, &s);
  if ((st = gl_afile_commit(&af)) != GL_OK) goto done;
  if (lstat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) && dir_empty(dir))
    rmdir(dir);
  if (rename(tmp, dir) != 0) {
    st = gl_error(GL_EIO, "%s: cannot rename %s to %s: %s", fn, tmp, dir,
                  strerror(errno));
    goto done;
  }
  made = false;
done:
  if (made) tmp_remove(tmp, P);
  free(counts);
  free(starts);
  free(deg);
  free(vw);
  free(local);
  free(gid);
  free(part);
  free(path);
  free(tmp);
  if (st == GL_OK && out) *out = s;
  return st;
}

/* ------------------------------------------------------------ reading */
/* A 1-D member of type t with `len` entries (len < 0: any), moved out of
 * the npz (its data pointer taken: *data owns it). */
static gl_status take(gl_npz *z, const char *name, gl_dtype t, int64_t len,
                      void **data, int64_t *count) {
  const gl_array *c;
  GL_TRY(gl_npz_find(z, name, &c));
  gl_array *a = (gl_array *)c;
  if (a->ndim != 1 || a->dtype != t || (len >= 0 && a->count != len))
    return gl_error(GL_EFORMAT, "%s: member %s has the wrong type or %lld "
                    "entries (expected %lld)", z->path, name,
                    (long long)a->count, (long long)len);
  *data = a->data;
  a->data = NULL;
  if (count) *count = a->count;
  return GL_OK;
}

/* Ids in [0, hi). */
static gl_status check_ids(const gl_npz *z, const char *name,
                           const gl_idx *v, int64_t n, int64_t hi) {
  for (int64_t i = 0; i < n; i++)
    if (v[i] < 0 || v[i] >= hi)
      return gl_error(GL_EFORMAT, "%s: %s[%lld] = %d is outside [0, %lld)",
                      z->path, name, (long long)i, v[i], (long long)hi);
  return GL_OK;
}

static gl_status take_csr(gl_npz *z, const char *name, int64_t rows,
                          int64_t cols, bool weighted, gl_csr *m) {
  char nm[96];
  void *sh = NULL, *p = NULL, *c = NULL, *v = NULL;
  int64_t nnz = 0;
  gl_status st;
  snprintf(nm, sizeof nm, "%s_shape", name);
  if ((st = take(z, nm, GL_I64, 2, &sh, NULL)) != GL_OK) goto fail;
  if (((int64_t *)sh)[0] != rows || (cols >= 0 && ((int64_t *)sh)[1] != cols) ||
      ((int64_t *)sh)[1] < 0 || ((int64_t *)sh)[1] > INT32_MAX) {
    st = gl_error(GL_EFORMAT, "%s: %s has shape (%lld, %lld), expected %lld "
                  "rows", z->path, nm, (long long)((int64_t *)sh)[0],
                  (long long)((int64_t *)sh)[1], (long long)rows);
    goto fail;
  }
  cols = ((int64_t *)sh)[1];
  snprintf(nm, sizeof nm, "%s_indptr", name);
  if ((st = take(z, nm, GL_I64, rows + 1, &p, NULL)) != GL_OK) goto fail;
  snprintf(nm, sizeof nm, "%s_indices", name);
  if ((st = take(z, nm, GL_I32, -1, &c, &nnz)) != GL_OK) goto fail;
  snprintf(nm, sizeof nm, "%s_data", name);
  if (weighted && (st = take(z, nm, GL_F32, nnz, &v, NULL)) != GL_OK)
    goto fail;
  free(sh);
  *m = (gl_csr){(gl_idx)rows, (gl_idx)cols, nnz, p, c, v};
  if (m->ptr[0] != 0 || m->ptr[rows] != nnz) {
    gl_csr_free(m);
    return gl_error(GL_EFORMAT, "%s: %s_indptr does not span its %lld "
                    "entries", z->path, name, (long long)nnz);
  }
  if ((st = gl_csr_check(m, true)) != GL_OK) {
    gl_csr_free(m);
    return gl_error(st, "%s: %s: %s", z->path, name, gl_errmsg());
  }
  return GL_OK;
fail:
  free(sh);
  free(p);
  free(c);
  free(v);
  return st;
}

gl_status gl_part_load(gl_part *p, const char *dir, int part) {
  memset(p, 0, sizeof *p);
  char *path = gl_malloc(strlen(dir) + 32, 1);
  if (!path) return GL_ENOMEM;
  sprintf(path, "%s/part-%d.npz", dir, part);
  gl_npz z;
  gl_status st = gl_npz_read(&z, path);
  free(path);
  if (st != GL_OK) return st;
  int64_t *meta = NULL;
  gl_dataset *d = &p->d;
  if ((st = take(&z, "meta", GL_I64, M_COUNT, (void **)&meta, NULL))) goto done;
  const int64_t P = meta[M_PARTS], n = meta[M_GLOBAL], own = meta[M_OWN],
                halo = meta[M_HALO], F = meta[M_FEATURES];
  if (meta[M_VERSION] != PART_VERSION || meta[M_PART] != part || P < 1 ||
      part >= P || n < 1 || n > INT32_MAX - 1 || own < 1 || own > n ||
      halo < 0 || halo > n - own || F < 0 || F > INT32_MAX ||
      meta[M_CLASSES] < 1 || meta[M_CLASSES] > GL_MAX_CLASSES ||
      meta[M_TRAIN_ALL] < 0 || meta[M_VAL_ALL] < 0 || meta[M_TEST_ALL] < 0 ||
      meta[M_TRAIN_ALL] > n || meta[M_VAL_ALL] > n || meta[M_TEST_ALL] > n) {
    st = gl_error(GL_EFORMAT, "%s: not part %d of a glearn partition (version "
                  "%lld, part %lld of %lld, %lld of %lld nodes)", z.path, part,
                  (long long)meta[M_VERSION], (long long)meta[M_PART],
                  (long long)P, (long long)own, (long long)n);
    goto done;
  }
  p->n_parts = (int)P;
  p->part = part;
  p->key = (uint64_t)meta[M_KEY];
  p->n_global = (gl_idx)n;
  p->n_own = (gl_idx)own;
  p->n_halo = (gl_idx)halo;
  p->n_train_all = (gl_idx)meta[M_TRAIN_ALL];
  p->n_val_all = (gl_idx)meta[M_VAL_ALL];
  p->n_test_all = (gl_idx)meta[M_TEST_ALL];
  const int64_t nl = own + halo;
  char *name = NULL;
  int64_t name_len = 0;
  if ((st = take(&z, "name", GL_U8, -1, (void **)&name, &name_len))) goto done;
  snprintf(d->name, sizeof d->name, "%.*s",
           (int)(name_len < 63 ? name_len : 63), name);
  free(name);
  if ((st = take(&z, "starts", GL_I32, P + 1, (void **)&p->starts, NULL)) ||
      (st = take(&z, "orig", GL_I32, nl, (void **)&p->orig, NULL)) ||
      (st = take(&z, "gid", GL_I32, nl, (void **)&p->gid, NULL)) ||
      (st = take(&z, "owner", GL_I32, halo, (void **)&p->owner, NULL)) ||
      (st = take(&z, "deg", GL_F64, nl, (void **)&p->deg, NULL)))
    goto done;
  if (p->starts[0] != 0 || p->starts[P] != n ||
      p->starts[part + 1] - p->starts[part] != own) {
    st = gl_error(GL_EFORMAT, "%s: starts do not match the part's %lld of "
                  "%lld nodes", z.path, (long long)own, (long long)n);
    goto done;
  }
  for (int64_t k = 0; k < P; k++)
    if (p->starts[k + 1] <= p->starts[k]) {
      st = gl_error(GL_EFORMAT, "%s: starts are not increasing", z.path);
      goto done;
    }
  if ((st = check_ids(&z, "orig", p->orig, nl, n)) ||
      (st = check_ids(&z, "gid", p->gid, nl, n)) ||
      (st = check_ids(&z, "owner", p->owner, halo, P)))
    goto done;
  for (int64_t i = 0; i < nl; i++) {
    gl_idx g = p->gid[i];
    int o = i < own ? part : p->owner[i - own];
    if (g < p->starts[o] || g >= p->starts[o + 1] || (i >= own && o == part) ||
        (i < own && g != p->starts[part] + i) ||
        (i > own && g <= p->gid[i - 1]) || !(p->deg[i] >= 0)) {
      st = gl_error(GL_EFORMAT, "%s: local node %lld: global id %d, owner %d "
                    "or degree %g do not fit", z.path, (long long)i, g, o,
                    p->deg[i]);
      goto done;
    }
  }
  if ((st = take_csr(&z, "adj", own, nl, meta[M_WEIGHTED] != 0, &d->adj)))
    goto done;
  if (F > 0 && (st = take_csr(&z, "x", own, F, true, &d->x))) goto done;
  d->n_classes = (int)meta[M_CLASSES];
  d->multilabel = meta[M_MULTILABEL] != 0;
  if (d->multilabel) {
    if ((st = take_csr(&z, "ymulti", own, d->n_classes, false, &d->ymulti)))
      goto done;
  } else {
    if ((st = take(&z, "y", GL_I32, own, (void **)&d->y, NULL))) goto done;
    for (int64_t i = 0; i < own; i++)
      if (d->y[i] < -1 || d->y[i] >= d->n_classes) {
        st = gl_error(GL_EFORMAT, "%s: label %d of local node %lld is outside "
                      "[-1, %d)", z.path, d->y[i], (long long)i, d->n_classes);
        goto done;
      }
  }
  static const char *names[3][2] = {{"train", "train_pos"},
                                    {"val", "val_pos"},
                                    {"test", "test_pos"}};
  gl_idx **lists[3] = {&d->train, &d->val, &d->test};
  gl_idx **pos[3] = {&p->train_pos, &p->val_pos, &p->test_pos};
  gl_idx *cnt[3] = {&d->n_train, &d->n_val, &d->n_test};
  const gl_idx all[3] = {p->n_train_all, p->n_val_all, p->n_test_all};
  for (int s = 0; s < 3; s++) {
    int64_t c = 0;
    if ((st = take(&z, names[s][0], GL_I32, -1, (void **)lists[s], &c)) ||
        (st = take(&z, names[s][1], GL_I32, c, (void **)pos[s], NULL)) ||
        (st = check_ids(&z, names[s][0], *lists[s], c, own)) ||
        (st = check_ids(&z, names[s][1], *pos[s], c, all[s])))
      goto done;
    *cnt[s] = (gl_idx)c;
  }
done:
  free(meta);
  gl_npz_free(&z);
  if (st != GL_OK) gl_part_free(p);
  return st;
}

gl_status gl_partition_load_whole(gl_dataset *d, const char *dir) {
  memset(d, 0, sizeof *d);
  gl_part p;
  GL_TRY(gl_part_load(&p, dir, 0));
  const int P = p.n_parts;
  const gl_idx n = p.n_global;
  const uint64_t key = p.key;
  const int64_t F = p.d.x.n > 0 ? p.d.x.m : 0;
  gl_coo ga, gx, gy;
  memset(&ga, 0, sizeof ga);
  memset(&gx, 0, sizeof gx);
  memset(&gy, 0, sizeof gy);
  gl_status st = GL_OK;
  uint8_t *seen = gl_calloc((size_t)n, 1);
  snprintf(d->name, sizeof d->name, "%s", p.d.name);
  d->n_classes = p.d.n_classes;
  d->multilabel = p.d.multilabel;
  d->n_train = p.n_train_all;
  d->n_val = p.n_val_all;
  d->n_test = p.n_test_all;
  gl_idx **lists[3] = {&d->train, &d->val, &d->test};
  const gl_idx cnt[3] = {d->n_train, d->n_val, d->n_test};
  for (int s = 0; s < 3 && seen; s++) {
    if (!(*lists[s] = gl_malloc((size_t)cnt[s] + 1, sizeof **lists[s])))
      st = GL_ENOMEM;
    for (gl_idx i = 0; *lists[s] && i < cnt[s]; i++) (*lists[s])[i] = -1;
  }
  if (!d->multilabel && !(d->y = gl_malloc((size_t)n, sizeof *d->y)))
    st = GL_ENOMEM;
  if (!seen) st = GL_ENOMEM;
  gl_idx filled[3] = {0, 0, 0};
  bool weighted = p.d.adj.val != NULL;
  for (int k = 0; k < P && st == GL_OK; k++) {
    if (k > 0 && (st = gl_part_load(&p, dir, k)) != GL_OK) break;
    if (p.key != key || p.n_parts != P || p.n_global != n ||
        (p.d.x.n > 0 ? p.d.x.m : 0) != F || p.d.multilabel != d->multilabel ||
        p.d.n_classes != d->n_classes || (p.d.adj.val != NULL) != weighted) {
      st = gl_error(GL_EFORMAT, "%s/part-%d.npz belongs to another "
                    "partitioning than part-0.npz", dir, k);
      gl_part_free(&p);
      break;
    }
    const gl_idx own = p.n_own;
    for (gl_idx i = 0; i < own && st == GL_OK; i++) {
      if (seen[p.orig[i]]++)
        st = gl_error(GL_EFORMAT, "%s/part-%d.npz: node %d is owned twice",
                      dir, k, p.orig[i]);
      if (d->y) d->y[p.orig[i]] = p.d.y[i];
    }
    /* every entry of the part's rows, in original ids */
    size_t na = (size_t)ga.nnz + (size_t)p.d.adj.nnz;
    size_t nx = (size_t)gx.nnz + (size_t)(p.d.x.n > 0 ? p.d.x.ptr[own] : 0);
    size_t ny = (size_t)gy.nnz + (size_t)(d->multilabel ? p.d.ymulti.nnz : 0);
    gl_coo *cs[3] = {&ga, &gx, &gy};
    const size_t need[3] = {na, nx, ny};
    const gl_csr *src[3] = {&p.d.adj, &p.d.x, &p.d.ymulti};
    const bool vals[3] = {weighted, true, false};
    for (int c = 0; c < 3 && st == GL_OK; c++) {
      gl_coo *m = cs[c];
      if (need[c] == (size_t)m->nnz) continue;
      gl_idx *r = gl_realloc(m->r, need[c], sizeof *r);
      if (r) m->r = r;
      gl_idx *cc = gl_realloc(m->c, need[c], sizeof *cc);
      if (cc) m->c = cc;
      float *v = vals[c] ? gl_realloc(m->v, need[c], sizeof *v) : NULL;
      if (v) m->v = v;
      if (!r || !cc || (vals[c] && !v)) {
        st = GL_ENOMEM;
        break;
      }
      const gl_csr *a = src[c];
      for (gl_idx i = 0; i < own; i++)
        for (gl_off e = a->ptr[i]; e < a->ptr[i + 1]; e++) {
          m->r[m->nnz] = p.orig[i];
          m->c[m->nnz] = c == 0 ? p.orig[a->col[e]] : a->col[e];
          if (vals[c]) m->v[m->nnz] = gl_csr_w(a, e);
          m->nnz++;
        }
    }
    const gl_idx *ll[3] = {p.d.train, p.d.val, p.d.test};
    const gl_idx *pp[3] = {p.train_pos, p.val_pos, p.test_pos};
    const gl_idx nn[3] = {p.d.n_train, p.d.n_val, p.d.n_test};
    for (int s = 0; s < 3 && st == GL_OK; s++) {
      for (gl_idx i = 0; i < nn[s] && st == GL_OK; i++) {
        gl_idx *at = &(*lists[s])[pp[s][i]];
        if (*at >= 0)
          st = gl_error(GL_EFORMAT, "%s/part-%d.npz: position %d of a split "
                        "list is given twice", dir, k, pp[s][i]);
        *at = p.orig[ll[s][i]];
      }
      filled[s] += nn[s];
    }
    gl_part_free(&p);
  }
  gl_part_free(&p); /* the part a failure left loaded (or nothing) */
  for (gl_idx v = 0; st == GL_OK && v < n; v++)
    if (!seen[v])
      st = gl_error(GL_EFORMAT, "%s: node %d is in no part", dir, v);
  for (int s = 0; s < 3 && st == GL_OK; s++)
    if (filled[s] != cnt[s])
      st = gl_error(GL_EFORMAT, "%s: the parts hold %d of the %d nodes of a "
                    "split list", dir, filled[s], cnt[s]);
  if (st == GL_OK)
    st = gl_csr_from_coo(&d->adj, n, n, ga.nnz, ga.r, ga.c,
                         weighted ? ga.v : NULL);
  if (st == GL_OK && F > 0)
    st = gl_csr_from_coo(&d->x, n, (gl_idx)F, gx.nnz, gx.r, gx.c, gx.v);
  if (st == GL_OK && d->multilabel)
    st = gl_csr_from_coo(&d->ymulti, n, d->n_classes, gy.nnz, gy.r, gy.c,
                         NULL);
  gl_coo_free(&ga);
  gl_coo_free(&gx);
  gl_coo_free(&gy);
  free(seen);
  if (st != GL_OK) gl_dataset_free(d);
  return st;
}
