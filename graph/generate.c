/* Random graph generators: the contextual stochastic block model and
 * Chung-Lu power-law graphs.  Both draw their edges in fixed chunks, chunk c
 * from stream c of the seed, so the graph depends only on the seed and not
 * on the number of threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/internal.h"

/* ------------------------------------------------------------ sampling */
/* Draws one edge; u == v means "no edge" (it is dropped). */
typedef void (*edge_fn)(const void *ctx, gl_rng *r, gl_idx *u, gl_idx *v);

enum { CHUNK = 1 << 16 };

static gl_rng stream(uint64_t seed, uint64_t purpose, uint64_t c) {
  gl_rng root;
  gl_rng_seed(&root, gl_hash64(seed, purpose));
  return gl_rng_split(&root, c);
}

typedef struct {
  gl_off m;
  uint64_t seed;
  edge_fn draw;
  const void *ctx;
} sampler;

/* Chunk c: edges c*CHUNK .. from stream c of the seed, both directions. */
static gl_off sample_fill(const void *vctx, gl_off c, gl_idx *u, gl_idx *v,
                          float *w) {
  const sampler *s = vctx;
  (void)w;
  gl_rng r = stream(s->seed, 2, (uint64_t)c);
  gl_off end = (c + 1) * CHUNK < s->m ? (c + 1) * CHUNK : s->m, k = 0;
  for (gl_off e = c * CHUNK; e < end; e++) {
    gl_idx a, b;
    s->draw(s->ctx, &r, &a, &b);
    if (a == b) continue;
    u[k] = a;
    v[k++] = b;
    u[k] = b;
    v[k++] = a;
  }
  return k;
}

/* A symmetric pattern without self loops from m sampled edges.  The chunked
 * builder draws every chunk twice (to count, then to place), so no edge
 * list is ever stored: memory is the output plus 2 bytes an entry. */
static gl_status sample_graph(gl_csr *adj, gl_idx n, gl_off m, uint64_t seed,
                              edge_fn draw, const void *ctx) {
  sampler s = {m, seed, draw, ctx};
  return gl_csr__build_chunked(adj, n, n, (m + CHUNK - 1) / CHUNK, 2 * CHUNK,
                               sample_fill, &s, false, false);
}

/* A uniform index below n and a uniform fraction from one 64-bit draw. */
static inline gl_idx draw_index(gl_rng *r, gl_idx n, float *frac) {
  uint64_t x = gl_rng_u64(r);
  *frac = (float)(x & 0xFFFFFF) * 0x1.0p-24f;
  return (gl_idx)(((x >> 32) * (uint64_t)n) >> 32);
}

/* ------------------------------------------------------------ CSBM */
typedef struct {
  gl_idx n;
  const int32_t *label;
  const gl_idx *start;   /* k + 1: class c is members[start[c] .. start[c+1]) */
  const gl_idx *members; /* node ids sorted by class */
  float p_in;
} csbm_ctx;

static void csbm_edge(const void *vctx, gl_rng *r, gl_idx *u, gl_idx *v) {
  const csbm_ctx *s = vctx;
  float f;
  *u = draw_index(r, s->n, &f);
  int32_t c = s->label[*u];
  gl_idx lo = s->start[c], size = s->start[c + 1] - lo;
  if (f < s->p_in || size == s->n) { /* inside the class (k = 1: always) */
    *v = *u;
    for (int t = 0; t < 16 && *v == *u && size > 1; t++)
      *v = s->members[lo + draw_index(r, size, &f)];
  } else { /* any node outside the class */
    gl_idx j = draw_index(r, s->n - size, &f);
    *v = s->members[j < lo ? j : j + size];
  }
}

gl_status gl_gen_csbm(const gl_csbm_opts *o, gl_csr *adj, int32_t *labels,
                      float *x) {
  static const char fn[] = "gl_gen_csbm";
  if (adj) memset(adj, 0, sizeof *adj);
  if (!o || !adj)
    return gl_error(GL_EINVAL, "%s: options or graph is NULL", fn);
  if (o->n < 1) return gl_error(GL_EINVAL, "%s: n=%d, need n >= 1", fn, o->n);
  if (o->k < 1 || o->k > o->n)
    return gl_error(GL_EINVAL, "%s: k=%d classes, need 1 <= k <= n=%d", fn,
                    o->k, o->n);
  if (o->d < 0) return gl_error(GL_EINVAL, "%s: d=%d is negative", fn, o->d);
  if (!(o->deg >= 0) || o->deg > o->n - 1.0)
    return gl_error(GL_EINVAL, "%s: degree %g out of range [0, n-1]", fn,
                    o->deg);
  if (!(o->p_in >= 0 && o->p_in <= 1))
    return gl_error(GL_EINVAL, "%s: p_in=%g out of range [0, 1]", fn, o->p_in);
  if (!(o->sigma >= 0) || !isfinite(o->sigma) || !isfinite(o->mu))
    return gl_error(GL_EINVAL, "%s: mu=%g, sigma=%g: need finite mu and "
                    "sigma >= 0", fn, o->mu, o->sigma);
  gl_idx n = o->n;
  int k = o->k;
  int32_t *lab = labels ? labels : gl_malloc((size_t)n, sizeof *lab);
  gl_idx *start = gl_calloc((size_t)k + 1, sizeof *start);
  gl_idx *members = gl_malloc((size_t)n, sizeof *members);
  double *mean = gl_calloc((size_t)k * (size_t)o->d, sizeof *mean);
  gl_status st = GL_OK;
  if (!lab || !start || !members || !mean) {
    st = GL_ENOMEM;
    goto done;
  }
  /* Balanced classes in a random order. */
  gl_rng r = stream(o->seed, 1, 0);
  for (gl_idx i = 0; i < n; i++) lab[i] = i % k;
  gl_rng_shuffle(&r, lab, (size_t)n);
  for (gl_idx i = 0; i < n; i++) start[lab[i] + 1]++;
  for (int c = 0; c < k; c++) start[c + 1] += start[c];
  /* start[c] serves as class c's cursor, then is shifted back. */
  for (gl_idx i = 0; i < n; i++) members[start[lab[i]]++] = i;
  for (int c = k; c > 0; c--) start[c] = start[c - 1];
  start[0] = 0;
  csbm_ctx ctx = {n, lab, start, members, (float)o->p_in};
  gl_off m = llround((double)n * o->deg / 2);
  st = sample_graph(adj, n, m, o->seed, csbm_edge, &ctx);
  if (st != GL_OK || !x || o->d == 0) goto done;
  /* Features: class means mu * (random unit vector), plus N(0, sigma^2). */
  int d = o->d;
  for (int c = 0; c < k; c++) {
    double *mc = mean + (size_t)c * d, s = 0;
    do {
      s = 0;
      for (int j = 0; j < d; j++) {
        mc[j] = gl_rng_normal(&r);
        s += mc[j] * mc[j];
      }
    } while (s == 0);
    for (int j = 0; j < d; j++) mc[j] *= o->mu / sqrt(s);
  }
  enum { ROWS = 1024 };
#pragma omp parallel for schedule(dynamic, 1)
  for (gl_idx b = 0; b < (n + ROWS - 1) / ROWS; b++) {
    gl_rng rr = stream(o->seed, 3, (uint64_t)b);
    gl_idx end = (b + 1) * ROWS < n ? (b + 1) * ROWS : n;
    for (gl_idx i = b * ROWS; i < end; i++) {
      const double *mc = mean + (size_t)lab[i] * d;
      for (int j = 0; j < d; j++)
        x[(size_t)i * d + j] = (float)(mc[j] + o->sigma * gl_rng_normal(&rr));
    }
  }
done:
  if (!labels) free(lab);
  free(start);
  free(members);
  free(mean);
  return st;
}

/* ------------------------------------------------------------ power law */
/* Walker's alias table: item i is drawn with probability w_i / sum w. */
typedef struct {
  float prob;
  gl_idx alias;
} alias_slot;
typedef struct {
  gl_idx n;
  alias_slot *slot;
} alias_table;

static inline gl_idx alias_draw(const alias_table *t, gl_rng *r) {
  float f;
  gl_idx i = draw_index(r, t->n, &f);
  alias_slot s = t->slot[i];
  return f < s.prob ? i : s.alias; /* a conditional move, not a branch */
}

/* Vose's construction from weights w (destroyed). */
static gl_status alias_build(alias_table *t, double *w, gl_idx n) {
  t->n = n;
  t->slot = gl_malloc((size_t)n, sizeof *t->slot);
  gl_idx *small = gl_malloc((size_t)n, sizeof *small);
  if (!t->slot || !small) {
    free(t->slot);
    free(small);
    return GL_ENOMEM;
  }
  double sum = 0;
  for (gl_idx i = 0; i < n; i++) sum += w[i];
  /* small[] fills from the front, large from the back of the same array. */
  gl_idx ns = 0, nl = n;
  for (gl_idx i = 0; i < n; i++) {
    w[i] *= n / sum;
    if (w[i] < 1)
      small[ns++] = i;
    else
      small[--nl] = i;
  }
  while (ns > 0 && nl < n) {
    gl_idx s = small[--ns], l = small[nl];
    t->slot[s] = (alias_slot){(float)w[s], l};
    w[l] -= 1 - w[s];
    if (w[l] < 1) { /* l moves to the small list */
      nl++;
      small[ns++] = l;
    }
  }
  while (ns > 0) {
    gl_idx s = small[--ns];
    t->slot[s] = (alias_slot){1, s};
  }
  for (; nl < n; nl++) t->slot[small[nl]] = (alias_slot){1, small[nl]};
  free(small);
  return GL_OK;
}

/* Endpoints are drawn by rank r (weight (r + i0)^-alpha) and mapped to node
 * (a r + b) mod n, a permutation (gcd(a, n) = 1) so that ids say nothing
 * about degrees.  Ranks are grouped into blocks over which the weight falls
 * by at most 1/256; a draw picks a block from a small alias table (a few
 * thousand slots, cache-resident) and a rank uniformly inside it.  So a draw
 * touches no n-sized table (a plain alias table over 2M nodes made every
 * draw a cache miss), at the price of weights exact to 0.4%. */
enum { BLOCK_FALL = 256 };
typedef struct {
  alias_table blocks;
  gl_idx *start; /* block b holds ranks start[b] .. start[b+1]-1 */
  uint64_t a, b, n;
} powerlaw_ctx;

static inline gl_idx powerlaw_node(const powerlaw_ctx *c, gl_rng *r) {
  gl_idx b = alias_draw(&c->blocks, r);
  float f;
  gl_idx rank = c->start[b] + draw_index(r, c->start[b + 1] - c->start[b], &f);
  return (gl_idx)((c->a * (uint64_t)rank + c->b) % c->n);
}

/* Self loops (u == v, rare: probability sum p_i^2) are dropped. */
static void powerlaw_edge(const void *vctx, gl_rng *r, gl_idx *u, gl_idx *v) {
  const powerlaw_ctx *c = vctx;
  *u = powerlaw_node(c, r);
  *v = powerlaw_node(c, r);
}

/* The blocks of ranks 0..n-1 for weights (r + i0)^-alpha. */
static gl_status powerlaw_blocks(powerlaw_ctx *c, gl_idx n, double i0,
                                 double alpha) {
  gl_idx nb = 0, cap = 1024;
  double *bw = gl_malloc((size_t)cap, sizeof *bw);
  c->start = gl_malloc((size_t)cap + 1, sizeof *c->start);
  if (!bw || !c->start) goto nomem;
  double wr = pow(i0, -alpha);
  for (gl_idx r = 0; r < n;) {
    if (nb == cap) {
      cap *= 2;
      double *nw = gl_realloc(bw, (size_t)cap, sizeof *bw);
      if (nw) bw = nw;
      gl_idx *ns = gl_realloc(c->start, (size_t)cap + 1, sizeof *ns);
      if (ns) c->start = ns;
      if (!nw || !ns) goto nomem;
    }
    double w0 = wr, sum = 0;
    c->start[nb] = r;
    do {
      sum += wr;
      r++;
      wr = r < n ? pow(r + i0, -alpha) : 0;
    } while (r < n && wr * (1 + 1.0 / BLOCK_FALL) >= w0);
    bw[nb++] = sum;
  }
  c->start[nb] = n;
  gl_status st = alias_build(&c->blocks, bw, nb);
  free(bw);
  if (st != GL_OK) free(c->start);
  return st;
nomem:
  free(bw);
  free(c->start);
  return GL_ENOMEM;
}

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Integral of (x + i0)^-alpha over [0, n]: the total weight, roughly. */
static double weight_integral(double i0, double n, double alpha) {
  if (fabs(alpha - 1) < 1e-9) return log((n + i0) / i0);
  return (pow(n + i0, 1 - alpha) - pow(i0, 1 - alpha)) / (1 - alpha);
}

gl_status gl_gen_powerlaw(gl_csr *adj, gl_idx n, gl_off m, double gamma,
                          uint64_t seed) {
  static const char fn[] = "gl_gen_powerlaw";
  if (adj) memset(adj, 0, sizeof *adj);
  if (!adj) return gl_error(GL_EINVAL, "%s: graph is NULL", fn);
  if (n < 0) return gl_error(GL_EINVAL, "%s: n=%d is negative", fn, n);
  if (m < 0 || (double)m > (double)n * (n - 1) / 2)
    return gl_error(GL_EINVAL, "%s: m=%lld edges out of range [0, n(n-1)/2] "
                    "for n=%d", fn, (long long)m, n);
  if (!(gamma > 1) || !isfinite(gamma))
    return gl_error(GL_EINVAL, "%s: exponent gamma=%g, need gamma > 1", fn,
                    gamma);
  if (m == 0) {
    GL_TRY(gl_csr_alloc(adj, n, n, 0, false));
    return GL_OK;
  }
  /* Expected degrees d_i ~ (i + i0)^-alpha give a degree distribution with
   * exponent gamma; the offset i0 caps the largest at sqrt(2m) (the
   * structural cutoff, above which Chung-Lu edge probabilities exceed 1 and
   * sampled edges mostly collide). */
  double alpha = 1 / (gamma - 1), kmax = sqrt(2.0 * (double)m);
  if (kmax > n - 1) kmax = n - 1;
  double lo = 1e-9, hi = (double)n;
  for (int it = 0; it < 200; it++) {
    double i0 = sqrt(lo * hi);
    double top = 2.0 * m * pow(i0, -alpha) / weight_integral(i0, n, alpha);
    if (top > kmax)
      lo = i0;
    else
      hi = i0;
  }
  double i0 = hi;
  powerlaw_ctx c = {.n = (uint64_t)n};
  gl_rng r = stream(seed, 1, 0);
  do
    c.a = 1 + gl_rng_below(&r, (uint32_t)n - 1);
  while (gcd(c.a, c.n) != 1);
  c.b = gl_rng_below(&r, (uint32_t)n);
  GL_TRY(powerlaw_blocks(&c, n, i0, alpha));
  gl_status st = sample_graph(adj, n, m, seed, powerlaw_edge, &c);
  free(c.blocks.slot);
  free(c.start);
  return st;
}
