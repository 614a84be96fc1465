/* The model registry. */
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

static const struct {
  const char *name;
  gl_status (*make)(gl_model **, const gl_model_cfg *);
} models[] = {
    {"gcn", gl_gcn_new}, {"gat", gl_gat_new}, {"gunet", gl_gunet_new}};

const char *gl_model_names(void) { return "gcn, gat, gunet"; }

bool gl_model_exists(const char *name) {
  for (size_t i = 0; i < sizeof models / sizeof *models; i++)
    if (strcmp(name, models[i].name) == 0) return true;
  return false;
}

gl_status gl_model_new(gl_model **out, const gl_model_cfg *cfg) {
  *out = NULL;
  for (size_t i = 0; i < sizeof models / sizeof *models; i++)
    if (strcmp(cfg->model, models[i].name) == 0)
      return models[i].make(out, cfg);
  return gl_error(GL_ENOTFOUND, "unknown model '%s' (known: %s)", cfg->model,
                  gl_model_names());
}

void gl_model_free(gl_model *m) {
  if (m) m->ops->free(m);
}

gl_status gl_model_add_param(gl_model *m, const char *name, int rows,
                             int cols, bool decay, float **w, float **g) {
  gl_param *p = &m->params[m->n_params++];
  p->name = name;
  p->n = (size_t)rows * cols;
  p->rows = rows;
  p->cols = cols;
  p->decay = decay;
  p->w = gl_calloc(p->n, sizeof(float));
  p->g = gl_calloc(p->n, sizeof(float));
  *w = p->w;
  *g = p->g;
  return p->w && p->g ? GL_OK : GL_ENOMEM;
}

void gl_model_free_params(gl_model *m) {
  for (int i = 0; i < m->n_params; i++) {
    free(m->params[i].w);
    free(m->params[i].g);
  }
  free(m->params);
  m->params = NULL;
  m->n_params = 0;
}

void gl_params_flat(const gl_model *m, float *w, bool grads) {
  for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
    memcpy(w + o, grads ? m->params[i].g : m->params[i].w,
           m->params[i].n * sizeof *w);
}

void gl_params_load(gl_model *m, const float *w) {
  for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
    memcpy(m->params[i].w, w + o, m->params[i].n * sizeof *w);
}

gl_status gl_model_snapshot(gl_model *m, float **copy, bool restore) {
  size_t total = gl_params_count(m->params, m->n_params);
  if (!*copy && !(*copy = gl_malloc(total, sizeof(float)))) return GL_ENOMEM;
  if (restore)
    gl_params_load(m, *copy);
  else
    gl_params_flat(m, *copy, false);
  return GL_OK;
}

gl_status gl_act_parse(const char *s, gl_act *out) {
  static const char *names[] = {"elu", "relu", "none"};
  for (int i = 0; i < 3; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = (gl_act)i;
      return GL_OK;
    }
  return gl_error(GL_EINVAL, "expected elu, relu or none, got '%s'", s);
}

/* Shchur et al. (2018), "Pitfalls of Graph Neural Network Evaluation": the
 * settings of gnn-benchmark's config/optimized/{gcn,gat}.conf.yaml and
 * train.conf.yaml (found by their search over all eight datasets) on
 * binary features that are not row-normalised, early stopping after 50
 * epochs without the validation loss improving, the weights of the lowest
 * one.  Their GAT's weight decay of 0.01 needs those raw features: on rows
 * summing to 1 it scores 36% on Coauthor CS (3 seeds; 90.5 raw).  Graph
 * U-Net, not in their study, keeps its own settings (gl_model_defaults). */
static void shchur_defaults(const char *model, gl_model_defaults_t *out) {
  gl_model_cfg *c = &out->cfg;
  out->protocol = "shchur";
  out->raw_features = true; /* binary bag of words, rows not normalised */
  out->epochs = 100000;
  out->stop = GL_STOP_LOSS;
  out->patience = 50;
  out->select = GL_SELECT_BEST_LOSS;
  if (strcmp(model, "gcn") == 0) {
    c->hidden = 64;
    c->dropout = c->hidden_dropout = 0.8f;
    c->bias = true;
    out->lr = 0.01;
    out->weight_decay = 1e-3; /* the first layer's, as Kipf & Welling's */
  } else { /* gat */
    c->hidden = 8;
    c->heads = 8;
    c->out_heads = 1;
    c->dropout = c->hidden_dropout = 0.6f;
    c->attn_dropout = 0.3f;
    out->lr = 0.01;
    out->weight_decay = 0.01;
  }
}

/* The papers' settings (Kipf & Welling, ICLR 2017, section 5.2;
 * Velickovic et al., ICLR 2018, section 3.3; Gao & Ji, ICML 2019) on their benchmarks,
 * Shchur et al.'s protocol on any other dataset. */
gl_status gl_model_defaults(const char *model, const char *dataset,
                            gl_model_defaults_t *out) {
  memset(out, 0, sizeof *out);
  gl_model_cfg *c = &out->cfg;
  if (!gl_model_exists(model))
    return gl_error(GL_ENOTFOUND, "unknown model '%s' (known: %s)", model,
                    gl_model_names());
  snprintf(c->model, sizeof c->model, "%s", model);
  bool pubmed = dataset && strcmp(dataset, "pubmed") == 0;
  c->layers = 2;
  out->window = 10;
  out->patience = 100;
  out->protocol = "paper";
  if (strcmp(model, "gcn") == 0) { /* Kipf & Welling */
    c->hidden = 16;
    c->dropout = c->hidden_dropout = 0.5f;
    out->lr = 0.01;
    out->weight_decay = 5e-4;
    out->epochs = 200;
    out->stop = GL_STOP_WINDOW;
    out->select = GL_SELECT_LAST;
  } else if (strcmp(model, "gat") == 0) { /* Velickovic et al. */
    c->hidden = 8;
    c->heads = 8;
    c->out_heads = pubmed ? 8 : 1;
    c->dropout = c->hidden_dropout = 0.6f;
    c->attn_dropout = 0.6f;
    c->leaky = 0.2f;
    c->bias = true;
    c->decay_all = true;
    out->lr = pubmed ? 0.01 : 0.005;
    out->weight_decay = pubmed ? 1e-3 : 5e-4;
    out->epochs = 100000;
    out->stop = GL_STOP_PATIENCE;
    /* Pubmed: the lowest validation cross-entropy (10 seeds: 78.84 against
     * 78.13 by accuracy; seeds 11-20: 78.77 against 78.07); elsewhere it
     * costs ~0.3 points */
    out->select = pubmed ? GL_SELECT_BEST_LOSS : GL_SELECT_BEST_VAL;
  } else { /* Graph U-Net (Gao & Ji) */
    static const int k[4] = {2000, 1000, 500, 200};
    c->n_pools = 4;
    memcpy(c->pool_k, k, sizeof k);
    /* the paper's keep rates: 0.08 on the features, 0.8 on the edges.  The
     * width, the hidden blocks' dropout and activation are ours, measured (10
     * seeds): 128 wide, ReLU, dropout 0.8 as in CogDL's node classification
     * U-Net gives Cora 83.00 +- 0.37 (64, ELU, 0.5: 82.26; one thread: 82.98,
     * seeds 11-20 82.52) and Citeseer 70.33 (68.6; > 40 variants stay within
     * 67.6-70.8); on Pubmed it did worse (78.1, 3 seeds, against
     * 78.70) at twice the cost.  Identity activations, no hidden dropout, the
     * paper's block order (gPool before GCN) and random-walk normalisation all
     * did worse on Cora.  Pubmed keeps 0.8 of the features' dropout (10 seeds:
     * 78.86 against 78.71 with 0.92; seeds 11-20: 78.61 against 78.26). */
    c->hidden = pubmed ? 64 : 128;
    c->dropout = pubmed ? 0.8f : 0.92f;
    c->adj_dropout = 0.2f;
    c->hidden_dropout = pubmed ? 0.5f : 0.8f;
    c->act = pubmed ? GL_ACT_ELU : GL_ACT_RELU;
    c->bias = true;
    c->decay_all = true;
    out->lr = 0.01;
    out->weight_decay = 1e-3;
    out->epochs = 100000;
    out->stop = GL_STOP_PATIENCE;
    out->select = GL_SELECT_BEST_VAL;
  }
  if (!gl_model_paper_dataset(dataset)) {
    if (strcmp(model, "gunet") == 0) /* its own, on Shchur's split */
      out->protocol = "paper settings, shchur split";
    else
      shchur_defaults(model, out);
  }
  return GL_OK;
}

bool gl_model_paper_dataset(const char *dataset) {
  static const char *const paper[] = {"cora", "citeseer", "pubmed"};
  for (size_t i = 0; dataset && i < sizeof paper / sizeof *paper; i++)
    if (strcmp(dataset, paper[i]) == 0) return true;
  return false;
}
