/* glearn core: files (atomic output, whole-file reads), progress bars and
 * the JSON writer. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

/* ---------------------------------------------------------------- files */
gl_status gl_afile_open(gl_afile *a, const char *path) {
  memset(a, 0, sizeof *a);
  size_t n = strlen(path) + 32;
  a->path = strdup(path);
  a->tmp = malloc(n);
  if (!a->path || !a->tmp) {
    gl_afile_abort(a);
    return gl_error(GL_ENOMEM, "out of memory");
  }
  snprintf(a->tmp, n, "%s.tmp.%ld", path, (long)getpid());
  a->f = fopen(a->tmp, "wb");
  if (!a->f) {
    gl_status st =
        gl_error(GL_EIO, "cannot write %s: %s", path, strerror(errno));
    gl_afile_abort(a);
    return st;
  }
  return GL_OK;
}

gl_status gl_afile_commit(gl_afile *a) {
  gl_status st = GL_OK;
  if (!a->f)
    return gl_error(GL_EIO, "cannot write %s", a->path ? a->path : "?");
  if (fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0)
    st = gl_error(GL_EIO, "cannot write %s: %s", a->path, strerror(errno));
  if (fclose(a->f) != 0 && st == GL_OK)
    st = gl_error(GL_EIO, "cannot write %s: %s", a->path, strerror(errno));
  a->f = NULL;
  if (st == GL_OK && rename(a->tmp, a->path) != 0)
    st = gl_error(GL_EIO, "cannot write %s: %s", a->path, strerror(errno));
  if (st != GL_OK) remove(a->tmp);
  free(a->path);
  free(a->tmp);
  a->path = a->tmp = NULL;
  return st;
}

void gl_afile_abort(gl_afile *a) {
  if (a->f) fclose(a->f);
  if (a->tmp) remove(a->tmp);
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
