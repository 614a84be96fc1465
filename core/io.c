/* glearn core: files (atomic output, whole-file reads), progress bars and
 * the JSON writer. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

/* ---------------------------------------------------------------- files */
/* The file `path` names, malloc'd: an existing regular file by its real
 * path (symlinks followed); another existing file (a device, FIFO or
 * /proc/self/fd/N, whose links are no paths) as given; a dangling symlink
 * by its target, what gets created.  NULL when out of memory or after 40
 * links (errno ELOOP). */
static char *resolve_links(const char *path) {
  char *p = strdup(path);
  for (int hops = 0; p && hops < 40; hops++) {
    struct stat sb;
    if (stat(p, &sb) == 0) {
      if (!S_ISREG(sb.st_mode)) return p;
      char *r = realpath(p, NULL);
      free(p);
      return r;
    }
    char to[4096];
    ssize_t n;
    if (lstat(p, &sb) != 0 || !S_ISLNK(sb.st_mode) ||
        (n = readlink(p, to, sizeof to - 1)) < 0)
      return p;
    to[n] = 0;
    const char *slash = strrchr(p, '/');
    size_t dir = to[0] == '/' || !slash ? 0 : (size_t)(slash - p) + 1;
    char *q = malloc(dir + (size_t)n + 1);
    if (q) {
      memcpy(q, p, dir);
      memcpy(q + dir, to, (size_t)n + 1);
    }
    free(p);
    p = q;
  }
  if (p) errno = ELOOP;
  free(p);
  return NULL;
}

/* The permission bits of a new file: 0666 less the umask, read from
 * /proc/self/status (umask(2) would change it for every thread). */
static mode_t new_file_mode(void) {
  unsigned mask = 022;
  FILE *f = fopen("/proc/self/status", "r");
  char line[128];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Umask: %o", &mask) == 1) break;
  if (f) fclose(f);
  return 0666 & ~(mode_t)mask;
}

gl_status gl_afile_open(gl_afile *a, const char *path) {
  memset(a, 0, sizeof *a);
  if (!*path) return gl_error(GL_EIO, "cannot write '': empty path");
  a->path = resolve_links(path);
  if (!a->path) {
    if (errno == ENOMEM) return gl_error(GL_ENOMEM, "out of memory");
    return gl_error(GL_EIO, "cannot write %s: %s", path, strerror(errno));
  }
  struct stat sb;
  bool exists = stat(a->path, &sb) == 0;
  if (exists && S_ISDIR(sb.st_mode)) {
    gl_afile_abort(a);
    return gl_error(GL_EIO, "cannot write %s: it is a folder", path);
  }
  if (exists && !S_ISREG(sb.st_mode)) { /* a device or FIFO: written as is */
    int fd = open(a->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || !(a->f = fdopen(fd, "wb"))) {
      gl_status st =
          gl_error(GL_EIO, "cannot write %s: %s", path, strerror(errno));
      if (fd >= 0) close(fd);
      gl_afile_abort(a);
      return st;
    }
    return GL_OK;
  }
  /* a regular file or none: an exclusive temporary beside it */
  size_t n = strlen(a->path) + 16;
  a->tmp = malloc(n);
  if (!a->tmp) {
    gl_afile_abort(a);
    return gl_error(GL_ENOMEM, "out of memory");
  }
  snprintf(a->tmp, n, "%s.tmp.XXXXXX", a->path);
  int fd = mkostemp(a->tmp, O_CLOEXEC);
  if (fd >= 0 &&
      fchmod(fd, exists ? sb.st_mode & 07777 : new_file_mode()) == 0)
    a->f = fdopen(fd, "wb");
  if (!a->f) {
    gl_status st =
        gl_error(GL_EIO, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(a->tmp);
    }
    free(a->tmp);
    a->tmp = NULL;
    gl_afile_abort(a);
    return st;
  }
  return GL_OK;
}

gl_status gl_afile_check(const char *path) {
  gl_afile a;
  char *target = resolve_links(path);
  struct stat sb;
  gl_status st = GL_OK;
  if (target && stat(target, &sb) == 0 && !S_ISREG(sb.st_mode) &&
      !S_ISDIR(sb.st_mode)) {
    /* opening a FIFO would wait for a reader: its permission only */
    if (access(target, W_OK) != 0)
      st = gl_error(GL_EIO, "cannot write %s: %s", path, strerror(errno));
  } else if ((st = gl_afile_open(&a, path)) == GL_OK) {
    gl_afile_abort(&a);
  }
  free(target);
  return st;
}

bool gl_afile_same(const char *p, const char *q) {
  char *a = resolve_links(p), *b = resolve_links(q);
  struct stat sa, sb;
  bool same = false;
  if (a && b) {
    bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb)
      same = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino &&
             S_ISREG(sa.st_mode);
    else if (!ea && !eb) { /* to be created: the same folder and name */
      const char *na = strrchr(a, '/'), *nb = strrchr(b, '/');
      char *da = na ? strndup(a, (size_t)(na - a) + 1) : strdup("./");
      char *db = nb ? strndup(b, (size_t)(nb - b) + 1) : strdup("./");
      same = da && db && !strcmp(na ? na + 1 : a, nb ? nb + 1 : b) &&
             stat(da, &sa) == 0 && stat(db, &sb) == 0 &&
             sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
      free(da);
      free(db);
    }
  }
  free(a);
  free(b);
  return same;
}

gl_status gl_afile_commit(gl_afile *a) {
  gl_status st = GL_OK;
  if (!a->f)
    return gl_error(GL_EIO, "cannot write %s", a->path ? a->path : "?");
  if (fflush(a->f) != 0 || ferror(a->f) ||
      (a->tmp && fsync(fileno(a->f)) != 0))
    st = gl_error(GL_EIO, "cannot write %s: %s", a->path,
                  ferror(a->f) && !errno ? "write error" : strerror(errno));
  if (fclose(a->f) != 0 && st == GL_OK)
    st = gl_error(GL_EIO, "cannot write %s: %s", a->path, strerror(errno));
  a->f = NULL;
  if (st == GL_OK && a->tmp && rename(a->tmp, a->path) != 0)
    st = gl_error(GL_EIO, "cannot write %s: %s", a->path, strerror(errno));
  if (st == GL_OK && a->tmp) { /* the rename itself on disk */
    char *slash = strrchr(a->path, '/');
    char *dir = slash ? strndup(a->path, (size_t)(slash - a->path) + 1)
                      : strdup(".");
    int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd >= 0) {
      fsync(fd);
      close(fd);
    }
    free(dir);
  }
  if (st != GL_OK && a->tmp) unlink(a->tmp);
  free(a->path);
  free(a->tmp);
  a->path = a->tmp = NULL;
  return st;
}

void gl_afile_abort(gl_afile *a) {
  if (a->f) fclose(a->f);
  if (a->tmp) unlink(a->tmp);
  free(a->path);
  free(a->tmp);
  memset(a, 0, sizeof *a);
}

gl_status gl_read_file(const char *path, char **data, size_t *size) {
  *data = NULL;
  *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return gl_error(GL_EIO, "cannot open %s: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    fclose(f);
    return gl_error(GL_EIO, "cannot read %s: not a regular file", path);
  }
  size_t n = (size_t)sb.st_size;
  char *buf = gl_malloc(n + 1, 1);
  if (!buf) {
    fclose(f);
    return GL_ENOMEM;
  }
  size_t got = fread(buf, 1, n, f);
  int err = ferror(f);
  fclose(f);
  if (got != n || err) {
    free(buf);
    return gl_error(GL_EIO, "cannot read %s: short read", path);
  }
  buf[n] = 0;
  *data = buf;
  *size = n;
  return GL_OK;
}

bool gl_file_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

bool gl_dir_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* ---------------------------------------------------------------- progress */
void gl_progress_start(gl_progress *p, const char *label, long total,
                       bool enabled) {
  memset(p, 0, sizeof *p);
  p->on = enabled && isatty(STDERR_FILENO);
  p->total = total > 0 ? total : 1;
  p->t0 = gl_now();
  snprintf(p->label, sizeof p->label, "%s", label ? label : "");
}

void gl_progress_update(gl_progress *p, long done, const char *extra) {
  if (!p->on) return;
  double t = gl_now();
  p->done = done;
  if (done < p->total && t - p->last_draw < 0.1) return;
  p->last_draw = t;
  int width = 30, fill = (int)((double)done / p->total * width);
  if (fill > width) fill = width;
  char bar[64];
  for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
  bar[width] = 0;
  double el = t - p->t0;
  double eta = done > 0 ? el * (p->total - done) / done : 0;
  fprintf(stderr, "\r%-12s [%s] %ld/%ld %5.1fs eta %5.1fs %s\033[K", p->label,
          bar, done, p->total, el, eta, extra ? extra : "");
  fflush(stderr);
}

void gl_progress_end(gl_progress *p) {
  if (!p->on) return;
  fprintf(stderr, "\r\033[K");
  fflush(stderr);
  p->on = false;
}

/* ---------------------------------------------------------------- JSON */
void gl_json_init(gl_json *j, FILE *f) {
  memset(j, 0, sizeof *j);
  j->f = f;
  j->first[0] = true;
}

static void json_indent(gl_json *j) {
  fputc('\n', j->f);
  for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(f, "\\%c", *c);
    else if (*c < 0x20)
      fprintf(f, "\\u%04x", *c);
    else
      fputc(*c, f);
  }
  fputc('"', f);
}

static void json_key(gl_json *j, const char *key) {
  if (j->depth > 0) {
    if (!j->first[j->depth]) fputc(',', j->f);
    json_indent(j);
  }
  j->first[j->depth] = false;
  if (key) {
    json_str(j->f, key);
    fputs(": ", j->f);
  }
}

static void json_open(gl_json *j, const char *key, char c) {
  json_key(j, key);
  fputc(c, j->f);
  if (j->depth < 31) j->depth++;
  j->first[j->depth] = true;
}

static void json_close(gl_json *j, char c) {
  bool empty = j->first[j->depth];
  if (j->depth > 0) j->depth--;
  if (!empty) json_indent(j);
  fputc(c, j->f);
}

void gl_json_begin_object(gl_json *j, const char *key) {
  json_open(j, key, '{');
}
void gl_json_end_object(gl_json *j) { json_close(j, '}'); }
void gl_json_begin_array(gl_json *j, const char *key) {
  json_open(j, key, '[');
}
void gl_json_end_array(gl_json *j) { json_close(j, ']'); }

void gl_json_number(gl_json *j, const char *key, double v) {
  json_key(j, key);
  if (isfinite(v))
    fprintf(j->f, "%.10g", v);
  else
    fputs("null", j->f);
}

void gl_json_int(gl_json *j, const char *key, long long v) {
  json_key(j, key);
  fprintf(j->f, "%lld", v);
}

void gl_json_string(gl_json *j, const char *key, const char *v) {
  json_key(j, key);
  json_str(j->f, v);
}

void gl_json_bool(gl_json *j, const char *key, bool v) {
  json_key(j, key);
  fputs(v ? "true" : "false", j->f);
}

void gl_json_finish(gl_json *j) { fputc('\n', j->f); }
