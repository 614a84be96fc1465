/* glearn-data's options: one table for its usage line, --help and
 * parser. */
#include "tools/glearn-data-opts.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *glearn_data_names(int which) {
  static char buf[3][1024];
  char *b = buf[which];
  b[0] = 0;
  for (int i = 0; i < gl_dataset_info_count(); i++) {
    const gl_dataset_info *k = gl_dataset_info_at(i);
    if ((which == FETCHED && !k->url) || (which == SHIPPED && k->url))
      continue;
    size_t len = strlen(b);
    snprintf(b + len, sizeof buf[0] - len, "%s%s", len ? ", " : "", k->name);
  }
  return b;
}

/* A comma-separated list wrapped below 78 columns, lines after the first
 * indented by `indent`. */
static void print_wrapped(FILE *f, int col, int indent, const char *list) {
  for (const char *p = list; *p;) {
    const char *e = strstr(p, ", ");
    int len = e ? (int)(e - p) : (int)strlen(p);
    if (p != list && col + 2 + len > 78) {
      fprintf(f, ",\n%*s", indent, "");
      col = indent;
    } else if (p != list) {
      col += fprintf(f, ", ");
    }
    col += fprintf(f, "%.*s", len, p);
    p = e ? e + 2 : p + len;
  }
  fputc('\n', f);
}

static void about(FILE *f) {
  fputs(
"Lists, downloads and checks the datasets glearn knows by name.\n"
"\n"
"commands:\n"
"  list              every registered dataset: its size, whether it is\n"
"                    present and where (else where a fetch puts it), and\n"
"                    its source (a URL, or shipped: in glearn's data/)\n"
"  fetch NAME...     downloads the datasets into the download folder (see\n"
"                    GLEARN_DATA below).  A dataset already present that\n"
"                    passes its check is not downloaded again.  Bytes go to\n"
"                    FILE.part, which a later fetch resumes if the\n"
"                    transfer stops; the file takes its name only once its\n"
"                    size and SHA-256 match the ones recorded\n"
"  fetch all         every dataset that is fetched and not present\n"
"  verify [NAME...]  checks the size and SHA-256 of present datasets (all\n"
"                    that are present when no name is given)\n"
"\n"
"  NAME  fetched: ", f);
  print_wrapped(f, 17, 17, glearn_data_names(FETCHED));
  fprintf(f, "        shipped (nothing to fetch): ");
  print_wrapped(f, 36, 17, glearn_data_names(SHIPPED));
}

static void after(FILE *f) {
  fputs(
"environment:\n"
"  GLEARN_DATA           the download folder, searched first (default: the\n"
"                        cache folder below)\n"
"  XDG_CACHE_HOME        the cache folder is $XDG_CACHE_HOME/glearn, else\n"
"                        ~/.cache/glearn\n"
"  GLEARN_DATA_URL       the download base; a dataset's URL is the base,\n"
"                        '/' and its path (default: the gnn-benchmark\n"
"                        commit whose bytes the checksums record,\n"
"    " GL_DATA_URL_DEFAULT ")\n"
"  GLEARN_FETCH_TIMEOUT  seconds allowed to connect, and without a byte\n"
"                        received, before a download is abandoned (30)\n"
"\n"
"Exit status: 0 ok, 1 failure (a download failed, a dataset failed its\n"
"check or is missing), 2 bad usage or bad input.\n", f);
}

#define O(f) offsetof(options, f)
static const gl_cli_opt opts[] = {
    {.help = "options:"},
    {"--data", "DIR", GL_CLI_STR, O(data_dir),
     .help = "download into DIR and look for datasets only there"},
    {"--quiet", NULL, GL_CLI_FLAG, O(quiet),
     .help = "no progress bar and no \"fetching\" lines"},
    GL_CLI_HELP_VERSION(options),
};
#undef O

const gl_cli_tool glearn_data_tool = {
    "glearn-data", "list|fetch|verify [NAME...]", opts,
    sizeof opts / sizeof *opts, about, after};

gl_status glearn_data_parse(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  /* the command and the names: at most argc - 1 */
  const char **pos = gl_calloc((size_t)argc, sizeof *pos);
  if (!pos) return GL_ENOMEM;
  gl_cli_args a = {.pos = pos, .max_pos = argc};
  gl_status st = gl_cli_parse(&glearn_data_tool, argc, argv, o, &a);
  if (st == GL_OK && !o->help && !o->version) {
    o->command = pos[0];
    o->names = pos + 1;
    o->n_names = a.n_pos > 0 ? a.n_pos - 1 : 0;
    if (!o->command)
      st = gl_error(GL_EINVAL, "no command given: list, fetch or verify "
                    "(see --help)");
    else if (strcmp(o->command, "list") && strcmp(o->command, "fetch") &&
             strcmp(o->command, "verify"))
      st = gl_error(GL_EINVAL, "unknown command '%s' (list, fetch or "
                    "verify; see --help)", o->command);
    else if (!strcmp(o->command, "list") && o->n_names)
      st = gl_error(GL_EINVAL, "list takes no names, got '%s'",
                    o->names[0]);
    else if (!strcmp(o->command, "fetch") && !o->n_names)
      st = gl_error(GL_EINVAL, "fetch: no dataset named (a name or all; "
                    "fetched: %s)", glearn_data_names(FETCHED));
  }
  o->pos = pos;
  if (st != GL_OK || o->help || o->version) glearn_data_free(o);
  return st;
}

void glearn_data_free(options *o) {
  free(o->pos);
  o->pos = o->names = NULL;
  o->n_names = 0;
}
