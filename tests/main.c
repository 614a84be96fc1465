/* The test runner: runs every registered test (or those whose name or file
 * contains one of the arguments) and prints "N passed, N failed, N
 * skipped". */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/test.h"

#define MAX_TESTS 1024
static struct {
  const char *name, *file;
  gl_test_fn fn;
} tests[MAX_TESTS];
static int n_tests, cur_failures, cur_skipped;
static char skip_why[512];
static char tmp_dir[256];

void gl_test_register(const char *name, const char *file, gl_test_fn fn) {
  if (n_tests < MAX_TESTS) {
    tests[n_tests].name = name;
    tests[n_tests].file = file;
    tests[n_tests].fn = fn;
    n_tests++;
  }
}

void gl_test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stdout, "  %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  fflush(stdout);
  cur_failures++;
}

void gl_test_skip(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(skip_why, sizeof skip_why, fmt, ap);
  va_end(ap);
  cur_skipped = 1;
}

bool gl_test_skipped(void) { return cur_skipped; }

bool gl_test_failed(void) { return cur_failures > 0; }

bool gl_test_have(const char *name) {
  const gl_dataset_info *info = gl_dataset_info_find(name);
  char path[GL_DATA_PATH_MAX + 256];
  if (info && gl_dataset_locate(info, NULL, path, sizeof path) == GL_OK)
    return true;
  gl_test_skip("needs dataset %s (%s)", name,
               info ? "glearn-data fetch brings it" : "not registered");
  return false;
}

const char *gl_test_tmp(void) { return tmp_dir; }

const char *gl_test_path(const char *name) {
  static char ring[8][512];
  static int k;
  char *p = ring[k++ % 8];
  snprintf(p, 512, "%s/%s", tmp_dir, name);
  return p;
}

const char *gl_test_write(const char *name, const char *text) {
  const char *p = gl_test_path(name);
  FILE *f = fopen(p, "wb");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
  return p;
}

int gl_test_sanitized(void) {
  const char *e = getenv("GLEARN_SANITIZED");
  return e && *e && strcmp(e, "0") != 0;
}

int gl_test_run(const char *cmd, char **out) {
  char full[4096];
  snprintf(full, sizeof full, "(%s) 2>&1", cmd);
  FILE *p = popen(full, "r");
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  if (!p || !buf) {
    free(buf);
    if (p) pclose(p);
    if (out) *out = NULL;
    return -1;
  }
  size_t r;
  while ((r = fread(buf + len, 1, cap - len - 1, p)) > 0) {
    len += r;
    if (cap - len < 2) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) break;
      buf = nb;
      cap *= 2;
    }
  }
  buf[len] = 0;
  int st = pclose(p);
  if (out)
    *out = buf;
  else
    free(buf);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *gl_test_tool(const char *name) {
  static char path[256];
  const char *dir = getenv("GLEARN_BIN");
  snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "./bin", name);
  return path;
}

int gl_test_run_tool(const char *name, const char *args, char **out) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s", gl_test_tool(name), args);
  return gl_test_run(cmd, out);
}

static void cleanup(void) {
  char cmd[300];
  if (tmp_dir[0]) {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_dir);
  }
}

static int selected(int i, int argc, char **argv) {
  if (argc < 2) return 1;
  for (int a = 1; a < argc; a++)
    if (strstr(tests[i].name, argv[a]) || strstr(tests[i].file, argv[a]))
      return 1;
  return 0;
}

int main(int argc, char **argv) {
  snprintf(tmp_dir, sizeof tmp_dir, "/tmp/glearn-tests.XXXXXX");
  if (!mkdtemp(tmp_dir)) {
    perror("mkdtemp");
    return 1;
  }
  atexit(cleanup);
  gl_set_threads(2);
  int passed = 0, failed = 0, skipped = 0;
  for (int i = 0; i < n_tests; i++) {
    if (!selected(i, argc, argv)) continue;
    cur_failures = cur_skipped = 0;
    double t0 = gl_now();
    tests[i].fn();
    double dt = gl_now() - t0;
    if (cur_failures) {
      failed++;
      printf("FAIL %s (%s, %.2fs)\n", tests[i].name, tests[i].file, dt);
    } else if (cur_skipped) {
      skipped++;
      printf("skip %s: %s\n", tests[i].name, skip_why);
    } else {
      passed++;
      printf("ok   %s (%.2fs)\n", tests[i].name, dt);
    }
    fflush(stdout);
  }
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}
