/* care-embed DATASET|--edgelist FILE [options]: node embeddings from
 * random walks (CARE, DeepWalk, node2vec) and skip-gram.  Argument parsing
 * and printing only; the algorithms live in the library (embed/). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"

static void usage(FILE *f) {
  fprintf(f,
"usage: care-embed DATASET [options]\n"
"       care-embed --edgelist FILE [--directed] [options]\n"
"\n"
"Learns node embeddings from random walks with skip-gram and negative\n"
"sampling: CARE (community-aware paths, Keikha et al.), DeepWalk or\n"
"node2vec.\n"
"\n"
"  DATASET  a registered name (%s)\n"
"           or a path to a GMNN folder, an .npz, a .mat or an edge list\n"
"\n"
"walks:\n"
"  --method M          care (default), deepwalk or node2vec\n"
"  --walks N           walks starting at every node (10)\n"
"  --length N          nodes a walk (80; at least 2)\n"
"  --alpha X           care: probability of a neighbour step; otherwise a\n"
"                      jump within the community (0.9)\n"
"  --communities C     care: louvain (default) or leiden (igraph)\n"
"  --p X, --q X        node2vec: return and in-out parameters (1, 1)\n"
"skip-gram:\n"
"  --dim N             embedding size (128)\n"
"  --window N          context nodes on each side (10)\n"
"  --negative N        negatives per pair (5)\n"
"  --epochs N          passes over the walks (1)\n"
"  --lr X              starting learning rate, decayed linearly (0.025)\n"
"  --optim O           sgd (the rate --lr) or spectral-sgd: the rate from\n"
"                      the Hessian of a step's updates by Lanczos, every\n"
"                      1/--spectral-segments of an epoch (Granziol et\n"
"                      al.'s 2 / (lambda_max + median)), decayed linearly;\n"
"                      a segment that raises the loss is redone at half\n"
"                      the rate (twice the vectors' memory)\n"
"  --spectral-segments N   spectral-sgd: estimates an epoch (20)\n"
"  --sample X          frequent-node subsampling threshold (1e-3; 0 off)\n"
"run:\n"
"  --task T            none (default: embeddings only), classify (node\n"
"                      classification: one-vs-rest logistic regression on\n"
"                      10%%..90%% of the labelled nodes, Micro/Macro-F1\n"
"                      averaged over --eval-runs splits) or link (link\n"
"                      prediction: embed the graph without --hold of its\n"
"                      edges, kept connected; logistic regression on edge\n"
"                      features; ROC-AUC on the held-out edges and as many\n"
"                      non-edges)\n"
"  --eval-runs N       classify: random splits per fraction (10)\n"
"  --embeddings F.npy  classify: score these vectors (n x dim, from any\n"
"                      tool) instead of learning them\n"
"  --hold X            link: share of the edges held out (0.5)\n"
"  --threads N         threads (default: all cores); walks are the same for\n"
"                      any count, skip-gram threads race (Hogwild)\n"
"  --seed S            seed of the walks, communities and training (1)\n"
"  --data DIR          folder holding the datasets\n"
"output:\n"
"  --out FILE          the embeddings: word2vec text (node id, then the\n"
"                      vector, a line each) or numpy .npy (n x dim float32)\n"
"  --format F          w2v or npy (default: npy for a .npy name, else w2v)\n"
"  --json FILE         results as JSON\n"
"  --save-walks FILE   the walks as text, a walk a line (node ids)\n"
"  --checkpoint FILE   write the run's state to FILE (atomically) every N\n"
"                      skip-gram passes (--checkpoint-every N, 1)\n"
"  --resume FILE       continue the run saved in FILE (the same command with\n"
"                      --resume added; the same --threads); with one thread\n"
"                      it ends as the uninterrupted run would, bit for bit\n"
"  --stream            draw the walks as skip-gram needs them instead of\n"
"                      storing them (for corpora larger than memory)\n"
"  --quiet             no progress or summary lines (the result table stays)\n"
"  --help              this text\n"
"  --version           the version of glearn\n"
"\n"
"Exit status: 0 ok, 1 failure, 2 bad usage or bad input.\n",
          gl_dataset_names());
}

typedef struct {
  const char *dataset, *edgelist, *data_dir, *out, *format, *json, *method,
      *communities, *task, *save_walks, *embeddings, *optim, *checkpoint,
      *resume;
  bool directed, quiet, stream;
  int threads, eval_runs;
  double hold;
  uint64_t seed;
  gl_walk_opts walk;
  gl_sgns_opts sg;
} options;

static void parse_args(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->method = "care";
  o->communities = "louvain";
  o->task = "none";
  o->seed = 1;
  o->eval_runs = 10;
  o->hold = 0.5;
  o->walk = gl_walk_defaults();
  o->sg = gl_sgns_defaults();
  o->optim = "sgd";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      exit(GL_EXIT_OK);
    }
    if (!strcmp(a, "--version")) gl_cli_version();
    if (a[0] != '-' || a[1] == '\0') {
      if (o->dataset)
        gl_cli_die(GL_EXIT_USAGE, "unexpected argument '%s' (one dataset "
                   "only; see --help)", a);
      o->dataset = a;
      continue;
    }
    if (!strcmp(a, "--directed")) {
      o->directed = true;
      continue;
    }
    if (!strcmp(a, "--quiet")) {
      o->quiet = true;
      continue;
    }
    if (!strcmp(a, "--stream")) {
      o->stream = true;
      continue;
    }
    const char *v = gl_cli_value(argc, argv, &i);
    if (!strcmp(a, "--edgelist")) o->edgelist = v;
    else if (!strcmp(a, "--data")) o->data_dir = v;
    else if (!strcmp(a, "--out")) o->out = v;
    else if (!strcmp(a, "--format")) o->format = v;
    else if (!strcmp(a, "--json")) o->json = v;
    else if (!strcmp(a, "--save-walks")) o->save_walks = v;
    else if (!strcmp(a, "--checkpoint")) o->sg.checkpoint = v;
    else if (!strcmp(a, "--checkpoint-every"))
      o->sg.checkpoint_every = (int)gl_cli_long(a, v, 1, 100000);
    else if (!strcmp(a, "--resume")) o->sg.resume = v;
    else if (!strcmp(a, "--embeddings")) o->embeddings = v;
    else if (!strcmp(a, "--method")) o->method = v;
    else if (!strcmp(a, "--communities")) o->communities = v;
    else if (!strcmp(a, "--task")) o->task = v;
    else if (!strcmp(a, "--eval-runs"))
      o->eval_runs = (int)gl_cli_long(a, v, 1, 1000);
    else if (!strcmp(a, "--hold")) o->hold = gl_cli_double(a, v, 0.01, 0.99);
    else if (!strcmp(a, "--threads"))
      o->threads = (int)gl_cli_long(a, v, 1, 1024);
    else if (!strcmp(a, "--seed"))
      o->seed = (uint64_t)gl_cli_long(a, v, 0, 1L << 62);
    else if (!strcmp(a, "--walks"))
      o->walk.walks_per_node = (int)gl_cli_long(a, v, 1, 100000);
    else if (!strcmp(a, "--length"))
      o->walk.length = (int)gl_cli_long(a, v, 2, 1000000); /* 1: no pair */
    else if (!strcmp(a, "--alpha")) o->walk.alpha = gl_cli_double(a, v, 0, 1);
    else if (!strcmp(a, "--p")) o->walk.p = gl_cli_double(a, v, 1e-9, 1e9);
    else if (!strcmp(a, "--q")) o->walk.q = gl_cli_double(a, v, 1e-9, 1e9);
    else if (!strcmp(a, "--dim")) o->sg.dim = (int)gl_cli_long(a, v, 1, 65536);
    else if (!strcmp(a, "--window"))
      o->sg.window = (int)gl_cli_long(a, v, 1, 1000);
    else if (!strcmp(a, "--negative"))
      o->sg.negative = (int)gl_cli_long(a, v, 0, 1000);
    else if (!strcmp(a, "--epochs"))
      o->sg.epochs = (int)gl_cli_long(a, v, 1, 100000);
    else if (!strcmp(a, "--lr")) o->sg.lr = gl_cli_double(a, v, 1e-9, 10);
    else if (!strcmp(a, "--optim")) o->optim = v;
    else if (!strcmp(a, "--spectral-segments"))
      o->sg.spectral_segments = (int)gl_cli_long(a, v, 1, 1000000);
    else if (!strcmp(a, "--sample"))
      o->sg.sample = gl_cli_double(a, v, 0, 1);
    else
      gl_cli_die(GL_EXIT_USAGE, "unknown option '%s' (see --help)", a);
  }
  if (!o->dataset == !o->edgelist)
    gl_cli_die(GL_EXIT_USAGE, o->dataset ? "give a dataset or --edgelist, "
               "not both" : "no dataset given (see --help)");
  if (o->directed && !o->edgelist)
    gl_cli_die(GL_EXIT_USAGE, "--directed applies to --edgelist only");
  if (!strcmp(o->method, "care")) o->walk.kind = GL_WALK_CARE;
  else if (!strcmp(o->method, "deepwalk")) o->walk.kind = GL_WALK_DEEPWALK;
  else if (!strcmp(o->method, "node2vec")) o->walk.kind = GL_WALK_NODE2VEC;
  else
    gl_cli_die(GL_EXIT_USAGE, "--method: '%s' is not care, deepwalk or "
               "node2vec", o->method);
  if (strcmp(o->communities, "louvain") && strcmp(o->communities, "leiden"))
    gl_cli_die(GL_EXIT_USAGE, "--communities: '%s' is not louvain or "
               "leiden", o->communities);
  if (strcmp(o->task, "none") && strcmp(o->task, "classify") &&
      strcmp(o->task, "link"))
    gl_cli_die(GL_EXIT_USAGE, "--task: '%s' is not none, classify or link",
               o->task);
  if (strcmp(o->optim, "sgd") && strcmp(o->optim, "spectral-sgd"))
    gl_cli_die(GL_EXIT_USAGE, "--optim: '%s' is not sgd or spectral-sgd",
               o->optim);
  o->sg.spectral = !strcmp(o->optim, "spectral-sgd");
  if (o->stream && o->save_walks)
    gl_cli_die(GL_EXIT_USAGE, "--stream keeps no walks to --save-walks");
  if (o->embeddings && strcmp(o->task, "classify"))
    gl_cli_die(GL_EXIT_USAGE, "--embeddings: only with --task classify (link "
               "prediction learns its vectors on the residual graph)");
  if (!o->format)
    o->format = o->out && strlen(o->out) > 4 &&
                        !strcmp(o->out + strlen(o->out) - 4, ".npy")
                    ? "npy"
                    : "w2v";
  if (strcmp(o->format, "w2v") && strcmp(o->format, "npy"))
    gl_cli_die(GL_EXIT_USAGE, "--format: '%s' is not w2v or npy", o->format);
  if (o->sg.checkpoint_every && !o->sg.checkpoint)
    gl_cli_die(GL_EXIT_USAGE, "--checkpoint-every: needs --checkpoint FILE");
  if (o->sg.resume && gl_dir_exists(o->sg.resume))
    gl_cli_die(GL_EXIT_USAGE, "--resume: '%s' is a folder, not a checkpoint",
               o->sg.resume);
  if (o->sg.resume && !gl_file_exists(o->sg.resume))
    gl_cli_die(GL_EXIT_USAGE, "--resume: no such file '%s'", o->sg.resume);
  const char *const outs[][2] = {{"--out", o->out},
                                 {"--json", o->json},
                                 {"--save-walks", o->save_walks},
                                 {"--checkpoint", o->sg.checkpoint}};
  gl_cli_check_outputs(outs, 4);
  o->walk.seed = o->seed;
  o->sg.seed = o->seed;
  o->sg.threads = o->threads;
  o->sg.progress = !o->quiet;
}

/* word2vec's text format: "n dim", then "id v_1 ... v_dim" a node. */
static void write_w2v(const char *path, const float *emb, gl_idx n, int dim) {
  gl_cli_out *out = gl_cli_out_open(path);
  FILE *f = gl_cli_out_file(out);
  fprintf(f, "%d %d\n", (int)n, dim);
  for (gl_idx i = 0; i < n; i++) {
    fprintf(f, "%d", (int)i);
    for (int k = 0; k < dim; k++) fprintf(f, " %.6g", emb[(size_t)i * dim + k]);
    fputc('\n', f);
  }
  gl_cli_out_commit(out);
}

static void write_npy(const char *path, float *emb, gl_idx n, int dim) {
  gl_array a = {.dtype = GL_F32, .ndim = 2, .shape = {n, dim},
                .count = (int64_t)n * dim, .data = emb};
  gl_status st = gl_npy_write(path, &a);
  if (st != GL_OK) gl_cli_die_output(st, "--out");
}

/* What learning gave: the vectors, the communities (CARE) and timings. */
typedef struct {
  float *emb;
  gl_idx *comm, n_comm;
  double q, walk_s;
  int64_t nodes;
  gl_sgns_stats ss;
} learned;

/* Communities (CARE), walks and skip-gram over `graph`. */
static void learn(options *op, const gl_csr *graph, bool chatty, learned *L) {
  options o = *op;
  const gl_idx n = graph->n;
  gl_status st;
  if (o.walk.kind == GL_WALK_CARE) {
    L->comm = malloc((size_t)n * sizeof *L->comm);
    if (!L->comm) gl_cli_die(GL_EXIT_FAIL, "out of memory");
    st = !strcmp(o.communities, "leiden")
             ? gl_communities_leiden(graph, o.seed, L->comm, &L->n_comm, &L->q)
             : gl_communities_louvain(graph, o.seed, L->comm, &L->n_comm,
                                      &L->q);
    if (st != GL_OK) gl_cli_die_status(st, "communities");
    if (chatty)
      printf("communities (%s): %d, modularity %.4f\n", o.communities,
             (int)L->n_comm, L->q);
    o.walk.community = L->comm;
    o.walk.n_comm = L->n_comm;
  }
  gl_walker wk;
  gl_walks corpus = {0};
  double t0 = gl_now();
  if ((st = gl_walker_init(&wk, graph, &o.walk)) != GL_OK ||
      (!o.stream && (st = gl_walks_generate(&wk, &corpus)) != GL_OK))
    gl_cli_die_status(st, "walks");
  L->walk_s = gl_now() - t0;
  L->nodes = o.stream ? 0 : corpus.start[corpus.n_walks];
  if (chatty && !o.stream)
    printf("walks (%s): %lld walks, %lld nodes in %.2fs (%.2f M nodes/s)\n",
           o.method, (long long)corpus.n_walks, (long long)L->nodes,
           L->walk_s, L->nodes / fmax(L->walk_s, 1e-9) / 1e6);
  if (o.save_walks) {
    gl_cli_out *out = gl_cli_out_open(o.save_walks);
    FILE *f = gl_cli_out_file(out);
    for (int64_t k = 0; k < corpus.n_walks; k++)
      for (int64_t i = corpus.start[k]; i < corpus.start[k + 1]; i++)
        fprintf(f, "%d%c", (int)corpus.nodes[i],
                i + 1 < corpus.start[k + 1] ? ' ' : '\n');
    gl_cli_out_commit(out);
  }
  L->emb = malloc((size_t)n * o.sg.dim * sizeof *L->emb);
  if (!L->emb) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  st = o.stream ? gl_sgns_train_stream(&wk, &o.sg, L->emb, &L->ss)
                 : gl_sgns_train(&corpus, &o.sg, L->emb, &L->ss);
  if (st != GL_OK) gl_cli_die_status(st, "skip-gram");
  if (o.stream) L->nodes = L->ss.words / o.sg.epochs;
  if (chatty && o.sg.resume)
    printf("resumed from %s at pass %d\n", o.sg.resume, L->ss.resumed_pass);
  if (chatty)
    printf("skip-gram: dim %d, window %d, %d negatives, %d epoch(s): "
           "%.2fs, %.0f words/s\n",
           o.sg.dim, o.sg.window, o.sg.negative, o.sg.epochs, L->ss.seconds,
           L->ss.words_per_second);
  if (chatty && o.sg.spectral)
    printf("  spectral: %d estimates, %.2fs (%.0f%% of the training), %d "
           "segments redone; last rate %.4g\n", L->ss.estimates,
           L->ss.spectral_seconds,
           100 * L->ss.spectral_seconds / fmax(L->ss.seconds, 1e-9),
           L->ss.restarts, L->ss.lr);
  gl_walks_free(&corpus);
  gl_walker_free(&wk);
}

/* Vectors from an .npy: n rows, float32 or float64. */
static float *load_embeddings(const char *path, gl_idx n, int *dim) {
  gl_array a;
  gl_status st = gl_npy_read(&a, path);
  if (st != GL_OK) gl_cli_die_status(st, "--embeddings");
  if (a.ndim != 2 || a.shape[0] != n || a.shape[1] < 1 ||
      (a.dtype != GL_F32 && a.dtype != GL_F64))
    gl_cli_die(GL_EXIT_USAGE, "--embeddings: %s holds a %dD %s array of "
               "%lld rows, not %d rows of floats", path, a.ndim,
               a.dtype == GL_F32 || a.dtype == GL_F64 ? "float" : "non-float",
               (long long)(a.ndim ? a.shape[0] : 0), (int)n);
  *dim = (int)a.shape[1];
  if (a.dtype == GL_F32) return a.data;
  float *f = malloc((size_t)a.count * sizeof *f);
  if (!f) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  for (int64_t i = 0; i < a.count; i++) f[i] = (float)((double *)a.data)[i];
  free(a.data);
  return f;
}

/* Single labels (-1: none) as an n x classes pattern. */
static gl_status labels_of(gl_csr *out, const int32_t *y, gl_idx n,
                           int n_classes) {
  gl_idx *row = malloc((size_t)n * sizeof *row);
  gl_idx *col = malloc((size_t)n * sizeof *col);
  gl_off k = 0;
  gl_status st = GL_ENOMEM;
  if (row && col) {
    for (gl_idx i = 0; i < n; i++)
      if (y[i] >= 0) {
        row[k] = i;
        col[k++] = y[i];
      }
    st = gl_csr_from_coo(out, n, n_classes, k, row, col, NULL);
  }
  free(row);
  free(col);
  return st;
}

int main(int argc, char **argv) {
  gl_cli_init(argv[0]);
  options o;
  parse_args(argc, argv, &o);
  gl_set_threads(o.threads);
  const bool chatty = !o.quiet;
  gl_dataset d;
  gl_status st = o.edgelist ? gl_load_edgelist(&d, o.edgelist, o.directed)
                            : gl_dataset_load(&d, o.dataset, o.data_dir, 1);
  if (st != GL_OK) gl_cli_die_status(st, "");
  const char *name = o.edgelist ? o.edgelist : d.name;
  const gl_idx n = d.adj.n;
  const bool classify = !strcmp(o.task, "classify");
  const bool link = !strcmp(o.task, "link");
  if (classify && !d.multilabel && !d.y)
    gl_cli_die(GL_EXIT_USAGE, "--task classify: %s has no labels", name);
  int dim = o.sg.dim;
  float *emb = o.embeddings ? load_embeddings(o.embeddings, n, &dim) : NULL;
  gl_csr labels = {0};
  if (classify) {
    st = d.multilabel ? gl_csr_copy(&labels, &d.ymulti)
                      : labels_of(&labels, d.y, n, d.n_classes);
    if (st != GL_OK) gl_cli_die_status(st, "labels");
  }
  gl_link_split split = {0};
  const gl_csr *graph = &d.adj; /* what the walks see */
  if (link) {
    if ((st = gl_link_split_init(&split, &d.adj, o.hold, 200000, o.seed)) !=
        GL_OK)
      gl_cli_die_status(st, "--task link");
    graph = &split.residual;
  }
  if (chatty)
    printf("%s: %d nodes, %lld stored edges%s\n", name, (int)n,
           (long long)d.adj.nnz, d.adj.val ? ", weighted" : "");
  if (link && chatty)
    printf("link prediction: %lld edges held out, %lld test and %lld "
           "training pairs\n",
           (long long)(split.n_test / 2), (long long)split.n_test,
           (long long)split.n_train);

  learned L = {0};
  if (!o.embeddings) {
    learn(&o, graph, chatty, &L);
    emb = L.emb;
  }
  /* the tasks */
  static const double fracs[9] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8,
                                  0.9};
  double f1[9][2] = {{0}}, auc[4] = {0};
  static const char *ops[4] = {"hadamard", "average", "l1", "l2"};
  gl_progress bar;
  gl_progress_start(&bar, "classify", 9L * o.eval_runs, classify && chatty);
  if (classify)
    for (int f = 0; f < 9; f++) {
      for (int r = 0; r < o.eval_runs; r++) {
        double mi, ma;
        if ((st = gl_eval_classify(emb, dim, &labels, fracs[f], 1.0,
                                   o.seed + (uint64_t)r, &mi, &ma)) != GL_OK)
          gl_cli_die_status(st, "classification");
        f1[f][0] += mi / o.eval_runs;
        f1[f][1] += ma / o.eval_runs;
        gl_progress_update(&bar, (long)f * o.eval_runs + r + 1, NULL);
      }
    }
  gl_progress_end(&bar);
  if (link)
    for (int k = 0; k < 4; k++)
      if ((st = gl_eval_link(emb, dim, &split, (gl_edge_op)k, 1.0,
                             &auc[k])) != GL_OK)
        gl_cli_die_status(st, "link prediction");
  if (o.out) { /* files only once everything has worked */
    if (!strcmp(o.format, "npy"))
      write_npy(o.out, emb, n, dim);
    else
      write_w2v(o.out, emb, n, dim);
  }
  printf("\n%-16s %-9s %8s %10s %10s %12s\n", "graph", "method", "nodes",
         "walk s", "train s", "words/s");
  printf("%-16.16s %-9s %8d %10.2f %10.2f %12.0f\n", name,
         o.embeddings ? "given" : o.method, (int)n, L.walk_s, L.ss.seconds,
         L.ss.words_per_second);
  if (classify) {
    printf("\n%-18s", "train fraction");
    for (int f = 0; f < 9; f++) printf(" %6.1f", fracs[f]);
    printf("\n%-18s", "Micro-F1");
    for (int f = 0; f < 9; f++) printf(" %6.4f", f1[f][0]);
    printf("\n%-18s", "Macro-F1");
    for (int f = 0; f < 9; f++) printf(" %6.4f", f1[f][1]);
    printf("\n");
  }
  if (link) {
    printf("\n%-18s", "edge operator");
    for (int k = 0; k < 4; k++) printf(" %9s", ops[k]);
    printf("\n%-18s", "ROC-AUC");
    for (int k = 0; k < 4; k++) printf(" %9.4f", auc[k]);
    printf("\n");
  }
  if (o.json) {
    gl_cli_out *out = gl_cli_out_open(o.json);
    gl_json j;
    gl_json_init(&j, gl_cli_out_file(out));
    gl_json_begin_object(&j, NULL);
    gl_json_string(&j, "graph", name);
    gl_json_string(&j, "method", o.embeddings ? "given" : o.method);
    gl_json_int(&j, "nodes", n);
    gl_json_int(&j, "seed", (long long)o.seed);
    gl_json_int(&j, "threads", gl_threads());
    if (o.sg.resume) {
      gl_json_string(&j, "resumed_from", o.sg.resume);
      gl_json_int(&j, "resumed_pass", L.ss.resumed_pass);
    }
    if (L.comm) {
      gl_json_string(&j, "communities", o.communities);
      gl_json_int(&j, "n_communities", L.n_comm);
      gl_json_number(&j, "modularity", L.q);
    }
    gl_json_int(&j, "walk_nodes", (long long)L.nodes);
    gl_json_number(&j, "walk_seconds", L.walk_s);
    gl_json_number(&j, "train_seconds", L.ss.seconds);
    gl_json_number(&j, "words_per_second", L.ss.words_per_second);
    if (!o.embeddings) {
      gl_json_string(&j, "optim", o.optim);
      gl_json_number(&j, "lr", o.sg.spectral ? L.ss.lr : o.sg.lr);
    }
    if (!o.embeddings && o.sg.spectral) {
      gl_json_int(&j, "spectral_estimates", L.ss.estimates);
      gl_json_int(&j, "spectral_segments_redone", L.ss.restarts);
      gl_json_number(&j, "spectral_fraction",
                     L.ss.spectral_seconds / fmax(L.ss.seconds, 1e-9));
    }
    if (classify) {
      gl_json_begin_object(&j, "classify");
      for (int f = 0; f < 9; f++) {
        char key[8];
        snprintf(key, sizeof key, "%.1f", fracs[f]);
        gl_json_begin_object(&j, key);
        gl_json_number(&j, "micro_f1", f1[f][0]);
        gl_json_number(&j, "macro_f1", f1[f][1]);
        gl_json_end_object(&j);
      }
      gl_json_end_object(&j);
    }
    if (link) {
      gl_json_begin_object(&j, "link");
      for (int k = 0; k < 4; k++) {
        gl_json_begin_object(&j, ops[k]);
        gl_json_number(&j, "auc", auc[k]);
        gl_json_end_object(&j);
      }
      gl_json_end_object(&j);
    }
    gl_json_end_object(&j);
    gl_json_finish(&j);
    gl_cli_out_commit(out);
  }
  free(emb);
  free(L.comm);
  gl_csr_free(&labels);
  gl_link_split_free(&split);
  gl_dataset_free(&d);
  return 0;
}
