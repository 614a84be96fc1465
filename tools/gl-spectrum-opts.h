/* gl-spectrum's options: the table its usage line, --help and parser come
 * from (tools/gl-spectrum-opts.c), apart from main so that a fuzzer links
 * them (fuzz/opts_gl_spectrum.c). */
#ifndef GL_GL_SPECTRUM_OPTS_H
#define GL_GL_SPECTRUM_OPTS_H

#include "tools/cli.h"

typedef struct {
  const char *dataset, *model, *data_dir;
  const char *csv, *density_csv, *plot, *density_plot, *json;
  int sizes[32], n_sizes;
  int draws, probes, steps, epochs, threads;
  double sigma, split[2];
  uint64_t seed;
  bool quiet, help, version;
} options;

extern const gl_cli_tool gl_spectrum_tool;
/* Parses the command line into *o; GL_EINVAL with one line for a bad one.
 * With --help or --version, only those are set.  Touches no file and
 * allocates nothing. */
gl_status gl_spectrum_parse(int argc, char **argv, options *o);

#endif
