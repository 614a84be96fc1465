/* make install and make uninstall, end to end: the optimised build
 * installed into a temporary prefix; examples/train_cora.c built with
 * pkg-config against the installed files alone and run on the installed
 * datasets; the man pages; the headers on their own; staging with DESTDIR
 * and an uninstall that leaves nothing of glearn and nothing else gone. */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <unistd.h>

#include "tests/test.h"

/* Runs the printf-formatted shell command; its exit code, the output
 * (stdout and stderr) in *out (malloc'd) unless out is NULL. */
static int sh(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int sh(char **out, const char *fmt, ...) {
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  return gl_test_run(cmd, out);
}

static bool have(const char *program) {
  return sh(NULL, "command -v %s", program) == 0;
}

/* The repository (the tests run from its root) and the prefix. */
static char root[1024], prefix[1024];
static bool installed;

/* `make -s ARGS` in the repository: the optimised build (B=build), which
 * make install builds if needed (it reuses what is built); the variables
 * the suite's make was given (MAKEFLAGS) carry over, so its objects stay
 * as they are. */
static int make(char **out, const char *args) {
  return sh(out, "make -s -C '%s' B=build %s", root, args);
}

/* The sorted list of what lies under `dir` (files, links and folders, with
 * a link's target), relative to it; "" when it does not exist. */
static char *tree(const char *dir) {
  char *out = NULL;
  sh(&out, "cd '%s' 2>/dev/null && find . -mindepth 1 -printf '%%p %%l\\n' "
     "| LC_ALL=C sort", dir);
  return out;
}

/* What glearn left under `dir`: its files and links, and its own
 * folders. */
static char *leftovers(const char *dir) {
  char *out = NULL;
  sh(&out, "cd '%s' && find . \\( -type f -o -type l -o -path "
     "./include/glearn -o -path ./share/glearn \\) -print | LC_ALL=C sort",
     dir);
  return out;
}

/* Installs into <tmp>/prefix (once, and again after the uninstall test);
 * false (the test skipped or failed) when it cannot. */
static bool install(void) {
  if (installed) return true;
  if (!getcwd(root, sizeof root) || access("Makefile", R_OK) ||
      access("glearn.h", R_OK)) {
    gl_test_skip("not run from the repository's root");
    return false;
  }
  if (!have("make")) {
    gl_test_skip("make is not installed");
    return false;
  }
  snprintf(prefix, sizeof prefix, "%s", gl_test_path("prefix"));
  char args[1200], *out;
  snprintf(args, sizeof args, "install PREFIX='%s'", prefix);
  int rc = make(&out, args);
  CHECK_MSG(rc == 0, "make install: exit %d: %s", rc, out);
  free(out);
  installed = rc == 0;
  return installed;
}

/* A scratch folder outside the repository, with no data/ in it. */
static const char *scratch(const char *name) {
  const char *dir = gl_test_path(name);
  sh(NULL, "mkdir -p '%s'", dir);
  return dir;
}

TEST(install_example) {
  if (!install()) return;
  if (!have("cc") || !have("pkg-config"))
    SKIP("cc or pkg-config is not installed");
  const char *dir = scratch("example");
  char *out;
  /* pkg-config names the installed files, and only them */
  int rc = sh(&out, "export PKG_CONFIG_PATH='%s/lib/pkgconfig' && "
              "pkg-config --modversion glearn && pkg-config --cflags glearn",
              prefix);
  char want[1200];
  snprintf(want, sizeof want, "%s\n-I%s/include/glearn", GL_VERSION_STRING,
           prefix);
  CHECK_MSG(rc == 0 && !strncmp(out, want, strlen(want)),
            "pkg-config: exit %d: %s", rc, out);
  free(out);
  /* compiled from a copy, in a folder of its own: no header of the
   * repository in sight */
  rc = sh(&out, "cp '%s/examples/train_cora.c' '%s' && cd '%s' && "
          "export PKG_CONFIG_PATH='%s/lib/pkgconfig' && "
          "env -u CPATH -u C_INCLUDE_PATH -u LIBRARY_PATH cc -std=c11 -Wall "
          "-Wextra -Werror train_cora.c -o train_cora "
          "$(pkg-config --cflags --libs glearn)",
          root, dir, dir, prefix);
  CHECK_MSG(rc == 0, "compiling the example: exit %d: %s", rc, out);
  free(out);
  if (rc != 0) return;

  /* linked against the installed libglearn.so.MAJOR */
  char soname[64];
  snprintf(soname, sizeof soname, "libglearn.so.%d", GL_VERSION_MAJOR);
  rc = sh(&out, "cd '%s' && readelf -d train_cora && "
          "LD_LIBRARY_PATH='%s/lib' ldd train_cora", dir, prefix);
  char needed[128], resolved[1200];
  snprintf(needed, sizeof needed, "Shared library: [%s]", soname);
  snprintf(resolved, sizeof resolved, "%s => %s/lib/%s", soname, prefix,
           soname);
  CHECK_MSG(rc == 0 && strstr(out, needed) && strstr(out, resolved),
            "not linked against %s/lib/%s: %s", prefix, soname, out);
  free(out);

  /* run where only the install holds Cora: no $GLEARN_DATA, an empty
   * download cache, no data/ or ../shared/datasets beside */
  char run[2048];
  snprintf(run, sizeof run, "cd '%s' && env -u GLEARN_DATA "
           "XDG_CACHE_HOME='%s/cache' LD_LIBRARY_PATH='%s/lib' ./train_cora",
           dir, dir, prefix);
  rc = sh(&out, "%s", run);
  char version[32] = "";
  int epochs = 0;
  double acc = 0;
  int got = sscanf(out, "glearn %31[^:]: GCN on Cora, %d epochs, test "
                   "accuracy %lf", version, &epochs, &acc);
  CHECK_MSG(rc == 0 && got == 3, "example: exit %d: %s", rc, out);
  CHECK_MSG(!strcmp(version, GL_VERSION_STRING),
            "the library says %s, the headers %s", version,
            GL_VERSION_STRING);
  /* 100 epochs of Kipf & Welling's GCN: 0.806 to 0.817 over seeds */
  CHECK_MSG(acc > 0.77, "test accuracy %.4f after %d epochs", acc, epochs);
  printf("  %s", out);
  free(out);

  /* the data came from the install: without it, an error and exit 1 */
  rc = sh(&out, "mv '%s/share/glearn/data' '%s/away' && (%s); rc=$?; "
          "mv '%s/away' '%s/share/glearn/data'; exit $rc",
          prefix, dir, run, dir, prefix);
  CHECK_MSG(rc == 1 && strstr(out, "train_cora: dataset cora:"),
            "without the installed data: exit %d: %s", rc, out);
  free(out);
}

/* Whether the roff source `page` names option `opt` ("--name", written
 * \-\-name with every '-' escaped) as a whole word. */
static bool names_option(const char *page, const char *opt) {
  char roff[160];
  size_t k = 0;
  for (const char *c = opt; *c && k + 3 < sizeof roff; c++) {
    if (*c == '-') roff[k++] = '\\';
    roff[k++] = *c;
  }
  roff[k] = 0;
  for (const char *p = page; (p = strstr(p, roff)); p += k) {
    const char *e = p + k;
    if (!isalnum((unsigned char)*e) && *e != '_' && strncmp(e, "\\-", 2))
      return true;
  }
  return false;
}

/* Checks that every "--option" that `tool --help` prints is in its page. */
static void check_options(const char *tool, const char *page) {
  char *help;
  int rc = sh(&help, "'%s/bin/%s' --help", prefix, tool);
  CHECK_MSG(rc == 0, "%s --help: exit %d", tool, rc);
  int n = 0;
  for (const char *p = help; (p = strstr(p, "--"));) {
    const char *q = p + 2;
    while (isalnum((unsigned char)*q) || *q == '-' || *q == '_') q++;
    while (q > p + 2 && q[-1] == '-') q--; /* a dash that ends a line */
    const bool word = p == help || !(isalnum((unsigned char)p[-1]) ||
                                     p[-1] == '-');
    if (word && isalpha((unsigned char)p[2])) {
      char opt[128];
      snprintf(opt, sizeof opt, "%.*s", (int)(q - p), p);
      n++;
      CHECK_MSG(names_option(page, opt), "%s.1 lacks %s (written with "
                "every - as \\-)", tool, opt);
    }
    p = q > p + 2 ? q : p + 2;
  }
  CHECK_MSG(n >= 3, "%s --help lists %d options", tool, n);
  free(help);
}

TEST(install_man_pages) {
  if (!install()) return;
  char bin[1200], man1[1200];
  snprintf(bin, sizeof bin, "%s/bin", prefix);
  snprintf(man1, sizeof man1, "%s/share/man/man1", prefix);
  const bool groff = have("groff"), man = have("man");
  /* every page installed renders without a warning */
  DIR *d = opendir(man1);
  CHECK_MSG(d != NULL, "no %s", man1);
  int pages = 0;
  for (struct dirent *e; d && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    pages++;
    if (!groff && !man) continue;
    char *warn = NULL, *out;
    if (groff) /* every warning on, the text thrown away */
      sh(&warn, "groff -man -Tutf8 -ww -z '%s/%s'", man1, e->d_name);
    int rc = groff ? sh(&out, "groff -man -Tutf8 -P-cbou '%s/%s'", man1,
                        e->d_name)
                   : sh(&out, "MANWIDTH=80 man -l '%s/%s'", man1, e->d_name);
    CHECK_MSG(rc == 0 && strstr(out, "SYNOPSIS") && (!warn || !*warn),
              "%s does not render cleanly: exit %d: %s%.300s", e->d_name,
              rc, warn ? warn : "", out);
    free(warn);
    free(out);
  }
  if (d) closedir(d);
  if (!groff && !man) printf("  neither groff nor man: pages not rendered\n");
  /* every installed tool has its page, which names every option of its
   * --help */
  d = opendir(bin);
  CHECK_MSG(d != NULL, "no %s", bin);
  int tools = 0;
  for (struct dirent *e; d && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    tools++;
    char path[2400], *page;
    size_t size;
    snprintf(path, sizeof path, "%s/%s.1", man1, e->d_name);
    if (gl_read_file(path, &page, &size) != GL_OK) {
      CHECK_MSG(false, "%s has no man page %s", e->d_name, path);
      continue;
    }
    check_options(e->d_name, page);
    free(page);
  }
  if (d) closedir(d);
  CHECK_MSG(tools >= 3 && pages >= tools, "%d tools, %d pages", tools,
            pages);
}

TEST(install_headers) {
  if (!install()) return;
  if (!have("cc")) SKIP("cc is not installed");
  char *list;
  int rc = sh(&list, "cd '%s/include/glearn' && find . -type f | sort",
              prefix);
  CHECK_MSG(rc == 0 && strstr(list, "./glearn.h\n") &&
                strstr(list, "./core/core.h\n"),
            "installed headers: %s", list);
  CHECK_MSG(!strstr(list, "internal.h") && !strstr(list, "cli.h") &&
                !strstr(list, "test.h"),
            "private headers installed: %s", list);
  /* each on its own, with the installed include folder alone */
  const char *dir = scratch("headers");
  int n = 0;
  for (char *h = strtok(list, "\n"); h; h = strtok(NULL, "\n")) {
    char *out;
    rc = sh(&out, "cd '%s' && printf '#include <%s>\\nint main(void) { "
            "return 0; }\\n' > h.c && env -u CPATH -u C_INCLUDE_PATH cc "
            "-std=c11 -Wall -Wextra -Werror -I'%s/include/glearn' -c h.c "
            "-o h.o", dir, h + 2, prefix);
    CHECK_MSG(rc == 0, "%s does not compile on its own: %s", h + 2, out);
    free(out);
    n++;
  }
  CHECK(n >= 8);
  free(list);
}

TEST(install_again_destdir_and_uninstall) {
  if (!install()) return;
  /* a second install changes nothing */
  char *before = tree(prefix), *out, args[2048];
  snprintf(args, sizeof args, "install PREFIX='%s'", prefix);
  int rc = make(&out, args);
  CHECK_MSG(rc == 0, "second make install: exit %d: %s", rc, out);
  free(out);
  char *after = tree(prefix);
  CHECK_MSG(!strcmp(before, after), "a second install changed the tree");
  free(after);

  /* staged under DESTDIR: the same tree, glearn.pc naming PREFIX alone */
  const char *stage = gl_test_path("stage");
  snprintf(args, sizeof args, "install PREFIX=/opt/glearn DESTDIR='%s'",
           stage);
  rc = make(&out, args);
  CHECK_MSG(rc == 0, "make install DESTDIR: exit %d: %s", rc, out);
  free(out);
  char staged[1200], *pc;
  size_t size;
  snprintf(staged, sizeof staged, "%s/opt/glearn", stage);
  char *st = tree(staged);
  CHECK_MSG(!strcmp(before, st), "DESTDIR staged another tree:\n%s", st);
  free(st);
  free(before);
  char pcpath[1400];
  snprintf(pcpath, sizeof pcpath, "%s/lib/pkgconfig/glearn.pc", staged);
  if (gl_read_file(pcpath, &pc, &size) == GL_OK) {
    CHECK_MSG(strstr(pc, "\nprefix=/opt/glearn\n") && !strstr(pc, stage),
              "glearn.pc: %s", pc);
    free(pc);
  } else {
    CHECK_MSG(false, "no %s", pcpath);
  }

  /* uninstall: nothing of glearn is left, and what is not glearn's
   * stays */
  rc = sh(&out, "touch '%s/bin/other' '%s/lib/libother.so' && "
          "mkdir -p '%s/share/other'", prefix, prefix, prefix);
  free(out);
  snprintf(args, sizeof args, "uninstall PREFIX='%s'", prefix);
  rc = make(&out, args);
  CHECK_MSG(rc == 0, "make uninstall: exit %d: %s", rc, out);
  free(out);
  installed = false;
  char *left = leftovers(prefix);
  CHECK_MSG(!strcmp(left, "./bin/other\n./lib/libother.so\n"),
            "after make uninstall:\n%s", left);
  free(left);
  CHECK(sh(NULL, "test -d '%s/share/other'", prefix) == 0);
  snprintf(args, sizeof args, "uninstall PREFIX=/opt/glearn DESTDIR='%s'",
           stage);
  rc = make(&out, args);
  CHECK_MSG(rc == 0, "make uninstall DESTDIR: exit %d: %s", rc, out);
  free(out);
  left = leftovers(staged);
  CHECK_MSG(!*left, "after make uninstall DESTDIR:\n%s", left);
  free(left);
}
