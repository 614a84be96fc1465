/* glearn-data's options: the table its usage line, --help and parser come
 * from (tools/glearn-data-opts.c), apart from main so that a fuzzer links
 * them (fuzz/opts_glearn_data.c). */
#ifndef GL_GLEARN_DATA_OPTS_H
#define GL_GLEARN_DATA_OPTS_H

#include "tools/cli.h"

typedef struct {
  const char *command, *data_dir;
  const char **pos;   /* the positional arguments (allocated) */
  const char **names; /* those after the command */
  int n_names;
  bool quiet, help, version;
} options;

extern const gl_cli_tool glearn_data_tool;
/* The registered names: every one, those fetched or those shipped, "a, b,
 * c" in a static buffer. */
enum { ALL, FETCHED, SHIPPED };
const char *glearn_data_names(int which);
/* Parses the command line into *o (o->pos allocated: glearn_data_free);
 * GL_EINVAL with one line for a bad one, nothing then allocated.  With
 * --help or --version, only those are set.  Touches no file. */
gl_status glearn_data_parse(int argc, char **argv, options *o);
void glearn_data_free(options *o);

#endif
