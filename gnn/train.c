/* The generic training loop: batches from any sampler, any model, any
 * optimiser; full-graph evaluation every epoch, early stopping and model
 * selection (the validation loss of the stopping rules includes the L2
 * term, as GCN's code has it; GL_SELECT_BEST_LOSS leaves it out, as GAT's
 * code has its validation loss). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

gl_train_opts gl_train_defaults(void) {
  gl_train_opts o;
  memset(&o, 0, sizeof o);
  o.epochs = 200;
  o.stop = GL_STOP_WINDOW;
  o.window = 10;
  o.patience = 100;
  o.select = GL_SELECT_LAST;
  return o;
}

/* The whole graph as a batch of `layers` blocks (borrowed views). */
static void full_batch(gl_batch *b, gl_block *blocks, int layers,
                       const gl_csr *adj) {
  memset(b, 0, sizeof *b);
  memset(blocks, 0, (size_t)layers * sizeof *blocks);
  for (int l = 0; l < layers; l++) {
    blocks[l].a = *adj;
    blocks[l].symmetric = true;
  }
  b->n_layers = layers;
  b->layers = blocks;
  b->n_out = adj->n;
}

gl_status gl_model_eval(gl_model *m, const gl_task *t, float *logits) {
  gl_block *blocks = gl_calloc((size_t)m->cfg.layers, sizeof *blocks);
  if (!blocks) return GL_ENOMEM;
  gl_batch b;
  full_batch(&b, blocks, m->cfg.layers, t->adj);
  gl_status st = m->ops->forward(m, t->x, &b, false, logits);
  free(blocks);
  return st;
}

/* Mean cross-entropy over `nodes` of full-graph logits. */
static double mean_xent(const float *logits, const gl_task *t,
                        const gl_idx *nodes, gl_idx n, float *wbuf) {
  if (n == 0) return 0;
  for (gl_idx i = 0; i < n; i++) wbuf[i] = 1.0f / n;
  return gl_softmax_xent(logits, t->adj->n, t->n_classes, NULL, t->y, nodes,
                         wbuf, n, NULL);
}

gl_status gl_train(gl_model *m, const gl_task *t, gl_sampler *s,
                   gl_optim *o, const gl_train_opts *opts,
                   gl_train_result *r) {
  memset(r, 0, sizeof *r);
  const int C = t->n_classes;
  const gl_idx n = t->adj->n;
  if (opts->epochs < 1) return gl_error(GL_EINVAL, "epochs must be >= 1");
  if (m->cfg.n_classes != C)
    return gl_error(GL_EINVAL, "model has %d classes, task %d",
                    m->cfg.n_classes, C);
  gl_status st = GL_OK;
  size_t cap = 0;
  float *logits = NULL, *dlogits = NULL, *best = NULL;
  float *eval = gl_malloc((size_t)n * C, sizeof *eval);
  gl_idx nw = t->n_val > t->n_train ? t->n_val : t->n_train;
  float *wbuf = gl_malloc((size_t)(nw > t->n_test ? nw : t->n_test) + 1,
                          sizeof *wbuf);
  double *hist = gl_calloc((size_t)opts->epochs, sizeof *hist);
  gl_batch batch;
  memset(&batch, 0, sizeof batch);
  gl_progress bar;
  gl_progress_start(&bar, m->cfg.model, opts->epochs, opts->progress);
  if (!eval || !wbuf || !hist) {
    st = GL_ENOMEM;
    goto done;
  }
  const double wd = o->opts.weight_decay;
  double t_start = gl_now(), train_time = 0;
  double best_val = -1, best_loss = INFINITY, best_xent = INFINITY;
  int bad = 0;
  long steps = s->ops->epoch_steps(s);
  int epoch;
  for (epoch = 0; epoch < opts->epochs; epoch++) {
    double t0 = gl_now(), train_loss = 0;
    for (long k = 0; k < steps; k++) {
      if ((st = gl_sampler_next(s, &batch)) != GL_OK) goto done;
      size_t need = (size_t)batch.n_out * C;
      if (need > cap) {
        float *a = gl_realloc(logits, need, sizeof *a);
        if (a) logits = a;
        float *d = a ? gl_realloc(dlogits, need, sizeof *d) : NULL;
        if (!a || !d) {
          st = GL_ENOMEM;
          goto done;
        }
        dlogits = d;
        cap = need;
      }
      if ((st = m->ops->forward(m, t->x, &batch, true, logits)) != GL_OK)
        goto done;
      train_loss += gl_softmax_xent(logits, batch.n_out, C, batch.out_ids,
                                    t->y, batch.loss_pos, batch.loss_w,
                                    batch.n_loss, dlogits);
      gl_params_zero_grad(m->params, m->n_params);
      if ((st = m->ops->backward(m, t->x, &batch, dlogits)) != GL_OK ||
          (st = gl_optim_step(o, m->params, m->n_params)) != GL_OK)
        goto done;
    }
    train_time += gl_now() - t0;
    if ((st = gl_model_eval(m, t, eval)) != GL_OK) goto done;
    double l2 = wd * gl_params_l2(m->params, m->n_params);
    double val_xent = mean_xent(eval, t, t->val, t->n_val, wbuf);
    gl_epoch_stats es = {
        .epoch = epoch,
        .train_loss = train_loss / steps + l2,
        .train_acc = gl_accuracy(eval, C, t->y, t->train, t->n_train),
        .val_loss = val_xent + l2,
        .val_acc = gl_accuracy(eval, C, t->y, t->val, t->n_val),
        .test_acc = gl_accuracy(eval, C, t->y, t->test, t->n_test),
        .seconds = gl_now() - t0};
    hist[epoch] = es.val_loss;
    if (opts->on_epoch) opts->on_epoch(opts->ctx, &es);
    char extra[96];
    snprintf(extra, sizeof extra, "loss %.4f val %.3f", es.train_loss,
             es.val_acc);
    gl_progress_update(&bar, epoch + 1, extra);
    bool take =
        opts->select == GL_SELECT_LAST ||
        (opts->select == GL_SELECT_BEST_VAL && es.val_acc >= best_val) ||
        (opts->select == GL_SELECT_BEST_LOSS && val_xent <= best_xent);
    if (take) {
      if (opts->select != GL_SELECT_LAST &&
          (st = gl_model_snapshot(m, &best, false)) != GL_OK)
        goto done;
      r->best_epoch = epoch;
      r->val_acc = es.val_acc;
      r->test_acc = es.test_acc;
      r->val_loss = es.val_loss;
      r->train_acc = es.train_acc;
    }
    /* stopping rules */
    if (opts->stop == GL_STOP_WINDOW && epoch > opts->window) {
      double mean = 0;
      for (int i = epoch - opts->window; i < epoch; i++) mean += hist[i];
      if (es.val_loss > mean / opts->window) {
        epoch++;
        break;
      }
    } else if (opts->stop == GL_STOP_PATIENCE) {
      if (es.val_acc >= best_val || es.val_loss <= best_loss)
        bad = 0;
      else if (++bad >= opts->patience) {
        epoch++;
        break;
      }
    }
    if (es.val_acc > best_val) best_val = es.val_acc;
    if (es.val_loss < best_loss) best_loss = es.val_loss;
    if (val_xent < best_xent) best_xent = val_xent;
  }
  if (opts->select != GL_SELECT_LAST && best)
    gl_model_snapshot(m, &best, true);
  r->epochs_run = epoch;
  r->seconds = gl_now() - t_start;
  r->ms_per_epoch = 1e3 * train_time / (epoch > 0 ? epoch : 1);
done:
  gl_progress_end(&bar);
  gl_batch_free(&batch);
  free(logits);
  free(dlogits);
  free(best);
  free(eval);
  free(wbuf);
  free(hist);
  return st;
}
