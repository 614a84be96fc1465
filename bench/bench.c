/* glearn-bench: timings for `make bench`, printed as one JSON line each so
 * bench/run.sh can set them beside the reference implementations.
 *
 *   glearn-bench gcn-epoch DATASET [--threads N] [--epochs N] [--warmup N]
 *     times GCN training epochs (forward, backward, Adam step) with the
 *     reference settings (hidden 16, dropout 0.5, full batch).
 *   glearn-bench sample NODES EDGES [--batches N]
 *     node-wise sampling (fan-outs 25, 10, batches of 512 nodes, one
 *     thread) on a generated power-law graph: sampled edges a second. */
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

int main(int argc, char **argv) {
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
            "       glearn-bench sample NODES EDGES [--batches N]\n");
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
