/* glearn-bench: timings for `make bench`, printed as one JSON line each so
 * bench/run.sh can set them beside the reference implementations.
 *
 *   glearn-bench gcn-epoch DATASET [--threads N] [--epochs N] [--warmup N]
 *     times GCN training epochs (forward, backward, Adam step) with the
 *     reference settings (hidden 16, dropout 0.5, full batch).
 *   glearn-bench sample NODES EDGES [--batches N]
 *     node-wise sampling (fan-outs 25, 10, batches of 512 nodes, one
 *     thread) on a generated power-law graph: sampled edges a second.
 *   glearn-bench train NODES EDGES node|mvs [--threads N]
 *     one epoch of mini-batch GCN training (hidden 128, batches of 512)
 *     on a generated power-law graph with 128 dense features, 16 classes
 *     and 10% of the nodes for training: training nodes a second, peak
 *     memory. */
#include <stdlib.h>
#include <string.h>

#include "glearn.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int die(const char *what) {
  fprintf(stderr, "glearn-bench: error: %s: %s\n", what, gl_errmsg());
  return 1;
}

static int gcn_epoch(const char *name, int threads, int epochs, int warmup) {
  gl_set_threads(threads);
  gl_dataset d;
  if (gl_dataset_load(&d, name, NULL, 1) != GL_OK) return die(name);
  gl_csr ahat;
  if (gl_csr_gcn_norm(&ahat, &d.adj, 1.0f) != GL_OK) return die("norm");
  gl_model_cfg cfg = {.model = "gcn", .n_features = d.x.m,
                      .n_classes = d.n_classes, .hidden = 16, .layers = 2,
                      .dropout = 0.5f, .seed = 1};
  gl_model *m;
  gl_sampler *s;
  gl_optim *o;
  gl_optim_opts oo = gl_optim_defaults(GL_OPT_ADAM);
  oo.weight_decay = 5e-4;
  if (gl_model_new(&m, &cfg) != GL_OK ||
      gl_sampler_full_new(&s, &ahat, 2, d.train, d.n_train, 1) != GL_OK ||
      gl_optim_new(&o, &oo) != GL_OK)
    return die("setup");
  size_t nc = (size_t)ahat.n * d.n_classes;
  float *logits = malloc(nc * sizeof *logits), *dl = malloc(nc * sizeof *dl);
  double *ms = malloc(sizeof(double) * epochs);
  gl_batch b;
  memset(&b, 0, sizeof b);
  for (int e = 0; e < warmup + epochs; e++) {
    double t0 = gl_now();
    if (gl_sampler_next(s, &b) != GL_OK ||
        m->ops->forward(m, &d.x, &b, true, logits) != GL_OK)
      return die("forward");
    gl_softmax_xent(logits, b.n_out, d.n_classes, b.out_ids, d.y, b.loss_pos,
                    b.loss_w, b.n_loss, dl);
    gl_params_zero_grad(m->params, m->n_params);
    if (m->ops->backward(m, &d.x, &b, dl) != GL_OK ||
        gl_optim_step(o, m->params, m->n_params) != GL_OK)
      return die("backward");
    if (e >= warmup) ms[e - warmup] = 1e3 * (gl_now() - t0);
  }
  qsort(ms, (size_t)epochs, sizeof *ms, cmp_double);
  printf("{\"bench\": \"gcn-epoch\", \"dataset\": \"%s\", \"threads\": %d, "
         "\"epochs\": %d, \"ms_per_epoch_median\": %.4f, "
         "\"ms_per_epoch_min\": %.4f, \"peak_rss_bytes\": %zu}\n",
         name, threads, epochs, ms[epochs / 2], ms[0], gl_peak_rss());
  gl_batch_free(&b);
  free(logits);
  free(dl);
  free(ms);
  gl_optim_free(o);
  gl_sampler_free(s);
  gl_model_free(m);
  gl_csr_free(&ahat);
  gl_dataset_free(&d);
  return 0;
}

static int sample(long n, long m, long batches) {
  gl_set_threads(2); /* the generator is parallel; sampling is one thread */
  gl_csr a, ahat;
  double t0 = gl_now();
  if (gl_gen_powerlaw(&a, (gl_idx)n, m, 2.5, 1) != GL_OK ||
      gl_csr_gcn_norm(&ahat, &a, 1.0f) != GL_OK)
    return die("graph");
  double t_gen = gl_now() - t0;
  gl_csr_free(&a);
  gl_idx *nodes = malloc(sizeof *nodes * (size_t)n);
  for (long i = 0; i < n; i++) nodes[i] = (gl_idx)i;
  const int fan[2] = {10, 25}; /* input side first */
  gl_sampler *s;
  if (gl_sampler_node_new(&s, &ahat, 2, fan, nodes, (gl_idx)n, 512, 1) !=
      GL_OK)
    return die("sampler");
  gl_batch b;
  memset(&b, 0, sizeof b);
  double edges = 0, outs = 0;
  t0 = gl_now();
  for (long i = 0; i < batches; i++) {
    if (gl_sampler_next(s, &b) != GL_OK) return die("sample");
    edges += (double)b.layers[0].a.nnz + (double)b.layers[1].a.nnz;
    outs += b.n_out;
  }
  double t = gl_now() - t0;
  printf("{\"bench\": \"sample\", \"sampler\": \"node\", \"nodes\": %ld, "
         "\"edges\": %ld, \"batches\": %ld, \"graph_seconds\": %.2f, "
         "\"sampled_edges_per_second\": %.0f, \"batch_nodes_per_second\": "
         "%.0f, \"peak_rss_bytes\": %zu}\n",
         n, (long)ahat.nnz, batches, t_gen, edges / t, outs / t,
         gl_peak_rss());
  gl_batch_free(&b);
  gl_sampler_free(s);
  free(nodes);
  gl_csr_free(&ahat);
  return 0;
}

/* The scale test: a power-law graph of n nodes and m undirected edges, 128
 * dense features, labels from a random linear teacher, 10% of the nodes
 * for training (0.5% each for validation and test); one epoch of GCN
 * training with node-wise (fan-outs 25, 10) or MVS-GNN (gamma 0.02, K 20)
 * batches of 512, then the trainer's full-graph evaluation. */
static int train_scale(long n, long m, const char *sampler, int threads) {
  enum { F = 128, C = 16 };
  gl_set_threads(threads);
  char spec[128];
  snprintf(spec, sizeof spec, "powerlaw:n=%ld,m=%ld,d=%d,c=%d", n, m, F, C);
  gl_dataset d;
  gl_csr ahat;
  double t0 = gl_now();
  if (gl_dataset_load(&d, spec, NULL, 1) != GL_OK ||
      gl_csr_gcn_norm(&ahat, &d.adj, 1.0f) != GL_OK)
    return die("graph");
  double t_gen = gl_now() - t0;
  const gl_idx n_train = d.n_train;
  gl_task t = {.adj = &ahat, .x = &d.x, .y = d.y, .n_classes = C,
               .train = d.train, .n_train = n_train,
               .val = d.val, .n_val = d.n_val,
               .test = d.test, .n_test = d.n_test};
  gl_model_cfg cfg = {.model = "gcn", .n_features = F, .n_classes = C,
                      .hidden = 128, .layers = 2, .dropout = 0.1f,
                      .hidden_dropout = 0.1f, .bias = true, .seed = 1};
  const int fan[2] = {10, 25}, widths[1] = {128}; /* input side first */
  gl_model *mdl;
  gl_sampler *s;
  gl_optim *o;
  gl_optim_opts oo = gl_optim_defaults(GL_OPT_ADAM);
  bool mvs = !strcmp(sampler, "mvs");
  if (gl_model_new(&mdl, &cfg) != GL_OK ||
      (mvs ? gl_sampler_mvs_new(&s, &ahat, 2, widths, 0.02, 20, false,
                                t.train, n_train, 512, 1)
           : gl_sampler_node_new(&s, &ahat, 2, fan, t.train, n_train, 512,
                                 1)) != GL_OK ||
      gl_sampler_prefetch(&s, 2) != GL_OK ||
      gl_optim_new(&o, &oo) != GL_OK)
    return die("setup");
  gl_train_opts to = gl_train_defaults();
  to.epochs = 1;
  to.stop = GL_STOP_NONE;
  gl_train_result res;
  if (gl_train(mdl, &t, s, o, &to, &res) != GL_OK) return die("train");
  double train_s = res.ms_per_epoch / 1e3;
  printf("{\"bench\": \"train\", \"sampler\": \"%s\", \"nodes\": %ld, "
         "\"edges\": %ld, \"features\": %d, \"threads\": %d, "
         "\"train_nodes\": %ld, \"graph_seconds\": %.2f, "
         "\"epoch_train_seconds\": %.2f, \"train_nodes_per_second\": %.0f, "
         "\"eval_seconds\": %.2f, \"test_acc\": %.4f, "
         "\"peak_rss_bytes\": %zu}\n",
         sampler, n, (long)ahat.nnz, F, threads, (long)n_train, t_gen,
         train_s, n_train / train_s, res.seconds - train_s, res.test_acc,
         gl_peak_rss());
  gl_optim_free(o);
  gl_sampler_free(s);
  gl_model_free(mdl);
  gl_csr_free(&ahat);
  gl_dataset_free(&d);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 5 && !strcmp(argv[1], "train")) {
    long n, m, threads = 2;
    if (!gl_parse_long(argv[2], 10, 1L << 30, &n) ||
        !gl_parse_long(argv[3], 10, 1L << 40, &m) ||
        (strcmp(argv[4], "node") && strcmp(argv[4], "mvs")) ||
        (argc >= 7 && (strcmp(argv[5], "--threads") ||
                       !gl_parse_long(argv[6], 1, 1024, &threads)))) {
      fprintf(stderr, "glearn-bench: error: bad train arguments\n");
      return 2;
    }
    return train_scale(n, m, argv[4], (int)threads);
  }
  if (argc >= 4 && !strcmp(argv[1], "sample")) {
    long n, m, batches = 200;
    if (!gl_parse_long(argv[2], 10, 1L << 30, &n) ||
        !gl_parse_long(argv[3], 10, 1L << 40, &m) ||
        (argc >= 6 && (strcmp(argv[4], "--batches") ||
                       !gl_parse_long(argv[5], 1, 1000000, &batches)))) {
      fprintf(stderr, "glearn-bench: error: bad sample arguments\n");
      return 2;
    }
    return sample(n, m, batches);
  }
  if (argc < 3 || strcmp(argv[1], "gcn-epoch") != 0) {
    fprintf(stderr,
            "usage: glearn-bench gcn-epoch DATASET [--threads N] "
            "[--epochs N] [--warmup N]\n"
            "       glearn-bench sample NODES EDGES [--batches N]\n"
            "       glearn-bench train NODES EDGES node|mvs [--threads N]\n");
    return 2;
  }
  long threads = 2, epochs = 200, warmup = 20;
  for (int i = 3; i + 1 < argc; i += 2) {
    long *v = !strcmp(argv[i], "--threads")  ? &threads
              : !strcmp(argv[i], "--epochs") ? &epochs
              : !strcmp(argv[i], "--warmup") ? &warmup
                                             : NULL;
    if (!v || !gl_parse_long(argv[i + 1], 1, 1000000, v)) {
      fprintf(stderr, "glearn-bench: error: bad option %s\n", argv[i]);
      return 2;
    }
  }
  return gcn_epoch(argv[2], (int)threads, (int)epochs, (int)warmup);
}
