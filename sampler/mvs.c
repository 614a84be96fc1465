/* MVS-GNN's minimal variance sampling of output nodes (Cong et al., KDD
 * 2020): the probabilities that minimise the
 * variance of the sampled mean gradient for given per-node gradient norms,
 * and the Bernoulli draw of a batch with its unbiased weights. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler/sampler.h"

static int by_desc(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a < b) - (a > b);
}

gl_status gl_mvs_probs(const float *g, gl_idx n, double b, float *p,
                       double *tau_out) {
  if (n < 1 || !(b > 0) || !isfinite(b))
    return gl_error(GL_EINVAL, "mvs: need >= 1 node and a batch size > 0 "
                    "(got %d nodes, %g)", (int)n, b);
  for (gl_idx i = 0; i < n; i++)
    if (!(g[i] >= 0) || !isfinite(g[i]))
      return gl_error(GL_EINVAL, "mvs: gradient norm %g of node %d is not "
                      "a finite non-negative number", (double)g[i], (int)i);
  if (b >= n) { /* every node, surely */
    for (gl_idx i = 0; i < n; i++) p[i] = g[i] > 0 ? 1.0f : 0.0f;
    if (tau_out) *tau_out = 0;
    return GL_OK;
  }
  double *s = gl_malloc((size_t)n, sizeof *s);
  if (!s) return GL_ENOMEM;
  double total = 0;
  for (gl_idx i = 0; i < n; i++) total += s[i] = g[i];
  qsort(s, (size_t)n, sizeof *s, by_desc);
  /* the m largest get p = 1 and the rest g / tau with tau = (their sum) /
   * (b - m): the first m at which the next largest fits under tau (KKT) */
  double top = 0, tau = 0;
  for (gl_idx m = 0; m < n && m < b; m++) {
    double rest = total - top;
    tau = rest / (b - (double)m);
    if (s[m] <= tau || rest <= 0) break;
    top += s[m];
  }
  free(s);
  for (gl_idx i = 0; i < n; i++)
    p[i] = tau > 0 ? (float)fmin(1.0, g[i] / tau) : g[i] > 0 ? 1.0f : 0.0f;
  if (tau_out) *tau_out = tau;
  return GL_OK;
}

gl_idx gl_mvs_draw(const float *p, const gl_idx *nodes, gl_idx n,
                   gl_rng *rng, gl_idx *out, float *w) {
  gl_idx k = 0;
  for (gl_idx i = 0; i < n; i++)
    if (p[i] > 0 && gl_rng_uniformf(rng) < p[i]) {
      out[k] = nodes ? nodes[i] : i;
      w[k++] = 1.0f / (p[i] * (float)n);
    }
  return k;
}

gl_idx gl_mvs_draw_systematic(const float *p, const gl_idx *nodes, gl_idx n,
                              gl_rng *rng, gl_idx *perm, gl_idx *out,
                              float *w) {
  for (gl_idx i = 0; i < n; i++) perm[i] = i;
  gl_rng_shuffle(rng, perm, (size_t)n);
  /* node perm[i] is drawn when [c, c + p) holds a point u + k: at most once
   * (p <= 1), with probability p */
  double c = 0, next = gl_rng_uniform(rng);
  gl_idx k = 0;
  for (gl_idx t = 0; t < n; t++) {
    const gl_idx i = perm[t];
    c += p[i];
    if (c > next && p[i] > 0) {
      out[k] = nodes ? nodes[i] : i;
      w[k++] = 1.0f / (p[i] * (float)n);
      next += 1.0;
    }
  }
  return k;
}
