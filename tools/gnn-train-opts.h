/* gnn-train's options: the table its usage line, --help and parser come
 * from (tools/gnn-train-opts.c), apart from main so that a fuzzer links
 * them (fuzz/opts_gnn_train.c). */
#ifndef GL_GNN_TRAIN_OPTS_H
#define GL_GNN_TRAIN_OPTS_H

#include "tools/cli.h"

/* How the features are fed: as the loader gives them (rows summing to 1),
 * binary (each present feature 1 / the row's count: the GraphMix code's)
 * or raw (each present feature 1, rows not normalised: Shchur et al.'s). */
enum { FEAT_AS_LOADED, FEAT_BINARY, FEAT_RAW };
extern const char *const gnn_train_features[]; /* by FEAT_ */
/* --select's and --stop's names, in gl_select_rule's and gl_stop_rule's
 * order. */
extern const char *const gnn_train_selects[];
extern const char *const gnn_train_stops[];

/* Everything a run is configured with: the defaults of the model and
 * dataset, then the options given, in order. */
typedef struct {
  gl_model_cfg cfg;
  gl_optim_opts opt;
  gl_train_opts train;
  gl_graphmix_opts gm;
  int features; /* a FEAT_ value: how the features are fed */
  gl_sampler_opts smp; /* the sampler and its options */
  bool fanouts_set, linear_blocks;
  gl_lr_scale_rule lr_scale; /* the rate moved from ref_batch to the batch */
  int ref_batch;
  const char *protocol; /* which chose the defaults: "paper" or "shchur" */
} settings;

enum { GNN_TRAIN_MAX_SET = 64 };
typedef struct {
  const char *dataset, *model, *base, *data_dir, *json, *save, *load,
      *predict, *log;
  const char *checkpoint, *resume;
  int checkpoint_every; /* 0: not given (every epoch) */
  int resumed_epoch;    /* where --resume continued the run */
  int ranks;            /* a distributed run's (0: one process) */
  double split[2]; /* --split fractions (0: the standard split) */
  int runs, threads;
  bool epochs_set, quiet, graphmix, help, version;
  uint64_t seed;
  /* the model and training options given, applied over the defaults */
  int n_set;
  gl_cli_given set[GNN_TRAIN_MAX_SET];
} options;

extern const gl_cli_tool gnn_train_tool;
/* Parses the command line into *o and checks that the options go together
 * (gnn_train_configure without a dataset); GL_EINVAL with one line
 * otherwise.  With --help or --version, only those are set.  Touches no
 * file and allocates nothing that outlives it. */
gl_status gnn_train_parse(int argc, char **argv, options *o);
/* The settings of a run: the defaults of the model (GraphMix: over its
 * base) for `dataset`, a registered name (the papers' benchmarks get their
 * papers' settings) or NULL for a path or none yet (Shchur et al.'s
 * protocol), then the options given; GL_EINVAL for options that do not go
 * together. */
gl_status gnn_train_configure(const options *o, const char *dataset,
                              settings *s);
/* The sampler's per-layer lists against the model's depth. */
gl_status gnn_train_check_lists(const settings *s, int layers);
/* Whether the command line gave model or training option `name`. */
bool gnn_train_given(const options *o, const char *name);

#endif
