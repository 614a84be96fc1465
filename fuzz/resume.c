/* Resuming a run (gnn/train.c, gnn/checkpoint.c, core/state.c and every
 * object's state io): the input is a configuration byte, then the bytes of
 * a trainer's state, put as the "glearn_state" member beside a valid
 * model's weights; gl_train resumes from that file on a 60-node CSBM.
 * Configuration 0: GCN, MVS-GNN's sampler, Adam, the weights of the best
 * validation accuracy; 1: GCN full-batch, the spectral learner over
 * momentum.  With GL_FUZZ_SEEDS=DIR set, the harness writes the seeds
 * (fuzz/corpus/resume/: each configuration's state after 2 of 4 epochs)
 * into DIR and exits. */
#define GL_FUZZ_OWN_INIT
#include "fuzz/fuzz.h"

enum { N = 60, D = 4, K = 3, EPOCHS = 4 };
static gl_csr adj, ahat, x;
static int32_t y[N];
static gl_idx ids[N];
static gl_task task;
static gl_npz valid[2]; /* a checkpoint of each configuration */

static void setup(int config, gl_model **m, gl_sampler **s, gl_optim **o,
                  gl_train_opts *t) {
  gl_model_cfg cfg = {.model = "gcn", .n_features = D, .n_classes = K,
                      .hidden = 8, .layers = 2, .bias = true, .seed = 3};
  gl_sampler_opts so = gl_sampler_defaults();
  so.name = config == 0 ? "mvs" : "full";
  so.batch_size = 8;
  so.mvs_inner = 3;
  so.hidden = cfg.hidden;
  so.prefetch = 0;
  gl_optim_opts oo = gl_optim_defaults(config == 0 ? GL_OPT_ADAM
                                                   : GL_OPT_MOMENTUM);
  *t = gl_train_defaults();
  t->epochs = EPOCHS;
  t->stop = GL_STOP_NONE;
  t->select = config == 0 ? GL_SELECT_BEST_VAL : GL_SELECT_LAST;
  t->spectral = config == 0 ? GL_SPECTRAL_NONE : GL_SPECTRAL_MOMENTUM;
  t->spectral_every = 2;
  t->spectral_steps = 4;
  *m = NULL;
  *s = NULL;
  *o = NULL;
  if (gl_model_new(m, &cfg) != GL_OK ||
      gl_sampler_new_by_name(s, &so, &ahat, 2, task.train, task.n_train,
                             7) != GL_OK ||
      gl_optim_new(o, &oo) != GL_OK)
    abort(); /* the harness's own setup */
}

static void teardown(gl_model *m, gl_sampler *s, gl_optim *o) {
  gl_model_free(m);
  gl_sampler_free(s);
  gl_optim_free(o);
}

/* The member named glearn_state of z. */
static gl_array *state_member(gl_npz *z) {
  for (int i = 0; i < z->n; i++)
    if (!strcmp(z->a[i].name, "glearn_state")) return &z->a[i];
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  gl_set_threads(1);
  gl_csbm_opts c = {.n = N, .k = K, .d = D, .deg = 4, .p_in = 0.8,
                    .mu = 1, .sigma = 1, .seed = 4};
  float xd[N * D];
  gl_idx ri[N * D], ci[N * D];
  for (int i = 0; i < N * D; i++) {
    ri[i] = i / D;
    ci[i] = i % D;
  }
  for (int i = 0; i < N; i++) ids[i] = i;
  if (gl_gen_csbm(&c, &adj, y, xd) != GL_OK ||
      gl_csr_from_coo(&x, N, D, N * D, ri, ci, xd) != GL_OK ||
      gl_csr_gcn_norm(&ahat, &adj, 1.0f) != GL_OK)
    abort();
  task = (gl_task){.adj = &ahat, .x = &x, .y = y, .n_classes = K,
                   .train = ids, .val = ids + 30, .test = ids + 45,
                   .n_train = 30, .n_val = 15, .n_test = 15};
  const char *seeds = getenv("GL_FUZZ_SEEDS");
  for (int config = 0; config < 2; config++) {
    gl_model *m;
    gl_sampler *s;
    gl_optim *o;
    gl_train_opts t;
    gl_train_result r;
    setup(config, &m, &s, &o, &t);
    char path[64];
    snprintf(path, sizeof path, "valid%d.ck", config);
    const char *p = gl_fuzz_write(path, "", 0);
    t.checkpoint = p;
    t.checkpoint_every = 2;
    if (!p || gl_train(m, &task, s, o, &t, &r) != GL_OK ||
        gl_npz_read(&valid[config], p) != GL_OK)
      abort();
    teardown(m, s, o);
    if (seeds) {
      const gl_array *a = state_member(&valid[config]);
      char out[4200];
      snprintf(out, sizeof out, "%s/config%d", seeds, config);
      FILE *f = fopen(out, "wb");
      if (!f) abort();
      fputc(config, f);
      fwrite(a->data, 1, (size_t)a->count, f);
      fclose(f);
    }
  }
  if (seeds) exit(0);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const int config = data[0] & 1;
  gl_npz *z = &valid[config];
  gl_array *a = state_member(z);
  gl_array keep = *a;
  a->data = (void *)(data + 1);
  a->count = a->shape[0] = (int64_t)size - 1;
  const char *path = gl_fuzz_write("resume.ck", "", 0);
  gl_status st = path ? gl_npz_write(path, z->a, z->n) : GL_EIO;
  *a = keep;
  if (st != GL_OK) return 0;
  gl_model *m;
  gl_sampler *s;
  gl_optim *o;
  gl_train_opts t;
  gl_train_result r;
  setup(config, &m, &s, &o, &t);
  t.resume = path;
  gl_train(m, &task, s, o, &t, &r);
  teardown(m, s, o);
  return 0;
}
