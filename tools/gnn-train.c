/* gnn-train DATASET MODEL [options]: trains a GNN over several seeds and
 * prints test accuracy mean and standard deviation.  Argument parsing and
 * printing only; the algorithms live in the library. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/gnn-train-opts.h"

/* ---------------------------------------------------------- checkpoints */
/* --load: the saved model, which must be the MODEL (or GraphMix's --base)
 * asked for. */
static void load_checkpoint(const options *o, gl_model **m) {
  gl_status st = gl_model_load(m, o->load);
  if (st != GL_OK) gl_cli_die_status(st, "--load");
  const char *want = o->graphmix ? o->base : o->model;
  if (strcmp((*m)->cfg.model, want))
    gl_cli_die(GL_EXIT_USAGE, "--load: %s holds a %s model, not %s%s",
               o->load, (*m)->cfg.model, want,
               o->graphmix ? " (--base)" : "");
}

/* ---------------------------------------------------------- outputs */
typedef struct {
  FILE *f;
  int run;
} log_ctx;

static void log_epoch(void *ctx, const gl_epoch_stats *s) {
  log_ctx *l = ctx;
  if (l->f)
    fprintf(l->f, "%d,%d,%.6f,%.4f,%.6f,%.4f,%.4f,%.6f,%ld,%.6f,", l->run,
            s->epoch, s->train_loss, s->train_acc, s->val_loss, s->val_acc,
            s->test_acc, s->seconds, s->steps, s->train_seconds);
  if (l->f) {
    if (isnan(s->grad_mse))
      fputs(",\n", l->f);
    else
      fprintf(l->f, "%.6g,%.6g\n", s->grad_var, s->grad_mse);
  }
}

/* --predict: every node's class probabilities (gathered to rank 0 in a
 * distributed run, which alone writes them). */
static void write_predictions(const char *path, gl_model *m, const gl_task *t,
                              gl_dist *dist, const gl_dist_part *dp) {
  size_t n = (size_t)t->adj->n, c = (size_t)t->n_classes;
  float *p = malloc((n * c + 1) * sizeof *p);
  if (!p) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  gl_status st = gl_model_eval(m, t, p);
  if (st != GL_OK) gl_cli_die_status(st, "--predict");
  gl_softmax_rows(p, (gl_idx)n, (int)c);
  if (dist) {
    const bool root = gl_dist_rank(dist) == 0;
    n = (size_t)dp->part.n_global;
    float *all = root ? malloc((n * c + 1) * sizeof *all) : NULL;
    if (root && !all) gl_cli_die(GL_EXIT_FAIL, "out of memory");
    if ((st = gl_dist_gather_rows(dist, dp, p, (int)c, all)) != GL_OK)
      gl_cli_die_status(st, "--predict");
    free(p);
    p = all;
    if (!root) return;
  }
  gl_cli_out *o = gl_cli_out_open(path);
  FILE *f = gl_cli_out_file(o);
  fprintf(f, "node,pred");
  for (size_t j = 0; j < c; j++) fprintf(f, ",p%zu", j);
  fputc('\n', f);
  for (size_t i = 0; i < n; i++) {
    const float *r = p + i * c;
    size_t best = 0;
    for (size_t j = 1; j < c; j++)
      if (r[j] > r[best]) best = j;
    fprintf(f, "%zu,%zu", i, best);
    for (size_t j = 0; j < c; j++) fprintf(f, ",%.6g", r[j]);
    fputc('\n', f);
  }
  free(p);
  gl_cli_out_commit(o);
}

/* A distributed run's ranks, for --json: each rank's peak memory, bytes
 * handed to MPI an epoch (halo rows and sums), own and halo nodes. */
enum { RS_RSS, RS_HALO_B, RS_SUM_B, RS_OWN, RS_HALO, RS_N };
static const char *const rank_keys[RS_N] = {
    "peak_rss_bytes", "halo_bytes_per_epoch", "sum_bytes_per_epoch",
    "own_nodes", "halo_nodes"};

static double *rank_stats(gl_dist *dist, const gl_dist_part *dp,
                          long epochs) {
  double *v = malloc((size_t)gl_dist_size(dist) * RS_N * sizeof *v);
  if (!v) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  gl_dist_traffic tr = gl_dist_traffic_get(dist);
  const double e = epochs > 0 ? (double)epochs : 1;
  const double m[RS_N] = {(double)gl_peak_rss(), (double)tr.halo_bytes / e,
                          (double)tr.sum_bytes / e, dp->part.n_own,
                          dp->part.n_halo};
  gl_status st = gl_comm_gather(gl_dist_comm(dist), m, RS_N, v);
  if (st != GL_OK) gl_cli_die_status(st, "");
  return v;
}

static void write_json(const options *o, const settings *cf,
                       const double *test, const double *val, int runs,
                       double sec, double ms, double spectral, int restarts,
                       const double *ranks) {
  gl_cli_out *out = gl_cli_out_open(o->json);
  gl_json j;
  gl_json_init(&j, gl_cli_out_file(out));
  gl_json_begin_object(&j, NULL);
  gl_json_string(&j, "dataset", o->dataset);
  gl_json_string(&j, "model", o->model);
  if (o->graphmix) gl_json_string(&j, "base", o->base);
  gl_json_int(&j, "runs", runs);
  gl_json_int(&j, "seed", (long long)o->seed);
  gl_json_int(&j, "threads", gl_threads());
  if (o->ranks > 0) gl_json_int(&j, "ranks", o->ranks);
  if (o->resume) {
    gl_json_string(&j, "resumed_from", o->resume);
    gl_json_int(&j, "resumed_epoch", o->resumed_epoch);
  }
  /* the training settings in force (defaults and options), GraphMix's own */
  gl_json_begin_object(&j, "settings");
  gl_json_string(&j, "protocol", cf->protocol); /* which chose the defaults */
  gl_json_number(&j, "lr", cf->opt.lr);
  gl_json_number(&j, "weight_decay", cf->opt.weight_decay);
  gl_json_int(&j, "hidden", cf->cfg.hidden);
  /* float settings as given (0.8, not 0.800000012) */
#define F6(x) (round((double)(x) * 1e6) / 1e6)
  gl_json_number(&j, "dropout", F6(cf->cfg.dropout));
  if (!strcmp(cf->cfg.model, "gcn"))
    gl_json_number(&j, "hidden_dropout", F6(cf->cfg.hidden_dropout));
  if (!strcmp(cf->cfg.model, "gat")) {
    gl_json_int(&j, "heads", cf->cfg.heads);
    gl_json_int(&j, "out_heads", cf->cfg.out_heads);
    gl_json_number(&j, "attn_dropout", F6(cf->cfg.attn_dropout));
  }
#undef F6
  gl_json_string(&j, "features", gnn_train_features[cf->features]);
  if (o->graphmix) {
    gl_json_int(&j, "epochs", cf->gm.epochs);
    gl_json_string(&j, "select", gnn_train_selects[cf->gm.select]);
    gl_json_number(&j, "gamma", cf->gm.gamma);
  } else {
    gl_json_int(&j, "epochs", cf->train.epochs);
    gl_json_string(&j, "stop", gnn_train_stops[cf->train.stop]);
    if (cf->train.stop == GL_STOP_WINDOW)
      gl_json_int(&j, "window", cf->train.window);
    if (cf->train.stop == GL_STOP_PATIENCE || cf->train.stop == GL_STOP_LOSS)
      gl_json_int(&j, "patience", cf->train.patience);
    gl_json_string(&j, "select", gnn_train_selects[cf->train.select]);
  }
  gl_json_end_object(&j);
  gl_meanstd t = gl_mean_std(test, runs), v = gl_mean_std(val, runs);
  gl_json_begin_object(&j, "test_acc");
  gl_json_number(&j, "mean", t.mean);
  gl_json_number(&j, "std", t.std);
  gl_json_begin_array(&j, "values");
  for (int i = 0; i < runs; i++) gl_json_number(&j, NULL, test[i]);
  gl_json_end_array(&j);
  gl_json_end_object(&j);
  gl_json_begin_object(&j, "val_acc");
  gl_json_number(&j, "mean", v.mean);
  gl_json_number(&j, "std", v.std);
  gl_json_end_object(&j);
  gl_json_number(&j, "seconds_per_run", sec);
  gl_json_number(&j, "ms_per_epoch", ms);
  /* the spectral learner's share of the training runs' time */
  if (isfinite(spectral)) {
    gl_json_number(&j, "spectral_fraction", spectral);
    gl_json_int(&j, "spectral_epochs_undone", restarts); /* by the guard */
  }
  gl_json_int(&j, "peak_rss_bytes", (long long)gl_peak_rss());
  if (ranks) { /* every rank's, in rank order */
    gl_json_begin_object(&j, "per_rank");
    for (int k = 0; k < RS_N; k++) {
      gl_json_begin_array(&j, rank_keys[k]);
      for (int r = 0; r < o->ranks; r++)
        gl_json_number(&j, NULL, ranks[(size_t)r * RS_N + k]);
      gl_json_end_array(&j);
    }
    gl_json_end_object(&j);
  }
  gl_json_end_object(&j);
  gl_json_finish(&j);
  gl_cli_out_commit(out);
}

/* What a distributed run does not do yet: the same answer on every rank,
 * said once. */
static void check_distributed(const options *o) {
  const char *no = NULL;
  if (!gl_partition_is_dir(o->dataset))
    gl_cli_die_all(GL_EXIT_USAGE, "under mpirun the dataset must be a "
                   "partition: gl-partition %s --parts %d --out DIR, then "
                   "mpirun -np %d gnn-train DIR ...", o->dataset, o->ranks,
                   o->ranks);
  if (o->graphmix || strcmp(o->model, "gcn"))
    no = "models other than gcn";
  else if (o->split[0] > 0)
    no = "--split (the partition holds its split)";
  if (no)
    gl_cli_die_all(GL_EXIT_USAGE, "distributed training does not run %s "
                   "yet", no);
}

/* Under mpirun, --checkpoint DIR (made when missing) and --resume DIR
 * (a folder with a manifest) before any work; the same answer on every
 * rank. */
static void check_checkpoint_dirs(const options *o) {
  int ranks, slot, epoch;
  if (o->resume && !gl_dir_exists(o->resume))
    gl_cli_die_all(GL_EXIT_USAGE, "--resume: under mpirun a folder that "
                   "--checkpoint wrote, not '%s'", o->resume);
  if (o->resume && gl_checkpoint_manifest(o->resume, &ranks, &slot,
                                          &epoch) != GL_OK)
    gl_cli_die_all(GL_EXIT_USAGE, "--resume: %s", gl_errmsg());
  if (o->resume && ranks != o->ranks)
    gl_cli_die_all(GL_EXIT_USAGE, "--resume: %s was written by %d ranks, "
                   "not %d: resume on as many", o->resume, ranks, o->ranks);
  if (!o->checkpoint) return;
  struct stat sb;
  if (lstat(o->checkpoint, &sb) == 0 && !S_ISDIR(sb.st_mode))
    gl_cli_die_all(GL_EXIT_USAGE, "--checkpoint: under mpirun a folder (every "
                   "rank's state), and '%s' is not one", o->checkpoint);
  if (!gl_dir_exists(o->checkpoint) && mkdir(o->checkpoint, 0777) != 0 &&
      !gl_dir_exists(o->checkpoint))
    gl_cli_die_all(GL_EXIT_USAGE, "--checkpoint: cannot create the folder "
                   "'%s': %s", o->checkpoint, strerror(errno));
}

/* ---------------------------------------------------------- main */
int main(int argc, char **argv) {
  gl_cli_init(argv[0]);
  options o;
  gl_status st = gnn_train_parse(argc, argv, &o);
  gl_cli_parsed(&gnn_train_tool, st, o.help, o.version);
  /* Under mpirun: every rank trains on its part of a partition */
  gl_dist *dist = NULL;
  gl_dist_part dp;
  memset(&dp, 0, sizeof dp);
  if (gl_dist_launched()) {
    if ((st = gl_dist_init(&dist)) != GL_OK) gl_cli_die_status(st, "MPI");
    gl_cli_distributed(dist);
    o.ranks = gl_dist_size(dist);
    if (!gl_partition_is_dir(o.dataset) && o.ranks == 1) {
      gl_dist_finalize(dist); /* one rank of a dataset: a plain run */
      gl_cli_distributed(dist = NULL);
      o.ranks = 0;
    }
  }
  const bool root = !dist || gl_dist_rank(dist) == 0;
  if (dist) check_distributed(&o);
  const char *const outs[][2] = {{"--json", o.json},
                                 {"--save", o.save},
                                 {"--predict", o.predict},
                                 {"--log", o.log},
                                 {"--checkpoint", o.checkpoint}};
  /* a distributed run's checkpoints are folders: every rank's state */
  if (root) gl_cli_check_outputs(outs, dist ? 4 : 5);
  if (dist) check_checkpoint_dirs(&o);
  if (o.load && gl_dir_exists(o.load))
    gl_cli_die_all(GL_EXIT_USAGE, "--load: '%s' is a folder, not a "
                   "checkpoint", o.load);
  if (o.load && !gl_file_exists(o.load))
    gl_cli_die_all(GL_EXIT_USAGE, "--load: no such file '%s'", o.load);
  if (!dist && o.resume && gl_dir_exists(o.resume))
    gl_cli_die(GL_EXIT_USAGE, "--resume: '%s' is a folder, not a checkpoint",
               o.resume);
  if (!dist && o.resume && !gl_file_exists(o.resume))
    gl_cli_die(GL_EXIT_USAGE, "--resume: no such file '%s'", o.resume);
  gl_set_threads(o.threads);
  bool chatty = !o.quiet && root;

  gl_model *loaded = NULL; /* --load's model, checked before the dataset */
  if (o.load) load_checkpoint(&o, &loaded);
  gl_dataset d;
  double t0 = gl_now();
  gl_csr ahat;
  if (dist) { /* this rank's part, its rows normalised */
    if ((st = gl_dist_part_load(&dp, dist, o.dataset)) != GL_OK)
      gl_cli_die_all(GL_EXIT_USAGE, "%s", gl_errmsg());
    d = dp.part.d; /* moved here: freed as the dataset at the end */
    memset(&dp.part.d, 0, sizeof dp.part.d);
    ahat = dp.ahat;
    memset(&dp.ahat, 0, sizeof dp.ahat);
    if (d.multilabel || !d.y || d.n_classes < 2 || d.x.n == 0)
      gl_cli_die_all(GL_EXIT_USAGE, "dataset '%s' has no single-label "
                     "classes and features for node classification",
                     o.dataset);
    if (chatty)
      printf("%s: %d parts of %s, %d nodes, %d features, %d classes, split "
             "%d/%d/%d; rank 0 owns %d nodes and a halo of %d (loaded in "
             "%.2fs)\n",
             o.dataset, o.ranks, d.name, (int)dp.part.n_global, (int)d.x.m,
             d.n_classes, (int)dp.part.n_train_all, (int)dp.part.n_val_all,
             (int)dp.part.n_test_all, (int)dp.part.n_own,
             (int)dp.part.n_halo, gl_now() - t0);
  } else {
    gl_cli_load_classes(&d, o.dataset, o.data_dir, o.seed);
    if (chatty)
      printf("%s: %d nodes, %lld edges, %d features, %d classes, split "
             "%d/%d/%d (loaded in %.2fs)\n",
             d.name, (int)d.adj.n, (long long)(d.adj.nnz / 2), (int)d.x.m,
             d.n_classes, (int)d.n_train, (int)d.n_val, (int)d.n_test,
             gl_now() - t0);
    if ((st = gl_csr_gcn_norm(&ahat, &d.adj, 1.0f)) != GL_OK)
      gl_cli_die_status(st, "normalising the graph");
  }

  gl_cli_out *logf = o.log && root ? gl_cli_out_open(o.log) : NULL;
  log_ctx lc = {logf ? gl_cli_out_file(logf) : NULL, 0};
  if (lc.f)
    fprintf(lc.f,
            "run,epoch,train_loss,train_acc,val_loss,val_acc,test_acc,"
            "seconds,steps,train_seconds,grad_var,grad_mse\n");

  settings cf;
  /* a registered dataset, or a partition of one, has its papers' settings */
  const bool named = gl_dataset_info_find(o.dataset) ||
                     ((dist || gl_partition_is_dir(o.dataset)) &&
                      gl_dataset_info_find(d.name));
  if ((st = gnn_train_configure(&o, named ? d.name : NULL, &cf)) != GL_OK)
    gl_cli_die_status(st, "");
  if (loaded) cf.cfg = loaded->cfg; /* the settings in force */
  /* Cluster-GCN on a part: its clusters among the part's own nodes (the
   * edges between clusters are left out, as Cluster-GCN leaves them) */
  gl_csr own = {0};
  if (dist && strcmp(cf.smp.name, "full") && strcmp(cf.smp.name, "cluster"))
    gl_cli_die_all(GL_EXIT_USAGE, "distributed training does not run the %s "
                   "sampler yet (full and cluster)", cf.smp.name);
  if (dist && !strcmp(cf.smp.name, "cluster") &&
      (st = gl_csr_first_cols(&own, &ahat, ahat.n)) != GL_OK)
    gl_cli_die_status(st, "");
  if (dist && cf.train.var_every)
    gl_cli_die_all(GL_EXIT_USAGE, "distributed training does not run "
                   "--var-every yet");
  if (cf.features == FEAT_RAW && !gnn_train_given(&o, "--features") &&
      d.x.val) {
    /* Shchur et al. binarise bag-of-words features; signed ones (csbm's
     * Gaussians) are no bag of words and stay as loaded */
    for (gl_off e = 0; e < d.x.nnz; e++)
      if (d.x.val[e] < 0) {
        cf.features = FEAT_AS_LOADED;
        break;
      }
  }
  if (cf.features != FEAT_AS_LOADED && d.x.val) {
    /* a pattern: each present feature 1, row-normalised for binary (the
     * GraphMix code's loading) */
    free(d.x.val);
    d.x.val = NULL;
    if (cf.features == FEAT_BINARY &&
        (st = gl_csr_row_norm_inplace(&d.x)) != GL_OK)
      gl_cli_die_status(st, "features");
  }

  bool train = !o.load || o.epochs_set;
  int runs = train ? o.runs : 1;
  double *test = calloc((size_t)runs, sizeof *test);
  double *val = calloc((size_t)runs, sizeof *val);
  if (!test || !val) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  double sec = 0, ms = 0, best_val = -1, spec = 0;
  long epochs_all = 0; /* every run's, for a distributed run's traffic */
  int undone = 0;
  gl_model *keep = NULL; /* the model of the best run, for --save/--predict */
  gl_task t = {0};
  t.adj = &ahat;
  t.x = &d.x;
  t.y = d.y;
  t.n_classes = d.n_classes;
  t.halo = dist ? dp.halo : NULL;
  t.comm = dist ? gl_dist_comm(dist) : NULL;

  for (int r = 0; r < runs; r++) {
    uint64_t seed = o.seed + (uint64_t)r;
    if (o.split[0] > 0) { /* each seed its own split */
      if ((st = gl_split_random(&d, o.split[0], o.split[1], seed)) != GL_OK)
        gl_cli_die_status(st, "--split");
      if (chatty && r == 0)
        printf("--split: %d/%d/%d of the labelled nodes\n", (int)d.n_train,
               (int)d.n_val, (int)d.n_test);
    } else if (r > 0 && d.split_drawn) /* each seed its own 20/30 per class */
      if ((st = gl_split_per_class(&d, 20, 30, seed)) != GL_OK)
        gl_cli_die_status(st, "split");
    t.train = d.train;
    t.val = d.val;
    t.test = d.test;
    t.n_train = d.n_train;
    t.n_val = d.n_val;
    t.n_test = d.n_test;
    if ((dist ? dp.part.n_train_all : t.n_train) == 0)
      gl_cli_die_all(GL_EXIT_USAGE, "dataset '%s' has no training nodes",
                     o.dataset);
    gl_model *m = NULL;
    if (o.load) {
      if (r > 0) load_checkpoint(&o, &loaded); /* afresh for each seed */
      m = loaded;
      loaded = NULL;
      if (m->cfg.n_features != d.x.m || m->cfg.n_classes != d.n_classes)
        gl_cli_die(GL_EXIT_USAGE,
                   "--load: %s was trained on %d features and %d classes; "
                   "the dataset has %d and %d", o.load, m->cfg.n_features,
                   m->cfg.n_classes, (int)d.x.m, d.n_classes);
    } else {
      cf.cfg.n_features = d.x.m;
      cf.cfg.n_classes = d.n_classes;
      cf.cfg.seed = seed;
      if ((st = gl_model_new(&m, &cf.cfg)) != GL_OK) gl_cli_die_status(st, "");
    }
    if (train) {
      gl_sampler *s;
      gl_optim *opt;
      gl_optim_opts oo = cf.opt;
      if (cf.lr_scale != GL_LR_SCALE_NONE) { /* from ref_batch to the batch */
        const int b =
            strcmp(cf.smp.name, "full") ? cf.smp.batch_size : (int)t.n_train;
        oo.lr = gl_lr_scale(cf.opt.lr, cf.lr_scale, b, cf.ref_batch);
        if (chatty && r == 0)
          printf("--lr-scale: rate %g for batches of %d is %g for %d\n",
                 cf.opt.lr, cf.ref_batch, oo.lr, b);
      }
      gl_sampler_opts so = cf.smp;
      so.hidden = m->cfg.hidden;
      if (o.checkpoint || o.resume) so.prefetch = 0; /* its state is saved */
      if (strcmp(so.name, "full") &&
          (st = gnn_train_check_lists(&cf, m->cfg.layers)) != GL_OK)
        gl_cli_die_status(st, "");
      /* a rank's own draws (rank 0's: the one-process run's) */
      const uint64_t rseed =
          dist && gl_dist_rank(dist) > 0
              ? gl_hash64(seed, 0x72616e6bu + (uint64_t)gl_dist_rank(dist))
              : seed;
      st = dist && own.ptr
               ? gl_sampler_new_by_name(&s, &so, &own, m->cfg.layers, t.train,
                                        t.n_train, rseed)
           : dist ? gl_sampler_full_part_new(&s, &ahat, dp.halo,
                                             m->cfg.layers, t.train,
                                             t.n_train, seed)
                  : gl_sampler_new_by_name(&s, &so, &ahat, m->cfg.layers,
                                           t.train, t.n_train, seed);
      if (st != GL_OK ||
          (st = gl_optim_new(&opt, &oo)) != GL_OK)
        gl_cli_die_status(st, "");
      lc.run = r;
      gl_train_result res;
      if (o.graphmix) {
        gl_graphmix_opts gm = cf.gm;
        gm.progress = chatty;
        gm.on_epoch = log_epoch;
        gm.ctx = &lc;
        gm.checkpoint = o.checkpoint;
        gm.checkpoint_every = o.checkpoint_every;
        gm.resume = o.resume;
        st = gl_graphmix_train(m, &t, opt, &gm, seed, &res);
      } else {
        gl_train_opts to = cf.train;
        to.progress = chatty;
        to.on_epoch = log_epoch;
        to.ctx = &lc;
        to.checkpoint = o.checkpoint;
        to.checkpoint_every = o.checkpoint_every;
        to.resume = o.resume;
        st = gl_train(m, &t, s, opt, &to, &res);
      }
      if (st != GL_OK) gl_cli_die_status(st, "training");
      gl_sampler_free(s);
      gl_optim_free(opt);
      test[r] = res.test_acc;
      val[r] = res.val_acc;
      sec += res.seconds;
      ms += res.ms_per_epoch;
      epochs_all += res.epochs_run;
      spec += res.spectral_seconds;
      undone += res.restarts;
      o.resumed_epoch = res.resumed_epoch;
      if (chatty && o.resume)
        printf("resumed from %s at epoch %d\n", o.resume, res.resumed_epoch);
      if (chatty)
        printf("run %d (seed %llu): test %.2f%%  val %.2f%%  epochs %d  "
               "%.2fs\n",
               r + 1, (unsigned long long)seed, 100 * res.test_acc,
               100 * res.val_acc, res.epochs_run, res.seconds);
      if (chatty && res.estimates > 0)
        printf("  spectral: %d estimates, %.2fs (%.0f%% of the run), %d "
               "epochs undone; last lambda_max %.4g, lr %.4g, momentum "
               "%.3f\n",
               res.estimates, res.spectral_seconds,
               100 * res.spectral_seconds / fmax(res.seconds, 1e-9),
               res.restarts, res.lambda_max, res.lr, res.momentum);
    } else {
      double e0 = gl_now(), acc[3];
      if ((st = gl_task_accuracy(m, &t, acc)) != GL_OK)
        gl_cli_die_status(st, "");
      sec = gl_now() - e0;
      test[0] = acc[2];
      val[0] = acc[1];
    }
    if (val[r] > best_val) {
      best_val = val[r];
      gl_model_free(keep);
      keep = m;
    } else {
      gl_model_free(m);
    }
  }
  if (o.save && root && (st = gl_model_save(keep, o.save)) != GL_OK)
    gl_cli_die_output(st, "--save");
  if (o.predict) write_predictions(o.predict, keep, &t, dist, &dp);
  if (logf) gl_cli_out_commit(logf);
  sec /= train ? runs : 1;
  ms /= runs;
  gl_meanstd ts = gl_mean_std(test, runs), vs = gl_mean_std(val, runs);
  if (root) {
    printf("\n%-12s %-8s %5s  %-16s %-16s %8s %9s\n", "dataset", "model",
           "runs", "test acc (%)", "val acc (%)", "s/run", "ms/epoch");
    printf("%-12s %-8s %5d  %6.2f ± %-7.2f %6.2f ± %-7.2f %8.3f %9.3f\n",
           d.name, o.model, runs, 100 * ts.mean, 100 * ts.std, 100 * vs.mean,
           100 * vs.std, sec, train ? ms : 0.0);
  }
  double *ranks = dist ? rank_stats(dist, &dp, epochs_all) : NULL;
  if (o.json && root)
    write_json(&o, &cf, test, val, runs, sec, train ? ms : 0.0,
               train && cf.train.spectral != GL_SPECTRAL_NONE
                   ? spec / fmax(sec * runs, 1e-9)
                   : NAN,
               undone, ranks);
  free(ranks);
  gl_model_free(keep);
  free(test);
  free(val);
  gl_csr_free(&ahat);
  gl_csr_free(&own);
  gl_dataset_free(&d);
  gl_dist_part_free(&dp);
  gl_dist_finalize(dist);
  return 0;
}
