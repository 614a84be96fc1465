/* glearn core: errors, allocation, random numbers, threads, dense kernels,
 * statistics and timers. */
#include "core/core.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* OpenBLAS's own thread setting (declared in its cblas.h for 0.3.x). */
void openblas_set_num_threads(int);

/* ---------------------------------------------------------------- version */
const char *gl_version(void) { return GL_VERSION_STRING; }

/* ---------------------------------------------------------------- errors */
static _Thread_local char errbuf[512];

gl_status gl_error(gl_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errbuf, sizeof errbuf, fmt, ap);
  va_end(ap);
  return st;
}

const char *gl_errmsg(void) { return errbuf; }
void gl_errclear(void) { errbuf[0] = 0; }

/* gl_alloc_fail_after's countdown: this thread's alone */
static _Thread_local int fail_countdown;

void gl_alloc_fail_after(int n) { fail_countdown = n > 0 ? n : 0; }

static bool size_ok(size_t n, size_t size, size_t *total) {
  if (size && n > SIZE_MAX / size) return false;
  *total = n * size;
  return true;
}

/* True when the test countdown makes this allocation fail. */
static bool fail_now(size_t t) {
  if (fail_countdown == 0 || --fail_countdown > 0) return false;
  gl_error(GL_ENOMEM, "out of memory allocating %zu bytes", t);
  return true;
}

void *gl_malloc(size_t n, size_t size) {
  size_t t;
  if (!size_ok(n, size, &t)) {
    gl_error(GL_ENOMEM, "allocation of %zu x %zu bytes overflows", n, size);
    return NULL;
  }
  if (fail_now(t)) return NULL;
  void *p = malloc(t ? t : 1);
  if (!p) gl_error(GL_ENOMEM, "out of memory allocating %zu bytes", t);
  return p;
}

void *gl_calloc(size_t n, size_t size) {
  size_t t;
  if (!size_ok(n, size, &t)) {
    gl_error(GL_ENOMEM, "allocation of %zu x %zu bytes overflows", n, size);
    return NULL;
  }
  if (fail_now(t)) return NULL;
  void *p = calloc(t ? n : 1, t ? size : 1);
  if (!p) gl_error(GL_ENOMEM, "out of memory allocating %zu bytes", t);
  return p;
}

void *gl_realloc(void *q, size_t n, size_t size) {
  size_t t;
  if (!size_ok(n, size, &t)) {
    gl_error(GL_ENOMEM, "allocation of %zu x %zu bytes overflows", n, size);
    return NULL;
  }
  if (fail_now(t)) return NULL;
  void *p = realloc(q, t ? t : 1);
  if (!p) gl_error(GL_ENOMEM, "out of memory allocating %zu bytes", t);
  return p;
}

gl_status gl_fbuf_reserve(gl_fbuf *b, size_t n) {
  if (n <= b->cap) return GL_OK;
  float *q = gl_realloc(b->p, n, sizeof *q);
  if (!q) return GL_ENOMEM;
  b->p = q;
  b->cap = n;
  return GL_OK;
}

/* ---------------------------------------------------------------- random */
static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void gl_rng_seed(gl_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

gl_rng gl_rng_split(gl_rng *parent, uint64_t stream) {
  gl_rng r;
  gl_rng_seed(&r, gl_rng_u64(parent) ^ gl_hash64(0x5EEDull, stream));
  return r;
}

double gl_rng_uniform(gl_rng *r) {
  return (double)(gl_rng_u64(r) >> 11) * 0x1.0p-53;
}

float gl_rng_uniformf(gl_rng *r) {
  return (float)(gl_rng_u64(r) >> 40) * 0x1.0p-24f;
}

double gl_rng_normal(gl_rng *r) {
  /* Box-Muller; the second value is dropped to keep the state simple. */
  double u1 = gl_rng_uniform(r), u2 = gl_rng_uniform(r);
  if (u1 < 1e-300) u1 = 1e-300;
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void gl_rng_signs(gl_rng *r, double *x, size_t n) {
  uint64_t bits = 0;
  for (size_t i = 0; i < n; i++, bits >>= 1) { /* 64 signs a draw */
    if (i % 64 == 0) bits = gl_rng_u64(r);
    x[i] = bits & 1 ? 1.0 : -1.0;
  }
}

double gl_rng_gamma(gl_rng *r, double shape) {
  /* Marsaglia and Tsang; shape < 1 through the boost U^(1/shape). */
  if (shape < 1.0) {
    double u = gl_rng_uniform(r);
    return gl_rng_gamma(r, shape + 1.0) * pow(u > 0 ? u : 1e-300, 1.0 / shape);
  }
  double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = gl_rng_normal(r);
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    double u = gl_rng_uniform(r);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
  }
}

double gl_rng_beta(gl_rng *r, double a, double b) {
  double x = gl_rng_gamma(r, a), y = gl_rng_gamma(r, b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

void gl_rng_shuffle(gl_rng *r, gl_idx *a, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = gl_rng_below(r, (uint32_t)i);
    gl_idx t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}

void gl_rng_sample(gl_rng *r, gl_idx *a, size_t n, size_t k) {
  for (size_t i = 0; i < k; i++) {
    size_t j = i + gl_rng_below(r, (uint32_t)(n - i));
    gl_idx t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/* ---------------------------------------------------------------- threads */
/* OpenMP's thread count (nthreads-var) belongs to a thread's data
 * environment: omp_set_num_threads changes the calling thread's alone. */
int gl_threads(void) { return omp_get_max_threads(); }

void gl_set_threads(int n) {
  omp_set_num_threads(n > 0 ? n : omp_get_num_procs());
}

int gl_threads_enter(int n) {
  const int saved = omp_get_max_threads();
  if (n > 0 && n != saved) omp_set_num_threads(n);
  return saved;
}

void gl_threads_leave(int saved) {
  if (omp_get_max_threads() != saved) omp_set_num_threads(saved);
}

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void blas_single(void) { openblas_set_num_threads(1); }
void gl_blas_init(void) { pthread_once(&blas_once, blas_single); }

/* ---------------------------------------------------------------- dense */
static void sgemm(bool ta, bool tb, int m, int n, int k, float alpha,
                  const float *a, int lda, const float *b, float beta,
                  float *c) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b,
              tb ? k : n, beta, c, n);
}

/* GNN products are tall and skinny (many nodes, few columns), for which
 * OpenBLAS's own threads gain little and, spinning beside the OpenMP team,
 * cost much on a small machine.  So OpenBLAS runs single-threaded and the
 * product is split here: by rows of C, or, for A^T B (a sum over the long
 * side), by row blocks of A with partial results reduced in a fixed order,
 * so the result depends only on the thread count. */
void gl_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
             const float *a, const float *b, float beta, float *c) {
  if (m == 0 || n == 0) return;
  gl_blas_init();
  const int lda = trans_a ? m : k;
  int nt = gl_threads();
  if (!trans_a) {
    if (nt > m / 256) nt = m / 256;
    if (nt <= 1) {
      sgemm(false, trans_b, m, n, k, alpha, a, lda, b, beta, c);
      return;
    }
    /* nt parts over whatever team the region gets (one thread when
     * nested), so the split, and the result, stay those of nt */
#pragma omp parallel for schedule(static, 1) num_threads(nt)
    for (int t = 0; t < nt; t++) {
      int lo = (int)((int64_t)m * t / nt);
      int hi = (int)((int64_t)m * (t + 1) / nt);
      if (hi > lo)
        sgemm(false, trans_b, hi - lo, n, k, alpha, a + (size_t)lo * lda, lda,
              b, beta, c + (size_t)lo * n);
    }
    return;
  }
  /* C[m x n] = alpha A^T B: A is k x m, split over k */
  if (nt > k / 512) nt = k / 512;
  float *parts = nt > 1 ? malloc(sizeof(float) * (size_t)nt * m * n) : NULL;
  if (!parts) {
    sgemm(true, trans_b, m, n, k, alpha, a, lda, b, beta, c);
    return;
  }
#pragma omp parallel for schedule(static, 1) num_threads(nt)
  for (int t = 0; t < nt; t++) {
    int lo = (int)((int64_t)k * t / nt), hi = (int)((int64_t)k * (t + 1) / nt);
    const float *bt = trans_b ? b + lo : b + (size_t)lo * n;
    if (trans_b) /* B^T with B n x k: columns lo..hi of B, leading dim k */
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, m, n, hi - lo, alpha,
                  a + (size_t)lo * lda, lda, bt, k, 0.0f,
                  parts + (size_t)t * m * n, n);
    else
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, hi - lo,
                  alpha, a + (size_t)lo * lda, lda, bt, n, 0.0f,
                  parts + (size_t)t * m * n, n);
  }
  const size_t mn = (size_t)m * n;
  for (size_t i = 0; i < mn; i++) {
    float s = beta == 0.0f ? 0.0f : beta * c[i];
    for (int t = 0; t < nt; t++) s += parts[(size_t)t * mn + i];
    c[i] = s;
  }
  free(parts);
}

void gl_fill(float *x, size_t n, float v) {
  for (size_t i = 0; i < n; i++) x[i] = v;
}

void gl_axpy(size_t n, float a, const float *x, float *y) {
  for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

double gl_dot(size_t n, const float *x, const float *y) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)x[i] * y[i];
  return s;
}

double gl_sumsq(size_t n, const float *x) { return gl_dot(n, x, x); }

void gl_uniform_init(gl_rng *r, float *w, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) w[i] = lo + (hi - lo) * gl_rng_uniformf(r);
}

void gl_glorot(gl_rng *r, float *w, int fan_in, int fan_out) {
  float s = (float)sqrt(6.0 / (fan_in + fan_out));
  gl_uniform_init(r, w, (size_t)fan_in * fan_out, -s, s);
}

/* ---------------------------------------------------------------- stats */
gl_meanstd gl_mean_std(const double *x, int n) {
  gl_meanstd r = {0, 0};
  if (n <= 0) return r;
  for (int i = 0; i < n; i++) r.mean += x[i];
  r.mean /= n;
  if (n > 1) {
    double s = 0;
    for (int i = 0; i < n; i++) s += (x[i] - r.mean) * (x[i] - r.mean);
    r.std = sqrt(s / (n - 1));
  }
  return r;
}

/* ---------------------------------------------------------------- timers */
double gl_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

size_t gl_peak_rss(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (size_t)ru.ru_maxrss * 1024; /* Linux reports KiB */
}

/* ---------------------------------------------------------------- parsing */
bool gl_parse_long(const char *s, long lo, long hi, long *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool gl_parse_double(const char *s, double lo, double hi, double *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !isfinite(v) || v < lo || v > hi) return false;
  *out = v;
  return true;
}

/* ---------------------------------------------------------------- groups */
gl_status gl_comm_gather(const gl_comm *c, const double *mine, size_t k,
                         double *all) {
  memset(all, 0, (size_t)c->size * k * sizeof *all);
  memcpy(all + (size_t)c->rank * k, mine, k * sizeof *all);
  return c->sum(c, all, (size_t)c->size * k);
}
