/* Text parsing shared by the GMNN and edge-list loaders: a line scanner with
 * hand-written integer and decimal parsers (no per-line allocation), and the
 * "u v [w]" edge reader. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/internal.h"

/* ------------------------------------------------------------ scanner */
static const bool sep_tab[256] = {[' '] = 1, ['\t'] = 1, ['\r'] = 1,
                                  [','] = 1, ['\v'] = 1, ['\f'] = 1};
static inline bool is_sep(char c) { return sep_tab[(unsigned char)c]; }
static inline bool is_digit(char c) { return (unsigned)(c - '0') < 10u; }

void gl_scan_init(gl_scan *s, const char *path, const char *buf, size_t size) {
  memset(s, 0, sizeof *s);
  s->path = path;
  s->p = buf;
  s->end = buf + size;
  s->cur = s->eol = buf;
  s->next_line = 1;
}

gl_status gl_scan_open(gl_scan *s, const char *path, char **buf,
                       size_t *lines) {
  size_t size;
  GL_TRY(gl_read_text(path, buf, &size));
  gl_scan_init(s, path, *buf, size);
  *lines = gl_count_char(*buf, size, '\n') + 1;
  return GL_OK;
}

bool gl_scan_line(gl_scan *s) {
  while (s->p < s->end) {
    const char *e = memchr(s->p, '\n', (size_t)(s->end - s->p));
    if (!e) e = s->end;
    s->cur = s->p;
    s->eol = e;
    s->line = s->next_line++;
    s->p = e < s->end ? e + 1 : e;
    if (gl_scan_more(s) && *s->cur != '#') {
      s->records++;
      return true;
    }
  }
  s->cur = s->eol = s->end;
  return false;
}

bool gl_scan_more(gl_scan *s) {
  while (s->cur < s->eol && is_sep(*s->cur)) s->cur++;
  return s->cur < s->eol;
}

int gl_scan_toklen(const gl_scan *s) {
  const char *q = s->cur;
  while (q < s->eol && !is_sep(*q) && q - s->cur < 40) q++;
  return (int)(q - s->cur);
}

gl_status gl_scan_err(const gl_scan *s, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return gl_error(GL_EFORMAT, "%s:%ld: %s", s->path, s->line, msg);
}

gl_status gl_scan_int(gl_scan *s, const char *what, int64_t hi, char stop,
                      int64_t *out) {
  if (!gl_scan_more(s))
    return gl_scan_err(s, "truncated line: expected %s", what);
  const char *q = s->cur;
  bool neg = false;
  if (*q == '-' || *q == '+') neg = *q++ == '-';
  const char *d0 = q;
  int64_t v = 0;
  for (; q < s->eol && is_digit(*q); q++)
    if (v <= (int64_t)1e15) v = v * 10 + (*q - '0'); /* saturates past hi */
  if (q == d0 || (q < s->eol && !is_sep(*q) && !(stop && *q == stop)))
    return gl_scan_err(s, "%s '%.*s' is not an integer", what,
                       gl_scan_toklen(s), s->cur);
  if (neg && v != 0)
    return gl_scan_err(s, "%s %.*s is negative", what, (int)(q - s->cur),
                       s->cur);
  if (v > hi)
    return gl_scan_err(s, "%s %.*s is out of range (at most %lld)", what,
                       (int)(q - s->cur), s->cur, (long long)hi);
  s->cur = q;
  *out = v;
  return GL_OK;
}

/* A decimal number at the start of [p, e): sign, digits, fraction,
 * exponent.  Returns the end of the number, or NULL if there is none.
 * Exact for up to 15-16 significant digits with small exponents (one IEEE
 * division or product); strtod otherwise. */
static const char *parse_number(const char *p, const char *e, double *out) {
  static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char *start = p;
  bool neg = false;
  if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
  uint64_t m = 0;
  int exp10 = 0;
  const char *d0 = p;
  for (; p < e && is_digit(*p); p++) {
    if (m < 100000000000000000ull)
      m = m * 10 + (uint64_t)(*p - '0');
    else
      exp10++;
  }
  bool any = p > d0;
  if (p < e && *p == '.') {
    const char *f0 = ++p;
    for (; p < e && is_digit(*p); p++)
      if (m < 100000000000000000ull) {
        m = m * 10 + (uint64_t)(*p - '0');
        exp10--;
      }
    any |= p > f0;
  }
  if (!any) return NULL;
  if (p < e && (*p == 'e' || *p == 'E')) {
    p++;
    bool eneg = false;
    if (p < e && (*p == '-' || *p == '+')) eneg = *p++ == '-';
    if (p == e || !is_digit(*p)) return NULL;
    int ev = 0;
    for (; p < e && is_digit(*p); p++)
      if (ev < 100000) ev = ev * 10 + (*p - '0');
    exp10 += eneg ? -ev : ev;
  }
  double v;
  if (m < (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
    v = exp10 < 0 ? (double)m / p10[-exp10] : (double)m * p10[exp10];
    if (neg) v = -v;
  } else { /* rare: many digits or a large exponent */
    char tmp[80];
    size_t len = (size_t)(p - start);
    if (len >= sizeof tmp) return NULL;
    memcpy(tmp, start, len);
    tmp[len] = 0;
    v = strtod(tmp, NULL);
  }
  *out = v;
  return p;
}

gl_status gl_scan_float(gl_scan *s, const char *what, float *out) {
  if (!gl_scan_more(s))
    return gl_scan_err(s, "truncated line: expected %s", what);
  double v;
  const char *q = parse_number(s->cur, s->eol, &v);
  if (!q || (q < s->eol && !is_sep(*q)))
    return gl_scan_err(s, "%s '%.*s' is not a number", what,
                       gl_scan_toklen(s), s->cur);
  if (!isfinite((float)v))
    return gl_scan_err(s, "%s '%.*s' is not a finite float", what,
                       gl_scan_toklen(s), s->cur);
  s->cur = q;
  *out = (float)v;
  return GL_OK;
}

gl_status gl_scan_end(gl_scan *s) {
  if (gl_scan_more(s))
    return gl_scan_err(s, "unexpected extra field '%.*s'", gl_scan_toklen(s),
                       s->cur);
  return GL_OK;
}

size_t gl_count_char(const char *buf, size_t size, char c) {
  size_t k = 0;
  const char *p = buf, *end = buf + size;
  while (p < end && (p = memchr(p, c, (size_t)(end - p)))) {
    k++;
    p++;
  }
  return k;
}

gl_status gl_read_text(const char *path, char **buf, size_t *size) {
  GL_TRY(gl_data_read(path, buf, size));
  if (*size == 0) {
    free(*buf);
    *buf = NULL;
    return gl_error(GL_EFORMAT, "%s: empty file", path);
  }
  return GL_OK;
}

gl_status gl_check_id_bound(const char *path, long line, int64_t max_id,
                            int64_t records, const char *what) {
  int64_t b = gl_id_bound(records);
  if (max_id >= b)
    return gl_error(GL_EFORMAT,
                    "%s:%ld: %s %lld is implausibly large for a file of %lld "
                    "records (ids must be below %lld)",
                    path, line, what, (long long)max_id, (long long)records,
                    (long long)b);
  return GL_OK;
}

/* ------------------------------------------------------------ COO */
gl_status gl_coo_alloc(gl_coo *m, size_t cap, bool values) {
  memset(m, 0, sizeof *m);
  if (cap == 0) cap = 1;
  m->r = gl_malloc(cap, sizeof *m->r);
  m->c = gl_malloc(cap, sizeof *m->c);
  if (values) m->v = gl_malloc(cap, sizeof *m->v);
  if (!m->r || !m->c || (values && !m->v)) {
    gl_coo_free(m);
    return GL_ENOMEM;
  }
  return GL_OK;
}

void gl_coo_free(gl_coo *m) {
  free(m->r);
  free(m->c);
  free(m->v);
  memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------ edge lists */
void gl_edges_free(gl_edges *e) {
  gl_coo_free(&e->e);
  memset(e, 0, sizeof *e);
}

gl_status gl_edges_read(gl_edges *e, const char *path) {
  memset(e, 0, sizeof *e);
  e->max_id = -1;
  char *buf;
  size_t lines;
  gl_scan s;
  GL_TRY(gl_scan_open(&s, path, &buf, &lines));
  gl_coo *m = &e->e;
  gl_status st = gl_coo_alloc(m, lines, true);
  while (st == GL_OK && gl_scan_line(&s)) {
    int64_t u, v;
    float w = 1.0f;
    if ((st = gl_scan_int(&s, "node id", GL_MAX_ID, 0, &u)) ||
        (st = gl_scan_int(&s, "node id", GL_MAX_ID, 0, &v)))
      break;
    if (gl_scan_more(&s)) {
      if ((st = gl_scan_float(&s, "edge weight", &w))) break;
      if (!(w > 0)) {
        st = gl_scan_err(&s, "edge weight %g is not positive", w);
        break;
      }
      if (w != 1.0f) m->weighted = true;
    }
    if ((st = gl_scan_end(&s))) break;
    int64_t mx = u > v ? u : v;
    if (mx > e->max_id) {
      e->max_id = mx;
      e->max_line = s.line;
    }
    m->r[m->nnz] = (gl_idx)u;
    m->c[m->nnz] = (gl_idx)v;
    m->v[m->nnz++] = w;
  }
  e->records = s.records;
  if (st == GL_OK && m->nnz == 0)
    st = gl_error(GL_EFORMAT, "%s: no edges (only blank or comment lines)",
                  path);
  if (st == GL_OK)
    st = gl_check_id_bound(path, e->max_line, e->max_id, e->records,
                           "node id");
  free(buf);
  if (st != GL_OK) gl_edges_free(e);
  return st;
}

gl_status gl_edges_build(gl_csr *adj, gl_idx n, const gl_edges *e,
                         bool directed) {
  const gl_coo *m = &e->e;
  gl_build_opts o = {.symmetrize = !directed,
                     .self_loops = false,
                     .weighted = m->weighted,
                     .sum_dups = false};
  return gl_csr_from_edges(adj, n, m->nnz, m->r, m->c,
                           m->weighted ? m->v : NULL, &o);
}
