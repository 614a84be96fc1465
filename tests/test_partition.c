/* Partitions (datasets/partition.c, gl-partition): the whole dataset
 * rebuilt exactly from its parts, every part's halo and local rows against
 * the whole graph, the balance, the normalisation of a part's rows, and
 * every kind of bad input. */
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test.h"

static bool csr_equal(const gl_csr *a, const gl_csr *b) {
  if (a->n != b->n || a->m != b->m || a->nnz != b->nnz ||
      (a->val == NULL) != (b->val == NULL))
    return false;
  if (a->n == 0) return true;
  return !memcmp(a->ptr, b->ptr, ((size_t)a->n + 1) * sizeof *a->ptr) &&
         !memcmp(a->col, b->col, (size_t)a->nnz * sizeof *a->col) &&
         (!a->val ||
          !memcmp(a->val, b->val, (size_t)a->nnz * sizeof *a->val));
}

static bool ids_equal(const gl_idx *a, const gl_idx *b, gl_idx n) {
  return n == 0 || !memcmp(a, b, (size_t)n * sizeof *a);
}

/* Partitions d into P parts in a fresh folder; checks every part against
 * d and the whole rebuilt from them against d. */
static void check_partition(const gl_dataset *d, int P, const char *dir) {
  gl_partition_opts o = {P, 7};
  gl_partition_stats s;
  CHECK_OK(gl_partition_write(d, d->name, &o, dir, &s));
  CHECK(gl_partition_is_dir(dir));
  char hex[65];
  CHECK_OK(gl_dataset_sha256(d, hex));
  CHECK(!strcmp(hex, s.sha256));
  /* METIS balances each constraint within a few per cent */
  for (int c = 0; c < 3; c++)
    CHECK_MSG(s.imbalance[c] >= 1 && s.imbalance[c] < 1.1,
              "%s P=%d: imbalance %d is %g", d->name, P, c, s.imbalance[c]);
  const gl_idx n = d->adj.n;
  gl_idx *owner = malloc((size_t)n * sizeof *owner);
  for (gl_idx v = 0; v < n; v++) owner[v] = -1;
  gl_idx total = 0, next_gid = 0, max_halo = 0;
  gl_off cut2 = 0;
  for (int k = 0; k < P; k++) {
    gl_part p;
    CHECK_OK(gl_part_load(&p, dir, k));
    if (gl_test_failed()) break;
    CHECK(p.n_parts == P && p.part == k && p.n_global == n);
    CHECK(p.starts[k] == next_gid && p.starts[k + 1] - p.starts[k] == p.n_own);
    next_gid += p.n_own;
    total += p.n_own;
    if (p.n_halo > max_halo) max_halo = p.n_halo;
    for (gl_idx i = 0; i < p.n_own; i++) {
      CHECK(owner[p.orig[i]] < 0);
      owner[p.orig[i]] = k;
    }
    /* the local rows are the whole rows, the halo exactly the neighbours
     * owned elsewhere */
    gl_idx halo_seen = 0;
    for (gl_idx i = 0; i < p.n_own; i++) {
      gl_idx v = p.orig[i];
      gl_off b = d->adj.ptr[v], len = d->adj.ptr[v + 1] - b;
      CHECK(p.d.adj.ptr[i + 1] - p.d.adj.ptr[i] == len);
      double deg = 0;
      for (gl_off e = 0; e < len; e++) {
        gl_off le = p.d.adj.ptr[i] + e;
        gl_idx u = p.orig[p.d.adj.col[le]];
        CHECK(gl_csr_has_edge(&d->adj, v, u));
        deg += gl_csr_w(&d->adj, b + e);
        if (p.d.adj.col[le] >= p.n_own) {
          halo_seen++;
          cut2++;
        }
      }
      CHECK(p.deg[i] == deg);
    }
    CHECK(halo_seen >= p.n_halo); /* every halo node is someone's neighbour */
    for (gl_idx j = 0; j < p.n_halo; j++) {
      gl_idx u = p.orig[p.n_own + j];
      CHECK(p.owner[j] != k);
      CHECK(p.gid[p.n_own + j] >= p.starts[p.owner[j]] &&
            p.gid[p.n_own + j] < p.starts[p.owner[j] + 1]);
      CHECK(j == 0 || p.gid[p.n_own + j] > p.gid[p.n_own + j - 1]);
      CHECK(u >= 0 && u < n);
    }
    CHECK(p.d.x.n == (d->x.n ? p.n_own : 0)); /* no halo features */
    for (gl_idx i = 0; p.d.x.n && i < p.n_own; i++)
      CHECK(p.d.x.ptr[i + 1] - p.d.x.ptr[i] ==
            d->x.ptr[p.orig[i] + 1] - d->x.ptr[p.orig[i]]);
    gl_part_free(&p);
  }
  CHECK(total == n && next_gid == n);
  CHECK(max_halo == s.max_halo);
  CHECK_MSG(cut2 == 2 * s.edge_cut, "%s: %lld cut entries, METIS says %lld",
            d->name, (long long)cut2, (long long)s.edge_cut);
  for (gl_idx v = 0; v < n; v++) CHECK(owner[v] >= 0);
  free(owner);
  /* the whole again, through the dataset loader */
  gl_dataset w;
  CHECK_OK(gl_dataset_load(&w, dir, NULL, 1));
  if (gl_test_failed()) return;
  CHECK(!strcmp(w.name, d->name));
  CHECK(csr_equal(&w.adj, &d->adj));
  CHECK(csr_equal(&w.x, &d->x));
  CHECK(w.multilabel == d->multilabel && w.n_classes == d->n_classes);
  if (d->multilabel)
    CHECK(csr_equal(&w.ymulti, &d->ymulti));
  else
    CHECK(ids_equal(w.y, d->y, n));
  CHECK(w.n_train == d->n_train && w.n_val == d->n_val &&
        w.n_test == d->n_test);
  CHECK(ids_equal(w.train, d->train, d->n_train));
  CHECK(ids_equal(w.val, d->val, d->n_val));
  CHECK(ids_equal(w.test, d->test, d->n_test));
  CHECK_OK(gl_dataset_sha256(&w, hex));
  CHECK(!strcmp(hex, s.sha256));
  gl_dataset_free(&w);
}

TEST(partition_rebuilds_the_whole) {
  gl_dataset d;
  CHECK_OK(gl_dataset_load(&d, "cora", NULL, 1));
  check_partition(&d, 1, gl_test_path("cora1"));
  check_partition(&d, 4, gl_test_path("cora4"));
  gl_dataset_free(&d);
  /* multi-label, no features */
  CHECK_OK(gl_dataset_load(&d, "blogcatalog", NULL, 1));
  check_partition(&d, 3, gl_test_path("blog3"));
  gl_dataset_free(&d);
  /* signed dense features and a drawn split */
  CHECK_OK(gl_dataset_load(&d, "csbm:n=600,k=3,d=8,seed=4", NULL, 2));
  check_partition(&d, 2, gl_test_path("csbm2"));
  gl_dataset_free(&d);
  /* weighted edges (an edge list with weights) */
  const char *el = gl_test_write("w.txt", "0 1 2.5\n1 2 0.5\n2 3 1.5\n3 0 3\n"
                                          "0 2 0.25\n4 5 1\n5 0 2\n");
  CHECK_OK(gl_dataset_load(&d, el, NULL, 1));
  CHECK(d.adj.val != NULL);
  d.y = calloc((size_t)d.adj.n, sizeof *d.y);
  d.n_classes = 2;
  check_partition(&d, 2, gl_test_path("w2"));
  gl_dataset_free(&d);
}

/* A part's rows normalised with the whole graph's degrees are the whole
 * normalisation's rows, entry for entry (local columns mapped back). */
TEST(partition_gcn_norm_of_a_part) {
  gl_dataset d;
  CHECK_OK(gl_dataset_load(&d, "cora", NULL, 1));
  gl_csr ahat;
  CHECK_OK(gl_csr_gcn_norm(&ahat, &d.adj, 1.0f));
  const char *dir = gl_test_path("cora3n");
  gl_partition_opts o = {3, 1};
  CHECK_OK(gl_partition_write(&d, "cora", &o, dir, NULL));
  for (int k = 0; k < 3 && !gl_test_failed(); k++) {
    gl_part p;
    CHECK_OK(gl_part_load(&p, dir, k));
    gl_csr local;
    CHECK_OK(gl_csr_gcn_norm_part(&local, &p.d.adj, p.deg, 1.0f));
    for (gl_idx i = 0; i < p.n_own; i++) {
      gl_idx v = p.orig[i];
      CHECK(local.ptr[i + 1] - local.ptr[i] == ahat.ptr[v + 1] - ahat.ptr[v]);
      for (gl_off e = local.ptr[i]; e < local.ptr[i + 1]; e++) {
        gl_idx u = p.orig[local.col[e]];
        gl_off g = ahat.ptr[v];
        while (g < ahat.ptr[v + 1] && ahat.col[g] != u) g++;
        CHECK(g < ahat.ptr[v + 1] && ahat.val[g] == local.val[e]);
      }
    }
    gl_csr_free(&local);
    gl_part_free(&p);
  }
  gl_csr none;
  CHECK_ERR(gl_csr_gcn_norm_part(&none, &d.adj, NULL, 1.0f), GL_EINVAL,
            "degrees");
  gl_csr_free(&ahat);
  gl_dataset_free(&d);
}

/* Copies file a to b. */
static void copy(const char *a, const char *b) {
  char *buf;
  size_t n;
  CHECK_OK(gl_read_file(a, &buf, &n));
  FILE *f = fopen(b, "wb");
  CHECK(f && fwrite(buf, 1, n, f) == n);
  if (f) fclose(f);
  free(buf);
}

TEST(partition_bad_input) {
  gl_dataset d;
  CHECK_OK(gl_dataset_load(&d, "cora", NULL, 1));
  gl_partition_opts o = {0, 1};
  const char *dir = gl_test_path("part-bad");
  CHECK_ERR(gl_partition_write(&d, "cora", &o, dir, NULL), GL_EINVAL,
            "0 parts");
  o.parts = 3000;
  CHECK_ERR(gl_partition_write(&d, "cora", &o, dir, NULL), GL_EINVAL,
            "3000 parts");
  /* an output that exists: a file, a folder with something in it */
  o.parts = 2;
  const char *file = gl_test_write("part-afile", "x");
  CHECK_ERR(gl_partition_write(&d, "cora", &o, file, NULL), GL_EINVAL,
            "not an empty folder");
  CHECK(mkdir(dir, 0755) == 0);
  gl_test_write("part-bad/keep", "mine");
  CHECK_ERR(gl_partition_write(&d, "cora", &o, dir, NULL), GL_EINVAL,
            "not an empty folder");
  CHECK(gl_file_exists(gl_test_path("part-bad/keep")));
  /* nothing left behind when the folder cannot be made */
  CHECK_ERR(gl_partition_write(&d, "cora", &o, "/proc/nope/p", NULL), GL_EIO,
            "/proc/nope/p");
  /* an empty folder is filled */
  const char *empty = gl_test_path("part-empty");
  CHECK(mkdir(empty, 0755) == 0);
  CHECK_OK(gl_partition_write(&d, "cora", &o, empty, NULL));
  /* parts that are missing, cut, garbled or of another partitioning */
  gl_part p;
  CHECK_ERR(gl_part_load(&p, empty, 2), GL_EIO, "part-2.npz");
  const char *other = gl_test_path("part-other");
  o.seed = 2;
  CHECK_OK(gl_partition_write(&d, "cora", &o, other, NULL));
  char a[512], b[512];
  snprintf(a, sizeof a, "%s/part-1.npz", other);
  snprintf(b, sizeof b, "%s/part-1.npz", empty);
  copy(a, b);
  gl_dataset w;
  CHECK_ERR(gl_dataset_load(&w, empty, NULL, 1), GL_EFORMAT,
            "another partitioning");
  snprintf(a, sizeof a, "%s/part-0.npz", empty);
  copy(a, b); /* part 0 under part 1's name */
  CHECK_ERR(gl_part_load(&p, empty, 1), GL_EFORMAT, "not part 1");
  char *buf;
  size_t n;
  CHECK_OK(gl_read_file(a, &buf, &n));
  FILE *f = fopen(b, "wb");
  CHECK(f && fwrite(buf, 1, n / 2, f) == n / 2);
  fclose(f);
  CHECK_ERR(gl_part_load(&p, empty, 1), GL_EFORMAT, "part-1.npz");
  free(buf);
  /* two parts that claim one position of the training list */
  const char *twice = gl_test_path("part-twice");
  o.seed = 1;
  CHECK_OK(gl_partition_write(&d, "cora", &o, twice, NULL));
  gl_npz z0, z1;
  snprintf(a, sizeof a, "%s/part-0.npz", twice);
  snprintf(b, sizeof b, "%s/part-1.npz", twice);
  CHECK_OK(gl_npz_read(&z0, a));
  CHECK_OK(gl_npz_read(&z1, b));
  const gl_array *p0 = gl_npz_get(&z0, "train_pos");
  const gl_array *p1 = gl_npz_get(&z1, "train_pos");
  CHECK(p0 && p1 && p0->count > 0 && p1->count > 0);
  if (p0 && p1 && p0->count > 0 && p1->count > 0) {
    ((int32_t *)p1->data)[0] = ((const int32_t *)p0->data)[0];
    CHECK_OK(gl_npz_write(b, z1.a, z1.n));
    CHECK_ERR(gl_dataset_load(&w, twice, NULL, 1), GL_EFORMAT,
              "given twice");
  }
  gl_npz_free(&z0);
  gl_npz_free(&z1);
  gl_dataset_free(&d);
}

TEST(partition_tool) {
  char *out = NULL;
  char args[1024];
  char dir[300];
  snprintf(dir, sizeof dir, "%.290s", gl_test_path("tool4"));
  snprintf(args, sizeof args, "cora --parts 4 --out %s", dir);
  int rc = gl_test_run_tool("gl-partition", args, &out);
  CHECK_MSG(rc == 0 && strstr(out, "into 4 parts"), "rc %d: %s", rc, out);
  free(out);
  char book[512];
  snprintf(book, sizeof book, "%s/partition.json", dir);
  char *json = NULL;
  size_t len;
  CHECK_OK(gl_read_file(book, &json, &len));
  CHECK(json && strstr(json, "\"parts\": 4") && strstr(json, "\"nodes\": 2708")
        && strstr(json, "\"source_sha256\": \""));
  free(json);
  /* gnn-train on the partition trains as on the dataset */
  const char *j1 = gl_test_path("p1.json"), *j2 = gl_test_path("p2.json");
  snprintf(args, sizeof args, "%s gcn --runs 1 --quiet --json %s", dir, j1);
  CHECK(gl_test_run_tool("gnn-train", args, NULL) == 0);
  snprintf(args, sizeof args, "cora gcn --runs 1 --quiet --json %s", j2);
  CHECK(gl_test_run_tool("gnn-train", args, NULL) == 0);
  char *a = NULL, *b = NULL;
  size_t la, lb;
  CHECK_OK(gl_read_file(j1, &a, &la));
  CHECK_OK(gl_read_file(j2, &b, &lb));
  const char *ta = a ? strstr(a, "\"test_acc\"") : NULL;
  const char *tb = b ? strstr(b, "\"test_acc\"") : NULL;
  CHECK(ta && tb && !strncmp(ta, tb, 60));
  free(a);
  free(b);
  /* bad usage: one line, exit 2, nothing written */
  static const struct {
    const char *args, *msg;
  } bad[] = {
      {"cora --out X", "--parts P is required"},
      {"cora --parts 2", "--out DIR is required"},
      {"--parts 2 --out X", "no dataset given"},
      {"cora --parts 0 --out X", "--parts"},
      {"cora --parts 5000 --out X", "5000 parts"},
      {"cora --parts 99999 --out X", "--parts"},
      {"nosuch --parts 2 --out X", "unknown dataset"},
      {"cora --parts 2 --out X --split 0.9,0.2", "--split"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char x[600];
    snprintf(x, sizeof x, "%s", gl_test_path("X"));
    char full[1024];
    const char *at = strstr(bad[i].args, "X");
    snprintf(full, sizeof full, "%.*s%s%s", at ? (int)(at - bad[i].args) : 0,
             bad[i].args, at ? x : bad[i].args, at ? at + 1 : "");
    rc = gl_test_run_tool("gl-partition", full, &out);
    CHECK_MSG(rc == 2 && strstr(out, bad[i].msg) &&
                  !strchr(strchr(out, '\n') + 1, '\n'),
              "%s: rc %d: %s", full, rc, out);
    CHECK(!gl_file_exists(x) && !gl_dir_exists(x));
    free(out);
  }
  /* an existing output: not touched */
  snprintf(args, sizeof args, "cora --parts 2 --out %s", dir);
  rc = gl_test_run_tool("gl-partition", args, &out);
  CHECK_MSG(rc == 2 && strstr(out, "not an empty folder"), "rc %d: %s", rc,
            out);
  free(out);
  snprintf(args, sizeof args, "%s/part-3.npz", dir);
  CHECK(gl_file_exists(args));
  rc = gl_test_run_tool("gl-partition", "--help", &out);
  CHECK(rc == 0 && strstr(out, "usage: gl-partition"));
  free(out);
}
