/* care-embed DATASET|--edgelist FILE [options]: node embeddings from
 * random walks (CARE, DeepWalk, node2vec) and skip-gram.  Argument parsing
 * and printing only; the algorithms live in the library (embed/). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tools/care-embed-opts.h"

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
    st = o.communities == COMM_LEIDEN
             ? gl_communities_leiden(graph, o.seed, L->comm, &L->n_comm, &L->q)
             : gl_communities_louvain(graph, o.seed, L->comm, &L->n_comm,
                                      &L->q);
    if (st != GL_OK) gl_cli_die_status(st, "communities");
    if (chatty)
      printf("communities (%s): %d, modularity %.4f\n",
             care_embed_comms[o.communities],
             (int)L->n_comm, L->q);
    o.walk.community = L->comm;
    o.walk.n_comm = L->n_comm;
  }
  gl_walker wk;
  gl_walks corpus = {0};
  double t0 = gl_now();
  /* distributed: this rank's walks, those from its start nodes */
  const gl_comm *cm = o.sg.comm;
  if ((st = gl_walker_init(&wk, graph, &o.walk)) != GL_OK ||
      (!o.stream &&
       (st = gl_walks_generate_part(&wk, cm ? cm->rank : 0, cm ? cm->size : 1,
                                    &corpus)) != GL_OK))
    gl_cli_die_status(st, "walks");
  L->walk_s = gl_now() - t0;
  L->nodes = o.stream ? 0 : corpus.start[corpus.n_walks];
  if (chatty && !o.stream && cm)
    printf("rank 0 of %d: its share of the walks\n", cm->size);
  if (chatty && !o.stream)
    printf("walks (%s): %lld walks, %lld nodes in %.2fs (%.2f M nodes/s)\n",
           care_embed_methods[o.method], (long long)corpus.n_walks,
           (long long)L->nodes, L->walk_s,
           L->nodes / fmax(L->walk_s, 1e-9) / 1e6);
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
  gl_status st = care_embed_parse(argc, argv, &o);
  gl_cli_parsed(&care_embed_tool, st, o.help, o.version);
  /* Under mpirun: every rank walks from its own start nodes over the whole
   * graph and trains on its walks, the vectors averaged across the ranks;
   * rank 0 evaluates and writes */
  gl_dist *dist = NULL;
  if (gl_dist_launched()) {
    if ((st = gl_dist_init(&dist)) != GL_OK) gl_cli_die_status(st, "MPI");
    gl_cli_distributed(dist);
    if (gl_dist_size(dist) == 1) {
      gl_dist_finalize(dist);
      gl_cli_distributed(dist = NULL);
    } else {
      const char *no = o.stream           ? "--stream"
                       : o.sg.spectral    ? "--optim spectral-sgd"
                       : o.sg.checkpoint || o.sg.resume
                           ? "--checkpoint and --resume"
                       : o.embeddings     ? "--embeddings"
                       : o.save_walks     ? "--save-walks"
                                          : NULL;
      if (no)
        gl_cli_die_all(GL_EXIT_USAGE, "a distributed run does not take %s "
                       "yet", no);
      o.sg.comm = gl_dist_comm(dist);
    }
  }
  const bool root = !dist || gl_dist_rank(dist) == 0;
  const char *const outs[][2] = {{"--out", o.out},
                                 {"--json", o.json},
                                 {"--save-walks", o.save_walks},
                                 {"--checkpoint", o.sg.checkpoint}};
  if (root) gl_cli_check_outputs(outs, 4);
  if (o.sg.resume && gl_dir_exists(o.sg.resume))
    gl_cli_die(GL_EXIT_USAGE, "--resume: '%s' is a folder, not a checkpoint",
               o.sg.resume);
  if (o.sg.resume && !gl_file_exists(o.sg.resume))
    gl_cli_die(GL_EXIT_USAGE, "--resume: no such file '%s'", o.sg.resume);
  gl_set_threads(o.threads);
  const bool chatty = !o.quiet && root;
  gl_dataset d;
  st = o.edgelist ? gl_load_edgelist(&d, o.edgelist, o.directed)
                  : gl_dataset_load(&d, o.dataset, o.data_dir, 1);
  if (st != GL_OK) gl_cli_die_status(st, "");
  const char *name = o.edgelist ? o.edgelist : d.name;
  const gl_idx n = d.adj.n;
  const bool classify = o.task == TASK_CLASSIFY;
  const bool link = o.task == TASK_LINK;
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
  if (!root) goto done; /* rank 0 has the vectors too: it evaluates, writes */
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
    if (o.format == FORMAT_NPY)
      write_npy(o.out, emb, n, dim);
    else
      write_w2v(o.out, emb, n, dim);
  }
  printf("\n%-16s %-9s %8s %10s %10s %12s\n", "graph", "method", "nodes",
         "walk s", "train s", "words/s");
  printf("%-16.16s %-9s %8d %10.2f %10.2f %12.0f\n", name,
         o.embeddings ? "given" : care_embed_methods[o.method], (int)n,
         L.walk_s, L.ss.seconds, L.ss.words_per_second);
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
    gl_json_string(&j, "method",
                   o.embeddings ? "given" : care_embed_methods[o.method]);
    gl_json_int(&j, "nodes", n);
    gl_json_int(&j, "seed", (long long)o.seed);
    gl_json_int(&j, "threads", gl_threads());
    if (dist) {
      gl_json_int(&j, "ranks", gl_dist_size(dist));
      gl_json_int(&j, "sync_segments",
                  o.sg.sync_segments > 0 ? o.sg.sync_segments : 1000);
    }
    if (o.sg.resume) {
      gl_json_string(&j, "resumed_from", o.sg.resume);
      gl_json_int(&j, "resumed_pass", L.ss.resumed_pass);
    }
    if (L.comm) {
      gl_json_string(&j, "communities", care_embed_comms[o.communities]);
      gl_json_int(&j, "n_communities", L.n_comm);
      gl_json_number(&j, "modularity", L.q);
    }
    gl_json_int(&j, "walk_nodes", (long long)L.nodes);
    gl_json_number(&j, "walk_seconds", L.walk_s);
    gl_json_number(&j, "train_seconds", L.ss.seconds);
    gl_json_number(&j, "words_per_second", L.ss.words_per_second);
    if (!o.embeddings) {
      gl_json_string(&j, "optim", care_embed_optims[o.optim]);
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
done:
  free(emb);
  free(L.comm);
  gl_csr_free(&labels);
  gl_link_split_free(&split);
  gl_dataset_free(&d);
  gl_dist_finalize(dist);
  return 0;
}
