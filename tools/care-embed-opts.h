/* care-embed's options: the table its usage line, --help and parser come
 * from (tools/care-embed-opts.c), apart from main so that a fuzzer links
 * them (fuzz/opts_care_embed.c). */
#ifndef GL_CARE_EMBED_OPTS_H
#define GL_CARE_EMBED_OPTS_H

#include "tools/cli.h"

/* The names of --method, --communities, --task, --format and --optim, in
 * the order of their enums. */
enum { METHOD_CARE, METHOD_DEEPWALK, METHOD_NODE2VEC };
enum { COMM_LOUVAIN, COMM_LEIDEN };
enum { TASK_NONE, TASK_CLASSIFY, TASK_LINK };
enum { FORMAT_W2V, FORMAT_NPY };
enum { OPTIM_SGD, OPTIM_SPECTRAL_SGD };
extern const char *const care_embed_methods[], *const care_embed_comms[],
    *const care_embed_tasks[], *const care_embed_formats[],
    *const care_embed_optims[];

typedef struct {
  const char *dataset, *edgelist, *data_dir, *out, *json, *save_walks,
      *embeddings;
  int method, communities, task, format, optim; /* the enums above */
  bool directed, quiet, stream, help, version;
  int threads, eval_runs;
  double hold;
  uint64_t seed;
  gl_walk_opts walk;
  gl_sgns_opts sg;
} options;

extern const gl_cli_tool care_embed_tool;
/* Parses the command line into *o and checks that the options go
 * together; GL_EINVAL with one line otherwise.  With --help or --version,
 * only those are set.  Touches no file and allocates nothing. */
gl_status care_embed_parse(int argc, char **argv, options *o);

#endif
