/* Distributed training over MPI (dist/, gnn-train under mpirun): runs of
 * 1, 2 and 4 ranks on this machine (oversubscribed) against the one-process
 * run, and every kind of bad distributed usage. */
#include <unistd.h>

#include "tests/test.h"

/* mpirun's command for `np` ranks (as root, more ranks than cores, no
 * single-copy transfers, which containers often forbid), or NULL with the
 * test marked skipped when there is no mpirun. */
static const char *mpirun(int np) {
  static char cmd[256];
  if (gl_test_run("command -v mpirun", NULL) != 0) {
    gl_test_skip("needs mpirun (Debian's openmpi-bin: make deps)");
    return NULL;
  }
  /* Under the sanitizers, Open MPI's components stay loaded and leaks get
   * whole stacks, so that tests/lsan.supp can tell Open MPI's from ours */
  snprintf(cmd, sizeof cmd,
           "%smpirun --allow-run-as-root --oversubscribe --mca "
           "btl_vader_single_copy_mechanism none -np %d",
           gl_test_sanitized()
               ? "OMPI_MCA_mca_base_component_disable_dlclose=1 "
                 "ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=0 "
               : "",
           np);
  return cmd;
}

/* Runs gnn-train ARGS on np ranks; exit code, output in *out. */
static int dist_train(int np, const char *args, char **out) {
  const char *m = mpirun(np);
  if (!m) return -1;
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s %s", m, gl_test_tool("gnn-train"), args);
  return gl_test_run(cmd, out);
}

/* The number after "key": after `section` in the JSON file `path`. */
static double json_number_in(const char *path, const char *section,
                             const char *key) {
  char *json = NULL, k[64];
  size_t len;
  CHECK_OK(gl_read_file(path, &json, &len));
  snprintf(k, sizeof k, "\"%s\": ", key);
  const char *p = json ? strstr(json, section) : NULL;
  p = p ? strstr(p, k) : NULL;
  double v = p ? atof(p + strlen(k)) : NAN;
  free(json);
  return v;
}

/* How many "TOOL: error:" lines the output holds. */
static int errors_in(const char *out, const char *tool) {
  char pat[64];
  snprintf(pat, sizeof pat, "%s: error:", tool);
  int n = 0;
  for (const char *p = out; p && (p = strstr(p, pat)); p++) n++;
  return n;
}

/* Cora in P parts under the test folder (made once a run). */
static const char *cora_parts(int P) {
  static char dirs[8][300];
  char *dir = dirs[P % 8];
  snprintf(dir, sizeof dirs[0], "%.280s", gl_test_path(""));
  snprintf(dir + strlen(dir), 20, "cora-p%d", P);
  if (!gl_dir_exists(dir)) {
    gl_dataset d;
    CHECK_OK(gl_dataset_load(&d, "cora", NULL, 1));
    gl_partition_opts o = {P, 1};
    CHECK_OK(gl_partition_write(&d, "cora", &o, dir, NULL));
    gl_dataset_free(&d);
  }
  return dir;
}

/* The largest difference between two saved models' weights, relative to
 * the largest weight. */
static double weights_diff(const char *a, const char *b) {
  gl_model *ma = NULL, *mb = NULL;
  CHECK_OK(gl_model_load(&ma, a));
  CHECK_OK(gl_model_load(&mb, b));
  if (!ma || !mb || ma->n_params != mb->n_params) return INFINITY;
  double diff = 0, big = 0;
  for (int i = 0; i < ma->n_params; i++)
    for (size_t k = 0; k < ma->params[i].n; k++) {
      diff = fmax(diff, fabs(ma->params[i].w[k] - mb->params[i].w[k]));
      big = fmax(big, fabs(ma->params[i].w[k]));
    }
  gl_model_free(ma);
  gl_model_free(mb);
  return diff / fmax(big, 1e-30);
}

/* Full-batch GCN on 1, 2 and 4 ranks: without dropout (whose masks follow
 * the local row order) the weights after 100 epochs are the one-process
 * run's up to the order of the sums; the accuracies are the same. */
TEST(dist_full_batch_gcn_equals_one_process) {
  if (!mpirun(1)) return;
  const char *common = "gcn --runs 1 --threads 1 --dropout 0 "
                       "--hidden-dropout 0 --epochs 100 --stop none --quiet";
  char args[2048], *out = NULL;
  char ref[300];
  snprintf(ref, sizeof ref, "%.290s", gl_test_path("w1.npz"));
  snprintf(args, sizeof args, "%s %s --save %s", gl_test_tool("gnn-train"),
           "cora", ref);
  snprintf(args + strlen(args), sizeof args - strlen(args), " %s", common);
  int rc = gl_test_run(args, &out);
  CHECK_MSG(rc == 0, "rc %d: %s", rc, out);
  free(out);
  for (int P = 1; P <= 4; P *= 2) {
    char w[300], js[300];
    snprintf(w, sizeof w, "%.280s-%d.npz", gl_test_path("wd"), P);
    snprintf(js, sizeof js, "%.280s-%d.json", gl_test_path("jd"), P);
    snprintf(args, sizeof args, "%s %s --save %s --json %s", cora_parts(P),
             common, w, js);
    rc = dist_train(P, args, &out);
    CHECK_MSG(rc == 0, "P=%d: rc %d: %s", P, rc, out);
    free(out);
    double d = weights_diff(ref, w);
    CHECK_MSG(d < 1e-5, "P=%d: weights differ by %g (relative)", P, d);
    char *json = NULL;
    size_t len;
    CHECK_OK(gl_read_file(js, &json, &len));
    char want[32];
    snprintf(want, sizeof want, "\"ranks\": %d", P);
    CHECK_MSG(json && strstr(json, want), "P=%d: %s", P, json);
    free(json);
  }
}

/* With dropout the masks differ, not the model: P = 2 stays within a point
 * or two of the one-process run's 81.5 (Kipf & Welling's 81.5). */
TEST(dist_full_batch_gcn_accuracy) {
  if (!mpirun(1)) return;
  char args[1024], *out = NULL;
  const char *js = gl_test_path("acc2.json");
  snprintf(args, sizeof args, "%s gcn --runs 3 --threads 1 --quiet --json %s",
           cora_parts(2), js);
  int rc = dist_train(2, args, &out);
  CHECK_MSG(rc == 0, "rc %d: %s", rc, out);
  free(out);
  double acc = json_number_in(js, "\"test_acc\"", "mean");
  CHECK_MSG(acc > 0.795 && acc < 0.835, "test accuracy %g", acc);
}

/* --predict from 2 ranks: every node once, in original order, rank 0
 * alone writing; the classes those of the one-process run (no dropout). */
TEST(dist_predictions_gathered) {
  if (!mpirun(1)) return;
  const char *common = "gcn --runs 1 --threads 1 --dropout 0 "
                       "--hidden-dropout 0 --epochs 50 --stop none --quiet";
  char a[300], b[300], args[2048];
  snprintf(a, sizeof a, "%.290s", gl_test_path("pa.csv"));
  snprintf(b, sizeof b, "%.290s", gl_test_path("pb.csv"));
  snprintf(args, sizeof args, "%s cora %s --predict %s",
           gl_test_tool("gnn-train"), common, a);
  CHECK(gl_test_run(args, NULL) == 0);
  snprintf(args, sizeof args, "%s %s --predict %s", cora_parts(2), common, b);
  char *out = NULL;
  int rc = dist_train(2, args, &out);
  CHECK_MSG(rc == 0, "rc %d: %s", rc, out);
  free(out);
  char *x = NULL, *y = NULL;
  size_t lx, ly;
  CHECK_OK(gl_read_file(a, &x, &lx));
  CHECK_OK(gl_read_file(b, &y, &ly));
  if (!x || !y) return;
  int rows = 0, same = 0;
  char *sx = NULL, *sy = NULL;
  char *lx_ = strtok_r(x, "\n", &sx), *ly_ = strtok_r(y, "\n", &sy);
  while (lx_ && ly_) {
    int nx, px, ny, py;
    if (sscanf(lx_, "%d,%d", &nx, &px) == 2 &&
        sscanf(ly_, "%d,%d", &ny, &py) == 2) {
      CHECK(nx == rows && ny == rows);
      same += px == py;
      rows++;
    }
    lx_ = strtok_r(NULL, "\n", &sx);
    ly_ = strtok_r(NULL, "\n", &sy);
  }
  CHECK(!lx_ && !ly_);
  CHECK_MSG(rows == 2708 && same >= 2700, "%d rows, %d the same", rows, same);
  free(x);
  free(y);
}

/* Bad distributed usage: one line from rank 0, exit 2, on every rank. */
TEST(dist_bad_usage) {
  if (!mpirun(1)) return;
  char args[1024];
  static const struct {
    int np;
    const char *fmt, *msg;
  } bad[] = {
      {4, "%s gcn", "has 2 parts; run it on as many ranks"},
      {2, "cora gcn", "the dataset must be a partition"},
      {2, "%s gat", "does not run models other than gcn yet"},
      {2, "%s gcn --sampler node", "does not run the node sampler yet"},
      {2, "%s gcn --checkpoint /dev/null", "is not one"},
      {2, "%s gcn --resume /nonexistent", "a folder that --checkpoint wrote"},
      {2, "%s gcn --split 0.5,0.2", "--split"},
      {2, "%s gcn --bogus", "--bogus"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(args, sizeof args, bad[i].fmt, cora_parts(2));
    strcat(args, " --threads 1");
    char *out = NULL;
    int rc = dist_train(bad[i].np, args, &out);
    if (rc < 0) return;
    /* mpirun adds its own lines about the exit code; ours is one line */
    CHECK_MSG(rc == 2 && strstr(out, bad[i].msg) &&
                  errors_in(out, "gnn-train") == 1,
              "%s (np %d): rc %d: %s", args, bad[i].np, rc, out);
    free(out);
  }
}

/* Runs care-embed ARGS on np ranks (np 0: without mpirun). */
static int dist_embed(int np, const char *args, char **out) {
  char cmd[4096];
  const char *m = np > 0 ? mpirun(np) : "";
  if (!m) return -1;
  snprintf(cmd, sizeof cmd, "%s %s %s", m, gl_test_tool("care-embed"), args);
  return gl_test_run(cmd, out);
}

/* Macro-F1 at a training fraction of 0.5 in care-embed's JSON. */
static double macro_f1_half(const char *path) {
  return json_number_in(path, "\"0.5\"", "macro_f1");
}

/* Distributed CARE: walks from each rank's start nodes, vectors averaged
 * across the ranks; node classification as good as one process's (within
 * two points of Macro-F1 on Cora's small runs here; BlogCatalog's full
 * runs are in the README), and a seed and rank count give the same
 * vectors again. */
TEST(dist_care_embed) {
  if (!mpirun(1)) return;
  const bool san = gl_test_sanitized();
  char common[512], args[1024], *out = NULL;
  /* under the sanitizers (ten times slower) a smaller run, 4 ranks left
   * out */
  snprintf(common, sizeof common,
           "cora --task classify --walks %d --eval-runs %d --threads 1 "
           "--quiet%s",
           san ? 2 : 4, san ? 1 : 3, san ? " --sync-segments 200" : "");
  double f[5] = {NAN, NAN, NAN, NAN, NAN};
  char v2[300];
  snprintf(v2, sizeof v2, "%.290s", gl_test_path("v2.npy"));
  for (int P = 1; P <= (san ? 2 : 4); P *= 2) {
    const char *js = gl_test_path("care.json");
    snprintf(args, sizeof args, "%s --json %s%s%s", common, js,
             P == 2 ? " --out " : "", P == 2 ? v2 : "");
    int rc = dist_embed(P == 1 ? 0 : P, args, &out);
    CHECK_MSG(rc == 0, "P=%d: rc %d: %s", P, rc, out);
    free(out);
    f[P] = macro_f1_half(js);
  }
  for (int P = 2; P <= (san ? 2 : 4); P *= 2)
    CHECK_MSG(fabs(f[P] - f[1]) < 0.02, "Macro-F1 %g on %d ranks, %g on one",
              f[P], P, f[1]);
  /* again: the same vectors */
  const char *v2b = gl_test_path("v2b.npy");
  snprintf(args, sizeof args, "%s --out %s", common, v2b);
  CHECK(dist_embed(2, args, NULL) == 0);
  char *a = NULL, *b = NULL;
  size_t la = 0, lb = 0;
  CHECK_OK(gl_read_file(v2, &a, &la));
  CHECK_OK(gl_read_file(v2b, &b, &lb));
  CHECK(a && b && la == lb && !memcmp(a, b, la));
  free(a);
  free(b);
  /* what it does not take yet: said once, exit 2 */
  static const char *bad[] = {"--stream", "--optim spectral-sgd",
                              "--checkpoint c.ckpt", "--save-walks w.txt"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(args, sizeof args, "karate %s --threads 1", bad[i]);
    int rc = dist_embed(2, args, &out);
    CHECK_MSG(rc == 2 && strstr(out, "does not take") &&
                  errors_in(out, "care-embed") == 1,
              "%s: rc %d: %s", bad[i], rc, out);
    free(out);
  }
}

/* The "last lambda_max X, lr Y" of gnn-train's spectral line. */
static bool spectral_line(const char *out, double *lmax, double *lr) {
  const char *p = out ? strstr(out, "last lambda_max ") : NULL;
  return p && sscanf(p, "last lambda_max %lf, lr %lf", lmax, lr) == 2;
}

/* The spectral learner distributed: Hessian-vector products summed across
 * the parts (the halo's R-rows exchanged like the hidden rows), Lanczos on
 * the replicated vectors: the same rates at 1, 2 and 4 ranks as in one
 * process, after 30 estimates along the way. */
TEST(dist_spectral_rates) {
  if (!mpirun(1)) return;
  static const char *optims[] = {"spectral-adam", "spectral-sgd",
                                 "spectral-momentum"};
  const bool san = gl_test_sanitized(); /* there: Adam's, 1 and 2 ranks */
  for (int k = 0; k < (san ? 1 : 3); k++) {
    char common[512], args[1024], *out = NULL;
    snprintf(common, sizeof common,
             "gcn --runs 1 --threads 1 --dropout 0 --hidden-dropout 0 "
             "--epochs 30 --stop none --spectral-every 1 --optim %s",
             optims[k]);
    snprintf(args, sizeof args, "%s cora %s", gl_test_tool("gnn-train"),
             common);
    double l0 = NAN, r0 = NAN, l, r;
    CHECK(gl_test_run(args, &out) == 0 && spectral_line(out, &l0, &r0));
    free(out);
    for (int P = 1; P <= (san ? 2 : 4); P *= 2) {
      snprintf(args, sizeof args, "%s %s", cora_parts(P), common);
      int rc = dist_train(P, args, &out);
      CHECK_MSG(rc == 0 && spectral_line(out, &l, &r) &&
                    fabs(l - l0) <= 1e-3 * fabs(l0) &&
                    fabs(r - r0) <= 1e-3 * fabs(r0),
                "%s P=%d: rc %d, lambda_max %g and lr %g against %g and %g "
                "in one process: %s", optims[k], P, rc, l, r, l0, r0, out);
      free(out);
    }
  }
}

/* A rank killed (SIGKILL) after the first checkpoint of every rank: mpirun
 * stops the others within seconds, naming the rank; --resume DIR then ends
 * with the uninterrupted run's weights, bit for bit. */
TEST(dist_kill_a_rank_and_resume) {
  const char *m = mpirun(2);
  if (!m) return;
  char mp[256], ck[300], whole[300], resumed[300], cmd[4096];
  snprintf(mp, sizeof mp, "%s", m);
  snprintf(ck, sizeof ck, "%.290s", gl_test_path("ck"));
  snprintf(whole, sizeof whole, "%.290s", gl_test_path("whole.npz"));
  snprintf(resumed, sizeof resumed, "%.290s", gl_test_path("resumed.npz"));
  const char *parts = cora_parts(2);
  const char *common = "gcn --runs 1 --threads 1 --epochs 2000 --stop none "
                       "--quiet";
  char *out = NULL;
  snprintf(cmd, sizeof cmd, "%s %s %s %s --save %s", mp,
           gl_test_tool("gnn-train"), parts, common, whole);
  int rc = gl_test_run(cmd, &out);
  CHECK_MSG(rc == 0, "rc %d: %s", rc, out);
  free(out);
  /* in the background; rank 1 killed once the first set is complete */
  snprintf(cmd, sizeof cmd,
           "%s %s %s %s --checkpoint %s --checkpoint-every 100 --save %s & "
           "p=$!; i=0; while [ ! -f %s/checkpoint.json ] && [ $i -lt 1200 ]; "
           "do sleep 0.05; i=$((i+1)); done; "
           "k=$(pgrep -P $p -f gnn-train | sed -n 2p); kill -9 $k; t=$(date "
           "+%%s); wait $p; rc=$?; echo \"killed $k: rc $rc after $(( $(date "
           "+%%s) - t )) s\"",
           mp, gl_test_tool("gnn-train"), parts, common, ck, resumed, ck);
  rc = gl_test_run(cmd, &out);
  int mrc = -1, secs = -1;
  const char *k = out ? strstr(out, "killed ") : NULL;
  if (k) sscanf(strstr(k, ": rc "), ": rc %d after %d s", &mrc, &secs);
  CHECK_MSG(k && mrc != 0 && secs >= 0 && secs < 30 &&
                strstr(out, "rank 1") && strstr(out, "signal 9"),
            "%s", out);
  CHECK(!gl_file_exists(resumed)); /* no output from a killed job */
  free(out);
  snprintf(cmd, sizeof cmd, "%s %s %s %s --resume %s --save %s", mp,
           gl_test_tool("gnn-train"), parts, common, ck, resumed);
  rc = gl_test_run(cmd, &out);
  CHECK_MSG(rc == 0, "rc %d: %s", rc, out);
  free(out);
  char *a = NULL, *b = NULL;
  size_t la = 0, lb = 0;
  CHECK_OK(gl_read_file(whole, &a, &la));
  CHECK_OK(gl_read_file(resumed, &b, &lb));
  CHECK_MSG(a && b && la == lb && !memcmp(a, b, la),
            "the resumed run's weights differ from the whole run's");
  free(a);
  free(b);
  /* a checkpoint of 2 ranks does not resume on 4; a file is no folder */
  snprintf(cmd, sizeof cmd, "%s --resume %s --threads 1", cora_parts(4), ck);
  strcat(cmd, " gcn");
  rc = dist_train(4, cmd, &out);
  CHECK_MSG(rc == 2 && strstr(out, "written by 2 ranks, not 4") &&
                errors_in(out, "gnn-train") == 1,
            "rc %d: %s", rc, out);
  free(out);
  snprintf(cmd, sizeof cmd, "%s gcn --resume %s --threads 1", parts, whole);
  rc = dist_train(2, cmd, &out);
  CHECK_MSG(rc == 2 && strstr(out, "a folder that --checkpoint wrote") &&
                errors_in(out, "gnn-train") == 1,
            "rc %d: %s", rc, out);
  free(out);
}

/* Cluster-GCN on 2 and 4 ranks: each rank's batches are clusters of its
 * own nodes, the gradients of the ranks' batches averaged by their loss
 * rows every step; 3 seeds on Cora within two points of one process's. */
TEST(dist_cluster_gcn) {
  if (!mpirun(1)) return;
  const char *common = "gcn --sampler cluster --runs 3 --threads 1 --quiet";
  char args[1024], *out = NULL;
  const char *j1 = gl_test_path("cl1.json");
  snprintf(args, sizeof args, "%s cora %s --json %s",
           gl_test_tool("gnn-train"), common, j1);
  CHECK(gl_test_run(args, NULL) == 0);
  const double a1 = json_number_in(j1, "\"test_acc\"", "mean");
  for (int P = 2; P <= 4; P *= 2) {
    const char *jp = gl_test_path("clp.json");
    snprintf(args, sizeof args, "%s %s --json %s", cora_parts(P), common, jp);
    int rc = dist_train(P, args, &out);
    CHECK_MSG(rc == 0, "P=%d: rc %d: %s", P, rc, out);
    free(out);
    const double ap = json_number_in(jp, "\"test_acc\"", "mean");
    CHECK_MSG(fabs(ap - a1) < 0.02, "P=%d: %g against %g in one process", P,
              ap, a1);
  }
}
