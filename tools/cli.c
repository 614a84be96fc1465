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

void gl_cli_die(int code, const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fprintf(stderr, "%s: error: ", prog_name);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort_outputs();
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

long gl_cli_long(const char *opt, const char *v, long lo, long hi) {
  long x;
  if (!gl_parse_long(v, lo, hi, &x))
    gl_cli_die(GL_EXIT_USAGE, "%s: expected an integer in [%ld, %ld], got '%s'",
               opt, lo, hi, v);
  return x;
}

double gl_cli_double(const char *opt, const char *v, double lo, double hi) {
  double x;
  if (!gl_parse_double(v, lo, hi, &x))
    gl_cli_die(GL_EXIT_USAGE, "%s: expected a number in [%g, %g], got '%s'",
               opt, lo, hi, v);
  return x;
}

void gl_cli_load_classes(gl_dataset *d, const char *name, const char *dir,
                         uint64_t split_seed) {
  gl_status st = gl_dataset_load(d, name, dir, split_seed);
  if (st != GL_OK) gl_cli_die_status(st, "");
  if (d->multilabel || !d->y || d->n_classes < 2 || d->x.n == 0)
    gl_cli_die(GL_EXIT_USAGE, "dataset '%s' has no single-label classes and "
               "features for node classification", name);
}

void gl_cli_split(const char *opt, const char *v, double split[2]) {
  split[0] = split[1] = 0;
  if (!strcmp(v, "standard")) return;
  char *end;
  split[0] = strtod(v, &end);
  split[1] = *end == ',' ? strtod(end + 1, &end) : -1;
  if (*end || !(split[0] > 0 && split[1] >= 0 && split[0] + split[1] < 1))
    gl_cli_die(GL_EXIT_USAGE, "%s: expected standard or TRAIN,VAL fractions "
               "with a sum below 1, got '%s'", opt, v);
}

const char *gl_cli_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc)
    gl_cli_die(GL_EXIT_USAGE, "option %s needs a value", argv[*i]);
  return argv[++*i];
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
