/* gl-partition DATASET --parts P --out DIR: cuts a dataset into parts for
 * distributed training.  Argument parsing and printing only; the
 * partitioning lives in the library (datasets/partition.c). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/gl-partition-opts.h"

int main(int argc, char **argv) {
  gl_cli_init("gl-partition");
  options o;
  gl_status st = gl_partition_parse(argc, argv, &o);
  gl_cli_parsed(&gl_partition_tool, st, o.help, o.version);
  if (o.threads > 0) gl_set_threads(o.threads);
  /* the output folder, before any work */
  struct stat sb;
  if (lstat(o.out, &sb) == 0 && !S_ISDIR(sb.st_mode))
    gl_cli_die(GL_EXIT_USAGE, "--out: %s exists and is not a folder", o.out);
  gl_dataset d;
  st = gl_dataset_load(&d, o.dataset, o.data_dir, o.split_seed);
  if (st != GL_OK) gl_cli_die_status(st, "");
  if (o.split[0] > 0 &&
      (st = gl_split_random(&d, o.split[0], o.split[1], o.split_seed)) != GL_OK)
    gl_cli_die_status(st, "--split");
  gl_partition_opts po = {o.parts, o.seed};
  gl_partition_stats s;
  st = gl_partition_write(&d, o.dataset, &po, o.out, &s);
  if (st != GL_OK)
    gl_cli_die(st == GL_EIO || st == GL_ENOMEM ? GL_EXIT_FAIL : GL_EXIT_USAGE,
               "%s", gl_errmsg());
  if (!o.quiet)
    printf("%s: %d nodes, %lld edges, %d/%d/%d train/val/test into %d parts "
           "in %s (%.1f s)\nedge cut %lld, largest halo %d, imbalance "
           "nodes %.3f train %.3f edges %.3f\n",
           d.name, (int)d.adj.n, (long long)(d.adj.nnz / 2), (int)d.n_train,
           (int)d.n_val, (int)d.n_test, o.parts, o.out, s.seconds,
           (long long)s.edge_cut, (int)s.max_halo, s.imbalance[0],
           s.imbalance[1], s.imbalance[2]);
  gl_dataset_free(&d);
  return GL_EXIT_OK;
}
