/* gl-partition's options: one table for its usage line, --help and
 * parser. */
#include "tools/gl-partition-opts.h"

#include <stddef.h>
#include <string.h>

static void about(FILE *f) {
  fputs(
"Cuts a dataset into parts for distributed training (mpirun -np P\n"
"gnn-train DIR ...): METIS k-way, balanced at once on nodes, training nodes\n"
"and edges.  DIR receives part-0.npz .. part-(P-1).npz, each the part's\n"
"rows of the graph in local ids with its halo (the 1-hop neighbours owned\n"
"by other parts), the features and labels of its nodes and its share of\n"
"the split, with the maps to the original and global ids; and\n"
"partition.json, the partition book (the parts' id ranges and counts, the\n"
"settings, the source dataset's SHA-256).  The split is the one the\n"
"dataset has (or draws with --split-seed), kept in the parts.  DIR must\n"
"not exist or be empty; it appears only once every file is complete.\n"
"\n", f);
  gl_cli_item(f, "DATASET", "%s; or a path (GMNN folder, .npz, .mat, edge "
              "list)", gl_dataset_names());
}

#define O(f) offsetof(options, f)
static const gl_cli_opt opts[] = {
    {.help = "options:"},
    {"--parts", "P", GL_CLI_INT, O(parts), 1, 65536,
     .help = "the number of parts (required): one a rank"},
    {"--out", "DIR", GL_CLI_STR, O(out),
     .help = "the folder to create (required)"},
    {"--seed", "S", GL_CLI_U64, O(seed), 0, 2147483647, .def = "1",
     .help = "METIS's seed"},
    {"--split", "S", GL_CLI_FUNC, O(split), .parse = gl_cli_split,
     .def = "standard",
     .help = "standard (the dataset's split; else 20/30 per class) or "
             "TRAIN,VAL fractions of the labelled nodes, the rest the test "
             "set"},
    {"--split-seed", "S", GL_CLI_U64, O(split_seed), 0, 2147483647,
     .def = "1", .help = "the seed of a drawn split"},
    {"--data", "DIR", GL_CLI_STR, O(data_dir),
     .help = "folder holding the datasets (default: the search path of "
             "gnn-train)"},
    {"--threads", "N", GL_CLI_INT, O(threads), 1, 1024,
     .def = "all cores", .help = "threads for OpenMP"},
    {"--quiet", NULL, GL_CLI_FLAG, O(quiet),
     .help = "no summary on stdout"},
    GL_CLI_HELP_VERSION(options),
};
#undef O

const gl_cli_tool gl_partition_tool = {
    "gl-partition", "DATASET --parts P --out DIR", opts,
    sizeof opts / sizeof *opts, about, NULL};

gl_status gl_partition_parse(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->seed = o->split_seed = 1;
  const char *pos[1] = {NULL};
  gl_cli_args a = {.pos = pos, .max_pos = 1};
  GL_TRY(gl_cli_parse(&gl_partition_tool, argc, argv, o, &a));
  if (o->help || o->version) return GL_OK;
  o->dataset = pos[0];
  if (!o->dataset)
    return gl_error(GL_EINVAL, "no dataset given (see --help)");
  if (!o->parts) return gl_error(GL_EINVAL, "--parts P is required");
  if (!o->out || !*o->out)
    return gl_error(GL_EINVAL, "--out DIR is required");
  return GL_OK;
}
