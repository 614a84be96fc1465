/* The dataset registry: names, the search path, path detection, and the two
 * datasets that need no files (Zachary's karate club from igraph and the
 * contextual SBM generator). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datasets/internal.h"


void gl_dataset_free(gl_dataset *d) {
  if (!d) return;
  gl_csr_free(&d->adj);
  gl_csr_free(&d->x);
  gl_csr_free(&d->ymulti);
  free(d->y);
  free(d->split_nodes);
  free(d->train);
  free(d->val);
  free(d->test);
  memset(d, 0, sizeof *d);
}

gl_status gl_dataset_finish(gl_dataset *d, gl_status st, const char *path) {
  if (st != GL_OK) {
    gl_dataset_free(d);
    return st;
  }
  gl_dataset_name_from_path(d, path);
  return GL_OK;
}

void gl_dataset_set_name(gl_dataset *d, const char *src) {
  snprintf(d->name, sizeof d->name, "%s", src);
}

void gl_dataset_name_from_path(gl_dataset *d, const char *path) {
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/') len--;
  size_t b = len;
  while (b > 0 && path[b - 1] != '/') b--;
  static const char *const ext[] = {".npz",      ".mat", ".txt", ".edges",
                                    ".edgelist", ".tsv", ".csv"};
  if (len - b > 3 && !strncasecmp(path + len - 3, ".gz", 3)) len -= 3;
  for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
    size_t el = strlen(ext[i]);
    if (len - b > el && !strncasecmp(path + len - el, ext[i], el)) {
      len -= el;
      break;
    }
  }
  size_t k = len - b < sizeof d->name - 1 ? len - b : sizeof d->name - 1;
  memcpy(d->name, path + b, k);
  d->name[k] = 0;
}

int gl_labels_nclasses(const int32_t *y, gl_idx n) {
  int32_t mx = -1;
  for (gl_idx i = 0; i < n; i++)
    if (y[i] > mx) mx = y[i];
  return mx + 1;
}

gl_status gl_dense_to_csr(gl_csr *x, const float *dense, gl_idx n, int d) {
  gl_off nnz = 0;
  for (size_t i = 0; i < (size_t)n * (size_t)d; i++) nnz += dense[i] != 0;
  GL_TRY(gl_csr_alloc(x, n, d, nnz, true));
  gl_off k = 0;
  for (gl_idx i = 0; i < n; i++) {
    for (int j = 0; j < d; j++) {
      float v = dense[(size_t)i * (size_t)d + (size_t)j];
      if (v == 0) continue;
      x->col[k] = j;
      x->val[k++] = v;
    }
    x->ptr[i + 1] = k;
  }
  return GL_OK;
}

/* ------------------------------------------------------------ karate */
/* Zachary (1977): 34 members, 78 ties; labels are the two factions after the
 * split (Mr. Hi = 0, the officer = 1), as in networkx's karate_club_graph. */
static gl_status load_karate(gl_dataset *d) {
  static const int hi[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17,
                           19, 21};
  /* The graph comes through graph/, whose igraph calls run under glearn's
   * error handling. */
  GL_TRY(gl_csr_famous(&d->adj, "Zachary"));
  gl_idx n = d->adj.n;
  d->y = gl_malloc((size_t)n, sizeof *d->y);
  if (!d->y) return GL_ENOMEM;
  for (gl_idx i = 0; i < n; i++) d->y[i] = 1;
  for (size_t i = 0; i < sizeof hi / sizeof hi[0]; i++)
    if (hi[i] < n) d->y[hi[i]] = 0;
  d->n_classes = 2;
  gl_dataset_set_name(d, "karate");
  return GL_OK;
}

/* ------------------------------------------------------------ generated */
/* The "key=value,..." list after a generator's name (spec + skip, past an
 * optional ':'): each pair to set(ctx, key, value), which returns false
 * for a bad value and sets *known false for an unknown key. */
typedef bool (*spec_fn)(void *ctx, const char *key, const char *v,
                        bool *known);
static gl_status spec_params(const char *spec, size_t skip, spec_fn set,
                             void *ctx, const char *keys) {
  const char *p = spec + skip;
  if (*p == ':') p++;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    char kv[96];
    if (len == 0 || len >= sizeof kv)
      return gl_error(GL_EINVAL, "%s: malformed parameter list", spec);
    memcpy(kv, p, len);
    kv[len] = 0;
    char *eq = strchr(kv, '=');
    if (!eq) return gl_error(GL_EINVAL, "%s: '%s' is not key=value", spec, kv);
    *eq = 0;
    bool known = true;
    bool ok = set(ctx, kv, eq + 1, &known);
    if (!known)
      return gl_error(GL_EINVAL, "%s: unknown parameter '%s' (known: %s)",
                      spec, kv, keys);
    if (!ok)
      return gl_error(GL_EINVAL, "%s: bad value '%s' for %s", spec, eq + 1,
                      kv);
    p = e ? e + 1 : p + len;
  }
  return GL_OK;
}

/* "csbm" or "csbm:key=value,..." with keys n, k, d, deg, pin, mu, sigma,
 * seed.  Features are the Gaussian ones of the model, kept as generated
 * (not row-normalised: they are signed). */
static bool csbm_set(void *ctx, const char *kv, const char *v, bool *known) {
  gl_csbm_opts *o = ctx;
  long l;
  double x;
  if (!strcmp(kv, "n"))
    return gl_parse_long(v, 1, 1 << 26, &l) && (o->n = (gl_idx)l, true);
  if (!strcmp(kv, "k"))
    return gl_parse_long(v, 1, 1 << 16, &l) && (o->k = (int)l, true);
  if (!strcmp(kv, "d"))
    return gl_parse_long(v, 0, 1 << 16, &l) && (o->d = (int)l, true);
  if (!strcmp(kv, "seed"))
    return gl_parse_long(v, 0, __LONG_MAX__, &l) &&
           (o->seed = (uint64_t)l, true);
  if (!strcmp(kv, "deg"))
    return gl_parse_double(v, 0, 1e9, &x) && (o->deg = x, true);
  if (!strcmp(kv, "pin"))
    return gl_parse_double(v, 0, 1, &x) && (o->p_in = x, true);
  if (!strcmp(kv, "mu"))
    return gl_parse_double(v, -1e9, 1e9, &x) && (o->mu = x, true);
  if (!strcmp(kv, "sigma"))
    return gl_parse_double(v, 0, 1e9, &x) && (o->sigma = x, true);
  *known = false;
  return false;
}

static gl_status load_csbm(gl_dataset *d, const char *spec) {
  gl_csbm_opts o = {.n = 1000, .k = 2, .d = 16, .deg = 10, .p_in = 0.8,
                    .mu = 1, .sigma = 1, .seed = 1};
  GL_TRY(spec_params(spec, 4, csbm_set, &o,
                     "n, k, d, deg, pin, mu, sigma, seed"));
  if ((size_t)o.n * (size_t)o.d > ((size_t)1 << 30))
    return gl_error(GL_EINVAL, "%s: n * d = %zu features is too many", spec,
                    (size_t)o.n * (size_t)o.d);
  d->y = gl_malloc((size_t)o.n, sizeof *d->y);
  float *x = gl_malloc((size_t)o.n * (size_t)o.d + 1, sizeof *x);
  gl_status st = d->y && x ? gl_gen_csbm(&o, &d->adj, d->y, x) : GL_ENOMEM;
  if (st == GL_OK && o.d > 0) st = gl_dense_to_csr(&d->x, x, o.n, o.d);
  free(x);
  GL_TRY(st);
  d->n_classes = o.k;
  gl_dataset_set_name(d, spec);
  return GL_OK;
}

/* "powerlaw:key=value,..." (n nodes, m edges, d features, c classes,
 * seed): the scale benchmark's graph, gl_gen_powerlaw's (exponent 2.5),
 * N(0, 1) features, labels from a random linear teacher (the best of c
 * scores), 10% of the nodes for training and 0.5% each for validation
 * and test, at random. */
typedef struct {
  long n, m, d, c, seed;
} powerlaw_opts;

static bool powerlaw_set(void *ctx, const char *kv, const char *v,
                         bool *known) {
  powerlaw_opts *o = ctx;
  long *f = !strcmp(kv, "n")      ? &o->n
            : !strcmp(kv, "m")    ? &o->m
            : !strcmp(kv, "d")    ? &o->d
            : !strcmp(kv, "c")    ? &o->c
            : !strcmp(kv, "seed") ? &o->seed
                                  : NULL;
  if (!f) {
    *known = false;
    return false;
  }
  long hi = f == &o->m ? (1L << 40) : f == &o->seed ? __LONG_MAX__ : 1 << 30;
  return gl_parse_long(v, f == &o->seed ? 0 : 1, hi, f);
}

static gl_status load_powerlaw(gl_dataset *d, const char *spec) {
  powerlaw_opts o = {.n = 100000, .m = 1000000, .d = 128, .c = 16, .seed = 1};
  GL_TRY(spec_params(spec, 8, powerlaw_set, &o, "n, m, d, c, seed"));
  if (o.n < 200 || o.c < 2 || (size_t)o.n * (size_t)o.d > ((size_t)1 << 32))
    return gl_error(GL_EINVAL, "%s: need n >= 200, c >= 2 and n * d <= 2^32",
                    spec);
  GL_TRY(gl_gen_powerlaw(&d->adj, (gl_idx)o.n, (gl_off)o.m, 2.5,
                         (uint64_t)o.seed));
  const int F = (int)o.d, C = (int)o.c;
  d->y = gl_malloc((size_t)o.n, sizeof *d->y);
  float *teacher = gl_malloc((size_t)F * C + 1, sizeof *teacher);
  gl_idx *perm = gl_malloc((size_t)o.n, sizeof *perm);
  gl_status st = d->y && teacher && perm ? GL_OK : GL_ENOMEM;
  if (st == GL_OK)
    st = gl_csr_alloc(&d->x, (gl_idx)o.n, F, (gl_off)o.n * F, true);
  if (st != GL_OK) {
    free(teacher);
    free(perm);
    return st;
  }
  gl_rng r;
  gl_rng_seed(&r, gl_hash64((uint64_t)o.seed, 7));
  for (size_t i = 0; i < (size_t)F * C; i++) teacher[i] = gl_rng_normal(&r);
  for (gl_idx i = 0; i < (gl_idx)o.n; i++) {
    float *v = d->x.val + (size_t)i * F, best = -1e30f;
    d->x.ptr[i + 1] = (gl_off)(i + 1) * F;
    for (int j = 0; j < F; j++) {
      d->x.col[(size_t)i * F + j] = j;
      v[j] = gl_rng_normal(&r);
    }
    d->y[i] = 0;
    for (int k = 0; k < C; k++) {
      float z = 0;
      for (int j = 0; j < F; j++) z += v[j] * teacher[(size_t)j * C + k];
      if (z > best) {
        best = z;
        d->y[i] = k;
      }
    }
    perm[i] = i;
  }
  free(teacher);
  gl_rng_shuffle(&r, perm, (size_t)o.n);
  const gl_idx nt = (gl_idx)(o.n / 10), nv = (gl_idx)(o.n / 200);
  const gl_idx part[3] = {nt, nv, nv}, *from[3] = {perm, perm + nt,
                                                    perm + nt + nv};
  gl_idx **to[3] = {&d->train, &d->val, &d->test};
  gl_idx *cnt[3] = {&d->n_train, &d->n_val, &d->n_test};
  for (int s = 0; s < 3 && st == GL_OK; s++) {
    if (!(*to[s] = gl_malloc((size_t)part[s] + 1, sizeof **to[s]))) {
      st = GL_ENOMEM;
      break;
    }
    memcpy(*to[s], from[s], (size_t)part[s] * sizeof **to[s]);
    qsort(*to[s], (size_t)part[s], sizeof **to[s], gl_idx_cmp);
    *cnt[s] = part[s];
  }
  free(perm);
  GL_TRY(st);
  d->n_classes = C;
  gl_dataset_set_name(d, spec);
  return GL_OK;
}

/* ------------------------------------------------------------ registry */
/* gnn-benchmark's npz files (Shchur et al.), at the commit of
 * GL_DATA_URL_DEFAULT: the SHA-256 and size of
 * those that were checked; the others (cora_full and pubmed, which the
 * benchmark's config/fixed_configs.conf.yaml lists) are checked against the
 * size the server reports. */
#define GNNB(f) "data/npz/" f
static const gl_dataset_info known[] = {
    {"cora", "planetoid/cora", "Cora citations, Planetoid split (GMNN text)",
     NULL, NULL, -1, true},
    {"citeseer", "planetoid/citeseer",
     "CiteSeer citations, Planetoid split (GMNN text)", NULL, NULL, -1, true},
    {"pubmed", "planetoid/pubmed",
     "PubMed citations, Planetoid split (GMNN text)", NULL, NULL, -1, true},
    {"blogcatalog", "blogcatalog/blogcatalog.mat",
     "BlogCatalog social network, 39 groups (multi-label .mat)", NULL, NULL,
     -1, true},
    {"coauthor-cs", "coauthor/ms_academic_cs.npz",
     "Coauthor CS (gnn-benchmark npz)", GNNB("ms_academic_cs.npz"),
     "933c745734e78908c7eb77172a673fee0503f30e26e5a99b36814d88534c42e3",
     12835626, false},
    {"coauthor-physics", "coauthor/ms_academic_phy.npz",
     "Coauthor Physics (gnn-benchmark npz)", GNNB("ms_academic_phy.npz"),
     "e4d68468eba5fb8f6b280ffd406bd53e6e4295ba1dd2967d6fe99b978e4b3375",
     16374005, false},
    {"amazon-computers", "gnn-benchmark/amazon_electronics_computers.npz",
     "Amazon Computers co-purchases (gnn-benchmark npz)",
     GNNB("amazon_electronics_computers.npz"),
     "736ba1d9fd85eac2da83a5ad25c463f04b0031a6ca01563f90a7099d9e8ffb2c",
     31921488, false},
    {"amazon-photo", "gnn-benchmark/amazon_electronics_photo.npz",
     "Amazon Photo co-purchases (gnn-benchmark npz)",
     GNNB("amazon_electronics_photo.npz"),
     "bdb1feb8e6ff42ee44024b04479145029c563fd42fc31bff80af20887ba0439a",
     17113960, false},
    {"cora-full", "gnn-benchmark/cora_full.npz",
     "Cora-Full citations, 70 classes (gnn-benchmark npz)",
     GNNB("cora_full.npz"), NULL, -1, false},
    {"gnnbench-cora", "gnn-benchmark/cora.npz",
     "Cora-ML citations (gnn-benchmark npz, not the Planetoid cora)",
     GNNB("cora.npz"),
     "068e22d90c3849b4057dfb05851741428992af058efcd4e7ebb4186f3d581de2",
     540580, false},
    {"gnnbench-citeseer", "gnn-benchmark/citeseer.npz",
     "CiteSeer citations (gnn-benchmark npz)", GNNB("citeseer.npz"),
     "280278b21b434c047922e8389518861416fb3ad39389c27865ff0e6bbb0aaab7",
     1348784, false},
    {"gnnbench-pubmed", "gnn-benchmark/pubmed.npz",
     "PubMed citations (gnn-benchmark npz)", GNNB("pubmed.npz"), NULL, -1,
     false},
};
#undef GNNB
#define N_KNOWN ((int)(sizeof known / sizeof known[0]))

int gl_dataset_info_count(void) { return N_KNOWN; }

const gl_dataset_info *gl_dataset_info_at(int i) {
  return i >= 0 && i < N_KNOWN ? &known[i] : NULL;
}

const gl_dataset_info *gl_dataset_info_find(const char *name) {
  for (int i = 0; name && i < N_KNOWN; i++)
    if (!strcasecmp(name, known[i].name)) return &known[i];
  return NULL;
}

const char *gl_dataset_names(void) {
  return "cora, citeseer, pubmed, blogcatalog, coauthor-cs, "
         "coauthor-physics, amazon-computers, amazon-photo, cora-full, "
         "gnnbench-cora, gnnbench-citeseer, gnnbench-pubmed, karate, "
         "csbm:n=..,k=..,d=..,deg=..,pin=..,mu=..,sigma=..,seed=.., "
         "powerlaw:n=..,m=..,d=..,c=..,seed=..";
}

static bool ends_with(const char *s, const char *sfx) {
  size_t a = strlen(s), b = strlen(sfx);
  return a >= b && !strcasecmp(s + a - b, sfx);
}

typedef enum { K_GMNN, K_NPZ, K_MAT, K_EDGES, K_PARTITION } kind;

/* What a path holds: a folder is GMNN, then the extension (after a .gz),
 * then the magic bytes; anything else is an edge list. */
static gl_status detect(const char *path, kind *k) {
  if (gl_partition_is_dir(path)) {
    *k = K_PARTITION;
    return GL_OK;
  }
  if (gl_dir_exists(path)) {
    char *p = gl_malloc(strlen(path) + 16, 1);
    if (!p) return GL_ENOMEM;
    sprintf(p, "%s/net.txt", path);
    bool ok = gl_data_file_exists(p);
    free(p);
    if (!ok)
      return gl_error(GL_EFORMAT, "%s: folder without net.txt or "
                                  "partition.json is not a GMNN dataset or a "
                                  "partition",
                      path);
    *k = K_GMNN;
    return GL_OK;
  }
  if (ends_with(path, ".npz") || ends_with(path, ".npz.gz")) {
    *k = K_NPZ;
    return GL_OK;
  }
  if (ends_with(path, ".mat") || ends_with(path, ".mat.gz")) {
    *k = K_MAT;
    return GL_OK;
  }
  *k = K_EDGES;
  FILE *f = fopen(path, "rb");
  char head[8] = {0};
  if (f) {
    size_t got = fread(head, 1, sizeof head, f);
    (void)got;
    fclose(f);
  }
  if (!memcmp(head, "PK\3\4", 4) || !memcmp(head, "PK\5\6", 4)) *k = K_NPZ;
  if (!memcmp(head, "MATLAB", 6)) *k = K_MAT;
  return GL_OK;
}

static kind kind_of(const gl_dataset_info *k) {
  return ends_with(k->file, ".npz")   ? K_NPZ
         : ends_with(k->file, ".mat") ? K_MAT
                                      : K_GMNN;
}

static gl_status load_kind(gl_dataset *d, const char *path, kind k) {
  switch (k) {
  case K_GMNN: return gl_load_gmnn(d, path);
  case K_NPZ: return gl_load_npz_dataset(d, path);
  case K_MAT: return gl_load_mat(d, path);
  case K_PARTITION: return gl_partition_load_whole(d, path);
  default: return gl_load_edgelist(d, path, false);
  }
}

gl_status gl_dataset_locate(const gl_dataset_info *info, const char *data_dir,
                            char *out, size_t cap) {
  enum { MAX_DIRS = 8 };
  char dirs[MAX_DIRS][GL_DATA_PATH_MAX];
  int nd = 1;
  if (data_dir)
    snprintf(dirs[0], sizeof dirs[0], "%s", data_dir);
  else
    nd = gl_data_dirs(dirs, NULL, MAX_DIRS);
  const bool folder = kind_of(info) == K_GMNN;
  for (int j = 0; j < nd; j++) {
    int len = snprintf(out, cap, "%s/%s", dirs[j], info->file);
    if (len < 0 || (size_t)len >= cap) continue;
    if (folder ? gl_dir_exists(out) : gl_data_file_exists(out)) return GL_OK;
  }
  out[0] = 0;
  char where[1024] = "";
  for (int j = 0; j < nd; j++) {
    size_t w = strlen(where);
    snprintf(where + w, sizeof where - w, "%s%s", j ? ", " : "", dirs[j]);
  }
  if (info->url)
    return gl_error(GL_EIO,
                    "dataset %s: %s not found in %s; `glearn-data fetch %s` "
                    "downloads it",
                    info->name, info->file, where, info->name);
  return gl_error(GL_EIO,
                  "dataset %s: %s not found in %s (it ships in glearn's "
                  "data/; set GLEARN_DATA to a folder that holds it)",
                  info->name, info->file, where);
}

static gl_status load_named(gl_dataset *d, const gl_dataset_info *info,
                            const char *data_dir) {
  char *p = gl_malloc(GL_DATA_PATH_MAX + 256, 1);
  if (!p) return GL_ENOMEM;
  gl_status st = gl_dataset_locate(info, data_dir, p, GL_DATA_PATH_MAX + 256);
  if (st == GL_OK) st = load_kind(d, p, kind_of(info));
  if (st == GL_OK) gl_dataset_set_name(d, info->name);
  free(p);
  return st;
}

gl_status gl_dataset_load(gl_dataset *d, const char *name,
                          const char *data_dir, uint64_t split_seed) {
  memset(d, 0, sizeof *d);
  if (!name || !*name)
    return gl_error(GL_EINVAL, "gl_dataset_load: no dataset name");
  gl_status st;
  bool strict = false;
  const gl_dataset_info *info = gl_dataset_info_find(name);
  if (info) {
    st = load_named(d, info, data_dir);
    strict = kind_of(info) == K_NPZ; /* gnn-benchmark: Shchur's split */
  } else if (!strcasecmp(name, "karate")) {
    st = load_karate(d);
  } else if (!strncasecmp(name, "powerlaw", 8) &&
             (name[8] == 0 || name[8] == ':')) {
    st = load_powerlaw(d, name);
  } else if (!strncasecmp(name, "csbm", 4) &&
             (name[4] == 0 || name[4] == ':')) {
    st = load_csbm(d, name);
  } else if (gl_dir_exists(name) || gl_file_exists(name)) {
    kind k = K_EDGES;
    st = detect(name, &k);
    if (st == GL_OK) st = load_kind(d, name, k);
    strict = k == K_NPZ;
  } else if (strchr(name, '/') || strchr(name, '.')) {
    return gl_error(GL_EIO, "%s: no such file or folder", name);
  } else {
    return gl_error(GL_ENOTFOUND, "unknown dataset '%s' (known: %s; or a path "
                                  "to a GMNN folder, .npz, .mat or edge list)",
                    name, gl_dataset_names());
  }
  if (st == GL_OK) st = gl_dataset_default_split(d, split_seed, strict);
  if (st != GL_OK) gl_dataset_free(d);
  return st;
}
