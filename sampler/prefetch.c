/* Sampling ahead of training: a thread draws the next batches of a sampler
 * into a ring while the trainer computes on the current one.  One producer
 * calls the sampler in order, so the batches (and their random draws) are
 * those of the sampler alone: a seed still reproduces a run.  A sampler
 * that takes feedback on its snapshot batches (MVS-GNN) is drawn ahead up
 * to each snapshot; the producer then holds until the trainer feeds the
 * snapshot back, which it does while the producer is not drawing. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sampler/sampler.h"

typedef struct {
  gl_sampler base;
  gl_sampler *inner;
  int depth, head, count;
  gl_batch *ring;
  int threads;   /* the creating thread's count, the producer's too */
  gl_status err; /* the producer's failure, kept for the consumer */
  char msg[512];
  bool stop;
  bool hold; /* a snapshot was drawn: wait for its feedback */
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t changed;
} prefetcher;

static void *produce(void *arg) {
  prefetcher *f = arg;
  gl_set_threads(f->threads); /* this thread's own setting */
  pthread_mutex_lock(&f->mu);
  for (;;) {
    while (!f->stop && f->err == GL_OK && (f->count == f->depth || f->hold))
      pthread_cond_wait(&f->changed, &f->mu);
    if (f->stop || f->err != GL_OK) break;
    gl_batch b;
    memset(&b, 0, sizeof b);
    pthread_mutex_unlock(&f->mu); /* sample without the lock */
    gl_status st = gl_sampler_next(f->inner, &b);
    pthread_mutex_lock(&f->mu);
    if (st != GL_OK) {
      f->err = st;
      snprintf(f->msg, sizeof f->msg, "%s", gl_errmsg());
    } else {
      f->ring[(f->head + f->count++) % f->depth] = b;
      f->hold = b.snapshot && f->inner->ops->feedback;
    }
    pthread_cond_broadcast(&f->changed);
  }
  pthread_mutex_unlock(&f->mu);
  return NULL;
}

static gl_status prefetch_next(gl_sampler *s, gl_batch *out) {
  prefetcher *f = (prefetcher *)s;
  gl_batch_free(out);
  pthread_mutex_lock(&f->mu);
  while (f->count == 0 && f->err == GL_OK && !f->hold)
    pthread_cond_wait(&f->changed, &f->mu);
  gl_status st = GL_OK;
  if (f->count == 0 && f->hold)
    st = gl_error(GL_EINVAL, "the %s sampler's snapshot was not fed back",
                  f->inner->ops->name);
  else if (f->count > 0) {
    *out = f->ring[f->head];
    f->head = (f->head + 1) % f->depth;
    f->count--;
    pthread_cond_broadcast(&f->changed);
  } else
    st = gl_error(f->err, "%s", f->msg);
  pthread_mutex_unlock(&f->mu);
  return st;
}

static long prefetch_epoch_steps(const gl_sampler *s) {
  const prefetcher *f = (const prefetcher *)s;
  return f->inner->ops->epoch_steps(f->inner);
}

static void prefetch_free(gl_sampler *s) {
  prefetcher *f = (prefetcher *)s;
  pthread_mutex_lock(&f->mu);
  f->stop = true;
  pthread_cond_broadcast(&f->changed);
  pthread_mutex_unlock(&f->mu);
  pthread_join(f->thread, NULL);
  for (int i = 0; i < f->count; i++)
    gl_batch_free(&f->ring[(f->head + i) % f->depth]);
  pthread_mutex_destroy(&f->mu);
  pthread_cond_destroy(&f->changed);
  gl_sampler_free(f->inner);
  free(f->ring);
  free(f);
}

/* History samplers remember rows from the trainer's thread while the
 * producer draws: they must not read the history while drawing. */
static gl_status prefetch_remember(gl_sampler *s, const gl_batch *b, int l,
                                   const float *rows, int width) {
  gl_sampler *in = ((prefetcher *)s)->inner;
  if (!in->ops->remember)
    return gl_error(GL_EINVAL, "the %s sampler keeps no history",
                    in->ops->name);
  return in->ops->remember(in, b, l, rows, width);
}

/* The producer holds after the snapshot it drew, so the sampler is not
 * drawing while it takes the feedback. */
static gl_status prefetch_feedback(gl_sampler *s, const gl_batch *b,
                                   const float *g) {
  prefetcher *f = (prefetcher *)s;
  pthread_mutex_lock(&f->mu);
  gl_status st = f->hold ? f->inner->ops->feedback(f->inner, b, g)
                         : gl_error(GL_EINVAL, "the %s sampler has no "
                                    "snapshot waiting for feedback",
                                    f->inner->ops->name);
  if (st == GL_OK) {
    f->hold = false;
    pthread_cond_broadcast(&f->changed);
  }
  pthread_mutex_unlock(&f->mu);
  return st;
}

static const gl_sampler_ops prefetch_ops = {
    "prefetch", prefetch_next, prefetch_epoch_steps, NULL, prefetch_free,
    prefetch_remember, NULL};
static const gl_sampler_ops prefetch_plain_ops = {
    "prefetch", prefetch_next, prefetch_epoch_steps, NULL, prefetch_free,
    NULL, NULL};
static const gl_sampler_ops prefetch_feedback_ops = {
    "prefetch", prefetch_next, prefetch_epoch_steps, prefetch_feedback,
    prefetch_free, prefetch_remember, NULL};

gl_status gl_sampler_prefetch(gl_sampler **s, int depth) {
  gl_sampler *inner = *s;
  if (depth < 1)
    return gl_error(GL_EINVAL, "prefetch: depth %d < 1", depth);
  prefetcher *f = gl_calloc(1, sizeof *f);
  gl_batch *ring = gl_calloc((size_t)depth, sizeof *ring);
  if (!f || !ring) {
    free(f);
    free(ring);
    return GL_ENOMEM;
  }
  f->base.ops = inner->ops->feedback   ? &prefetch_feedback_ops
                : inner->ops->remember ? &prefetch_ops
                                       : &prefetch_plain_ops;
  f->base.n_layers = inner->n_layers;
  f->inner = inner;
  f->depth = depth;
  f->ring = ring;
  f->threads = gl_threads();
  pthread_mutex_init(&f->mu, NULL);
  pthread_cond_init(&f->changed, NULL);
  if (pthread_create(&f->thread, NULL, produce, f) != 0) {
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->changed);
    free(ring);
    free(f);
    return gl_error(GL_EINTERNAL, "prefetch: cannot start a thread");
  }
  *s = &f->base;
  return GL_OK;
}
