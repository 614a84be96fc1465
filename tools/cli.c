/* Shared pieces of the command-line tools. */
#include "tools/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct gl_cli_out {
  gl_afile a;
  bool open;
};

#define MAX_OUTS 16
static const char *prog_name = "glearn";
static gl_cli_out outs[MAX_OUTS];
/* The temporary paths, for the signal handler (async-signal-safe unlink). */
static char tmp_paths[MAX_OUTS][PATH_MAX];
static volatile sig_atomic_t tmp_live[MAX_OUTS];

static void on_signal(int sig) {
  for (int i = 0; i < MAX_OUTS; i++)
    if (tmp_live[i]) unlink(tmp_paths[i]);
  signal(sig, SIG_DFL);
  raise(sig);
}

void gl_cli_init(const char *prog) {
  const char *s = strrchr(prog, '/');
  prog_name = s ? s + 1 : prog;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGHUP, on_signal);
}

void gl_cli_version(void) {
  printf("%s (glearn) %s\n", prog_name, gl_version());
  exit(GL_EXIT_OK);
}

static void abort_outputs(void) {
  for (int i = 0; i < MAX_OUTS; i++)
    if (outs[i].open) {
      tmp_live[i] = 0;
      gl_afile_abort(&outs[i].a);
      outs[i].open = false;
    }
}

/* A distributed run's context (gl_cli_distributed), else NULL. */
static gl_dist *cli_dist;

void gl_cli_distributed(gl_dist *d) { cli_dist = d; }

/* Under mpirun before MPI starts every rank sees the same command line
 * and fails alike: rank 0 alone says so. */
static bool quiet_rank(void) {
  const char *r = getenv("OMPI_COMM_WORLD_RANK");
  return !cli_dist && r && strcmp(r, "0") != 0;
}

void gl_cli_die(int code, const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  if (!quiet_rank()) {
    fprintf(stderr, "%s: error: ", prog_name);
    if (cli_dist) fprintf(stderr, "rank %d: ", gl_dist_rank(cli_dist));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
  }
  abort_outputs();
  if (cli_dist) gl_dist_abort(cli_dist, code); /* every rank stops */
  exit(code);
}

void gl_cli_die_all(int code, const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  if (!cli_dist || gl_dist_rank(cli_dist) == 0) {
    fprintf(stderr, "%s: error: ", prog_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
  }
  abort_outputs();
  gl_dist_finalize(cli_dist);
  exit(code);
}

void gl_cli_die_status(gl_status st, const char *what) {
  int code = st == GL_EFORMAT || st == GL_EINVAL || st == GL_ENOTFOUND ||
                     st == GL_EIO
                 ? GL_EXIT_USAGE
                 : GL_EXIT_FAIL;
  if (what && *what)
    gl_cli_die(code, "%s: %s", what, gl_errmsg());
  gl_cli_die(code, "%s", gl_errmsg());
}

void gl_cli_load_classes(gl_dataset *d, const char *name, const char *dir,
                         uint64_t split_seed) {
  gl_status st = gl_dataset_load(d, name, dir, split_seed);
  if (st != GL_OK) gl_cli_die_status(st, "");
  if (d->multilabel || !d->y || d->n_classes < 2 || d->x.n == 0)
    gl_cli_die(GL_EXIT_USAGE, "dataset '%s' has no single-label classes and "
               "features for node classification", name);
}

/* ---------------------------------------------------------- options */
gl_status gl_cli_reword(gl_status st, const char *before, const char *after) {
  char msg[512]; /* gl_error writes where gl_errmsg points */
  snprintf(msg, sizeof msg, "%s", gl_errmsg());
  return gl_error(st, "%s%s%s", before, msg, after);
}

/* "a, b or c" of a NULL-terminated list. */
static void join_names(char *buf, size_t cap, const char *const *names) {
  size_t len = 0;
  buf[0] = 0;
  for (int i = 0; names[i] && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%s",
                            i == 0 ? "" : names[i + 1] ? ", " : " or ",
                            names[i]);
}

gl_status gl_cli_set(const gl_cli_opt *op, const char *v, void *base) {
  void *field = (char *)base + op->off;
  long l;
  double d;
  switch (op->kind) {
  case GL_CLI_FLAG:
  case GL_CLI_STOP:
    *(bool *)field = true;
    return GL_OK;
  case GL_CLI_STR:
    *(const char **)field = v;
    return GL_OK;
  case GL_CLI_INT:
  case GL_CLI_LONG:
  case GL_CLI_U64:
    if (!gl_parse_long(v, (long)op->lo, (long)op->hi, &l))
      return gl_error(GL_EINVAL, "%s: expected an integer in [%ld, %ld], "
                      "got '%s'", op->name, (long)op->lo, (long)op->hi, v);
    if (op->kind == GL_CLI_INT)
      *(int *)field = (int)l;
    else if (op->kind == GL_CLI_LONG)
      *(long *)field = l;
    else
      *(uint64_t *)field = (uint64_t)l;
    return GL_OK;
  case GL_CLI_FLOAT:
  case GL_CLI_DOUBLE:
    if (!gl_parse_double(v, op->lo, op->hi, &d))
      return gl_error(GL_EINVAL, "%s: expected a number in [%g, %g], got "
                      "'%s'", op->name, op->lo, op->hi, v);
    if (op->kind == GL_CLI_FLOAT)
      *(float *)field = (float)d;
    else
      *(double *)field = d;
    return GL_OK;
  case GL_CLI_CHOICE:
    for (int i = 0; op->choices[i]; i++)
      if (!strcmp(v, op->choices[i])) {
        *(int *)field = i;
        return GL_OK;
      }
    char names[256];
    join_names(names, sizeof names, op->choices);
    return gl_error(GL_EINVAL, "%s: expected %s, got '%s'", op->name, names,
                    v);
  case GL_CLI_FUNC:
    return op->parse(op, v, base);
  }
  return gl_error(GL_EINTERNAL, "%s: no parser", op->name);
}

/* The table's option named `a` (its name or alias), or NULL. */
static const gl_cli_opt *find(const gl_cli_tool *t, const char *a) {
  for (int k = 0; k < t->n_opts; k++) {
    const gl_cli_opt *op = &t->opts[k];
    if (op->name && (!strcmp(a, op->name) ||
                     (op->alias && !strcmp(a, op->alias))))
      return op;
  }
  return NULL;
}

static bool takes_value(const gl_cli_opt *op) {
  return op->kind != GL_CLI_FLAG && op->kind != GL_CLI_STOP;
}

gl_status gl_cli_parse(const gl_cli_tool *t, int argc, char **argv, void *o,
                       gl_cli_args *a) {
  a->n_pos = a->n_given = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (arg[0] != '-' || !arg[1]) {
      if (a->n_pos == a->max_pos)
        return gl_error(GL_EINVAL, "unexpected argument '%s' (see --help)",
                        arg);
      a->pos[a->n_pos++] = arg;
      continue;
    }
    const gl_cli_opt *op = find(t, arg);
    if (!op)
      return gl_error(GL_EINVAL, "unknown option '%s' (see --help)", arg);
    const char *v = "";
    if (takes_value(op)) {
      if (i + 1 >= argc)
        return gl_error(GL_EINVAL, "option %s needs a value", arg);
      v = argv[++i];
    }
    if (op->later) {
      if (a->n_given == a->max_given)
        return gl_error(GL_EINVAL, "too many options (at most %d of the "
                        "model and training)", a->max_given);
      a->given[a->n_given++] = (gl_cli_given){op, v};
    }
    GL_TRY(gl_cli_set(op, v, op->later ? a->later : o));
    if (op->kind == GL_CLI_STOP) break;
  }
  return GL_OK;
}

gl_status gl_cli_apply(const gl_cli_given *g, int n, void *base) {
  for (int i = 0; i < n; i++) GL_TRY(gl_cli_set(g[i].opt, g[i].value, base));
  return GL_OK;
}

bool gl_cli_given_has(const gl_cli_given *g, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(g[i].opt->name, name)) return true;
  return false;
}

int gl_cli_wrap(FILE *f, int col, int indent, const char *text) {
  int gap = 1; /* the spaces before a word: two after a sentence stay */
  for (const char *p = text; *p;) {
    if (*p == '\n') {
      fprintf(f, "\n%*s", indent, "");
      col = indent;
      p++;
      continue;
    }
    if (*p == ' ') {
      gap = (int)strspn(p, " ");
      p += gap;
      continue;
    }
    const int len = (int)strcspn(p, " \n");
    if (col > indent && col + gap + len > 78) {
      fprintf(f, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      col += fprintf(f, "%*s", gap, "");
    }
    col += fprintf(f, "%.*s", len, p);
    p += len;
    gap = 1;
  }
  return col;
}

void gl_cli_item(FILE *f, const char *name, const char *fmt, ...) {
  char text[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  gl_cli_wrap(f, fprintf(f, "  %-7s  ", name), 11, text);
  fputc('\n', f);
}

void gl_cli_usage(FILE *f, const gl_cli_tool *t) {
  const int indent = 8 + (int)strlen(t->prog);
  int col = fprintf(f, "usage: %s %s", t->prog, t->args);
  for (int k = 0; k < t->n_opts; k++) { /* "[--name ARG]" unbroken */
    const gl_cli_opt *op = &t->opts[k];
    if (!op->name) continue;
    const int len = 3 + (int)strlen(op->name) +
                    (op->arg ? 1 + (int)strlen(op->arg) : 0);
    if (col + 1 + len > 78) {
      fprintf(f, "\n%*s", indent, "");
      col = indent;
    } else {
      col += fprintf(f, " ");
    }
    col += fprintf(f, "[%s%s%s]", op->name, op->arg ? " " : "",
                   op->arg ? op->arg : "");
  }
  fputc('\n', f);
}

void gl_cli_help(FILE *f, const gl_cli_tool *t) {
  enum { COL = 22 }; /* where the options' texts start */
  gl_cli_usage(f, t);
  if (t->about) {
    fputc('\n', f);
    t->about(f);
  }
  fputc('\n', f);
  for (int k = 0; k < t->n_opts; k++) {
    const gl_cli_opt *op = &t->opts[k];
    if (!op->name) {
      fprintf(f, "%s\n", op->help);
      continue;
    }
    int col = fprintf(f, "  %s%s%s%s%s", op->alias ? op->alias : "",
                      op->alias ? ", " : "", op->name, op->arg ? " " : "",
                      op->arg ? op->arg : "");
    if (col > COL - 2) {
      fputc('\n', f);
      col = 0;
    }
    fprintf(f, "%*s", COL - col, "");
    col = gl_cli_wrap(f, COL, COL, op->help);
    if (op->def) {
      char d[256];
      snprintf(d, sizeof d, "(default: %s)", op->def);
      gl_cli_wrap(f, col, COL, d);
    }
    fputc('\n', f);
  }
  fputc('\n', f);
  if (t->after)
    t->after(f);
  else
    fputs("exit status: 0 ok, 1 failure, 2 bad usage or bad input\n", f);
}

void gl_cli_parsed(const gl_cli_tool *t, gl_status st, bool help,
                   bool version) {
  if (st != GL_OK) gl_cli_die_status(st, "");
  if (help) {
    gl_cli_help(stdout, t);
    exit(GL_EXIT_OK);
  }
  if (version) gl_cli_version();
}

gl_status gl_cli_counts(const char *opt, const char *v, int *out, int max,
                        long lo, const char *what, int *n) {
  *n = 0;
  for (const char *p = v;; p++) {
    char tok[32];
    const size_t len = strcspn(p, ",");
    long x;
    if (len == 0 || len >= sizeof tok || *n == max)
      return gl_error(GL_EINVAL, "%s: expected 1 to %d comma-separated %s, "
                      "got '%s'", opt, max, what, v);
    memcpy(tok, p, len);
    tok[len] = 0;
    if (!gl_parse_long(tok, lo, 1L << 30, &x))
      return gl_error(GL_EINVAL, "%s: expected integers in [%ld, %ld], got "
                      "'%s'", opt, lo, 1L << 30, tok);
    out[(*n)++] = (int)x;
    p += len;
    if (!*p) return GL_OK;
  }
}

gl_status gl_cli_split(const gl_cli_opt *op, const char *v, void *base) {
  double *split = (double *)((char *)base + op->off);
  split[0] = split[1] = 0;
  if (!strcmp(v, "standard")) return GL_OK;
  char *end;
  split[0] = strtod(v, &end);
  split[1] = *end == ',' ? strtod(end + 1, &end) : -1;
  if (*end || !(split[0] > 0 && split[1] >= 0 && split[0] + split[1] < 1)) {
    split[0] = split[1] = 0;
    return gl_error(GL_EINVAL, "%s: expected standard or TRAIN,VAL "
                    "fractions with a sum below 1, got '%s'", op->name, v);
  }
  return GL_OK;
}

gl_cli_out *gl_cli_out_open(const char *path) {
  for (int i = 0; i < MAX_OUTS; i++) {
    if (outs[i].open) continue;
    if (gl_afile_open(&outs[i].a, path) != GL_OK)
      gl_cli_die(GL_EXIT_FAIL, "%s", gl_errmsg());
    if (outs[i].a.tmp) {
      snprintf(tmp_paths[i], PATH_MAX, "%s", outs[i].a.tmp);
      tmp_live[i] = 1;
    }
    outs[i].open = true;
    return &outs[i];
  }
  gl_cli_die(GL_EXIT_FAIL, "too many output files");
}

FILE *gl_cli_out_file(gl_cli_out *o) { return o->a.f; }

void gl_cli_out_commit(gl_cli_out *o) {
  int i = (int)(o - outs);
  tmp_live[i] = 0;
  o->open = false;
  if (gl_afile_commit(&o->a) != GL_OK)
    gl_cli_die(GL_EXIT_FAIL, "%s", gl_errmsg());
}

void gl_cli_die_output(gl_status st, const char *what) {
  (void)st; /* whatever the cause, an output that fails is a failure */
  gl_cli_die(GL_EXIT_FAIL, "%s: %s", what, gl_errmsg());
}

void gl_cli_check_writable(const char *opt, const char *path) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash == dir)
    dir[1] = 0;
  else if (slash)
    *slash = 0;
  else
    snprintf(dir, sizeof dir, ".");
  if (!*path || !gl_dir_exists(dir))
    gl_cli_die(GL_EXIT_USAGE, "%s: cannot write '%s': %s", opt, path,
               !*path ? "empty path" : "no such folder");
  if (gl_dir_exists(path))
    gl_cli_die(GL_EXIT_USAGE, "%s: cannot write '%s': it is a folder", opt,
               path);
  if (gl_afile_check(path) != GL_OK)
    gl_cli_die(GL_EXIT_USAGE, "%s: %s", opt, gl_errmsg());
}

void gl_cli_check_outputs(const char *const (*outs_)[2], int n) {
  for (int i = 0; i < n; i++) {
    if (!outs_[i][1]) continue;
    gl_cli_check_writable(outs_[i][0], outs_[i][1]);
    for (int k = 0; k < i; k++)
      if (outs_[k][1] && gl_afile_same(outs_[k][1], outs_[i][1]))
        gl_cli_die(GL_EXIT_USAGE, "%s '%s' and %s '%s' are the same file",
                   outs_[k][0], outs_[k][1], outs_[i][0], outs_[i][1]);
  }
}

/* ---------------------------------------------------------------- plots */
typedef struct {
  double lo, hi;
  bool log;
  double p0, p1; /* pixel range */
} axis;

static bool usable(double v, bool log) {
  return isfinite(v) && (!log || v > 0);
}

static double to_px(const axis *a, double v) {
  double u = a->log ? log10(v) : v, lo = a->log ? log10(a->lo) : a->lo,
         hi = a->log ? log10(a->hi) : a->hi;
  return a->p0 + (a->p1 - a->p0) * (hi > lo ? (u - lo) / (hi - lo) : 0.5);
}

/* Ticks: powers of 10 on a log axis (1-2-5 within one decade), else
 * multiples of 1, 2 or 5 times a power of 10; at most 12. */
static int ticks(const axis *a, double *t) {
  int n = 0;
  if (a->log && a->hi > 10 * a->lo) {
    const int e0 = (int)floor(log10(a->lo)), e1 = (int)ceil(log10(a->hi));
    const bool fine = e1 - e0 <= 2;
    for (int e = e0; e <= e1 && n < 12; e++)
      for (int m = 1; m <= (fine ? 5 : 1) && n < 12; m += (m == 1 ? 1 : 3)) {
        const double v = m * pow(10, e);
        if (v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9)) t[n++] = v;
      }
    return n;
  } /* else (also a log axis within a decade) multiples of a step */
  const double span = a->hi - a->lo, raw = span / 6;
  const double p = pow(10, floor(log10(raw > 0 ? raw : 1)));
  const double step = raw / p < 1.5 ? p : raw / p < 3.5 ? 2 * p : 5 * p;
  for (double v = ceil(a->lo / step) * step; v <= a->hi + 1e-9 * span && n < 12;
       v += step)
    t[n++] = fabs(v) < 1e-12 * span ? 0 : v;
  return n;
}

void gl_cli_plot_svg(FILE *f, const char *title, const char *xlabel,
                     const char *ylabel, bool logx, bool logy,
                     const gl_plot_series *s, int ns) {
  static const char *colour[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                 "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                 "#bcbd22", "#17becf"};
  const int W = 720, H = 460, ml = 80, mr = 170, mt = 40, mb = 60;
  axis ax = {INFINITY, -INFINITY, logx, ml, W - mr};
  axis ay = {INFINITY, -INFINITY, logy, H - mb, mt};
  for (int k = 0; k < ns; k++)
    for (int i = 0; i < s[k].n; i++)
      if (usable(s[k].x[i], logx) && usable(s[k].y[i], logy)) {
        ax.lo = fmin(ax.lo, s[k].x[i]);
        ax.hi = fmax(ax.hi, s[k].x[i]);
        ay.lo = fmin(ay.lo, s[k].y[i]);
        ay.hi = fmax(ay.hi, s[k].y[i]);
      }
  if (!(ax.lo <= ax.hi)) ax.lo = ax.hi = 1;
  if (!(ay.lo <= ay.hi)) ay.lo = ay.hi = 1;
  axis *both[2] = {&ax, &ay};
  for (int i = 0; i < 2; i++) { /* widen a degenerate range, pad 4% */
    axis *a = both[i];
    if (a->hi > a->lo) {
      if (a->log) {
        const double r = pow(a->hi / a->lo, 0.04);
        a->lo /= r;
        a->hi *= r;
      } else {
        const double d = 0.04 * (a->hi - a->lo);
        a->lo -= d;
        a->hi += d;
      }
    } else if (a->log) {
      a->lo /= 2;
      a->hi *= 2;
    } else {
      const double d = a->lo != 0 ? fabs(a->lo) / 2 : 1;
      a->lo -= d;
      a->hi += d;
    }
  }
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
          "height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
  fprintf(f, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" "
          "font-size=\"15\">%s</text>\n", (ml + W - mr) / 2, title);
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
          "fill=\"none\" stroke=\"black\"/>\n", ml, mt, W - mr - ml,
          H - mb - mt);
  double t[12];
  int nt = ticks(&ax, t);
  for (int i = 0; i < nt; i++) {
    const double px = to_px(&ax, t[i]);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
            "stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%d\" "
            "text-anchor=\"middle\">%g</text>\n", px, mt, px, H - mb, px,
            H - mb + 16, t[i]);
  }
  nt = ticks(&ay, t);
  for (int i = 0; i < nt; i++) {
    const double py = to_px(&ay, t[i]);
    fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
            "stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
            "text-anchor=\"end\">%g</text>\n", ml, py, W - mr, py, ml - 6,
            py + 4, t[i]);
  }
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
          (ml + W - mr) / 2, H - 18, xlabel);
  fprintf(f, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" "
          "transform=\"rotate(-90 18 %d)\">%s</text>\n", (mt + H - mb) / 2,
          (mt + H - mb) / 2, ylabel);
  for (int k = 0; k < ns; k++) {
    const char *c = colour[k % 10];
    bool open = false; /* a line breaks where points are skipped */
    for (int i = 0; i < s[k].n; i++) {
      if (!usable(s[k].x[i], logx) || !usable(s[k].y[i], logy)) {
        if (open) fprintf(f, "\"/>\n");
        open = false;
        continue;
      }
      const double px = to_px(&ax, s[k].x[i]), py = to_px(&ay, s[k].y[i]);
      if (s[k].points) {
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
                "fill=\"%s\"/>\n", px, py, c);
        continue;
      }
      if (!open)
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" "
                "stroke-width=\"1.5\" points=\"", c);
      open = true;
      fprintf(f, "%.1f,%.1f ", px, py);
    }
    if (open) fprintf(f, "\"/>\n");
    const int ly = mt + 14 + 18 * k;
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" "
            "fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n", W - mr + 12,
            ly - 6, c, W - mr + 32, ly, s[k].name);
  }
  fprintf(f, "</svg>\n");
}
