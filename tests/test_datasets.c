/* Tests of datasets/: the six real datasets against their published counts,
 * karate and csbm, npy/npz round trips (also through numpy when it is
 * installed), and one failing case for every kind of bad input. */
#include <igraph.h>
#include <matio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "datasets/internal.h"
#include "tests/test.h"

/* ------------------------------------------------------------ helpers */
/* Structural checks every loaded dataset must pass. */
static void check_common(const gl_dataset *d) {
  gl_idx n = d->adj.n;
  CHECK_OK(gl_csr_check(&d->adj, true));
  CHECK(gl_csr_is_symmetric(&d->adj));
  CHECK(d->adj.val == NULL);
  for (gl_idx i = 0; i < n; i++)
    CHECK_MSG(!gl_csr_has_edge(&d->adj, i, i), "self loop %d", i);
  if (d->x.n) {
    CHECK_EQ(d->x.n, n);
    CHECK_OK(gl_csr_check(&d->x, true));
    int bad = 0;
    for (gl_idx i = 0; i < n; i++) {
      double s = 0;
      for (gl_off e = d->x.ptr[i]; e < d->x.ptr[i + 1]; e++)
        s += gl_csr_w(&d->x, e);
      bad +=
          !(fabs(s - 1) < 1e-4 || (s == 0 && d->x.ptr[i] == d->x.ptr[i + 1]));
    }
    CHECK_EQ(bad, 0);
  }
  if (d->y)
    for (gl_idx i = 0; i < n; i++)
      CHECK(d->y[i] >= -1 && d->y[i] < d->n_classes);
  /* split ids in range, labelled, disjoint */
  char *owner = calloc((size_t)n, 1);
  const gl_idx *s[3] = {d->train, d->val, d->test};
  gl_idx cnt[3] = {d->n_train, d->n_val, d->n_test};
  int bad = 0;
  for (int k = 0; k < 3; k++)
    for (gl_idx i = 0; i < cnt[k]; i++) {
      gl_idx u = s[k][i];
      if (u < 0 || u >= n || owner[u] || (d->y && d->y[u] < 0)) {
        bad++;
        continue;
      }
      owner[u] = 1;
    }
  CHECK_EQ(bad, 0);
  free(owner);
}

typedef struct {
  const char *name;
  gl_idx n;
  gl_off edges;
  gl_idx feats;
  int classes;
  gl_idx tr, va, te; /* te < 0: "the rest" */
} expect;

static void check_dataset(const expect *x, gl_dataset *d) {
  CHECK_EQ(d->adj.n, x->n);
  CHECK_EQ(d->adj.nnz, 2 * x->edges);
  CHECK_EQ(d->x.n ? d->x.m : 0, x->feats);
  CHECK_EQ(d->n_classes, x->classes);
  CHECK_EQ(d->n_train, x->tr);
  CHECK_EQ(d->n_val, x->va);
  CHECK_EQ(d->n_test, x->te >= 0 ? x->te : x->n - x->tr - x->va);
  check_common(d);
}

/* Loads each dataset of ex[0..n) and checks it against its counts. */
static void check_counts(const expect *ex, size_t n) {
  for (size_t i = 0; i < n; i++) {
    gl_dataset d;
    double t0 = gl_now();
    gl_status st = gl_dataset_load(&d, ex[i].name, NULL, 1);
    double dt = gl_now() - t0;
    CHECK_MSG(st == GL_OK, "%s: %s", ex[i].name, gl_errmsg());
    if (st != GL_OK) continue;
    printf("  %-17s %6d nodes %7lld edges  loaded in %.3fs\n", ex[i].name,
           (int)d.adj.n, (long long)d.adj.nnz / 2, dt);
    CHECK(!strcmp(d.name, ex[i].name));
    check_dataset(&ex[i], &d);
    gl_dataset_free(&d);
  }
}

TEST(datasets_real_counts) { /* the shipped ones */
  static const expect ex[] = {
      {"cora", 2708, 5278, 1433, 7, 140, 500, 1000},
      {"citeseer", 3327, 4552, 3703, 6, 120, 500, 1000},
      {"pubmed", 19717, 44324, 500, 3, 60, 500, 1000},
      {"blogcatalog", 10312, 333983, 0, 39, 0, 0, 0},
  };
  check_counts(ex, sizeof ex / sizeof ex[0]);
}

TEST(datasets_coauthor_counts) {
  if (!gl_test_have("coauthor-cs") || !gl_test_have("coauthor-physics"))
    return;
  static const expect ex[] = {
      {"coauthor-cs", 18333, 81894, 6805, 15, 300, 450, -1},
      {"coauthor-physics", 34493, 247962, 8415, 5, 100, 150, -1},
  };
  check_counts(ex, sizeof ex / sizeof ex[0]);
}

TEST(datasets_planetoid_details) {
  gl_dataset d;
  CHECK_OK(gl_dataset_load(&d, "citeseer", NULL, 0));
  int empty = 0;
  for (gl_idx i = 0; i < d.x.n; i++) empty += d.x.ptr[i] == d.x.ptr[i + 1];
  CHECK_EQ(empty, 15); /* 3327 nodes, 3312 feature lines */
  gl_dataset_free(&d);
  CHECK_OK(gl_dataset_load(&d, "cora", NULL, 0));
  /* Planetoid split: train 0..139, dev 140..639, test 1708..2707 */
  CHECK(d.n_train == 140 && d.train[0] == 0 && d.train[139] == 139);
  CHECK(d.n_val == 500 && d.val[0] == 140 && d.val[499] == 639);
  CHECK(d.n_test == 1000 && d.test[0] == 1708 && d.test[999] == 2707);
  CHECK_EQ(d.y[0], 3); /* label.txt: "0<TAB>3" */
  /* binary features: 1/nnz each; node 0 has 9 words */
  CHECK_EQ(d.x.ptr[1] - d.x.ptr[0], 9);
  CHECK_NEAR(d.x.val[0], 1.0 / 9, 1e-7);
  gl_dataset_free(&d);
  CHECK_OK(gl_dataset_load(&d, "pubmed", NULL, 0));
  CHECK_EQ(d.x.col[0], 7); /* "0<TAB>7:0.00499937 11:0.0480492 ..." */
  CHECK(d.x.val[0] > 0 && d.x.val[1] / d.x.val[0] > 9.6 &&
        d.x.val[1] / d.x.val[0] < 9.62);
  gl_dataset_free(&d);
}

TEST(datasets_blogcatalog_multilabel) {
  gl_dataset d;
  CHECK_OK(gl_dataset_load(&d, "blogcatalog", NULL, 0));
  CHECK(d.multilabel && d.y == NULL && d.train == NULL);
  CHECK_EQ(d.ymulti.n, 10312);
  CHECK_EQ(d.ymulti.m, 39);
  CHECK(d.ymulti.nnz >= 10312 && d.ymulti.val == NULL);
  CHECK_OK(gl_csr_check(&d.ymulti, true));
  CHECK_ERR(gl_split_per_class(&d, 20, 30, 1), GL_EINVAL, "no single labels");
  gl_dataset_free(&d);
}

TEST(datasets_coauthor_split) {
  if (!gl_test_have("coauthor-cs")) return;
  gl_dataset a, b, c;
  CHECK_OK(gl_dataset_load(&a, "coauthor-cs", NULL, 7));
  CHECK_OK(gl_dataset_load(&b, "coauthor-cs", NULL, 7));
  CHECK_OK(gl_dataset_load(&c, "coauthor-cs", NULL, 8));
  if (a.y && b.y && c.y) {
    int per[2][15] = {{0}};
    for (gl_idx i = 0; i < a.n_train; i++) per[0][a.y[a.train[i]]]++;
    for (gl_idx i = 0; i < a.n_val; i++) per[1][a.y[a.val[i]]]++;
    for (int k = 0; k < 15; k++) {
      CHECK_EQ(per[0][k], 20);
      CHECK_EQ(per[1][k], 30);
    }
    CHECK(!memcmp(a.train, b.train, (size_t)a.n_train * sizeof *a.train));
    CHECK(!memcmp(a.val, b.val, (size_t)a.n_val * sizeof *a.val));
    CHECK(memcmp(a.train, c.train, (size_t)a.n_train * sizeof *a.train) != 0);
    /* re-splitting in place frees the old split */
    CHECK_OK(gl_split_per_class(&a, 5, 5, 3));
    CHECK_EQ(a.n_train, 75);
    CHECK_EQ(a.n_test, 18333 - 150);
    check_common(&a);
  }
  gl_dataset_free(&a);
  gl_dataset_free(&b);
  gl_dataset_free(&c);
}

TEST(datasets_karate_and_csbm) {
  gl_dataset d;
  CHECK_OK(gl_dataset_load(&d, "karate", NULL, 0));
  CHECK_EQ(d.adj.n, 34);
  CHECK_EQ(d.adj.nnz, 156);
  CHECK_EQ(d.x.n, 0);
  CHECK_EQ(d.n_classes, 2);
  CHECK(d.train == NULL); /* 17 + 17 members: too few for 20 / 30 */
  int zero = 0;
  for (int i = 0; i < 34; i++) zero += d.y[i] == 0;
  CHECK_EQ(zero, 17);
  CHECK(d.y[0] == 0 && d.y[33] == 1);
  check_common(&d);
  gl_dataset_free(&d);
  CHECK_OK(
      gl_dataset_load(&d, "csbm:n=300,k=3,d=8,deg=6,pin=0.9,seed=5", NULL, 2));
  CHECK_EQ(d.adj.n, 300);
  CHECK_EQ(d.x.n, 300);
  CHECK_EQ(d.x.m, 8);
  CHECK_EQ(d.n_classes, 3);
  CHECK_EQ(d.n_train, 60);
  CHECK_EQ(d.n_val, 90);
  CHECK_EQ(d.n_test, 150);
  CHECK_OK(gl_csr_check(&d.adj, true));
  CHECK(gl_csr_is_symmetric(&d.adj));
  gl_dataset_free(&d);
  CHECK_ERR(gl_dataset_load(&d, "csbm:n=10,bogus=1", NULL, 0), GL_EINVAL,
            "unknown parameter 'bogus'");
  CHECK_ERR(gl_dataset_load(&d, "csbm:n=abc", NULL, 0), GL_EINVAL,
            "bad value 'abc' for n");
  CHECK_ERR(gl_dataset_load(&d, "csbm:n", NULL, 0), GL_EINVAL, "not key=value");
}

/* An igraph error handler that counts its calls. */
static int igraph_errors_seen;
static void count_igraph_error(const char *reason, const char *file, int line,
                               igraph_error_t e) {
  (void)reason;
  (void)file;
  (void)line;
  (void)e;
  igraph_errors_seen++;
}

TEST(datasets_karate_igraph_handlers) {
  /* karate comes from igraph_famous, which the loader called under
   * igraph's default handler (abort on any error).  It now goes through
   * gl_csr_famous, under graph/'s silenced handlers: an igraph error is a
   * status and never reaches the process's handler (here one that counts;
   * by default one that aborts), which is restored after the call. */
  igraph_error_handler_t *before = igraph_set_error_handler(count_igraph_error);
  igraph_errors_seen = 0;
  gl_csr a;
  CHECK_ERR(gl_csr_famous(&a, "no such graph"), GL_EINVAL,
            "igraph has no graph named 'no such graph'");
  CHECK_EQ(igraph_errors_seen, 0);
  CHECK_OK(gl_csr_famous(&a, "zachary"));
  CHECK(a.n == 34 && a.nnz == 156 && gl_csr_is_symmetric(&a));
  gl_dataset d;
  CHECK_OK(gl_dataset_load(&d, "karate", NULL, 0));
  CHECK(d.adj.nnz == a.nnz &&
        !memcmp(d.adj.col, a.col, sizeof *a.col * (size_t)a.nnz));
  gl_dataset_free(&d);
  gl_csr_free(&a);
  CHECK(igraph_set_error_handler(before) == count_igraph_error);
}

TEST(datasets_registry_errors) {
  gl_dataset d;
  CHECK_ERR(gl_dataset_load(&d, "nosuchdataset", NULL, 0), GL_ENOTFOUND,
            "unknown dataset 'nosuchdataset'");
  CHECK_ERR(gl_dataset_load(&d, "/nonexistent/folder", NULL, 0), GL_EIO,
            "no such file or folder");
  CHECK_ERR(gl_dataset_load(&d, "cora", gl_test_path("empty-dir"), 0), GL_EIO,
            "planetoid/cora not found");
  CHECK_ERR(gl_dataset_load(&d, "", NULL, 0), GL_EINVAL, "no dataset name");
  mkdir(gl_test_path("not-gmnn"), 0700);
  CHECK_ERR(gl_dataset_load(&d, gl_test_path("not-gmnn"), NULL, 0), GL_EFORMAT,
            "without net.txt");
  /* --help's list names every registered dataset */
  for (int i = 0; i < gl_dataset_info_count(); i++)
    CHECK_MSG(strstr(gl_dataset_names(), gl_dataset_info_at(i)->name),
              "%s missing from gl_dataset_names()",
              gl_dataset_info_at(i)->name);
  CHECK(gl_dataset_info_at(gl_dataset_info_count()) == NULL);
  CHECK(gl_dataset_info_find("COAUTHOR-CS") == gl_dataset_info_at(4));
  CHECK(d.adj.ptr == NULL && d.y == NULL); /* failures leave d empty */
}

/* ------------------------------------------------------------ GMNN fixtures */
/* A valid 5-node GMNN folder; `file`, when given, is replaced by `text`. */
static const char *gmnn_fixture(const char *dir, const char *file,
                                const char *text) {
  static const char *names[] = {"net.txt", "feature.txt", "label.txt",
                                "train.txt", "dev.txt", "test.txt"};
  static const char *texts[] = {
      "0\t1\t1\n1\t0\t1\n1\t2\t1\n2\t1\t1\n3\t3\t1\n2\t4\t1\n4\t2\t1\n",
      "0\t0:1.0 2:1.0\n1\t1:1.0\n2\t0:0.5 1:1.5\n4\t2:1.0\n",
      "0\t1\n1\t0\n2\t1\n3\t0\n4\t2\n",
      "0\n1\n",
      "2\n",
      "3\n4\n"};
  mkdir(gl_test_path(dir), 0700);
  char rel[128];
  for (int i = 0; i < 6; i++) {
    snprintf(rel, sizeof rel, "%s/%s", dir, names[i]);
    if (file && !strcmp(file, names[i])) {
      if (text)
        gl_test_write(rel, text);
      else
        remove(gl_test_path(rel));
    } else {
      gl_test_write(rel, texts[i]);
    }
  }
  return gl_test_path(dir);
}

TEST(datasets_gmnn_fixture_ok) {
  gl_dataset d;
  CHECK_OK(gl_load_gmnn(&d, gmnn_fixture("g-ok", NULL, NULL)));
  CHECK_EQ(d.adj.n, 5);
  CHECK_EQ(d.adj.nnz, 6); /* 0-1, 1-2, 2-4; the 3-3 self loop dropped */
  CHECK_EQ(d.x.m, 3);
  CHECK_EQ(d.x.ptr[4] - d.x.ptr[3], 0); /* node 3: no feature line */
  CHECK_NEAR(d.x.val[d.x.ptr[2]], 0.25, 1e-7); /* 0.5 / (0.5 + 1.5) */
  CHECK_EQ(d.n_classes, 3);
  CHECK(d.n_train == 2 && d.n_val == 1 && d.n_test == 2);
  CHECK(!strcmp(d.name, "g-ok"));
  check_common(&d);
  gl_dataset_free(&d);
  /* class names instead of integers: numbered by first appearance */
  CHECK_OK(gl_load_gmnn(&d, gmnn_fixture("g-names", "label.txt",
                                         "0\tNeural\n1\tTheory\n2\tNeural\n"
                                         "3\tRL\n4\tTheory\n")));
  CHECK(d.y[0] == 0 && d.y[1] == 1 && d.y[3] == 2 && d.y[4] == 1);
  CHECK_EQ(d.n_classes, 3);
  gl_dataset_free(&d);
  /* CRLF line endings, comments and blank lines */
  CHECK_OK(gl_load_gmnn(&d, gmnn_fixture("g-crlf", "net.txt",
                                         "# edges\r\n0\t1\t1\r\n\r\n1\t2\t1\r\n"
                                         "2\t4\t1\r\n3 3 1\r\n")));
  CHECK_EQ(d.adj.nnz, 6);
  gl_dataset_free(&d);
}

typedef struct {
  const char *file, *text;
  gl_status st;
  const char *msg;
} bad_case;

TEST(datasets_gmnn_bad_inputs) {
  static const bad_case cases[] = {
      {"net.txt", NULL, GL_EIO, "net.txt: No such file"},
      {"net.txt", "", GL_EFORMAT, "net.txt: empty file"},
      {"net.txt", "# nothing\n\n", GL_EFORMAT, "no edges"},
      {"net.txt", "0\t1\t1\n1\tabc\t1\n", GL_EFORMAT,
       "net.txt:2: node id 'abc' is not an integer"},
      {"net.txt", "0\t1\t1\n2\n", GL_EFORMAT, "net.txt:2: truncated line"},
      {"net.txt", "0\t-4\t1\n", GL_EFORMAT, "node id -4 is negative"},
      {"net.txt", "0\t99999999999\n", GL_EFORMAT, "is out of range"},
      {"net.txt", "0\t2000000000\n", GL_EFORMAT, "implausibly large"},
      {"net.txt", "0\t1\tx\n", GL_EFORMAT, "edge weight 'x' is not a number"},
      {"net.txt", "0\t1\t-2\n", GL_EFORMAT, "not positive"},
      {"net.txt", "0\t1\t1\t9\n", GL_EFORMAT, "unexpected extra field '9'"},
      {"net.txt", "0\t1.5\t1\n", GL_EFORMAT, "'1.5' is not an integer"},
      {"feature.txt", NULL, GL_EIO, "feature.txt: No such file"},
      {"feature.txt", "", GL_EFORMAT, "feature.txt: empty file"},
      {"feature.txt", "0\t1:1.0 x:1.0\n", GL_EFORMAT,
       "feature.txt:1: feature index 'x:1.0' is not an integer"},
      {"feature.txt", "0\t1:1.0\n1\t2:abc\n", GL_EFORMAT,
       "feature.txt:2: feature value 'abc' is not a number"},
      {"feature.txt", "0\t-1:1.0\n", GL_EFORMAT,
       "feature index -1 is negative"},
      {"feature.txt", "0\t5\n", GL_EFORMAT,
       "feature entry '5' is not index:value"},
      {"feature.txt", "0\t1:\n", GL_EFORMAT,
       "truncated line: expected feature value"},
      {"feature.txt", "0\t1:1e999\n", GL_EFORMAT, "not a finite float"},
      {"feature.txt", "0\t1:1\n0\t2:1\n", GL_EFORMAT,
       "feature.txt:2: node 0 already has a feature line (line 1)"},
      {"feature.txt", "x\t1:1\n", GL_EFORMAT, "node id 'x' is not an integer"},
      {"feature.txt", "0\t30000000:1\n", GL_EFORMAT,
       "feature index 30000000 is implausibly large"},
      {"label.txt", NULL, GL_EIO, "label.txt: No such file"},
      {"label.txt", "", GL_EFORMAT, "label.txt: empty file"},
      {"label.txt", "0\t1\n1\tx\n", GL_EFORMAT,
       "label.txt:2: label 'x' is not an integer but the label on line 1 is"},
      {"label.txt", "0\t1\n1\n", GL_EFORMAT,
       "label.txt:2: truncated line: expected a label"},
      {"label.txt", "0\t1\n9\t1\n", GL_EFORMAT,
       "label.txt:2: node 9 is out of range"},
      {"label.txt", "0\t1\n0\t1\n", GL_EFORMAT,
       "node 0 already has a label (line 1)"},
      {"label.txt", "0\t-1\n", GL_EFORMAT, "label -1 is negative"},
      {"label.txt", "0\t1 2\n", GL_EFORMAT, "unexpected extra field '2'"},
      {"label.txt", "0\t100000\n", GL_EFORMAT, "label 100000 is out of range"},
      {"train.txt", NULL, GL_EIO, "train.txt: No such file"},
      {"train.txt", "", GL_EFORMAT, "train.txt: empty file"},
      {"train.txt", "\n\n", GL_EFORMAT, "train.txt: no node ids"},
      {"train.txt", "0\nzero\n", GL_EFORMAT,
       "train.txt:2: node id 'zero' is not an integer"},
      {"train.txt", "0 1\n", GL_EFORMAT, "unexpected extra field"},
      {"dev.txt", "7\n", GL_EFORMAT, "dev.txt:1: node 7 is out of range"},
      {"dev.txt", "1\n", GL_EFORMAT,
       "dev.txt:1: node 1 is already listed in train.txt"},
      {"test.txt", NULL, GL_EIO, "test.txt: No such file"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char dir[32];
    snprintf(dir, sizeof dir, "g-bad%zu", i);
    const char *path = gmnn_fixture(dir, cases[i].file, cases[i].text);
    gl_dataset d;
    CHECK_ERR(gl_load_gmnn(&d, path), cases[i].st, cases[i].msg);
    CHECK(d.adj.ptr == NULL && d.x.ptr == NULL && d.y == NULL && !d.train);
  }
  /* a split node without a label */
  gl_dataset d;
  CHECK_ERR(gl_load_gmnn(&d, gmnn_fixture("g-nolab", "label.txt", "0\t1\n")),
            GL_EFORMAT, "train.txt:2: node 1 has no label in label.txt");
  CHECK_ERR(gl_load_gmnn(&d, gl_test_path("no-such-folder")), GL_EIO,
            "no such folder");
}

/* ------------------------------------------------------------ edge lists */
TEST(datasets_edgelist) {
  gl_dataset d;
  const char *p =
      gl_test_write("g.edges", "# a comment\n0 1\n1 2 2.5\n\n2,3\n3 3\n");
  CHECK_OK(gl_dataset_load(&d, p, NULL, 0));
  CHECK_EQ(d.adj.n, 4);
  CHECK_EQ(d.adj.nnz, 6);
  CHECK(d.adj.val != NULL); /* a weight other than 1 */
  CHECK(!strcmp(d.name, "g"));
  gl_dataset_free(&d);
  CHECK_OK(gl_load_edgelist(&d, gl_test_write("dir.txt", "0 1\n2 1\n"), true));
  CHECK(gl_csr_has_edge(&d.adj, 0, 1) && !gl_csr_has_edge(&d.adj, 1, 0));
  CHECK(d.adj.val == NULL);
  gl_dataset_free(&d);
  CHECK_ERR(
      gl_load_edgelist(&d, gl_test_write("bad1.txt", "0 1\nfoo bar\n"), false),
      GL_EFORMAT, "bad1.txt:2: node id 'foo' is not an integer");
  CHECK_ERR(gl_load_edgelist(&d, gl_test_write("bad2.txt", "# only\n"), false),
            GL_EFORMAT, "no edges");
  CHECK_ERR(gl_load_edgelist(&d, gl_test_write("bad3.txt", ""), false),
            GL_EFORMAT, "empty file");
  CHECK_ERR(gl_load_edgelist(&d, gl_test_write("bad4.txt", "0 1 nan\n"), false),
            GL_EFORMAT, "edge weight 'nan' is not a number");
  CHECK_ERR(
      gl_load_edgelist(&d, gl_test_write("bad5.txt", "\x01\x02\x03\n"), false),
      GL_EFORMAT, "is not an integer");
  CHECK_ERR(gl_load_edgelist(&d, gl_test_path("missing.txt"), false), GL_EIO,
            "cannot open");
}

/* ------------------------------------------------------------ npy / npz */
static gl_array arr(const char *name, gl_dtype t, int ndim,
                    const int64_t *shape, void *data) {
  gl_array a;
  memset(&a, 0, sizeof a);
  snprintf(a.name, sizeof a.name, "%s", name);
  a.dtype = t;
  a.ndim = ndim;
  a.count = 1;
  for (int i = 0; i < ndim; i++) {
    a.shape[i] = shape[i];
    a.count *= shape[i];
  }
  a.data = data;
  return a;
}

/* The interpreter that has numpy, or NULL. */
static const char *numpy_python(void) {
  static const char *const cands[] = {"python3", "/usr/bin/python3"};
  for (int i = 0; i < 2; i++) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "%s -c 'import numpy'", cands[i]);
    if (gl_test_run(cmd, NULL) == 0) return cands[i];
  }
  return NULL;
}

TEST(datasets_npz_round_trip) {
  int32_t i32[6] = {1, -2, 3, 2147483647, -2147483647 - 1, 0};
  int64_t i64[3] = {-5, 1LL << 40, 7};
  float f32[6] = {0.5f, -1.25f, 3e-8f, 1e30f, 0, 2};
  double f64[2] = {3.141592653589793, -1e-300};
  uint8_t u8[3] = {0, 255, 7}, b1[2] = {1, 0};
  double scalar = 42.5;
  int64_t s6[1] = {6}, s23[2] = {2, 3}, s3[1] = {3}, s2[1] = {2}, s0[1] = {0};
  gl_array in[8] = {
      arr("ints", GL_I32, 1, s6, i32),     arr("longs", GL_I64, 1, s3, i64),
      arr("mat", GL_F32, 2, s23, f32),     arr("dbl", GL_F64, 1, s2, f64),
      arr("bytes", GL_U8, 1, s3, u8),      arr("flags", GL_BOOL, 1, s2, b1),
      arr("scalar", GL_F64, 0, NULL, &scalar),
      arr("empty", GL_F32, 1, s0, NULL)};
  const char *p = gl_test_path("rt.npz");
  CHECK_OK(gl_npz_write(p, in, 8));
  gl_npz z;
  CHECK_OK(gl_npz_read(&z, p));
  CHECK_EQ(z.n, 8);
  for (int i = 0; i < 8 && z.n == 8; i++) {
    const gl_array *a = gl_npz_get(&z, in[i].name);
    CHECK_MSG(a != NULL, "%s: %s", in[i].name, gl_errmsg());
    if (!a) continue;
    CHECK_EQ(a->dtype, in[i].dtype);
    CHECK_EQ(a->ndim, in[i].ndim);
    CHECK_EQ(a->count, in[i].count);
    for (int k = 0; k < a->ndim; k++) CHECK_EQ(a->shape[k], in[i].shape[k]);
    if (a->count)
      CHECK(!memcmp(a->data, in[i].data,
                    (size_t)a->count * gl_dtype_size(a->dtype)));
  }
  CHECK(gl_npz_get(&z, "nothere") == NULL);
  CHECK(strstr(gl_errmsg(), "no member nothere") != NULL);
  const gl_array *dummy;
  CHECK_ERR(gl_npz_find(&z, "nothere", &dummy), GL_ENOTFOUND,
            "rt.npz: no member nothere");
  gl_npz_free(&z);
  /* the same members deflated */
  gl_zip_member m[2];
  char h1[128], h2[128];
  size_t l1 = gl_npy_header(
      h1, sizeof h1, 1,
      "{'descr': '<i4', 'fortran_order': False, 'shape': (6,), }");
  size_t l2 = gl_npy_header(
      h2, sizeof h2, 2,
      "{'shape': (2, 3), 'fortran_order': False, \"descr\": '<f4'}");
  char *b1m = malloc(l1 + sizeof i32), *b2m = malloc(l2 + sizeof f32);
  memcpy(b1m, h1, l1);
  memcpy(b1m + l1, i32, sizeof i32);
  memcpy(b2m, h2, l2);
  memcpy(b2m + l2, f32, sizeof f32);
  m[0] = (gl_zip_member){"ints.npy", b1m, l1 + sizeof i32};
  m[1] = (gl_zip_member){"mat.npy", b2m, l2 + sizeof f32};
  CHECK_OK(gl_zip_write(gl_test_path("defl.npz"), m, 2, true));
  CHECK_OK(gl_npz_read(&z, gl_test_path("defl.npz")));
  const gl_array *a = gl_npz_get(&z, "mat");
  CHECK(a && a->ndim == 2 && a->shape[1] == 3 &&
        !memcmp(a->data, f32, sizeof f32));
  a = gl_npz_get(&z, "ints");
  CHECK(a && !memcmp(a->data, i32, sizeof i32));
  gl_npz_free(&z);
  free(b1m);
  free(b2m);
  /* single .npy */
  gl_array one;
  CHECK_OK(gl_npy_write(gl_test_path("m.npy"), &in[2]));
  CHECK_OK(gl_npy_read(&one, gl_test_path("m.npy")));
  CHECK(one.ndim == 2 && one.count == 6 && !memcmp(one.data, f32, sizeof f32));
  free(one.data);
  /* numpy reads what we write */
  const char *py = numpy_python();
  if (!py) SKIP("needs python3 with numpy for the numpy.load check");
  char cmd[1024], *out = NULL;
  snprintf(
      cmd, sizeof cmd,
      "%s -c \"import numpy as np; z = np.load('%s'); "
      "print(sorted(z.files)); print(z['ints'].tolist(), z['longs'].tolist()); "
      "print(z['mat'].dtype, z['mat'].shape, z['mat'][1].tolist()); "
      "print(z['dbl'].tolist(), z['bytes'].tolist(), z['flags'].tolist(), "
      "float(z['scalar']), z['empty'].shape); "
      "print(np.load('%s').sum())\"",
      py, p, gl_test_path("m.npy"));
  int rc = gl_test_run(cmd, &out);
  const char *want =
      "['bytes', 'dbl', 'empty', 'flags', 'ints', 'longs', 'mat', 'scalar']\n"
      "[1, -2, 3, 2147483647, -2147483648, 0] [-5, 1099511627776, 7]\n"
      "float32 (2, 3) [1.0000000150474662e+30, 0.0, 2.0]\n"
      "[3.141592653589793, -1e-300] [0, 255, 7] [True, False] 42.5 (0,)\n"
      "1e+30\n";
  CHECK_MSG(rc == 0 && out && !strcmp(out, want), "numpy said (rc %d):\n%s", rc,
            out ? out : "");
  free(out);
  /* and we read what numpy writes: deflated, zip64 local extras, a pickle */
  const char *q = gl_test_path("numpy.npz");
  snprintf(
      cmd, sizeof cmd,
      "%s -c \"import numpy as np; np.savez_compressed('%s', "
      "a=np.arange(5, dtype=np.int64), o=np.array([None, 1], dtype=object), "
      "f=np.asfortranarray(np.ones((2, 3))), s=np.array(['x', 'yy']))\"",
      py, q);
  CHECK_EQ(gl_test_run(cmd, NULL), 0);
  CHECK_OK(gl_npz_read(&z, q));
  a = gl_npz_get(&z, "a");
  CHECK(a && a->dtype == GL_I64 && a->count == 5 &&
        ((int64_t *)a->data)[4] == 4);
  CHECK_ERR(gl_npz_find(&z, "o", &a), GL_EFORMAT,
            "member o is a pickled object array; refusing to unpickle");
  CHECK_ERR(gl_npz_find(&z, "f", &a), GL_EFORMAT, "Fortran order");
  CHECK_ERR(gl_npz_find(&z, "s", &a), GL_EFORMAT, "has dtype '<U2'");
  gl_npz_free(&z);
}

/* Wraps raw .npy bytes (header dict + payload) as member `name` of a stored
 * (or deflated) zip at `file`; returns its path. */
static const char *raw_npz(const char *file, const char *name, const char *dict,
                           const void *payload, size_t size, bool deflate) {
  char head[512], full[640];
  size_t hl = gl_npy_header(head, sizeof head, 1, dict);
  char *buf = malloc(hl + size + 1);
  memcpy(buf, head, hl);
  if (size) memcpy(buf + hl, payload, size);
  snprintf(full, sizeof full, "%s.npy", name);
  gl_zip_member m = {full, buf, hl + size};
  const char *p = gl_test_path(file);
  CHECK_OK(gl_zip_write(p, &m, 1, deflate));
  free(buf);
  return p;
}

static void flip_byte(const char *path, long off_from_end) {
  char *buf;
  size_t size;
  if (gl_read_file(path, &buf, &size) != GL_OK) return;
  buf[size - (size_t)off_from_end] ^= 0x55;
  FILE *f = fopen(path, "wb");
  fwrite(buf, 1, size, f);
  fclose(f);
  free(buf);
}

TEST(datasets_npz_bad_archives) {
  gl_npz z;
  const gl_array *a;
  CHECK_ERR(gl_npz_read(&z, gl_test_path("none.npz")), GL_EIO, "cannot open");
  CHECK_ERR(
      gl_npz_read(&z, gl_test_write("text.npz", "hello, not a zip at all\n")),
      GL_EFORMAT, "text.npz: not a zip archive");
  CHECK_ERR(gl_npz_read(&z, gl_test_write("empty.npz", "")), GL_EFORMAT,
            "not a zip archive");
  /* a valid archive cut in half */
  float f[64] = {0};
  int64_t s64[1] = {64};
  gl_array one = arr("x", GL_F32, 1, s64, f);
  const char *p = gl_test_path("cut.npz");
  CHECK_OK(gl_npz_write(p, &one, 1));
  CHECK_OK(truncate(p, 200) == 0 ? GL_OK : GL_EIO);
  CHECK_ERR(gl_npz_read(&z, p), GL_EFORMAT, "truncated zip archive");
  /* one data byte changed in a stored member: CRC */
  p = gl_test_path("crc.npz");
  CHECK_OK(gl_npz_write(p, &one, 1));
  flip_byte(p, 22 + 46 + 5 + 10);
  CHECK_ERR(gl_npz_read(&z, p), GL_EFORMAT, "member x.npy: CRC-32 mismatch");
  /* a deflated member with corrupt data */
  static const char dict_f4[] =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (64,), }";
  float ramp[64];
  for (int i = 0; i < 64; i++) ramp[i] = (float)i * 0.37f;
  p = raw_npz("defl-bad.npz", "x", dict_f4, ramp, sizeof ramp, true);
  CHECK_OK(gl_npz_read(&z, p));
  gl_npz_free(&z);
  flip_byte(p, 22 + 46 + 5 + 40);
  CHECK_ERR(gl_npz_read(&z, p), GL_EFORMAT, "corrupt");
  /* pickles are never read, and asking for one says so */
  p = raw_npz("pickle.npz", "class_names",
              "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
              "\x80\x02]q\x00.", 6, false);
  CHECK_OK(gl_npz_read(&z, p));
  CHECK_ERR(
      gl_npz_find(&z, "class_names", &a), GL_EFORMAT,
      "pickle.npz: member class_names is a pickled object array; refusing "
      "to unpickle");
  gl_npz_free(&z);
  /* header problems */
  static const struct {
    const char *dict;
    size_t payload;
    const char *msg;
  } hdr[] = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", 0,
       "negative dimension"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }",
       16, "needs 4398046511104 bytes of data but the member holds 16"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, "
       "4294967296), }",
       16, "element count overflows"},
      /* 2^62 elements of 4 bytes: the byte count overflowed to 0, and the
       * message said "needs 0 bytes of data but the member holds 0" */
      {"{'descr': '<f4', 'fortran_order': False, 'shape': "
       "(4611686018427387904,), }",
       0,
       "shape of 4611686018427387904 elements of <f4 needs more than "
       "18446744073709551615 bytes of data (the member holds 0)"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': "
       "(2305843009213693952,), }",
       8, "needs more than 18446744073709551615 bytes"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': "
       "(99999999999999999999,), }",
       16, "dimension too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }", 16,
       "needs 32 bytes of data but the member holds 16"},
      {"{'descr': '<f4', 'fortran_order': False}", 16, "lacks"},
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (4,)}", 16,
       "malformed .npy header near 'Maybe"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,)}", 16,
       "structured dtypes"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1), }", 4,
       "more than 4 dimensions"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", 16,
       "unknown .npy header key 'x'"},
      {"[1, 2, 3]", 16, "malformed .npy header"},
  };
  for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
    char file[32];
    snprintf(file, sizeof file, "hdr%zu.npz", i);
    p = raw_npz(file, "x", hdr[i].dict, ramp, hdr[i].payload, false);
    CHECK_ERR(gl_npz_read(&z, p), GL_EFORMAT, hdr[i].msg);
  }
  /* unsupported dtypes and Fortran order are skipped, not fatal */
  p = raw_npz("fort.npz", "x",
              "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
              ramp, 16, false);
  CHECK_OK(gl_npz_read(&z, p));
  CHECK_ERR(gl_npz_find(&z, "x", &a), GL_EFORMAT, "Fortran order");
  gl_npz_free(&z);
  p = raw_npz("be.npz", "x",
              "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", ramp,
              16, false);
  CHECK_OK(gl_npz_read(&z, p));
  CHECK_ERR(gl_npz_find(&z, "x", &a), GL_EFORMAT, "has dtype '>f4'");
  gl_npz_free(&z);
  /* a member that is not an npy image at all */
  gl_zip_member junk = {"x.npy", "garbage!!garbage!!", 18};
  CHECK_OK(gl_zip_write(gl_test_path("junk.npz"), &junk, 1, false));
  CHECK_ERR(gl_npz_read(&z, gl_test_path("junk.npz")), GL_EFORMAT, "bad magic");
  /* an archive that claims zip64 */
  unsigned char eocd[22] = {0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0,
                            0xff, 0xff, 0xff, 0xff};
  FILE *fz = fopen(gl_test_path("z64.npz"), "wb");
  fwrite(eocd, 1, 22, fz);
  fclose(fz);
  CHECK_ERR(gl_npz_read(&z, gl_test_path("z64.npz")), GL_EFORMAT, "zip64");
  /* .npy files */
  gl_array x;
  CHECK_ERR(gl_npy_read(&x, gl_test_write("t.npy", "\x93NUMPY\x01")),
            GL_EFORMAT, "t.npy: not a .npy array");
  FILE *fu = fopen(gl_test_path("u.npy"), "wb");
  fwrite("\x93NUMPY\x01\x00\x40\x00{'descr'", 1, 18, fu);
  fclose(fu);
  CHECK_ERR(
      gl_npy_read(&x, gl_test_path("u.npy")), GL_EFORMAT,
      "u.npy: truncated .npy header (64 header bytes announced, 8 present)");
  /* writer argument checks */
  gl_array bad = arr("x", GL_F32, 1, s64, NULL);
  CHECK_ERR(gl_npz_write(gl_test_path("w.npz"), &bad, 1), GL_EINVAL, "no data");
  gl_array two[2] = {one, one};
  CHECK_ERR(gl_npz_write(gl_test_path("w.npz"), two, 2), GL_EINVAL,
            "two arrays named x");
  bad = one;
  bad.count = 3;
  CHECK_ERR(gl_npz_write(gl_test_path("w.npz"), &bad, 1), GL_EINVAL,
            "product of shape");
  CHECK(!gl_file_exists(gl_test_path("w.npz")));
}

/* A 4-node path graph in gnn-benchmark layout; `bad` selects one defect. */
static const char *bench_npz(const char *file, int bad) {
  int32_t indptr[5] = {0, 1, 3, 5, 6}, indices[6] = {1, 0, 2, 1, 3, 2};
  float data[6] = {1, 1, 1, 1, 1, 1};
  int64_t shape[2] = {4, 4}, ashape[2] = {4, 3}, shape3[3] = {4, 4, 1};
  int32_t aptr[5] = {0, 1, 2, 2, 4}, aidx[4] = {0, 2, 1, 2};
  float aval[4] = {2, 1, 1, 3};
  int64_t labels[4] = {0, 1, 1, 0};
  double flabels[4] = {0, 1, 1, 0};
  int64_t s5[1] = {5}, s6[1] = {6}, s2[1] = {2}, s4[1] = {4}, s3[1] = {3};
  gl_array a[9] = {arr("adj_indptr", GL_I32, 1, s5, indptr),
                   arr("adj_indices", GL_I32, 1, s6, indices),
                   arr("adj_data", GL_F32, 1, s6, data),
                   arr("adj_shape", GL_I64, 1, s2, shape),
                   arr("attr_indptr", GL_I32, 1, s5, aptr),
                   arr("attr_indices", GL_I32, 1, s4, aidx),
                   arr("attr_data", GL_F32, 1, s4, aval),
                   arr("attr_shape", GL_I64, 1, s2, ashape),
                   arr("labels", GL_I64, 1, s4, labels)};
  switch (bad) {
  case 1: a[0].shape[0] = a[0].count = 4; break;  /* indptr length != n + 1 */
  case 2: indices[3] = 4; break;                   /* index out of range */
  case 3: indptr[2] = 0; break;                    /* not monotone */
  case 4: a[8].shape[0] = a[8].count = 3; break;  /* labels length != n */
  case 5: a[8] = arr("labels", GL_F64, 1, s4, flabels); break;
  case 6: shape[1] = 5; break;                     /* not square */
  case 7: a[2].shape[0] = a[2].count = 5; break;  /* adj_data length */
  case 8: ashape[0] = 3; break;                    /* attr rows != n */
  case 9: a[3] = arr("adj_shape", GL_I64, 1, s3, shape3); break;
  case 10: labels[2] = -7; break;
  case 11: a[0] = a[1]; a[0].dtype = GL_F32; break; /* adj_indptr -> float,
                                                       wrong name */
  case 12: indptr[4] = 7; break;                    /* ends past indices */
  case 13: aidx[3] = 3; break;                      /* feature index out of
                                                       range */
  }
  if (bad == 11) snprintf(a[0].name, sizeof a[0].name, "adj_indptr");
  const char *p = gl_test_path(file);
  CHECK_OK(gl_npz_write(p, a, bad == 14 ? 8 : 9));
  return p;
}

TEST(datasets_npz_dataset) {
  gl_dataset d;
  CHECK_OK(gl_load_npz_dataset(&d, bench_npz("bench.npz", 0)));
  CHECK_EQ(d.adj.n, 4);
  CHECK_EQ(d.adj.nnz, 6);
  CHECK_EQ(d.x.m, 3);
  CHECK_NEAR(d.x.val[d.x.ptr[3]], 0.25, 1e-7); /* row 3: 1 and 3 */
  CHECK_EQ(d.n_classes, 2);
  CHECK(d.train == NULL); /* the loader itself draws no split */
  CHECK(!strcmp(d.name, "bench"));
  check_common(&d);
  gl_dataset_free(&d);
  CHECK_OK(gl_load_npz_dataset(&d, bench_npz("nolabels.npz", 14)));
  CHECK(d.y == NULL && d.n_classes == 0);
  gl_dataset_free(&d);
  static const struct {
    int bad;
    const char *msg;
  } cases[] = {
      {1, "member adj_indptr has 4 entries, expected rows + 1 = 5"},
      {2, "adj_indices[3] = 4 is out of range [0, 4)"},
      {3, "adj_indptr is not monotone at row 1"},
      {4, "member labels has 3 entries, expected the number of nodes = 4"},
      {5, "member labels holds float64 values, expected integers"},
      {6, "adj_shape (4, 5) is not square"},
      {7, "member adj_data has 5 entries, expected the number of indices = 6"},
      {8, "attr_shape has 3 rows but the graph has 4 nodes"},
      {9, "member adj_shape has 3 entries"},
      {10, "labels[2] = -7 is not a class id"},
      {11, "member adj_indptr holds float32 values"},
      {12, "adj_indptr must start at 0 and end at the number of indices"},
      {13, "attr_indices[3] = 3 is out of range [0, 3)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char file[32];
    snprintf(file, sizeof file, "bench%d.npz", cases[i].bad);
    CHECK_ERR(gl_load_npz_dataset(&d, bench_npz(file, cases[i].bad)),
              GL_EFORMAT, cases[i].msg);
  }
  /* a pickled labels member refuses to load */
  gl_npz z;
  CHECK_OK(gl_npz_read(&z, bench_npz("nolab.npz", 14)));
  gl_zip_member mem[9];
  char heads[9][256], names[9][140], *bufs[9] = {NULL};
  for (int i = 0; i < z.n && i < 8; i++) {
    size_t hl = 0, ds = 0;
    CHECK_OK(gl_npy_make_header(&z.a[i], heads[i], &hl, &ds));
    bufs[i] = malloc(hl + ds);
    memcpy(bufs[i], heads[i], hl);
    memcpy(bufs[i] + hl, z.a[i].data, ds);
    snprintf(names[i], sizeof names[i], "%s.npy", z.a[i].name);
    mem[i] = (gl_zip_member){names[i], bufs[i], hl + ds};
  }
  size_t hl =
      gl_npy_header(heads[8], 256, 1,
                    "{'descr': '|O', 'fortran_order': False, 'shape': (4,), }");
  bufs[8] = malloc(hl + 3);
  memcpy(bufs[8], heads[8], hl);
  memcpy(bufs[8] + hl, "\x80\x02.", 3);
  mem[8] = (gl_zip_member){"labels.npy", bufs[8], hl + 3};
  CHECK_OK(gl_zip_write(gl_test_path("pick-lab.npz"), mem, 9, false));
  CHECK_ERR(
      gl_load_npz_dataset(&d, gl_test_path("pick-lab.npz")), GL_EFORMAT,
      "pick-lab.npz: member labels is a pickled object array; refusing to "
      "unpickle");
  for (int i = 0; i < 9; i++) free(bufs[i]);
  gl_npz_free(&z);
  CHECK_ERR(gl_load_npz_dataset(&d, gl_test_write("x.npz", "PK\x03\x04junk")),
            GL_EFORMAT, "truncated zip archive");
  /* the registry detects npz by extension and by magic */
  CHECK_OK(gl_dataset_load(&d, gl_test_path("bench.npz"), NULL, 0));
  gl_dataset_free(&d);
}

/* ------------------------------------------------------------ .mat */
/* Writes a sparse double variable rows x cols from CSC arrays. */
static void mat_sparse(mat_t *m, const char *name, size_t rows, size_t cols,
                       mat_uint32_t *jc, mat_uint32_t *ir, double *v, int nnz) {
  size_t dims[2] = {rows, cols};
  mat_sparse_t s = {0};
  s.nzmax = s.nir = s.ndata = (mat_uint32_t)nnz;
  s.ir = ir;
  s.jc = jc;
  s.njc = (mat_uint32_t)cols + 1;
  s.data = v;
  matvar_t *var = Mat_VarCreate(name, MAT_C_SPARSE, MAT_T_DOUBLE, 2, dims, &s,
                                MAT_F_DONT_COPY_DATA);
  Mat_VarWrite(m, var, MAT_COMPRESSION_NONE);
  Mat_VarFree(var);
}

static const char *mat_fixture(const char *file, int variant) {
  const char *p = gl_test_path(file);
  /* variant 6: the valid file as v7.3 (HDF5), NULL without matio's HDF5 */
  mat_t *m = Mat_CreateVer(p, NULL, variant == 6 ? MAT_FT_MAT73 : MAT_FT_MAT5);
  if (!m) return NULL;
  /* network: triangle 0-1-2 plus 2-3, CSC of the symmetric 4 x 4 matrix */
  mat_uint32_t jc[5] = {0, 2, 4, 7, 8}, ir[8] = {1, 2, 0, 2, 0, 1, 3, 2};
  double ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  mat_uint32_t gjc[4] = {0, 2, 3, 4}, gir[4] = {0, 3, 1, 2};
  mat_uint32_t g3jc[4] = {0, 1, 2, 3}, g3ir[3] = {0, 1, 2};
  if (variant == 1) { /* a dense network */
    size_t dims[2] = {2, 2};
    double dense[4] = {0, 1, 1, 0};
    matvar_t *v = Mat_VarCreate("network", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims,
                                dense, 0);
    Mat_VarWrite(m, v, MAT_COMPRESSION_NONE);
    Mat_VarFree(v);
  } else if (variant == 5) { /* a row id past the matrix */
    ir[6] = 9;
    mat_sparse(m, "network", 4, 4, jc, ir, ones, 8);
  } else if (variant != 2) {
    mat_sparse(m, "network", 4, 4, jc, ir, ones, 8);
  }
  if (variant == 3)
    mat_sparse(m, "group", 3, 3, g3jc, g3ir, ones, 3); /* 3 rows, need 4 */
  else if (variant != 4)
    mat_sparse(m, "group", 4, 3, gjc, gir, ones, 4);
  Mat_Close(m);
  return p;
}

TEST(datasets_mat) {
  gl_dataset d;
  CHECK_OK(gl_load_mat(&d, mat_fixture("ok.mat", 0)));
  CHECK_EQ(d.adj.n, 4);
  CHECK_EQ(d.adj.nnz, 8);
  CHECK(d.multilabel && d.n_classes == 3 && d.ymulti.nnz == 4);
  CHECK(gl_csr_has_edge(&d.ymulti, 3, 0) && gl_csr_has_edge(&d.ymulti, 2, 2));
  check_common(&d);
  gl_dataset_free(&d);
  CHECK_ERR(gl_load_mat(&d, mat_fixture("dense.mat", 1)), GL_EFORMAT,
            "dense.mat: variable 'network' is not a sparse matrix");
  CHECK_ERR(gl_load_mat(&d, mat_fixture("nonet.mat", 2)), GL_EFORMAT,
            "nonet.mat: no variable 'network'");
  CHECK_ERR(gl_load_mat(&d, mat_fixture("rows.mat", 3)), GL_EFORMAT,
            "group is 3 x 3, expected 4 rows");
  CHECK_ERR(gl_load_mat(&d, mat_fixture("nogroup.mat", 4)), GL_EFORMAT,
            "no variable 'group'");
  CHECK_ERR(gl_load_mat(&d, mat_fixture("range.mat", 5)), GL_EFORMAT,
            "out of range");
  CHECK_ERR(gl_load_mat(&d, gl_test_path("nope.mat")), GL_EIO, "no such file");
  /* cut short: matio alone would return zeros for the missing part */
  const char *cut = mat_fixture("cut.mat", 0);
  struct stat sb;
  CHECK(stat(cut, &sb) == 0 && truncate(cut, sb.st_size - 12) == 0);
  CHECK_ERR(gl_load_mat(&d, cut), GL_EFORMAT, "cut.mat: truncated .mat file");
  gl_status st =
      gl_load_mat(&d, gl_test_write("text.mat", "this is not a mat file\n"));
  CHECK_MSG(st == GL_EFORMAT && strstr(gl_errmsg(), "text.mat"), "%d %s", st,
            gl_errmsg());
  CHECK_OK(gl_dataset_load(&d, gl_test_path("ok.mat"), NULL, 0));
  CHECK(!strcmp(d.name, "ok"));
  gl_dataset_free(&d);
  /* v7.3 passes the version check (the v5 walk does not apply to it) */
  const char *v73 = mat_fixture("ok73.mat", 6);
  if (!v73) return;
  CHECK_OK(gl_load_mat(&d, v73));
  CHECK(d.adj.n == 4 && d.adj.nnz == 8 && d.ymulti.nnz == 4);
  gl_dataset_free(&d);
}

/* ------------------------------------------------------------ crafted .mat */
/* MAT v5 files written byte by byte (little-endian): the 128-byte header,
 * then data elements, each an 8-byte tag (type, bytes) and its data padded
 * to 8 bytes. */
typedef struct {
  uint8_t b[8192];
  size_t n;
  size_t ir_tag; /* where the last sparse variable's ir tag starts */
} v5_file;

static void v5_start(v5_file *f) {
  memset(f, 0, sizeof *f);
  memset(f->b, ' ', 116);
  memcpy(f->b, "MATLAB 5.0 MAT-file, written by test_datasets.c", 47);
  memcpy(f->b + 124, "\x00\x01IM", 4);
  f->n = 128;
}

static void v5_u32(v5_file *f, uint32_t v) {
  memcpy(f->b + f->n, &v, 4);
  f->n += 4;
}

/* Appends an element of `bytes` bytes of data; returns where its tag is. */
static size_t v5_put(v5_file *f, uint32_t type, const void *data,
                     uint32_t bytes) {
  size_t at = f->n;
  v5_u32(f, type);
  v5_u32(f, bytes);
  memcpy(f->b + f->n, data, bytes);
  f->n += (bytes + 7) / 8 * 8;
  return at;
}

/* Appends a sparse double rows x cols variable `name` (nzmax, ir, jc and
 * pr as given, however inconsistent), compressed with zlib when `zip`. */
static void v5_sparse(v5_file *f, const char *name, uint32_t rows,
                      uint32_t cols, uint32_t nzmax, const int32_t *ir,
                      uint32_t nir, const int32_t *jc, uint32_t njc,
                      const double *pr, uint32_t npr, bool zip) {
  size_t at = f->n;
  uint32_t flags[2] = {5 /* mxSPARSE_CLASS */, nzmax}, dims[2] = {rows, cols};
  v5_u32(f, 14); /* miMATRIX, its size filled in below */
  v5_u32(f, 0);
  v5_put(f, 6, flags, 8);
  v5_put(f, 5, dims, 8);
  v5_put(f, 1, name, (uint32_t)strlen(name));
  f->ir_tag = v5_put(f, 5, ir, 4 * nir);
  v5_put(f, 5, jc, 4 * njc);
  v5_put(f, 9, pr, 8 * npr);
  uint32_t size = (uint32_t)(f->n - at - 8);
  memcpy(f->b + at + 4, &size, 4);
  if (zip) { /* the whole element, deflated into a miCOMPRESSED one */
    uint8_t z[8192];
    uLongf zn = sizeof z;
    compress2(z, &zn, f->b + at, f->n - at, 6);
    f->n = at;
    v5_u32(f, 15);
    v5_u32(f, (uint32_t)zn);
    memcpy(f->b + f->n, z, zn);
    f->n += zn;
  }
}

static const char *v5_write(const v5_file *f, const char *file) {
  const char *p = gl_test_path(file);
  FILE *o = fopen(p, "wb");
  if (o) {
    fwrite(f->b, 1, f->n, o);
    fclose(o);
  }
  return p;
}

/* Runs the .mat loader on `path` in a child process whose address space
 * may grow by at most 512 MB, and returns its status there (GL_ENOMEM when
 * an allocation failed; -1 when the child died).  Not under the
 * sanitizers, whose shadow memory takes terabytes of address space. */
typedef gl_status (*path_loader)(gl_dataset *d, const char *path);
static int load_in_512mb(path_loader load, const char *path) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    gl_set_threads(1); /* OpenMP's threads stay in the parent */
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld", &pages) != 1) _exit(100);
    fclose(f);
    rlim_t cap = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (512 << 20);
    struct rlimit rl = {cap, cap};
    if (setrlimit(RLIMIT_AS, &rl)) _exit(101);
    gl_dataset d;
    gl_status st = load(&d, path);
    if (st == GL_OK) gl_dataset_free(&d);
    _exit(st);
  }
  int ws;
  if (pid < 0 || waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws)) return -1;
  return WEXITSTATUS(ws);
}

static gl_status load_edges(gl_dataset *d, const char *path) {
  return gl_load_edgelist(d, path, false);
}

TEST(datasets_mat_crafted) {
  /* The 320-byte file: `network` 2 x 2 with nzmax 8, ir eight
   * zeros, jc = [0, 8, 2] and eight ones.  Only jc[0] and jc[2] were
   * checked, so column 0 wrote 8 entries into room for 2. */
  const int32_t zeros[8] = {0}, jc[3] = {0, 8, 2}, jc_ok[3] = {0, 1, 2};
  const double ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  v5_file f;
  v5_start(&f);
  v5_sparse(&f, "network", 2, 2, 8, zeros, 8, jc, 3, ones, 8, false);
  CHECK_EQ(f.n, 320);
  gl_dataset d;
  CHECK_ERR(gl_load_mat(&d, v5_write(&f, "jc.mat")), GL_EFORMAT,
            "jc.mat: variable 'network': column pointer 1 (8) is below the "
            "one before or above the 2 non-zeros");
  /* A pointer that decreases. */
  const int32_t jc_down[4] = {0, 2, 1, 2}, ir2[2] = {1, 0};
  v5_start(&f);
  v5_sparse(&f, "network", 2, 3, 2, ir2, 2, jc_down, 4, ones, 2, false);
  CHECK_ERR(gl_load_mat(&d, v5_write(&f, "down.mat")), GL_EFORMAT,
            "column pointer 2 (1) is below the one before");
  /* The file's own writer is right: the same arrays with jc = [0, 1, 2]
   * and a group load. */
  const int32_t gjc[2] = {0, 2};
  v5_start(&f);
  v5_sparse(&f, "network", 2, 2, 2, ir2, 2, jc_ok, 3, ones, 2, false);
  v5_sparse(&f, "group", 2, 1, 2, (const int32_t[]){0, 1}, 2, gjc, 2, ones, 2,
            true);
  CHECK_OK(gl_load_mat(&d, v5_write(&f, "pair.mat")));
  CHECK(d.adj.n == 2 && d.adj.nnz == 2 && d.n_classes == 1);
  gl_dataset_free(&d);
  /* An ir tag that declares 4 GB in a small file: matio allocated it
   * before reading, plain and compressed (libFuzzer's first .mat find). */
  for (int zip = 0; zip < 2; zip++) {
    v5_start(&f);
    v5_sparse(&f, "network", 2, 2, 2, ir2, 2, jc_ok, 3, ones, 2, false);
    memcpy(f.b + f.ir_tag + 4, "\xf0\xff\xff\xff", 4);
    if (zip) { /* deflate the element as it is now */
      uint8_t raw[1024];
      size_t n = f.n - 128;
      memcpy(raw, f.b + 128, n);
      uLongf zn = sizeof f.b - 136;
      compress2(f.b + 136, &zn, raw, n, 6);
      uint32_t tag[2] = {15, (uint32_t)zn};
      memcpy(f.b + 128, tag, 8);
      f.n = 136 + zn;
    }
    const char *p = v5_write(&f, zip ? "ir-zip.mat" : "ir.mat");
    CHECK_ERR(gl_load_mat(&d, p), GL_EFORMAT,
              "malformed variable at byte 128: a data element declares more "
              "bytes than remain");
    if (!gl_test_sanitized())
      CHECK_EQ(load_in_512mb(gl_load_mat, p), GL_EFORMAT);
  }
  /* The header's text is free: matio goes by the version field, and so
   * does the check now (libFuzzer's second .mat find: "MATLAB-file" as the
   * text let a corrupt compressed variable through, and matio allocated
   * 3 GB for it). */
  v5_start(&f);
  memcpy(f.b, "MATLAB-file", 11);
  v5_sparse(&f, "network", 2, 2, 2, ir2, 2, jc_ok, 3, ones, 2, true);
  f.b[f.n - 3] ^= 0x55; /* the zlib stream's check sum */
  CHECK_ERR(gl_load_mat(&d, v5_write(&f, "text.mat")), GL_EFORMAT,
            "text.mat: the compressed variable at byte 128 is corrupt");
  /* nzmax and the columns are checked against the file's size before
   * matio reads the arrays. */
  v5_start(&f);
  v5_sparse(&f, "network", 2, 2, 0x40000000, ir2, 2, jc_ok, 3, ones, 2,
            false);
  CHECK_ERR(gl_load_mat(&d, v5_write(&f, "nzmax.mat")), GL_EFORMAT,
            "an array declares more elements than its bytes can hold");
  v5_start(&f);
  v5_sparse(&f, "network", 2, 100000000, 2, ir2, 2, jc_ok, 3, ones, 2, false);
  CHECK_ERR(gl_load_mat(&d, v5_write(&f, "cols.mat")), GL_EFORMAT,
            "declares 2 non-zeros in 100000000 columns, more than the file's");
  /* A version 4 file (no v5 header) is refused before matio reads it. */
  CHECK_ERR(gl_load_mat(&d, gl_test_write("v4.mat", "\0\0\0\0\2\0\0\0")),
            GL_EFORMAT, "v4.mat: not a MATLAB .mat file (version 5 or 7.3)");
}

TEST(datasets_gzip_trailer_bound) {
  /* libFuzzer's first edge-list find: gzip data followed by garbage whose
   * last four bytes, read as the trailer's size, said 4 GB; the first
   * allocation trusted them.  Now a clear error within 512 MB. */
  static const uint8_t in[] = {
      0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x33,
      0x50, 0x30, 0xe4, 0x32, 0x54, 0x30, 0xe2, 0x32, 0x52, 0x30, 0xe6,
      0x02, 0x00, 0xb8, 0x32, 0x76, 0x08, 0x0c, 0x00, 0x00, 0x00, 0xfd,
      0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd};
  const char *p = gl_test_path("garbage.edges");
  FILE *f = fopen(p, "wb");
  CHECK(f && fwrite(in, 1, sizeof in, f) == sizeof in);
  if (f) fclose(f);
  gl_dataset d;
  CHECK_ERR(gl_load_edgelist(&d, p, false), GL_EFORMAT,
            "garbage.edges: garbage after the gzip data");
  if (gl_test_sanitized()) return;
  CHECK_EQ(load_in_512mb(load_edges, p), GL_EFORMAT);
}

TEST(datasets_split_errors) {
  gl_dataset d;
  CHECK_OK(gl_load_npz_dataset(&d, bench_npz("split.npz", 0)));
  CHECK_ERR(gl_split_per_class(&d, 2, 1, 1), GL_EINVAL, "class 0 of split");
  CHECK_ERR(gl_split_per_class(&d, -1, 1, 1), GL_EINVAL, "negative");
  CHECK_OK(gl_split_per_class(&d, 1, 1, 1));
  CHECK(d.n_train == 2 && d.n_val == 2 && d.n_test == 0);
  check_common(&d);
  gl_dataset_free(&d);
}

TEST(datasets_random_split) {
  /* Fractions of the labelled nodes: sizes rounded, disjoint, labelled,
   * sorted, a seed reproduces the split, another seed changes it. */
  gl_dataset d;
  CHECK_OK(gl_dataset_load(&d, "csbm:n=300,k=3,d=8,deg=6,pin=0.9,seed=5",
                           NULL, 2));
  d.y[7] = -1; /* one unlabelled node: never in a split */
  CHECK_OK(gl_split_random(&d, 0.6, 0.2, 4));
  CHECK_EQ(d.n_train, 179); /* round(0.6 * 299) */
  CHECK_EQ(d.n_val, 60);
  CHECK_EQ(d.n_test, 60);
  CHECK(d.split_drawn);
  const gl_idx *s[3] = {d.train, d.val, d.test};
  gl_idx c[3] = {d.n_train, d.n_val, d.n_test};
  int owner[300] = {0};
  for (int k = 0; k < 3; k++)
    for (gl_idx i = 0; i < c[k]; i++) {
      CHECK(s[k][i] != 7);
      owner[s[k][i]]++;
      if (i) CHECK(s[k][i] > s[k][i - 1]);
    }
  for (int i = 0; i < 300; i++) CHECK_EQ(owner[i], i != 7);
  gl_idx first[179];
  memcpy(first, d.train, sizeof first);
  CHECK_OK(gl_split_random(&d, 0.6, 0.2, 4));
  CHECK(!memcmp(first, d.train, sizeof first));
  CHECK_OK(gl_split_random(&d, 0.6, 0.2, 5));
  CHECK(memcmp(first, d.train, sizeof first) != 0);
  CHECK_ERR(gl_split_random(&d, 0.9, 0.2, 1), GL_EINVAL, "fractions");
  CHECK_ERR(gl_split_random(&d, 0, 0.2, 1), GL_EINVAL, "fractions");
  CHECK_ERR(gl_split_random(&d, 0.001, 0, 1), GL_EINVAL, "empty part");
  gl_dataset_free(&d);
}

/* ------------------------------------------------------------ gzip */
/* Compresses `src` into `dst` (gzip, zlib's gzwrite); removes src when
 * `move`.  Returns dst. */
static const char *gzip_file(const char *src, const char *dst, bool move) {
  char *buf;
  size_t size;
  if (gl_read_file(src, &buf, &size) != GL_OK) return dst;
  gzFile g = gzopen(dst, "wb9");
  if (g) {
    gzwrite(g, buf, (unsigned)size);
    gzclose(g);
  }
  free(buf);
  if (move) remove(src);
  return dst;
}

/* Writes the first `keep` bytes of src to dst (at most all; keep < 0: all
 * but -keep), optionally flipping byte `flip` (-1: none). */
static void copy_cut(const char *src, const char *dst, long keep, long flip) {
  char *buf;
  size_t size;
  if (gl_read_file(src, &buf, &size) != GL_OK) return;
  size_t n = keep >= 0 ? (size_t)keep : size - (size_t)-keep;
  if (n > size) n = size;
  if (flip >= 0 && (size_t)flip < n) buf[flip] ^= 0x55;
  FILE *f = fopen(dst, "wb");
  if (f) {
    fwrite(buf, 1, n, f);
    fclose(f);
  }
  free(buf);
}

TEST(datasets_gzip_transparent) {
  /* a GMNN folder whose files are all FILE.gz loads as the plain one */
  gl_dataset a, b;
  CHECK_OK(gl_load_gmnn(&a, gmnn_fixture("gz-plain", NULL, NULL)));
  gmnn_fixture("gz-all", NULL, NULL);
  static const char *names[] = {"net.txt", "feature.txt", "label.txt",
                                "train.txt", "dev.txt", "test.txt"};
  char src[256], dst[264];
  for (int i = 0; i < 6; i++) {
    snprintf(src, sizeof src, "%s", gl_test_path("gz-all"));
    snprintf(src + strlen(src), sizeof src - strlen(src), "/%s", names[i]);
    snprintf(dst, sizeof dst, "%s.gz", src);
    gzip_file(src, dst, true);
  }
  CHECK_OK(gl_load_gmnn(&b, gl_test_path("gz-all")));
  CHECK(a.adj.nnz == b.adj.nnz && a.x.nnz == b.x.nnz &&
        !memcmp(a.adj.col, b.adj.col, sizeof *a.adj.col * (size_t)a.adj.nnz) &&
        !memcmp(a.x.val, b.x.val, sizeof *a.x.val * (size_t)a.x.nnz) &&
        !memcmp(a.y, b.y, sizeof *a.y * (size_t)a.adj.n) &&
        a.n_train == b.n_train && a.n_test == b.n_test);
  gl_dataset_free(&b);
  /* the registry's path detection sees net.txt.gz; gzip content under a
   * plain name is inflated too */
  CHECK_OK(gl_dataset_load(&b, gl_test_path("gz-all"), NULL, 0));
  CHECK_EQ(b.adj.nnz, a.adj.nnz);
  gl_dataset_free(&b);
  gmnn_fixture("gz-named", NULL, NULL);
  const char *net = gl_test_path("gz-named/net.txt");
  gzip_file(net, gl_test_path("net.gz"), false);
  rename(gl_test_path("net.gz"), net);
  CHECK_OK(gl_load_gmnn(&b, gl_test_path("gz-named")));
  CHECK_EQ(b.adj.nnz, a.adj.nnz);
  gl_dataset_free(&b);
  /* damaged gzip: a clear error naming the file, no crash */
  const char *gz = gl_test_path("gz-all/net.txt.gz");
  copy_cut(gz, gl_test_path("cut.gz"), -6, -1);
  rename(gl_test_path("cut.gz"), gz);
  CHECK_ERR(gl_load_gmnn(&b, gl_test_path("gz-all")), GL_EFORMAT,
            "net.txt.gz: truncated gzip data");
  gzip_file(gl_test_path("gz-plain/net.txt"), gz, false);
  copy_cut(gz, gl_test_path("bad.gz"), 1 << 20, 12);
  rename(gl_test_path("bad.gz"), gz);
  CHECK_ERR(gl_load_gmnn(&b, gl_test_path("gz-all")), GL_EFORMAT,
            "net.txt.gz: corrupt gzip data");
  gl_dataset_free(&a);
  /* an npz and a .mat read as FILE.gz */
  gzip_file(bench_npz("zipped.npz", 0), gl_test_path("zipped.npz.gz"), true);
  CHECK_OK(gl_load_npz_dataset(&a, gl_test_path("zipped.npz")));
  CHECK_OK(gl_dataset_load(&b, gl_test_path("zipped.npz.gz"), NULL, 0));
  CHECK(a.adj.nnz > 0 && a.adj.nnz == b.adj.nnz && !strcmp(b.name, "zipped"));
  gl_dataset_free(&a);
  gl_dataset_free(&b);
  gzip_file(mat_fixture("zipped.mat", 0), gl_test_path("zipped.mat.gz"), true);
  CHECK_OK(gl_load_mat(&a, gl_test_path("zipped.mat")));
  CHECK(a.adj.n == 4 && a.adj.nnz == 8 && a.ymulti.nnz == 4);
  gl_dataset_free(&a);
  CHECK_OK(gl_dataset_load(&a, gl_test_path("zipped.mat.gz"), NULL, 0));
  CHECK(a.adj.n == 4 && a.multilabel && !strcmp(a.name, "zipped"));
  gl_dataset_free(&a);
  copy_cut(gl_test_path("zipped.mat.gz"), gl_test_path("cutm.mat.gz"), -20,
           -1);
  CHECK_ERR(gl_load_mat(&a, gl_test_path("cutm.mat")), GL_EFORMAT,
            "truncated gzip data");
}

TEST(datasets_shchur_split_nodes) {
  /* Shchur et al.'s standardisation before the 20/30 split of an npz file:
   * only the largest connected component, and none of its classes with
   * fewer than 50 nodes there.  Component A: path 0..119, classes 0
   * (0..59), 1 (60..109), 2 (110..119: too small); component B: path
   * 120..179, class 0. */
  enum { N = 180 };
  gl_idx src[N], dst[N];
  gl_off m = 0;
  for (gl_idx i = 0; i + 1 < N; i++)
    if (i != 119) {
      src[m] = i;
      dst[m++] = i + 1;
    }
  gl_dataset d;
  memset(&d, 0, sizeof d);
  gl_build_opts o = {.symmetrize = true};
  CHECK_OK(gl_csr_from_edges(&d.adj, N, m, src, dst, NULL, &o));
  uint8_t in[N];
  gl_idx size = 0;
  CHECK_OK(gl_csr_largest_component(&d.adj, in, &size));
  CHECK_EQ(size, 120);
  CHECK(in[0] && in[119] && !in[120] && !in[179]);
  d.y = malloc(N * sizeof *d.y);
  for (gl_idx i = 0; i < N; i++)
    d.y[i] = i < 60 ? 0 : i < 110 ? 1 : i < 120 ? 2 : 0;
  d.n_classes = 3;
  gl_dataset_set_name(&d, "two-parts");
  CHECK_OK(gl_dataset_default_split(&d, 5, true));
  CHECK_EQ(d.n_train, 40);
  CHECK_EQ(d.n_val, 60);
  CHECK_EQ(d.n_test, 10); /* 60 + 50 - 100 */
  gl_idx *all[3] = {d.train, d.val, d.test}, cnt[3] = {d.n_train, d.n_val,
                                                         d.n_test};
  for (int s = 0; s < 3; s++)
    for (gl_idx k = 0; k < cnt[s]; k++)
      CHECK_MSG(all[s][k] < 110, "node %d outside the split's nodes",
                (int)all[s][k]);
  /* a re-draw keeps to the same nodes */
  CHECK_OK(gl_split_per_class(&d, 20, 30, 6));
  CHECK(d.n_train == 40 && d.n_test == 10 && d.test[9] < 110);
  gl_dataset_free(&d);
}
