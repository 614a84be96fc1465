/* Shared pieces of the command-line tools. */
#include "tools/cli.h"

#include <errno.h>
#include <limits.h>
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

void gl_cli_wait_policy(char **argv) {
  if (getenv("OMP_WAIT_POLICY") || setenv("OMP_WAIT_POLICY", "passive", 1))
    return;
  execv("/proc/self/exe", argv); /* returns only on failure: go on */
}

void gl_cli_init(const char *prog) {
  const char *s = strrchr(prog, '/');
  prog_name = s ? s + 1 : prog;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGHUP, on_signal);
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

const char *gl_cli_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc)
    gl_cli_die(GL_EXIT_USAGE, "option %s needs a value", argv[*i]);
  return argv[++*i];
}

gl_cli_out *gl_cli_out_open(const char *path) {
  for (int i = 0; i < MAX_OUTS; i++) {
    if (outs[i].open) continue;
    if (gl_afile_open(&outs[i].a, path) != GL_OK)
      gl_cli_die(GL_EXIT_USAGE, "%s", gl_errmsg());
    snprintf(tmp_paths[i], PATH_MAX, "%s", outs[i].a.tmp);
    tmp_live[i] = 1;
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
  if (gl_afile_commit(&o->a) != GL_OK) gl_cli_die(GL_EXIT_FAIL, "%s", gl_errmsg());
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
  if (!*path || !gl_dir_exists(dir) || access(dir, W_OK) != 0)
    gl_cli_die(GL_EXIT_USAGE, "%s: cannot write '%s': %s", opt, path,
               !*path ? "empty path"
               : gl_dir_exists(dir) ? "folder not writable"
                                    : "no such folder");
  if (gl_dir_exists(path))
    gl_cli_die(GL_EXIT_USAGE, "%s: cannot write '%s': it is a folder", opt,
               path);
}
