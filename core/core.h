/* glearn core: errors, random numbers, dense kernels, threads, timers,
 * progress bars, atomic files and a small JSON writer.  Everything else in
 * glearn builds on this header; it depends only on libc and OpenBLAS. */
#ifndef GL_CORE_H
#define GL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------- version */
/* The version of these headers; the Makefile reads the three numbers from
 * here (the shared library's file name and soname).  A program can compare
 * them with gl_version(), the version of the library it runs against. */
#define GL_VERSION_MAJOR 0
#define GL_VERSION_MINOR 1
#define GL_VERSION_PATCH 0
#define GL_VERSION_STR_(x) #x
#define GL_VERSION_XSTR_(x) GL_VERSION_STR_(x)
#define GL_VERSION_STRING                                                      \
  GL_VERSION_XSTR_(GL_VERSION_MAJOR)                                           \
  "." GL_VERSION_XSTR_(GL_VERSION_MINOR) "." GL_VERSION_XSTR_(GL_VERSION_PATCH)
/* The library's own version ("0.1.0"): GL_VERSION_STRING as it was when
 * the library was built. */
const char *gl_version(void);

/* ---------------------------------------------------------------- types */
typedef int32_t gl_idx; /* node ids */
typedef int64_t gl_off; /* edge offsets */

/* ---------------------------------------------------------------- errors */
/* Functions that can fail return a gl_status; 0 is success.  The message of
 * the last failure of this thread is kept by gl_errmsg(). */
typedef enum {
  GL_OK = 0,
  GL_ENOMEM = 1,  /* out of memory */
  GL_EIO = 2,     /* a file could not be opened, read or written */
  GL_EFORMAT = 3, /* a file is malformed */
  GL_EINVAL = 4,  /* invalid argument or option value */
  GL_ENOTFOUND = 5, /* unknown name: dataset, model, array member ... */
  GL_EINTERNAL = 6  /* a library call failed unexpectedly */
} gl_status;

/* Records a printf-style message for this thread and returns `st`. */
gl_status gl_error(gl_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The message of the last error of this thread ("" if none). */
const char *gl_errmsg(void);
/* Clears the message. */
void gl_errclear(void);

/* Allocation that records GL_ENOMEM: returns NULL and sets the message.
 * Sizes are checked for overflow (n * size). */
void *gl_malloc(size_t n, size_t size);
void *gl_calloc(size_t n, size_t size);
void *gl_realloc(void *p, size_t n, size_t size);
/* Failure paths under test (as SQLite's tests reach theirs): the n-th
 * allocation from now through gl_malloc, gl_calloc or gl_realloc on the
 * calling thread fails as if memory ran out (once); n <= 0 turns it off. */
void gl_alloc_fail_after(int n);
/* Grow-on-demand float workspace (zero-initialise; free(b.p)): after
 * GL_OK, b->p has room for at least n floats, the contents kept. */
typedef struct {
  float *p;
  size_t cap;
} gl_fbuf;
gl_status gl_fbuf_reserve(gl_fbuf *b, size_t n);
#define GL_TRY(expr)                                                           \
  do {                                                                         \
    gl_status gl_try_st_ = (expr);                                             \
    if (gl_try_st_ != GL_OK) return gl_try_st_;                                \
  } while (0)

/* ---------------------------------------------------------------- random */
/* xoshiro256** seeded through splitmix64: one stream per thread or per use.
 * gl_rng_split derives an independent stream from a parent (for threads). */
typedef struct {
  uint64_t s[4];
} gl_rng;

void gl_rng_seed(gl_rng *r, uint64_t seed);
gl_rng gl_rng_split(gl_rng *parent, uint64_t stream);
/* The next 64 bits (inline: the samplers' inner loops draw millions). */
static inline uint64_t gl_rng_u64(gl_rng *r) {
  uint64_t *s = r->s;
  const uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 45) | (s[3] >> 19);
  return result;
}
double gl_rng_uniform(gl_rng *r);           /* [0, 1) */
float gl_rng_uniformf(gl_rng *r);           /* [0, 1) */
/* Uniform in [0, n), unbiased (Lemire's multiply-shift with rejection). */
static inline uint32_t gl_rng_below(gl_rng *r, uint32_t n) {
  uint64_t m = (uint64_t)(uint32_t)(gl_rng_u64(r) >> 32) * n;
  uint32_t lo = (uint32_t)m;
  if (lo < n) {
    const uint32_t thresh = (uint32_t)(-n) % n;
    while (lo < thresh) {
      m = (uint64_t)(uint32_t)(gl_rng_u64(r) >> 32) * n;
      lo = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}
double gl_rng_normal(gl_rng *r);            /* standard normal */
/* x[i] = +1 or -1, each with probability 1/2 (Rademacher: a probe vector
 * of Hutchinson's trace estimator and Lanczos quadrature). */
void gl_rng_signs(gl_rng *r, double *x, size_t n);
double gl_rng_gamma(gl_rng *r, double shape); /* Gamma(shape, 1) */
double gl_rng_beta(gl_rng *r, double a, double b);
void gl_rng_shuffle(gl_rng *r, gl_idx *a, size_t n);
/* Moves a uniform k-subset of a[0..n) to a[0..k) in random order (the
 * first k steps of a forward Fisher-Yates shuffle); k <= n. */
void gl_rng_sample(gl_rng *r, gl_idx *a, size_t n, size_t k);
/* Counter-based hash: a uniform 64-bit value for (key, counter).  Used for
 * dropout masks so that they do not depend on the thread schedule. */
static inline uint64_t gl_hash64(uint64_t key, uint64_t counter) {
  uint64_t z = key ^ (counter * 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Random masks over array entries (dropout, sparse dropout): entry i under
 * key k gets a 16-bit uniform gl_mask_u16(gl_mask_key(k), i) (a 32-bit
 * integer hash, cheap enough to vectorise) and is kept when it is >= thr =
 * round(p * 65536); kept values are scaled by 65536 / (65536 - thr), the
 * exact inverse keep rate.  The same key gives the same mask in forward and
 * backward, independent of threads. */
static inline uint32_t gl_mask_key(uint64_t key) {
  return (uint32_t)gl_hash64(key, 0x6D61736Bull);
}
static inline uint32_t gl_mask_u16(uint32_t k, uint64_t i) {
  uint32_t h = ((uint32_t)i ^ k) * 0x9E3779B1u ^ (uint32_t)(i >> 32);
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h >> 16;
}
static inline uint32_t gl_mask_thr(float p) {
  return (uint32_t)(p * 65536.0f + 0.5f);
}
static inline float gl_mask_scale(uint32_t thr) {
  return 65536.0f / (float)(65536u - thr);
}
/* 1.0f for a kept entry, 0.0f for a dropped one, without a comparison:
 * compilers turn `u >= thr ? ...` into a branch, which the random mask
 * mispredicts half the time (8x slower), and it stops vectorisation. */
static inline float gl_mask_keepf(uint32_t k, uint64_t i, uint32_t thr) {
  return (float)(int32_t)(1u - ((gl_mask_u16(k, i) - thr) >> 31));
}
static inline bool gl_mask_keep(uint64_t key, uint64_t i, uint32_t thr) {
  return gl_mask_u16(gl_mask_key(key), i) >= thr;
}

/* ---------------------------------------------------------------- threads */
/* The thread count is a setting of the calling thread, never of the
 * process: glearn's OpenMP regions and dense kernels run at the calling
 * thread's OpenMP count (omp_get_max_threads(), which OpenMP keeps per
 * thread), and the entry points whose options carry `threads`
 * (gl_train_opts, gl_sgns_opts) set it for the call and restore it on
 * return, so calls in two threads of one process never see each other's
 * count.
 * OpenBLAS's thread count is process-wide: glearn sets it to 1 once, at
 * its first BLAS call (gl_blas_init), and never changes it again; gl_gemm
 * splits a product over the calling thread's OpenMP threads itself.  A
 * program that wants OpenBLAS's threads for its own products sets them
 * after glearn's first call (and glearn's products then still run on
 * its own threads, but each BLAS call may spawn more). */
/* The calling thread's count. */
int gl_threads(void);
/* Sets the calling thread's count (n <= 0: all cores), for the calls that
 * follow on this thread; the tools' --threads. */
void gl_set_threads(int n);
/* For the length of a call: n > 0 becomes the calling thread's count (n
 * <= 0 leaves it); returns the count before, which gl_threads_leave puts
 * back:  int saved = gl_threads_enter(o->threads); ...;
 * gl_threads_leave(saved); */
int gl_threads_enter(int n);
void gl_threads_leave(int saved);
/* OpenBLAS single-threaded, once for the process (thread-safe); every
 * glearn function calls it before its first BLAS call. */
void gl_blas_init(void);

/* ---------------------------------------------------------------- groups */
/* The processes of a distributed run as the library sees them: dist/
 * makes one over MPI (gl_dist_comm), nothing else in glearn knows MPI, and
 * a NULL gl_comm * everywhere means one process.  `sum` adds n values
 * across every rank in place, each rank getting the same result, summed in
 * an order fixed by the rank count (so a seed and a rank count reproduce a
 * run); every rank must call it, in the same order. */
typedef struct gl_comm gl_comm;
struct gl_comm {
  int rank, size;
  gl_status (*sum)(const gl_comm *c, double *x, size_t n);
  gl_status (*sum_f)(const gl_comm *c, float *x, size_t n);
  void *impl;
};
/* Every rank's k values (mine), in rank order, into all (size * k) on
 * every rank: one sum of vectors that are zero but for each rank's own
 * slice.  Collective. */
gl_status gl_comm_gather(const gl_comm *c, const double *mine, size_t k,
                         double *all);

/* ---------------------------------------------------------------- dense */
/* Row-major float matrices as plain arrays with their sizes. */
/* C[m x n] = alpha * op(A) * op(B) + beta * C through OpenBLAS;
 * op(A) is m x k, op(B) is k x n. */
void gl_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
             const float *a, const float *b, float beta, float *c);
void gl_fill(float *x, size_t n, float v);
void gl_axpy(size_t n, float a, const float *x, float *y); /* y += a x */
double gl_dot(size_t n, const float *x, const float *y);   /* in double */
double gl_sumsq(size_t n, const float *x);                 /* sum x^2, double */
/* Glorot-uniform: U(-s, s), s = sqrt(6 / (fan_in + fan_out)). */
void gl_glorot(gl_rng *r, float *w, int fan_in, int fan_out);
void gl_uniform_init(gl_rng *r, float *w, size_t n, float lo, float hi);

/* ---------------------------------------------------------------- stats */
typedef struct {
  double mean, std; /* std is the sample standard deviation (n-1) */
} gl_meanstd;
gl_meanstd gl_mean_std(const double *x, int n);

/* ---------------------------------------------------------------- timers */
double gl_now(void); /* monotonic seconds */
/* Peak resident set size of this process in bytes (0 if unknown). */
size_t gl_peak_rss(void);

/* ---------------------------------------------------------------- progress */
/* A one-line progress bar on stderr, drawn only when stderr is a terminal
 * and `enabled` is true.  `label` is copied. */
typedef struct {
  bool on;
  long total, done;
  double t0, last_draw;
  char label[48];
} gl_progress;
void gl_progress_start(gl_progress *p, const char *label, long total,
                       bool enabled);
void gl_progress_update(gl_progress *p, long done, const char *extra);
void gl_progress_end(gl_progress *p);

/* ---------------------------------------------------------------- files */
/* Atomic output.  A regular file (or a new one) is written to a temporary
 * "<path>.tmp.XXXXXX" beside it, created exclusively (never through a
 * symlink planted at that name) with the target's permissions, which
 * gl_afile_commit flushes, fsyncs and renames over `path`; gl_afile_abort
 * (or a failed commit) removes it, so an interrupted run never leaves a
 * half-written file (a killed one, SIGKILL, leaves its temporary: the
 * "<path>.tmp.*" files beside the output, safe to delete).  A symlink is
 * followed: its target is the file replaced, the symlink stays.  A target
 * that exists and is not a regular file (a device, a FIFO, /dev/stdout) is
 * written directly, never replaced.  Failures are GL_EIO naming `path`. */
typedef struct {
  FILE *f;
  char *path; /* the target, symlinks followed */
  char *tmp;  /* the temporary; NULL when written directly */
} gl_afile;
gl_status gl_afile_open(gl_afile *a, const char *path);
gl_status gl_afile_commit(gl_afile *a); /* checks write errors, fsync, rename */
/* Whether `path` can be written, without writing it: a temporary is
 * created beside it and removed (a device or FIFO: its permission is
 * checked, not opened); a folder is an error. */
gl_status gl_afile_check(const char *path);
/* Whether two paths name one regular file (symlinks followed, any spelling
 * of the folder, hard links), existing or to be created. */
bool gl_afile_same(const char *p, const char *q);
void gl_afile_abort(gl_afile *a);
/* Reads a whole file into memory (NUL-terminated); size excludes the NUL. */
gl_status gl_read_file(const char *path, char **data, size_t *size);
bool gl_file_exists(const char *path);
bool gl_dir_exists(const char *path);

/* ---------------------------------------------------------------- state */
/* The state of a long computation (weights, optimiser moments, random
 * streams, counters) as one byte string, so that a run can be saved and
 * resumed exactly.  Each object lists its state once, in one function that
 * moves every field the way the string goes: into it when saving, out of
 * it when loading, where each field's name, element size and count must
 * match what was saved (a clear GL_EFORMAT otherwise).  Fields are stored
 * in the machine's byte order: a state resumes on the machine kind that
 * wrote it. */
typedef struct {
  bool load;
  unsigned char *buf;
  size_t len, cap, pos;
} gl_state;
void gl_state_save_init(gl_state *s); /* an empty string to fill */
/* Reads from buf (len bytes, borrowed: it must outlive the loading). */
void gl_state_load_init(gl_state *s, const void *buf, size_t len);
void gl_state_free(gl_state *s); /* the saved string; nothing when loading */
/* Moves `count` elements of `size` bytes at p under `name`. */
gl_status gl_state_io(gl_state *s, const char *name, void *p, size_t size,
                      size_t count);
#define GL_STATE_VAR(s, name, var) gl_state_io(s, name, &(var), sizeof(var), 1)
/* A length (of an array moved next): saved as it is; loaded, at most max. */
gl_status gl_state_len(gl_state *s, const char *name, size_t *n, size_t max);
/* A setting the state was made under (size bytes at p): saved as it is;
 * loaded, compared (GL_EINVAL "the run was saved with another <what>" when
 * it differs). */
gl_status gl_state_same(gl_state *s, const char *name, const void *p,
                        size_t size, const char *what);
/* Moves n random streams; loaded, none may be all zeros (a stream that
 * never leaves zero: rejection loops would not end). */
gl_status gl_state_rng(gl_state *s, const char *name, gl_rng *r, size_t n);
/* Loading: every field was read (the string was written by the same
 * objects); saving: always GL_OK. */
gl_status gl_state_end(const gl_state *s);
/* A saved state as a file of its own (a magic string, the length, the
 * bytes, a CRC-32), written atomically (gl_afile).  Reading loads the
 * whole file into *data (free it after the loading) and sets s up to load
 * from it; GL_EFORMAT for a file that is not one, cut or garbled. */
gl_status gl_state_write(const gl_state *s, const char *path);
gl_status gl_state_read(gl_state *s, const char *path, char **data);

/* ---------------------------------------------------------------- JSON */
/* A streaming JSON writer with automatic commas and indentation. */
typedef struct {
  FILE *f;
  int depth;
  bool first[32];
  bool after_key;
} gl_json;
void gl_json_init(gl_json *j, FILE *f);
void gl_json_begin_object(gl_json *j, const char *key); /* key NULL in arrays */
void gl_json_end_object(gl_json *j);
void gl_json_begin_array(gl_json *j, const char *key);
void gl_json_end_array(gl_json *j);
void gl_json_number(gl_json *j, const char *key, double v);
void gl_json_int(gl_json *j, const char *key, long long v);
void gl_json_string(gl_json *j, const char *key, const char *v);
void gl_json_bool(gl_json *j, const char *key, bool v);
void gl_json_finish(gl_json *j); /* final newline */

/* ---------------------------------------------------------------- parsing */
/* Strict number parsing for options and text files: the whole string must
 * be a number in range; returns false otherwise. */
bool gl_parse_long(const char *s, long lo, long hi, long *out);
bool gl_parse_double(const char *s, double lo, double hi, double *out);

#endif
