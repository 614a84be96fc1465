/* gl-partition's options: the table its usage line, --help and parser come
 * from (tools/gl-partition-opts.c), apart from main so that a fuzzer links
 * them (fuzz/opts_gl_partition.c). */
#ifndef GL_GL_PARTITION_OPTS_H
#define GL_GL_PARTITION_OPTS_H

#include "tools/cli.h"

typedef struct {
  const char *dataset, *out, *data_dir;
  int parts, threads;
  uint64_t seed, split_seed;
  double split[2]; /* --split TRAIN,VAL fractions; split[0] 0: standard */
  bool quiet, help, version;
} options;

extern const gl_cli_tool gl_partition_tool;
/* Parses the command line into *o; GL_EINVAL with one line for a bad one.
 * With --help or --version, only those are set.  Touches no file. */
gl_status gl_partition_parse(int argc, char **argv, options *o);

#endif
