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
"  --length N          nodes a walk (80)\n"
"  --alpha X           care: probability of a neighbour step; otherwise a\n"
"                      jump within the community (0.5)\n"
"  --communities C     care: louvain (default) or leiden (igraph)\n"
"  --p X, --q X        node2vec: return and in-out parameters (1, 1)\n"
"skip-gram:\n"
"  --dim N             embedding size (128)\n"
"  --window N          context nodes on each side (10)\n"
"  --negative N        negatives per pair (5)\n"
"  --epochs N          passes over the walks (1)\n"
"  --lr X              starting learning rate, decayed linearly (0.025)\n"
"  --sample X          frequent-node subsampling threshold (1e-3; 0 off)\n"
"run:\n"
"  --task T            none (default): embeddings only\n"
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
"  --quiet             no progress or summary lines (the result table stays)\n"
"  --help              this text\n"
"\n"
"Exit status: 0 ok, 1 failure, 2 bad usage or bad input.\n",
          gl_dataset_names());
}

typedef struct {
  const char *dataset, *edgelist, *data_dir, *out, *format, *json, *method,
      *communities, *task, *save_walks;
  bool directed, quiet;
  int threads;
  uint64_t seed;
  gl_walk_opts walk;
  gl_sgns_opts sg;
} options;

static void parse(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->method = "care";
  o->communities = "louvain";
  o->task = "none";
  o->seed = 1;
  o->walk = gl_walk_defaults();
  o->sg = gl_sgns_defaults();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      exit(GL_EXIT_OK);
    }
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
    const char *v = gl_cli_value(argc, argv, &i);
    if (!strcmp(a, "--edgelist")) o->edgelist = v;
    else if (!strcmp(a, "--data")) o->data_dir = v;
    else if (!strcmp(a, "--out")) o->out = v;
    else if (!strcmp(a, "--format")) o->format = v;
    else if (!strcmp(a, "--json")) o->json = v;
    else if (!strcmp(a, "--save-walks")) o->save_walks = v;
    else if (!strcmp(a, "--method")) o->method = v;
    else if (!strcmp(a, "--communities")) o->communities = v;
    else if (!strcmp(a, "--task")) o->task = v;
    else if (!strcmp(a, "--threads"))
      o->threads = (int)gl_cli_long(a, v, 1, 1024);
    else if (!strcmp(a, "--seed"))
      o->seed = (uint64_t)gl_cli_long(a, v, 0, 1L << 62);
    else if (!strcmp(a, "--walks"))
      o->walk.walks_per_node = (int)gl_cli_long(a, v, 1, 100000);
    else if (!strcmp(a, "--length"))
      o->walk.length = (int)gl_cli_long(a, v, 1, 1000000);
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
  if (strcmp(o->task, "none"))
    gl_cli_die(GL_EXIT_USAGE, "--task: '%s' is not available (none only, "
               "for now)", o->task);
  if (!o->format)
    o->format = o->out && strlen(o->out) > 4 &&
                        !strcmp(o->out + strlen(o->out) - 4, ".npy")
                    ? "npy"
                    : "w2v";
  if (strcmp(o->format, "w2v") && strcmp(o->format, "npy"))
    gl_cli_die(GL_EXIT_USAGE, "--format: '%s' is not w2v or npy", o->format);
  if (o->out) gl_cli_check_writable("--out", o->out);
  if (o->json) gl_cli_check_writable("--json", o->json);
  if (o->save_walks) gl_cli_check_writable("--save-walks", o->save_walks);
  o->walk.seed = o->seed;
  o->sg.seed = o->seed;
  o->sg.threads = o->threads;
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
  if (st != GL_OK) gl_cli_die_status(st, "--out");
}

int main(int argc, char **argv) {
  gl_cli_wait_policy(argv);
  gl_cli_init(argv[0]);
  options o;
  parse(argc, argv, &o);
  gl_set_threads(o.threads);
  const bool chatty = !o.quiet;
  gl_dataset d;
  gl_status st = o.edgelist ? gl_load_edgelist(&d, o.edgelist, o.directed)
                            : gl_dataset_load(&d, o.dataset, o.data_dir, 1);
  if (st != GL_OK) gl_cli_die_status(st, "");
  const char *name = o.edgelist ? o.edgelist : d.name;
  const gl_idx n = d.adj.n;
  if (chatty)
    printf("%s: %d nodes, %lld stored edges%s\n", name, (int)n,
           (long long)d.adj.nnz, d.adj.val ? ", weighted" : "");

  gl_idx *comm = NULL, n_comm = 0;
  double q = 0;
  if (o.walk.kind == GL_WALK_CARE) {
    comm = malloc((size_t)n * sizeof *comm);
    if (!comm) gl_cli_die(GL_EXIT_FAIL, "out of memory");
    st = !strcmp(o.communities, "leiden")
             ? gl_communities_leiden(&d.adj, o.seed, comm, &n_comm, &q)
             : gl_communities_louvain(&d.adj, o.seed, comm, &n_comm, &q);
    if (st != GL_OK) gl_cli_die_status(st, "communities");
    if (chatty)
      printf("communities (%s): %d, modularity %.4f\n", o.communities,
             (int)n_comm, q);
    o.walk.community = comm;
    o.walk.n_comm = n_comm;
  }
  gl_walker wk;
  gl_walks corpus;
  double t0 = gl_now();
  if ((st = gl_walker_init(&wk, &d.adj, &o.walk)) != GL_OK ||
      (st = gl_walks_generate(&wk, &corpus)) != GL_OK)
    gl_cli_die_status(st, "walks");
  const double walk_s = gl_now() - t0;
  const int64_t nodes = corpus.start[corpus.n_walks];
  if (chatty)
    printf("walks (%s): %lld walks, %lld nodes in %.2fs (%.2f M nodes/s)\n",
           o.method, (long long)corpus.n_walks, (long long)nodes, walk_s,
           nodes / fmax(walk_s, 1e-9) / 1e6);
  if (o.save_walks) {
    gl_cli_out *out = gl_cli_out_open(o.save_walks);
    FILE *f = gl_cli_out_file(out);
    for (int64_t k = 0; k < corpus.n_walks; k++)
      for (int64_t i = corpus.start[k]; i < corpus.start[k + 1]; i++)
        fprintf(f, "%d%c", (int)corpus.nodes[i],
                i + 1 < corpus.start[k + 1] ? ' ' : '\n');
    gl_cli_out_commit(out);
  }
  float *emb = malloc((size_t)n * o.sg.dim * sizeof *emb);
  if (!emb) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  gl_sgns_stats ss;
  if ((st = gl_sgns_train(&corpus, &o.sg, emb, &ss)) != GL_OK)
    gl_cli_die_status(st, "skip-gram");
  if (chatty)
    printf("skip-gram: dim %d, window %d, %d negatives, %d epoch(s): "
           "%.2fs, %.0f words/s\n",
           o.sg.dim, o.sg.window, o.sg.negative, o.sg.epochs, ss.seconds,
           ss.words_per_second);
  if (o.out) {
    if (!strcmp(o.format, "npy"))
      write_npy(o.out, emb, n, o.sg.dim);
    else
      write_w2v(o.out, emb, n, o.sg.dim);
  }
  printf("\n%-16s %-9s %8s %10s %10s %12s\n", "graph", "method", "nodes",
         "walk s", "train s", "words/s");
  printf("%-16.16s %-9s %8d %10.2f %10.2f %12.0f\n", name, o.method, (int)n,
         walk_s, ss.seconds, ss.words_per_second);
  if (o.json) {
    gl_cli_out *out = gl_cli_out_open(o.json);
    gl_json j;
    gl_json_init(&j, gl_cli_out_file(out));
    gl_json_begin_object(&j, NULL);
    gl_json_string(&j, "graph", name);
    gl_json_string(&j, "method", o.method);
    gl_json_int(&j, "nodes", n);
    gl_json_int(&j, "seed", (long long)o.seed);
    gl_json_int(&j, "threads", gl_threads());
    if (comm) {
      gl_json_string(&j, "communities", o.communities);
      gl_json_int(&j, "n_communities", n_comm);
      gl_json_number(&j, "modularity", q);
    }
    gl_json_int(&j, "walk_nodes", (long long)nodes);
    gl_json_number(&j, "walk_seconds", walk_s);
    gl_json_number(&j, "train_seconds", ss.seconds);
    gl_json_number(&j, "words_per_second", ss.words_per_second);
    gl_json_end_object(&j);
    gl_json_finish(&j);
    gl_cli_out_commit(out);
  }
  free(emb);
  free(comm);
  gl_walks_free(&corpus);
  gl_walker_free(&wk);
  gl_dataset_free(&d);
  return 0;
}
