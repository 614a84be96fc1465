/* Samplers by name (what the tools' --sampler gives) with their options:
 * the full batch, or a mini-batch sampler drawing ahead in a thread. */
#include <math.h>
#include <string.h>

#include "sampler/sampler.h"

static const char *const names[] = {"full",       "node",       "vrgcn",
                                    "fastgcn",    "ladies",     "cluster",
                                    "saint-node", "saint-edge", "saint-rw",
                                    "mvs"};

const char *gl_sampler_names(void) {
  return "full, node, vrgcn, fastgcn, ladies, cluster, saint-node, "
         "saint-edge, saint-rw, mvs";
}

bool gl_sampler_exists(const char *name) {
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (!strcmp(name, names[i])) return true;
  return false;
}

gl_sampler_opts gl_sampler_defaults(void) {
  gl_sampler_opts o;
  memset(&o, 0, sizeof o);
  o.name = "full";
  o.batch_size = 512;
  o.n_fanouts = 2; /* GraphSAGE's */
  o.fanouts[0] = 25;
  o.fanouts[1] = 10;
  o.walk = 2;
  o.mvs_ratio = 1.0;
  o.mvs_inner = 20;
  o.prefetch = 2;
  return o;
}

gl_status gl_sampler_opts_check(const gl_sampler_opts *o, int layers) {
  if (!gl_sampler_exists(o->name))
    return gl_error(GL_EINVAL, "unknown sampler '%s' (known: %s)", o->name,
                    gl_sampler_names());
  if ((!strcmp(o->name, "node") || !strcmp(o->name, "vrgcn")) &&
      o->n_fanouts != layers)
    return gl_error(GL_EINVAL, "fanouts: %d given for %d layers",
                    o->n_fanouts, layers);
  if (strcmp(o->name, "full") && o->n_sizes && o->n_sizes != layers)
    return gl_error(GL_EINVAL, "layer-sizes: %d given for %d layers",
                    o->n_sizes, layers);
  if (o->prefetch < 0 || o->prefetch > 64)
    return gl_error(GL_EINVAL, "prefetch: %d batches ahead, not in 0..64",
                    o->prefetch);
  return GL_OK;
}

/* The new sampler, drawing o->prefetch batches ahead in a thread. */
static gl_status prefetched(gl_status st, gl_sampler **s,
                            const gl_sampler_opts *o) {
  if (st != GL_OK || o->prefetch == 0) return st;
  return gl_sampler_prefetch(s, o->prefetch);
}

gl_status gl_sampler_new_by_name(gl_sampler **s, const gl_sampler_opts *o,
                                 const gl_csr *ahat, int layers,
                                 const gl_idx *train, gl_idx n_train,
                                 uint64_t seed) {
  *s = NULL;
  GL_TRY(gl_sampler_opts_check(o, layers));
  if (!strcmp(o->name, "full"))
    return gl_sampler_full_new(s, ahat, layers, train, n_train, seed);
  if (!strncmp(o->name, "saint-", 6)) {
    /* subgraphs of about batch_size nodes unless a budget; pre-sampling
     * until a node is drawn ~50 times (GraphSAINT) */
    const char *k = o->name + 6;
    gl_saint_kind kind = !strcmp(k, "node")   ? GL_SAINT_NODE
                         : !strcmp(k, "edge") ? GL_SAINT_EDGE
                                              : GL_SAINT_RW;
    int per = kind == GL_SAINT_NODE ? 1 : kind == GL_SAINT_EDGE ? 2
                                                                : o->walk + 1;
    int budget = o->budget ? o->budget
                 : o->batch_size / per > 1 ? o->batch_size / per : 1;
    double pre = ceil(50.0 * ahat->n / ((double)budget * per));
    int n_pre = pre < 10 ? 10 : pre > 10000 ? 10000 : (int)pre;
    gl_status st = gl_sampler_saint_new(s, ahat, layers, kind, budget,
                                        o->walk, n_pre, train, n_train,
                                        seed);
    return prefetched(st, s, o);
  }
  if (!strcmp(o->name, "cluster")) {
    /* clusters of ~128 nodes (MVS-GNN's baseline), about batch_size nodes
     * a batch */
    const gl_idx n = ahat->n;
    int c = o->clusters ? o->clusters : n / 128 > 1 ? (int)(n / 128) : 1;
    if (c > n)
      return gl_error(GL_EINVAL, "clusters: %d for a graph of %d nodes", c,
                      (int)n);
    double q = (double)o->batch_size * c / n + 0.5;
    int per = q < 1 ? 1 : q > c ? c : (int)q;
    gl_status st = gl_sampler_cluster_new(s, ahat, layers, c, per, 1.0f,
                                          train, n_train, seed);
    return prefetched(st, s, o);
  }
  int per[16], widths[16]; /* input side first */
  for (int l = 0; l < layers; l++) widths[l] = o->hidden;
  bool fan = !strcmp(o->name, "node") || !strcmp(o->name, "vrgcn");
  for (int l = 0; l < layers; l++)
    per[l] = fan ? o->fanouts[layers - 1 - l]
             : o->n_sizes ? o->sizes[layers - 1 - l]
                          : o->batch_size;
  gl_status st =
      !strcmp(o->name, "mvs")
          ? gl_sampler_mvs_new(s, ahat, layers, widths, o->mvs_ratio,
                               o->mvs_inner, o->mvs_systematic, train,
                               n_train, o->batch_size, seed)
      : !strcmp(o->name, "node")
          ? gl_sampler_node_new(s, ahat, layers, per, train, n_train,
                                o->batch_size, seed)
      : !strcmp(o->name, "vrgcn")
          ? gl_sampler_vrgcn_new(s, ahat, layers, per, widths, train,
                                 n_train, o->batch_size, seed)
          : gl_sampler_layer_new(s, !strcmp(o->name, "ladies"), ahat,
                                 layers, per, train, n_train, o->batch_size,
                                 seed);
  return prefetched(st, s, o);
}
