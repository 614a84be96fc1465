/* Random per-class splits (Shchur et al.: 20 training and 30 validation
 * nodes per class, every other labelled node for test). */
#include <stdlib.h>
#include <string.h>

#include "datasets/internal.h"

#define DEFAULT_TRAIN 20 /* per class, Shchur et al. */
#define DEFAULT_VAL 30

int gl_idx_cmp(const void *a, const void *b) {
  gl_idx x = *(const gl_idx *)a, y = *(const gl_idx *)b;
  return (x > y) - (x < y);
}

/* Sorts the three lists and makes them d's (drawn) split. */
static void set_split(gl_dataset *d, gl_idx *tr, gl_idx a, gl_idx *va,
                      gl_idx b, gl_idx *te, gl_idx t) {
  qsort(tr, (size_t)a, sizeof *tr, gl_idx_cmp);
  qsort(va, (size_t)b, sizeof *va, gl_idx_cmp);
  qsort(te, (size_t)t, sizeof *te, gl_idx_cmp);
  free(d->train);
  free(d->val);
  free(d->test);
  d->train = tr;
  d->val = va;
  d->test = te;
  d->n_train = a;
  d->n_val = b;
  d->n_test = t;
  d->split_drawn = true;
}

/* Whether node i may be in a drawn split: labelled, and one of
 * d->split_nodes when they are set. */
static bool eligible(const gl_dataset *d, gl_idx i) {
  return d->y[i] >= 0 && d->y[i] < d->n_classes &&
         (!d->split_nodes || d->split_nodes[i]);
}

/* Counts the eligible nodes of each class (cnt[n_classes]). */
static gl_status class_counts(const gl_dataset *d, gl_idx **cnt) {
  *cnt = gl_calloc((size_t)d->n_classes + 1, sizeof **cnt);
  if (!*cnt) return GL_ENOMEM;
  for (gl_idx i = 0; i < d->adj.n; i++)
    if (eligible(d, i)) (*cnt)[d->y[i]]++;
  return GL_OK;
}

gl_status gl_split_per_class(gl_dataset *d, int per_train, int per_val,
                             uint64_t seed) {
  if (!d || !d->y || d->multilabel || d->n_classes < 1)
    return gl_error(GL_EINVAL, "gl_split_per_class: dataset %s has no single "
                               "labels",
                    d ? d->name : "(null)");
  if (per_train < 0 || per_val < 0)
    return gl_error(GL_EINVAL, "gl_split_per_class: negative sizes %d / %d",
                    per_train, per_val);
  gl_idx n = d->adj.n, *cnt;
  int k = d->n_classes;
  GL_TRY(class_counts(d, &cnt));
  for (int c = 0; c < k; c++)
    if (cnt[c] > 0 && cnt[c] < per_train + per_val) {
      gl_status st = gl_error(GL_EINVAL,
                              "gl_split_per_class: class %d of %s has %d "
                              "nodes, fewer than %d + %d",
                              c, d->name, (int)cnt[c], per_train, per_val);
      free(cnt);
      return st;
    }
  /* nodes grouped by class (counting sort), then shuffled within a class */
  gl_idx *start = gl_calloc((size_t)k + 1, sizeof *start);
  gl_idx *by = gl_malloc((size_t)n + 1, sizeof *by);
  gl_idx n_lab = 0, k_used = 0; /* classes with eligible nodes */
  for (int c = 0; c < k; c++) {
    n_lab += cnt[c];
    k_used += cnt[c] > 0;
  }
  if (k_used == 0) {
    free(cnt);
    return gl_error(GL_EINVAL, "gl_split_per_class: %s has no labelled node "
                    "to split", d->name);
  }
  gl_idx n_test = n_lab - k_used * (per_train + per_val);
  gl_idx *tr = gl_malloc((size_t)k_used * per_train + 1, sizeof *tr);
  gl_idx *va = gl_malloc((size_t)k_used * per_val + 1, sizeof *va);
  gl_idx *te = gl_malloc((size_t)n_test + 1, sizeof *te);
  if (!start || !by || !tr || !va || !te) {
    free(cnt);
    free(start);
    free(by);
    free(tr);
    free(va);
    free(te);
    return GL_ENOMEM;
  }
  for (int c = 0; c < k; c++) start[c + 1] = start[c] + cnt[c];
  memcpy(cnt, start, (size_t)k * sizeof *cnt); /* fill cursors */
  for (gl_idx i = 0; i < n; i++)
    if (eligible(d, i)) by[cnt[d->y[i]]++] = i;
  gl_rng r;
  gl_rng_seed(&r, seed);
  gl_idx a = 0, b = 0, t = 0;
  for (int c = 0; c < k; c++) {
    gl_idx *m = by + start[c], len = start[c + 1] - start[c];
    gl_rng_shuffle(&r, m, (size_t)len);
    for (gl_idx i = 0; i < len; i++) {
      if (i < per_train)
        tr[a++] = m[i];
      else if (i < per_train + per_val)
        va[b++] = m[i];
      else
        te[t++] = m[i];
    }
  }
  free(cnt);
  free(start);
  free(by);
  set_split(d, tr, a, va, b, te, t);
  return GL_OK;
}

/* Shchur et al.'s standardisation for a split: the largest connected
 * component's nodes, less the classes with fewer than 20 + 30 of them
 * (Cora-Full's); NULL split_nodes when that is every node. */
static gl_status shchur_nodes(gl_dataset *d) {
  const gl_idx n = d->adj.n;
  uint8_t *in = gl_malloc((size_t)n + 1, 1);
  if (!in) return GL_ENOMEM;
  gl_idx size;
  gl_status st = gl_csr_largest_component(&d->adj, in, &size);
  gl_idx *cnt = NULL;
  d->split_nodes = in;
  if (st == GL_OK) st = class_counts(d, &cnt);
  if (st != GL_OK) {
    free(in);
    d->split_nodes = NULL;
    return st;
  }
  bool all = size == n;
  for (gl_idx i = 0; i < n; i++)
    if (d->y[i] >= 0 && d->y[i] < d->n_classes &&
        cnt[d->y[i]] < DEFAULT_TRAIN + DEFAULT_VAL) {
      in[i] = 0;
      all = false;
    }
  free(cnt);
  if (all) {
    free(in);
    d->split_nodes = NULL;
  }
  return GL_OK;
}

gl_status gl_dataset_default_split(gl_dataset *d, uint64_t seed, bool strict) {
  if (d->train || !d->y || d->multilabel || d->n_classes < 1) return GL_OK;
  if (strict) GL_TRY(shchur_nodes(d));
  /* every class large enough (strict: some class, the others left out) */
  gl_idx *cnt;
  GL_TRY(class_counts(d, &cnt));
  int big = 0;
  for (int c = 0; c < d->n_classes; c++)
    big += cnt[c] >= DEFAULT_TRAIN + DEFAULT_VAL;
  free(cnt);
  if (strict ? big == 0 : big < d->n_classes) return GL_OK;
  return gl_split_per_class(d, DEFAULT_TRAIN, DEFAULT_VAL, seed);
}

gl_status gl_split_random(gl_dataset *d, double train_frac, double val_frac,
                          uint64_t seed) {
  if (!d || !d->y || d->multilabel)
    return gl_error(GL_EINVAL, "gl_split_random: dataset %s has no single "
                    "labels", d ? d->name : "(null)");
  if (!(train_frac > 0 && val_frac >= 0 && train_frac + val_frac < 1))
    return gl_error(GL_EINVAL, "gl_split_random: fractions %g + %g must be "
                    "> 0 and < 1", train_frac, val_frac);
  gl_idx n = d->adj.n, n_lab = 0;
  gl_idx *all = gl_malloc((size_t)n + 1, sizeof *all);
  if (!all) return GL_ENOMEM;
  for (gl_idx i = 0; i < n; i++)
    if (d->y[i] >= 0) all[n_lab++] = i;
  gl_idx a = (gl_idx)(train_frac * n_lab + 0.5);
  gl_idx b = (gl_idx)(val_frac * n_lab + 0.5);
  if (a < 1 || a + b >= n_lab) {
    free(all);
    return gl_error(GL_EINVAL, "gl_split_random: %d labelled nodes of %s "
                    "leave an empty part", (int)n_lab, d->name);
  }
  gl_idx t = n_lab - a - b;
  gl_idx *tr = gl_malloc((size_t)a, sizeof *tr);
  gl_idx *va = gl_malloc((size_t)b + 1, sizeof *va);
  gl_idx *te = gl_malloc((size_t)t, sizeof *te);
  if (!tr || !va || !te) {
    free(all);
    free(tr);
    free(va);
    free(te);
    return GL_ENOMEM;
  }
  gl_rng r;
  gl_rng_seed(&r, seed);
  gl_rng_shuffle(&r, all, (size_t)n_lab);
  memcpy(tr, all, (size_t)a * sizeof *tr);
  memcpy(va, all + a, (size_t)b * sizeof *va);
  memcpy(te, all + a + b, (size_t)t * sizeof *te);
  free(all);
  set_split(d, tr, a, va, b, te, t);
  return GL_OK;
}
