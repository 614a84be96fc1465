/* glearn-data list | fetch NAME... | verify [NAME...]: the datasets that
 * do not ship with glearn: where they are, downloading and checking them.
 * Argument parsing and printing only; downloads and checks live in the
 * library (datasets/fetch.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/glearn-data-opts.h"

#define PATH_CAP (GL_DATA_PATH_MAX + 256)

/* Bytes as "12.2 MiB"; "?" when unknown. */
static const char *human(int64_t b, char buf[32]) {
  static const char *unit[] = {"KiB", "MiB", "GiB", "TiB"};
  if (b < 0) return "?";
  if (b < 1024) {
    snprintf(buf, 32, "%lld B", (long long)b);
    return buf;
  }
  double v = (double)b / 1024;
  int u = 0;
  for (; v >= 1024 && u < 3; u++) v /= 1024;
  snprintf(buf, 32, "%.1f %s", v, unit[u]);
  return buf;
}

/* Where the dataset is (its file, or its .gz when only that exists), or
 * false. */
static bool present(const gl_dataset_info *k, const char *dir, char *path) {
  if (gl_dataset_locate(k, dir, path, PATH_CAP) != GL_OK) {
    gl_errclear();
    return false;
  }
  if (!gl_file_exists(path) && !gl_dir_exists(path)) {
    size_t len = strlen(path);
    if (len + 3 < PATH_CAP) memcpy(path + len, ".gz", 4);
  }
  return true;
}

/* The download folder: --data, else $GLEARN_DATA or the cache. */
static const char *dest_dir(const options *o) {
  static char dir[GL_DATA_PATH_MAX];
  if (o->data_dir) return o->data_dir;
  gl_status st = gl_data_cache_dir(dir, sizeof dir);
  if (st != GL_OK) gl_cli_die_status(st, "");
  return dir;
}

/* The datasets named on the command line (all of them for "all"). */
static int resolve(const options *o, bool fetch,
                   const gl_dataset_info **out) {
  int n = 0;
  for (int i = 0; i < o->n_names; i++) {
    const char *a = o->names[i];
    if (fetch && !strcasecmp(a, "all")) {
      for (int j = 0; j < gl_dataset_info_count(); j++)
        if (gl_dataset_info_at(j)->url) out[n++] = gl_dataset_info_at(j);
      continue;
    }
    const gl_dataset_info *k = gl_dataset_info_find(a);
    if (!k)
      gl_cli_die(GL_EXIT_USAGE, "unknown dataset '%s' (known: %s)", a,
                 glearn_data_names(fetch ? FETCHED : ALL));
    char url[2048];
    if (fetch && gl_data_url(k, url, sizeof url) != GL_OK)
      gl_cli_die(GL_EXIT_USAGE, "%s", gl_errmsg()); /* a shipped one */
    out[n++] = k;
  }
  /* each once, in the order given */
  int m = 0;
  for (int i = 0; i < n; i++) {
    bool seen = false;
    for (int j = 0; j < m && !seen; j++) seen = out[j] == out[i];
    if (!seen) out[m++] = out[i];
  }
  return m;
}

static int cmd_list(const options *o) {
  const int n = gl_dataset_info_count();
  char(*where)[PATH_CAP] = calloc((size_t)n, sizeof *where);
  char(*url)[2048] = calloc((size_t)n, sizeof *url);
  bool *here = calloc((size_t)n, sizeof *here);
  if (!where || !url || !here) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  char cache[GL_DATA_PATH_MAX] = "";
  if (o->data_dir)
    snprintf(cache, sizeof cache, "%s", o->data_dir);
  else if (gl_data_cache_dir(cache, sizeof cache) != GL_OK)
    cache[0] = 0;
  int wname = 7, wwhere = 5;
  for (int i = 0; i < n; i++) {
    const gl_dataset_info *k = gl_dataset_info_at(i);
    here[i] = present(k, o->data_dir, where[i]);
    if (!here[i] && k->url && *cache)
      snprintf(where[i], PATH_CAP, "%s/%s", cache, k->file);
    else if (!here[i])
      snprintf(where[i], PATH_CAP, "-");
    if (!k->url || gl_data_url(k, url[i], sizeof url[i]) != GL_OK)
      snprintf(url[i], sizeof url[i], "shipped");
    if ((int)strlen(k->name) > wname) wname = (int)strlen(k->name);
    if ((int)strlen(where[i]) > wwhere) wwhere = (int)strlen(where[i]);
  }
  printf("%-*s  %-9s  %-7s  %-*s  %s\n", wname, "dataset", "size",
         "present", wwhere, "where", "source");
  for (int i = 0; i < n; i++) {
    const gl_dataset_info *k = gl_dataset_info_at(i);
    char sz[32];
    printf("%-*s  %-9s  %-7s  %-*s  %s\n", wname, k->name, human(k->size, sz),
           here[i] ? "yes" : "no", wwhere, where[i], url[i]);
  }
  free(where);
  free(url);
  free(here);
  return GL_EXIT_OK;
}

/* "size and SHA-256 checked", "size checked; no checksum recorded", ...
 * (a size not in the registry is the one the server announced). */
static const char *checked(const gl_dataset_info *k, const gl_data_check *c) {
  return c->sha_checked && c->size_checked ? "size and SHA-256 checked"
         : c->sha_checked ? "SHA-256 checked"
         : c->size_checked && k->size < 0
             ? "size as the server announced; no checksum recorded"
         : c->size_checked ? "size checked; no checksum recorded"
                           : "no checksum recorded";
}

/* Prints "<prog>: error: <msg>" without exiting (the others go on). */
static void report(const char *msg) {
  fflush(stdout);
  fprintf(stderr, "glearn-data: error: %s\n", msg);
}

static int cmd_fetch(const options *o) {
  const gl_dataset_info **list =
      calloc((size_t)gl_dataset_info_count() * (size_t)(o->n_names + 1),
             sizeof *list);
  if (!list) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  const int n = resolve(o, true, list);
  const char *dest = dest_dir(o);
  gl_fetch_opts fo = {.progress = !o->quiet};
  int failed = 0;
  char path[PATH_CAP], sz[32], url[2048];
  for (int i = 0; i < n; i++) {
    const gl_dataset_info *k = list[i];
    gl_data_check c;
    if (present(k, o->data_dir, path) &&
        gl_data_verify(k, path, &c) == GL_OK) {
      printf("%s: present at %s (%s); not downloaded again\n", k->name,
             path, checked(k, &c));
      continue;
    }
    gl_errclear();
    if (!o->quiet && gl_data_url(k, url, sizeof url) == GL_OK)
      printf("%s: fetching %s\n", k->name, url);
    fflush(stdout);
    gl_fetch_result r;
    if (gl_data_fetch(k, dest, &fo, &r) != GL_OK) {
      report(gl_errmsg());
      failed++;
      continue;
    }
    if (r.present) {
      printf("%s: present at %s (%s); not downloaded again\n", k->name,
             r.path, checked(k, &r.check));
      continue;
    }
    char resumed[64] = "";
    if (r.resumed > 0)
      snprintf(resumed, sizeof resumed, ", resumed after %s",
               human(r.resumed, (char[32]){0}));
    printf("%s: saved %s (%s%s; %s)\n", k->name, r.path,
           human(r.check.size, sz), resumed, checked(k, &r.check));
  }
  free(list);
  return failed ? GL_EXIT_FAIL : GL_EXIT_OK;
}

static int cmd_verify(const options *o) {
  const gl_dataset_info **list =
      calloc((size_t)gl_dataset_info_count() + (size_t)o->n_names + 1,
             sizeof *list);
  if (!list) gl_cli_die(GL_EXIT_FAIL, "out of memory");
  int n = resolve(o, false, list);
  const bool named = n > 0;
  if (!named)
    for (int j = 0; j < gl_dataset_info_count(); j++)
      list[n++] = gl_dataset_info_at(j);
  int bad = 0, seen = 0;
  char path[PATH_CAP], sz[32], first_bad[64] = "";
  for (int i = 0; i < n; i++) {
    const gl_dataset_info *k = list[i];
    if (!present(k, o->data_dir, path)) {
      if (!named) continue;
      printf("%-18s missing   not found%s%s\n", k->name,
             k->url ? "; glearn-data fetch " : "", k->url ? k->name : "");
    } else {
      seen++;
      gl_data_check c;
      if (gl_data_verify(k, path, &c) == GL_OK) {
        printf("%-18s ok        %s (%s, %s)\n", k->name, path,
               c.size < 0 ? "a folder" : human(c.size, sz),
               checked(k, &c));
        continue;
      }
      printf("%-18s mismatch  %s\n", k->name, gl_errmsg());
    }
    if (!bad++) snprintf(first_bad, sizeof first_bad, "%s", k->name);
  }
  free(list);
  if (!named && !seen) printf("no registered dataset is present\n");
  if (bad)
    gl_cli_die(GL_EXIT_FAIL, "%d dataset%s failed verification (%s%s)", bad,
               bad > 1 ? "s" : "", first_bad, bad > 1 ? ", ..." : "");
  return GL_EXIT_OK;
}

int main(int argc, char **argv) {
  gl_cli_init(argv[0]);
  options o;
  gl_status st = glearn_data_parse(argc, argv, &o);
  gl_cli_parsed(&glearn_data_tool, st, o.help, o.version);
  int rc = !strcmp(o.command, "list")    ? cmd_list(&o)
           : !strcmp(o.command, "fetch") ? cmd_fetch(&o)
                                         : cmd_verify(&o);
  glearn_data_free(&o);
  return rc;
}
