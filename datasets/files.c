/* Data files: gzip read transparently (a missing `f` read from `f.gz`, and
 * gzip content inflated whatever the name), the folders the registry
 * searches (the user's, the shipped data/, the download cache and the
 * shared datasets beside the repository) and the download cache itself. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "datasets/internal.h"

/* ------------------------------------------------------------ gzip */
bool gl_is_gzip(const void *buf, size_t size) {
  const unsigned char *b = buf;
  return size >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

gl_status gl_gunzip(const char *path, const void *in, size_t size,
                    char **out, size_t *out_size) {
  *out = NULL;
  *out_size = 0;
  /* The trailer's ISIZE (the size mod 2^32) is the first guess, but no
   * more than deflate can expand `size` bytes to (1032 to 1): the last four
   * bytes of a corrupt file must not make the loader allocate gigabytes. */
  const unsigned char *b = in;
  size_t cap = size >= 18 ? (size_t)b[size - 4] | (size_t)b[size - 3] << 8 |
                                (size_t)b[size - 2] << 16 |
                                (size_t)b[size - 1] << 24
                          : 0;
  if (size < SIZE_MAX / 2048 && cap > 1032 * size + 1024)
    cap = 1032 * size + 1024;
  if (cap < size) cap = 2 * size;
  cap += 1;
  char *buf = gl_malloc(cap, 1);
  if (!buf) return GL_ENOMEM;
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    free(buf);
    return gl_error(GL_ENOMEM, "%s: cannot start zlib", path);
  }
  z.next_in = (Bytef *)in;
  size_t left = size, len = 0;
  gl_status st = GL_OK;
  for (;;) {
    if (cap - len < 2) { /* keep room for the NUL */
      size_t ncap = cap < ((size_t)1 << 40) ? 2 * cap : cap + ((size_t)1 << 40);
      char *nb = gl_realloc(buf, ncap, 1);
      if (!nb) {
        st = GL_ENOMEM;
        break;
      }
      buf = nb;
      cap = ncap;
    }
    /* zlib's counters are 32-bit: feed at most 1 GiB at a time */
    uInt in_chunk = left < (1u << 30) ? (uInt)left : (1u << 30);
    uInt out_chunk = cap - len - 1 < (1u << 30) ? (uInt)(cap - len - 1)
                                                 : (1u << 30);
    z.avail_in = in_chunk;
    z.next_out = (Bytef *)buf + len;
    z.avail_out = out_chunk;
    int r = inflate(&z, Z_NO_FLUSH);
    left -= in_chunk - z.avail_in;
    len += out_chunk - z.avail_out;
    if (r == Z_STREAM_END) {
      /* gzip allows several members one after another */
      if (left == 0) break;
      if (!gl_is_gzip(z.next_in, left)) {
        st = gl_error(GL_EFORMAT, "%s: garbage after the gzip data", path);
        break;
      }
      inflateReset(&z);
      continue;
    }
    if (r == Z_OK) continue;
    if (r == Z_BUF_ERROR && left == 0) {
      st = gl_error(GL_EFORMAT, "%s: truncated gzip data", path);
      break;
    }
    if (r == Z_BUF_ERROR) continue; /* out of room: grow */
    st = r == Z_MEM_ERROR ? gl_error(GL_ENOMEM, "%s: out of memory", path)
                          : gl_error(GL_EFORMAT, "%s: corrupt gzip data (%s)",
                                     path, z.msg ? z.msg : "bad stream");
    break;
  }
  inflateEnd(&z);
  if (st != GL_OK) {
    free(buf);
    return st;
  }
  buf[len] = 0;
  *out = buf;
  *out_size = len;
  return GL_OK;
}

/* `path` if it is a file, else `path`.gz if that is one (malloc'd), else
 * NULL. */
static char *data_path(const char *path) {
  if (gl_file_exists(path)) return strdup(path);
  size_t n = strlen(path) + 4;
  char *gz = malloc(n);
  if (!gz) return NULL;
  snprintf(gz, n, "%s.gz", path);
  if (gl_file_exists(gz)) return gz;
  free(gz);
  return NULL;
}

bool gl_data_file_exists(const char *path) {
  char *p = data_path(path);
  free(p);
  return p != NULL;
}

gl_status gl_data_read(const char *path, char **buf, size_t *size) {
  *buf = NULL;
  *size = 0;
  char *p = data_path(path);
  if (!p) return gl_read_file(path, buf, size); /* its error names path */
  char *raw;
  size_t n;
  gl_status st = gl_read_file(p, &raw, &n);
  if (st == GL_OK && gl_is_gzip(raw, n)) {
    st = gl_gunzip(p, raw, n, buf, size);
    free(raw);
  } else if (st == GL_OK) {
    *buf = raw;
    *size = n;
  }
  free(p);
  return st;
}

/* ------------------------------------------------------------ folders */
/* The folder of the object (the library or the program) that holds this
 * code, resolved: data installed beside it is found wherever it lives. */
static bool object_dir(char *out, size_t cap) {
  Dl_info info;
  char real[PATH_MAX];
  const char *obj = NULL;
  if (dladdr((void *)gl_data_dirs, &info) && info.dli_fname &&
      strchr(info.dli_fname, '/') && realpath(info.dli_fname, real))
    obj = real;
  else if (realpath("/proc/self/exe", real))
    obj = real;
  if (!obj) return false;
  const char *slash = strrchr(obj, '/');
  size_t len = (size_t)(slash - obj);
  if (len + 1 > cap) return false;
  memcpy(out, obj, len);
  out[len] = 0;
  return true;
}

gl_status gl_data_cache_dir(char *out, size_t cap) {
  const char *env = getenv("GLEARN_DATA"), *xdg = getenv("XDG_CACHE_HOME"),
             *home = getenv("HOME");
  int n;
  if (env && *env)
    n = snprintf(out, cap, "%s", env);
  else if (xdg && *xdg == '/')
    n = snprintf(out, cap, "%s/glearn", xdg);
  else if (home && *home)
    n = snprintf(out, cap, "%s/.cache/glearn", home);
  else
    return gl_error(GL_EINVAL, "no download folder: set GLEARN_DATA (or "
                               "XDG_CACHE_HOME or HOME)");
  if (n < 0 || (size_t)n >= cap)
    return gl_error(GL_EINVAL, "the download folder's path is too long");
  return GL_OK;
}

/* Appends `path` (resolved when it exists) unless it is listed already. */
static void add_dir(char dirs[][GL_DATA_PATH_MAX], const char **what, int *n,
                    int max, const char *label, const char *path) {
  char real[PATH_MAX];
  if (*n >= max) return;
  if (realpath(path, real)) path = real;
  if (strlen(path) >= GL_DATA_PATH_MAX) return;
  for (int j = 0; j < *n; j++)
    if (!strcmp(dirs[j], path)) return;
  strcpy(dirs[*n], path);
  if (what) what[*n] = label;
  (*n)++;
}

int gl_data_dirs(char dirs[][GL_DATA_PATH_MAX], const char **what,
                 int max) {
  int n = 0;
  char obj[GL_DATA_PATH_MAX], p[GL_DATA_PATH_MAX + 32];
  const char *env = getenv("GLEARN_DATA");
  if (env && *env) add_dir(dirs, what, &n, max, "$GLEARN_DATA", env);
  add_dir(dirs, what, &n, max, "shipped", "./data");
  if (object_dir(obj, sizeof obj)) {
    snprintf(p, sizeof p, "%s/../data", obj); /* bin/ of a clone */
    add_dir(dirs, what, &n, max, "shipped", p);
    snprintf(p, sizeof p, "%s/../share/glearn/data", obj); /* PREFIX/bin, lib */
    add_dir(dirs, what, &n, max, "installed", p);
  }
  if (!(env && *env) && gl_data_cache_dir(p, sizeof p) == GL_OK)
    add_dir(dirs, what, &n, max, "download cache", p);
  add_dir(dirs, what, &n, max, "shared", "../shared/datasets");
  return n;
}
