/* The Hessian of a model's loss on a set of nodes as a linear operator: for
 * the spectral learner (gnn/train.c) and the spectrum against the batch
 * size (gnn/spectrum.c).  Exact products
 * where the model has them (ops->hvp), else central differences of
 * gradients (optim's gl_hvp_fd). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

struct gl_curvature {
  gl_model *m;
  const gl_task *t;
  gl_batch b;
  gl_block *blocks; /* the whole graph's views (full_graph models) */
  float *lw;        /* loss weights 1 / n */
  float *logits, *dlogits;
  double wd;
  bool dropout;
  size_t n;    /* parameters */
  float *w0;   /* the weights the operator is taken at */
  float *s;    /* 3 n floats of scratch */
  bool started; /* an exact product made at this point */
  gl_hvp fd;
};

/* The gradient of the loss plus the L2 term at flat weights w. */
static gl_status curvature_grad(void *ctx, const float *w, float *g,
                                double *loss) {
  gl_curvature *c = ctx;
  gl_model *m = c->m;
  const gl_batch *b = &c->b;
  gl_params_load(m, w);
  GL_TRY(m->ops->forward(m, c->t->x, &c->b, c->dropout, c->logits));
  *loss = gl_softmax_xent(c->logits, b->n_out, c->t->n_classes, b->out_ids,
                          c->t->y, b->loss_pos, b->loss_w, b->n_loss,
                          c->dlogits);
  gl_params_zero_grad(m->params, m->n_params);
  GL_TRY(m->ops->backward(m, c->t->x, &c->b, c->dlogits));
  gl_params_flat(m, g, true);
  if (c->t->comm) { /* the parts' gradients and losses summed */
    GL_TRY(c->t->comm->sum_f(c->t->comm, g, c->n));
    GL_TRY(c->t->comm->sum(c->t->comm, loss, 1));
  }
  for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
    if (m->params[i].decay)
      for (size_t k = 0; k < m->params[i].n; k++)
        g[o + k] += (float)c->wd * w[o + k];
  return GL_OK;
}

void gl_curvature_free(gl_curvature *c) {
  if (!c) return;
  if (c->blocks)
    free(c->blocks);
  else
    gl_batch_free(&c->b);
  free(c->lw);
  free(c->logits);
  free(c->dlogits);
  free(c->w0);
  free(c->s);
  free(c);
}

gl_status gl_curvature_new(gl_curvature **out, gl_model *m, const gl_task *t,
                           const gl_idx *nodes, gl_idx n, double wd,
                           bool dropout, uint64_t key) {
  *out = NULL;
  if (n < 1) return gl_error(GL_EINVAL, "curvature: no loss nodes");
  for (gl_idx i = 0; i < n; i++)
    if (nodes[i] < 0 || nodes[i] >= t->adj->n)
      return gl_error(GL_EINVAL, "curvature: node %d not in 0..%d",
                      (int)nodes[i], (int)t->adj->n - 1);
  gl_curvature *c = gl_calloc(1, sizeof *c);
  if (!c) return GL_ENOMEM;
  const int L = m->cfg.layers;
  c->m = m;
  c->t = t;
  c->wd = wd;
  c->dropout = dropout;
  c->n = gl_params_count(m->params, m->n_params);
  gl_status st = GL_ENOMEM;
  if (m->ops->full_graph || t->halo) { /* the whole graph (or this part's
                                          rows), the loss on `nodes` */
    if (!(c->blocks = gl_calloc((size_t)L, sizeof *c->blocks)) ||
        !(c->lw = gl_malloc((size_t)n, sizeof *c->lw)))
      goto fail;
    gl_batch_full_view(&c->b, c->blocks, L, t->adj, t->halo);
    double n_all = n; /* a distributed loss is the mean over every part's */
    if (t->comm && (st = t->comm->sum(t->comm, &n_all, 1)) != GL_OK)
      goto fail;
    for (gl_idx i = 0; i < n; i++) c->lw[i] = (float)(1.0 / n_all);
    c->b.loss_pos = (gl_idx *)nodes;
    c->b.loss_w = c->lw;
    c->b.n_loss = n;
  } else if ((st = gl_batch_khop(&c->b, t->adj, nodes, n, L)) != GL_OK) {
    goto fail;
  }
  c->b.key = key;
  st = GL_ENOMEM;
  const size_t lc = (size_t)c->b.n_out * t->n_classes;
  if (!(c->logits = gl_malloc(lc, sizeof *c->logits)) ||
      !(c->dlogits = gl_malloc(lc, sizeof *c->dlogits)) ||
      !(c->w0 = gl_malloc(c->n, sizeof *c->w0)) ||
      !(c->s = gl_malloc(3 * c->n, sizeof *c->s)))
    goto fail;
  gl_params_flat(m, c->w0, false);
  c->fd = (gl_hvp){curvature_grad, c, c->w0, c->n, 1e-3, c->s, c->s + c->n,
                   c->s + 2 * c->n};
  *out = c;
  return GL_OK;
fail:
  gl_curvature_free(c);
  return st;
}

size_t gl_curvature_dim(const gl_curvature *c) { return c->n; }

int64_t gl_curvature_rows(const gl_curvature *c) {
  int64_t rows = 0;
  for (int l = 0; l < c->b.n_layers; l++)
    rows += gl_block_n_src(&c->b.layers[l]);
  return rows;
}

void gl_curvature_reset(gl_curvature *c, uint64_t key) {
  gl_params_flat(c->m, c->w0, false);
  c->b.key = key;
  c->started = false;
}

gl_status gl_curvature_matvec(void *ctx, const double *x, double *y) {
  gl_curvature *c = ctx;
  gl_model *m = c->m;
  if (!m->ops->hvp) { /* differences of gradients (summed across the
                        parts), then the weights back */
    gl_status st = gl_hvp_fd(&c->fd, x, y);
    gl_params_load(m, c->w0);
    return st;
  }
  float *vf = c->s, *hvf = c->s + c->n;
  for (size_t i = 0; i < c->n; i++) vf[i] = (float)x[i];
  GL_TRY(m->ops->hvp(m, c->t->x, &c->b, c->t->y, c->dropout, c->started, vf,
                     hvf));
  c->started = true;
  if (c->t->comm) GL_TRY(c->t->comm->sum_f(c->t->comm, hvf, c->n));
  for (int i = 0, o = 0; i < m->n_params; o += m->params[i++].n)
    for (size_t k = 0; k < m->params[i].n; k++)
      y[o + k] = hvf[o + k] + (m->params[i].decay ? c->wd * x[o + k] : 0);
  return GL_OK;
}
