/* Trains a 2-layer GCN on Cora with the installed glearn and prints the
 * library's version and the test accuracy:
 *
 *   cc train_cora.c -o train_cora $(pkg-config --cflags --libs glearn)
 *   ./train_cora
 *   glearn 0.1.0: GCN on Cora, 100 epochs, test accuracy 0.8060
 *
 * The shipped datasets are found in PREFIX/share/glearn/data (or
 * $GLEARN_DATA).  Every call that can fail returns a gl_status; on the
 * first failure the program prints gl_errmsg() and exits 1. */
#include <glearn.h>
#include <stdio.h>

int main(void) {
  enum { EPOCHS = 100, SEED = 1 };
  gl_dataset d;
  gl_csr ahat = {0};
  gl_model_defaults_t def;
  gl_model *model = NULL;
  gl_sampler *sampler = NULL;
  gl_optim *optim = NULL;
  gl_train_result res;
  gl_set_threads(0); /* every core */

  /* Cora with its Planetoid split; the GCN normalisation
   * D^-1/2 (A + I) D^-1/2 of its graph */
  gl_status st = gl_dataset_load(&d, "cora", NULL, SEED);
  if (st == GL_OK) st = gl_csr_gcn_norm(&ahat, &d.adj, 1.0f);
  gl_task task = {.adj = &ahat, .x = &d.x, .y = d.y,
                  .n_classes = d.n_classes, .train = d.train,
                  .val = d.val, .test = d.test, .n_train = d.n_train,
                  .n_val = d.n_val, .n_test = d.n_test};

  /* Kipf & Welling's model for Cora: 2 layers, 16 hidden units, dropout
   * 0.5; Adam with their rate and weight decay */
  if (st == GL_OK) st = gl_model_defaults("gcn", "cora", &def);
  if (st == GL_OK) {
    def.cfg.n_features = d.x.m;
    def.cfg.n_classes = d.n_classes;
    def.cfg.seed = SEED;
    st = gl_model_new(&model, &def.cfg);
  }
  if (st == GL_OK) {
    gl_optim_opts oo = gl_optim_defaults(GL_OPT_ADAM);
    oo.lr = def.lr;
    oo.weight_decay = def.weight_decay;
    st = gl_optim_new(&optim, &oo);
  }

  /* full-batch training: every step sees the whole graph */
  gl_train_opts to = gl_train_defaults();
  to.epochs = EPOCHS;
  to.stop = GL_STOP_NONE;
  if (st == GL_OK)
    st = gl_sampler_full_new(&sampler, &ahat, def.cfg.layers, d.train,
                             d.n_train, SEED);
  if (st == GL_OK) st = gl_train(model, &task, sampler, optim, &to, &res);

  if (st == GL_OK)
    printf("glearn %s: GCN on Cora, %d epochs, test accuracy %.4f\n",
           gl_version(), EPOCHS, res.test_acc);
  else
    fprintf(stderr, "train_cora: %s\n", gl_errmsg());
  gl_sampler_free(sampler);
  gl_optim_free(optim);
  gl_model_free(model);
  gl_csr_free(&ahat);
  gl_dataset_free(&d);
  return st == GL_OK ? 0 : 1;
}
