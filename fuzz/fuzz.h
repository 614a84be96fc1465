/* Helpers shared by the libFuzzer harnesses of fuzz/ (one .c a harness,
 * each defining LLVMFuzzerTestOneInput).  The loaders read files by name,
 * so an input is written to a file in a folder private to the process
 * (created once under /dev/shm, else $TMPDIR or /tmp, removed at exit) and
 * the same names are rewritten on every run. */
#ifndef GL_FUZZ_H
#define GL_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glearn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* One thread: the inputs are small, and a team of threads a run would
 * mostly measure OpenMP's start-up.  (A harness with a setup of its own
 * defines GL_FUZZ_OWN_INIT and its own LLVMFuzzerInitialize.) */
#ifndef GL_FUZZ_OWN_INIT
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  gl_set_threads(1);
  return 0;
}
#endif

enum { GL_FUZZ_MAX_FILES = 8 };
static char gl_fuzz_folder[4096];
static char gl_fuzz_names[GL_FUZZ_MAX_FILES][64];
static int gl_fuzz_n_names;

static inline void gl_fuzz_cleanup(void) {
  char p[4200];
  for (int i = 0; i < gl_fuzz_n_names; i++) {
    snprintf(p, sizeof p, "%s/%s", gl_fuzz_folder, gl_fuzz_names[i]);
    unlink(p);
  }
  rmdir(gl_fuzz_folder);
}

/* The private folder, created on the first call; NULL if it cannot be. */
static inline const char *gl_fuzz_dir(void) {
  if (gl_fuzz_folder[0]) return gl_fuzz_folder;
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
  if (!base) base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  snprintf(gl_fuzz_folder, sizeof gl_fuzz_folder, "%s/glearn-fuzz.XXXXXX",
           base);
  if (!mkdtemp(gl_fuzz_folder)) {
    gl_fuzz_folder[0] = 0;
    return NULL;
  }
  atexit(gl_fuzz_cleanup);
  return gl_fuzz_folder;
}

/* Writes data[0..size) to the file `name` of the private folder (replacing
 * what an earlier run wrote there) and returns its path in a static buffer
 * of its own for each name (at most GL_FUZZ_MAX_FILES names); NULL on failure.
 */
static inline const char *gl_fuzz_write(const char *name, const void *data,
                                        size_t size) {
  static char paths[GL_FUZZ_MAX_FILES][4200];
  if (!gl_fuzz_dir()) return NULL;
  int k = 0;
  while (k < gl_fuzz_n_names && strcmp(gl_fuzz_names[k], name)) k++;
  if (k == gl_fuzz_n_names) {
    if (k == GL_FUZZ_MAX_FILES || strlen(name) >= sizeof gl_fuzz_names[k])
      return NULL;
    snprintf(gl_fuzz_names[k], sizeof gl_fuzz_names[k], "%s", name);
    gl_fuzz_n_names++;
  }
  snprintf(paths[k], sizeof paths[k], "%s/%s", gl_fuzz_folder, name);
  int fd = open(paths[k], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return NULL;
  const char *p = data;
  for (size_t off = 0; off < size;) {
    ssize_t w = write(fd, p + off, size - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      close(fd);
      return NULL;
    }
    off += (size_t)w;
  }
  close(fd);
  return paths[k];
}

/* The next part of an input made of parts separated by `sep`: returns the
 * part starting at *pos and its length in *len, and moves *pos past the
 * following separator (to size after the last part). */
static inline const uint8_t *gl_fuzz_part(const uint8_t *data, size_t size,
                                          size_t *pos, const char *sep,
                                          size_t *len) {
  const size_t sl = strlen(sep);
  const uint8_t *start = data + *pos;
  const uint8_t *hit = NULL;
  if (size - *pos >= sl) hit = memmem(start, size - *pos, sep, sl);
  *len = hit ? (size_t)(hit - start) : size - *pos;
  *pos = hit ? *pos + *len + sl : size;
  return start;
}

/* The input as a command line: argv[0] is `prog`, then each part of the
 * input up to a NUL byte (the last part's NUL optional), argv[argc] NULL.
 * One block (free(argv)); NULL when out of memory. */
static inline char **gl_fuzz_argv(const char *prog, const uint8_t *data,
                                  size_t size, int *argc) {
  size_t n = 1;
  for (size_t i = 0; i < size; i++)
    if (data[i] == 0 && i + 1 < size) n++;
  if (size) n++;
  const size_t plen = strlen(prog) + 1;
  char **argv = malloc((n + 1) * sizeof *argv + plen + size + 1);
  if (!argv) return NULL;
  char *text = (char *)(argv + n + 1);
  memcpy(text, prog, plen);
  memcpy(text + plen, data, size);
  text[plen + size] = 0;
  argv[0] = text;
  for (size_t k = 1, at = plen; k < n; k++) {
    argv[k] = text + at;
    at += strlen(text + at) + 1;
  }
  argv[n] = NULL;
  *argc = (int)n;
  return argv;
}

/* Writes the input to the file `name` and loads it with `load` (a loader
 * of datasets/ that takes a path), freeing what it loaded. */
static inline int gl_fuzz_load(const char *name, const uint8_t *data,
                               size_t size,
                               gl_status (*load)(gl_dataset *, const char *)) {
  const char *path = gl_fuzz_write(name, data, size);
  gl_dataset d;
  if (path && load(&d, path) == GL_OK) gl_dataset_free(&d);
  return 0;
}

#endif
