/* glearn GNN checkpoints: a model's configuration and weights as an npz
 * that numpy opens (the container is datasets' npz reader and writer; the
 * one place gnn/ touches a file format).  Every configuration field is a
 * 0-d array, the weights 2-d float32 arrays named after the parameters. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "gnn/gnn.h"

/* The configuration fields saved with a model, as 0-d arrays, with the
 * range a loaded value must lie in. */
typedef struct {
  const char *name;
  size_t off;
  bool is_float;
  double lo, hi;
} cfg_field;
#define FI(f, lo, hi) {#f, offsetof(gl_model_cfg, f), false, lo, hi}
#define FF(f, lo, hi) {#f, offsetof(gl_model_cfg, f), true, lo, hi}
static const cfg_field fields[] = {
    FI(n_features, 1, 1 << 30),  FI(n_classes, 2, 1 << 20),
    FI(hidden, 1, 1 << 16),      FI(layers, 1, 16),
    FI(heads, 0, 64),            FI(out_heads, 0, 64),
    FI(n_pools, 0, 8),           FF(dropout, 0, 0.99),
    FF(hidden_dropout, 0, 0.99), FF(attn_dropout, 0, 0.99),
    FF(leaky, 0, 1),             FF(adj_dropout, 0, 0.99),
    FI(act, 0, GL_ACT_NONE),     FI(linear_blocks, 0, 1)};
#undef FI
#undef FF
enum { N_FIELDS = sizeof fields / sizeof *fields };

/* The model's npz members, with `extra` (n_extra more) after them. */
static gl_status save(const gl_model *m, const char *path,
                      const gl_array *extra, int n_extra) {
  const gl_model_cfg *c = &m->cfg;
  int64_t flags[3] = {c->bias, c->decay_all, (int64_t)c->seed};
  int64_t pools[8];
  for (int i = 0; i < 8; i++) pools[i] = c->pool_k[i];
  gl_array *arr = gl_calloc((size_t)m->n_params + N_FIELDS + 8 + n_extra,
                            sizeof *arr);
  if (!arr) return GL_ENOMEM;
  int n = 0;
  arr[n++] = gl_array_of("model", GL_U8, 1, (int64_t)strlen(c->model),
                         (void *)c->model);
  for (int i = 0; i < N_FIELDS; i++)
    arr[n++] = gl_array_of(fields[i].name,
                           fields[i].is_float ? GL_F32 : GL_I32, 0, 1,
                           (char *)c + fields[i].off);
  arr[n++] = gl_array_of("bias", GL_I64, 0, 1, &flags[0]);
  arr[n++] = gl_array_of("decay_all", GL_I64, 0, 1, &flags[1]);
  arr[n++] = gl_array_of("seed", GL_I64, 0, 1, &flags[2]);
  arr[n++] = gl_array_of("pool_k", GL_I64, 1, 8, pools);
  for (int i = 0; i < m->n_params; i++) {
    const gl_param *p = &m->params[i];
    arr[n] = gl_array_of(p->name, GL_F32, 2, (int64_t)p->n, p->w);
    arr[n].shape[0] = p->rows;
    arr[n++].shape[1] = p->cols;
  }
  for (int i = 0; i < n_extra; i++) arr[n++] = extra[i];
  gl_status st = gl_npz_write(path, arr, n);
  free(arr);
  return st;
}

gl_status gl_model_save(const gl_model *m, const char *path) {
  return save(m, path, NULL, 0);
}

/* A member that must be of `t` with `count` values (1: a scalar). */
static gl_status member(const gl_npz *z, const char *name, gl_dtype t,
                        int64_t count, const gl_array **out) {
  const gl_array *a = gl_npz_get(z, name);
  *out = a;
  if (!a || a->dtype != t || a->count != count)
    return gl_error(GL_EFORMAT, "%s: no valid '%s': not a glearn model",
                    z->path, name);
  return GL_OK;
}

/* A 0/1 flag of the I64 scalar `name`. */
static gl_status flag(const gl_npz *z, const char *name, int64_t hi,
                      int64_t *v) {
  const gl_array *a;
  GL_TRY(member(z, name, GL_I64, 1, &a));
  *v = *(const int64_t *)a->data;
  if (*v < 0 || *v > hi)
    return gl_error(GL_EFORMAT, "%s: '%s' is %lld, outside [0, %lld]",
                    z->path, name, (long long)*v, (long long)hi);
  return GL_OK;
}

/* The configuration of a checkpoint, every field range-checked, before
 * anything is allocated for it. */
static gl_status read_cfg(const gl_npz *z, gl_model_cfg *c) {
  memset(c, 0, sizeof *c);
  const gl_array *name = gl_npz_get(z, "model");
  if (!name || name->dtype != GL_U8 || name->count < 1 ||
      name->count >= (int64_t)sizeof c->model)
    return gl_error(GL_EFORMAT, "%s: no 'model' name: not a glearn model",
                    z->path);
  memcpy(c->model, name->data, (size_t)name->count);
  if (memchr(c->model, 0, (size_t)name->count) || !gl_model_exists(c->model))
    return gl_error(GL_EFORMAT, "%s: unknown model '%.31s' (known: %s)",
                    z->path, c->model, gl_model_names());
  for (int i = 0; i < N_FIELDS; i++) {
    const cfg_field *f = &fields[i];
    const gl_array *a;
    if (!strcmp(f->name, "linear_blocks") && /* newer than some */
        gl_npz_find(z, f->name, &a) == GL_ENOTFOUND)
      continue;
    GL_TRY(member(z, f->name, f->is_float ? GL_F32 : GL_I32, 1, &a));
    double v = f->is_float ? *(const float *)a->data
                           : *(const int32_t *)a->data;
    if (!(v >= f->lo && v <= f->hi))
      return gl_error(GL_EFORMAT, "%s: '%s' is %g, outside [%g, %g]",
                      z->path, f->name, v, f->lo, f->hi);
    memcpy((char *)c + f->off, a->data, 4);
  }
  int64_t v;
  GL_TRY(flag(z, "bias", 1, &v));
  c->bias = v != 0;
  GL_TRY(flag(z, "decay_all", 1, &v));
  c->decay_all = v != 0;
  GL_TRY(flag(z, "seed", INT64_MAX, &v));
  c->seed = (uint64_t)v;
  const gl_array *pk;
  GL_TRY(member(z, "pool_k", GL_I64, 8, &pk));
  for (int i = 0; i < 8; i++) {
    int64_t k = ((const int64_t *)pk->data)[i];
    if (k < (i < c->n_pools ? 1 : 0) || k > (1 << 30))
      return gl_error(GL_EFORMAT, "%s: 'pool_k' entry %d is %lld, outside "
                      "[%d, %d]", z->path, i, (long long)k,
                      i < c->n_pools ? 1 : 0, 1 << 30);
    c->pool_k[i] = (int)k;
  }
  /* the largest weights the configuration implies must be in the file:
   * no allocation beyond what it holds */
  int64_t floats = 0;
  for (int i = 0; i < z->n; i++)
    if (!z->a[i].skipped[0] && z->a[i].dtype == GL_F32 && z->a[i].ndim == 2)
      floats += z->a[i].count;
  const int64_t wide = (int64_t)c->hidden * (c->heads > 1 ? c->heads : 1);
  if ((int64_t)c->n_features * wide > floats ||
      wide * c->n_classes > floats)
    return gl_error(GL_EFORMAT, "%s: a %s of %d features, %d hidden units "
                    "and %d classes needs more weights than the file's "
                    "%lld", z->path, c->model, c->n_features, c->hidden,
                    c->n_classes, (long long)floats);
  return GL_OK;
}

/* The model of a read checkpoint, its weights checked finite. */
static gl_status load(gl_model **out, const gl_npz *z) {
  *out = NULL;
  gl_model_cfg c;
  GL_TRY(read_cfg(z, &c));
  gl_model *m;
  GL_TRY(gl_model_new(&m, &c));
  for (int i = 0; i < m->n_params; i++) {
    gl_param *p = &m->params[i];
    const gl_array *a;
    gl_status st = member(z, p->name, GL_F32, (int64_t)p->n, &a);
    const float *w = st == GL_OK ? a->data : NULL;
    for (size_t k = 0; st == GL_OK && k < p->n; k++)
      if (!isfinite(w[k]))
        st = gl_error(GL_EFORMAT, "%s: weight %zu of '%s' is %g: the model "
                      "diverged before it was saved", z->path, k, p->name,
                      (double)w[k]);
    if (st != GL_OK) {
      gl_model_free(m);
      return st;
    }
    memcpy(p->w, w, p->n * sizeof(float));
  }
  *out = m;
  return GL_OK;
}

/* The first configuration field in which a and b differ (NULL: none). */
static const char *cfg_differs(const gl_model_cfg *a, const gl_model_cfg *b) {
  if (strcmp(a->model, b->model)) return "model";
  for (int i = 0; i < N_FIELDS; i++)
    if (memcmp((const char *)a + fields[i].off, (const char *)b + fields[i].off,
               4))
      return fields[i].name;
  if (a->bias != b->bias) return "bias";
  if (a->decay_all != b->decay_all) return "decay_all";
  if (a->seed != b->seed) return "seed";
  for (int i = 0; i < a->n_pools; i++)
    if (a->pool_k[i] != b->pool_k[i]) return "pool_k";
  return NULL;
}

gl_status gl_checkpoint_write(const gl_model *m, const char *path,
                              gl_state_fn io, void *ctx) {
  gl_state s;
  gl_state_save_init(&s);
  gl_status st = io(ctx, &s);
  if (st == GL_OK) {
    gl_array a = gl_array_of("glearn_state", GL_U8, 1, (int64_t)s.len, s.buf);
    st = save(m, path, &a, 1);
  }
  gl_state_free(&s);
  return st;
}

gl_status gl_checkpoint_read(gl_model *m, const char *path, gl_state_fn io,
                             void *ctx) {
  gl_npz z;
  GL_TRY(gl_npz_read(&z, path));
  gl_model *saved = NULL;
  const gl_array *a = NULL;
  const char *diff = NULL;
  gl_status st = load(&saved, &z);
  if (st == GL_OK && (diff = cfg_differs(&saved->cfg, &m->cfg)))
    st = gl_error(GL_EINVAL, "%s was saved by a run with another model "
                  "setting ('%s'): resume with the options it was saved "
                  "with", path, diff);
  if (st == GL_OK && (gl_npz_find(&z, "glearn_state", &a) != GL_OK ||
                      a->dtype != GL_U8 || a->ndim != 1))
    st = gl_error(GL_EFORMAT, "%s: a model without a run's state (a --save "
                  "file?): nothing to resume", path);
  if (st == GL_OK) {
    for (int i = 0; i < m->n_params; i++)
      memcpy(m->params[i].w, saved->params[i].w,
             m->params[i].n * sizeof(float));
    gl_state s;
    gl_state_load_init(&s, a->data, (size_t)a->count);
    if ((st = io(ctx, &s)) == GL_OK) st = gl_state_end(&s);
    if (st != GL_OK && st != GL_ENOMEM) {
      char why[512];
      snprintf(why, sizeof why, "%s", gl_errmsg());
      st = gl_error(st, "%s: %s", path, why);
    }
  }
  gl_model_free(saved);
  gl_npz_free(&z);
  return st;
}

gl_status gl_model_load(gl_model **out, const char *path) {
  *out = NULL;
  gl_npz z;
  GL_TRY(gl_npz_read(&z, path));
  gl_status st = load(out, &z);
  gl_npz_free(&z);
  return st;
}

gl_status gl_model_load_buffer(gl_model **out, const char *name,
                               const void *buf, size_t size) {
  *out = NULL;
  gl_npz z;
  GL_TRY(gl_npz_read_buffer(&z, name, buf, size));
  gl_status st = load(out, &z);
  gl_npz_free(&z);
  return st;
}

/* ------------------------------------------------ a distributed run's */
/* DIR/rank-R.slot-S.npz for each rank R and DIR/checkpoint.json naming
 * the slot of the last complete set: a checkpoint goes to the other slot,
 * so the set it replaces stays whole until every rank has written. */
static void rank_path(char *out, size_t cap, const char *dir, int rank,
                      int slot) {
  snprintf(out, cap, "%s/rank-%d.slot-%d.npz", dir, rank, slot);
}

static void manifest_path(char *out, size_t cap, const char *dir) {
  snprintf(out, cap, "%s/checkpoint.json", dir);
}

/* Every rank's failure flag summed: GL_OK when all are ok, else on every
 * rank its own error or "rank(s) failed" (collective). */
static gl_status all_ok(const gl_comm *c, gl_status st, const char *what) {
  double bad = st != GL_OK;
  gl_status cs = c->sum(c, &bad, 1);
  if (cs != GL_OK) return cs;
  if (st != GL_OK) return st;
  if (bad > 0)
    return gl_error(GL_EIO, "%s failed on %d other rank(s)", what, (int)bad);
  return GL_OK;
}

gl_status gl_checkpoint_write_ranks(const gl_model *m, const char *dir,
                                    gl_state_fn io, void *ctx,
                                    const gl_comm *c, int epoch) {
  /* the slot the manifest does not name */
  int slot = 0, ranks = 0, e = 0;
  slot = gl_checkpoint_manifest(dir, &ranks, &slot, &e) == GL_OK ? 1 - slot
                                                                   : 0;
  gl_errclear();
  size_t cap = strlen(dir) + 64;
  char *path = gl_malloc(cap, 1);
  gl_status st = path ? GL_OK : GL_ENOMEM;
  if (st == GL_OK) {
    rank_path(path, cap, dir, c->rank, slot);
    st = gl_checkpoint_write(m, path, io, ctx);
  }
  st = all_ok(c, st, "writing the checkpoint");
  if (st == GL_OK && c->rank == 0) { /* the set is complete */
    manifest_path(path, cap, dir);
    gl_afile f;
    if ((st = gl_afile_open(&f, path)) == GL_OK) {
      fprintf(f.f, "{\"format\": \"glearn-checkpoint\", \"ranks\": %d, "
                   "\"slot\": %d, \"epoch\": %d}\n", c->size, slot, epoch);
      st = gl_afile_commit(&f);
    }
  }
  st = all_ok(c, st, "writing the checkpoint");
  free(path);
  return st;
}

gl_status gl_checkpoint_manifest(const char *dir, int *ranks, int *slot,
                                 int *epoch) {
  size_t cap = strlen(dir) + 64;
  char *path = gl_malloc(cap, 1);
  if (!path) return GL_ENOMEM;
  manifest_path(path, cap, dir);
  char *text = NULL;
  size_t len = 0;
  gl_status st = gl_read_file(path, &text, &len);
  if (st == GL_OK &&
      (sscanf(text, "{\"format\": \"glearn-checkpoint\", \"ranks\": %d, "
                    "\"slot\": %d, \"epoch\": %d}", ranks, slot, epoch) != 3 ||
       *ranks < 1 || (*slot != 0 && *slot != 1) || *epoch < 0))
    st = gl_error(GL_EFORMAT, "%s is not a glearn checkpoint manifest", path);
  free(text);
  free(path);
  return st;
}

gl_status gl_checkpoint_read_ranks(gl_model *m, const char *dir,
                                   gl_state_fn io, void *ctx,
                                   const gl_comm *c) {
  int ranks = 0, slot = 0, epoch = 0;
  gl_status st = gl_checkpoint_manifest(dir, &ranks, &slot, &epoch);
  if (st == GL_OK && ranks != c->size)
    st = gl_error(GL_EINVAL, "%s was written by %d ranks, not %d: resume on "
                  "as many", dir, ranks, c->size);
  size_t cap = strlen(dir) + 64;
  char *path = gl_malloc(cap, 1);
  if (st == GL_OK && !path) st = GL_ENOMEM;
  if (st == GL_OK) {
    rank_path(path, cap, dir, c->rank, slot);
    st = gl_checkpoint_read(m, path, io, ctx);
  }
  free(path);
  return all_ok(c, st, "resuming");
}
