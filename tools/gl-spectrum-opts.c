/* gl-spectrum's options: one table for its usage line, --help and parser. */
#include "tools/gl-spectrum-opts.h"

#include <stddef.h>
#include <string.h>

static void about(FILE *f) {
  fputs(
"Trains MODEL (default gcn) on DATASET with its paper's settings, then\n"
"measures the Hessian of the training loss (mean cross-entropy of the\n"
"training nodes plus the L2 term, no dropout) at the trained weights:\n"
"the spectral density of the full loss and of mini-batch losses (B\n"
"training nodes drawn uniformly without replacement), lambda_max against\n"
"B, and the fitted exponents a of lambda_max(B) - lambda_max(full) ~\n"
"(1/B - 1/N)^a and of lambda_max(B) ~ B^-a (Granziol et al.: the batch\n"
"Hessian's outliers exceed the full one's by a noise term of variance\n"
"~ 1/B - 1/N, so the largest stable SGD rate 2/lambda_max grows linearly\n"
"with B until it saturates).\n\n", f);
  gl_cli_item(f, "DATASET", "a registered name (%s) or a path, as for "
              "gnn-train", gl_dataset_names());
  gl_cli_item(f, "MODEL", "%s", gl_model_names());
}

static gl_status set_sizes(const gl_cli_opt *op, const char *v, void *base) {
  options *o = base;
  return gl_cli_counts(op->name, v, o->sizes, 32, 1, "batch sizes",
                       &o->n_sizes);
}

#define O(f) offsetof(options, f)
static const gl_cli_opt opts[] = {
    {"--batch-sizes", "B1,..", GL_CLI_FUNC, .parse = set_sizes,
     .def = "4, 8, 16, ... below the training set",
     .help = "batch sizes; the full loss is always measured"},
    {"--draws", "N", GL_CLI_INT, O(draws), 1, 100000, .def = "10",
     .help = "batches drawn per size: lambda_max is their mean, the "
             "density their mixture"},
    {"--probes", "N", GL_CLI_INT, O(probes), 1, 100000, .def = "5",
     .help = "probe vectors for the full loss's density"},
    {"--steps", "K", GL_CLI_INT, O(steps), 2, 1000, .def = "30",
     .help = "Lanczos steps per probe or batch"},
    {"--sigma", "X", GL_CLI_DOUBLE, O(sigma), 1e-6, 1, .def = "0.01",
     .help = "Gaussian width of the densities, a fraction of the "
             "spectrum's range"},
    {"--epochs", "N", GL_CLI_INT, O(epochs), 0, 10000000,
     .def = "the model's",
     .help = "training epochs (0: measure at the initial weights)"},
    {"--split", "S", GL_CLI_FUNC, O(split), .parse = gl_cli_split,
     .def = "standard",
     .help = "standard or TRAIN,VAL fractions (see gnn-train)"},
    {"--seed", "S", GL_CLI_U64, O(seed), 0, 2147483647, .def = "1",
     .help = "seed of the training and the draws"},
    {"--threads", "N", GL_CLI_INT, O(threads), 1, 1024, .def = "all cores",
     .help = "threads for OpenMP and OpenBLAS"},
    {"--data", "DIR", GL_CLI_STR, O(data_dir),
     .help = "folder holding the datasets (see gnn-train)"},
    {.help = "output (nothing is written unless asked):"},
    {"--csv", "FILE", GL_CLI_STR, O(csv),
     .help = "batch_size, lambda_max mean and std, lambda_min, trace, the "
             "rate 2/lambda_max"},
    {"--density-csv", "FILE", GL_CLI_STR, O(density_csv),
     .help = "the densities on a grid, one column per batch size"},
    {"--plot", "FILE.svg", GL_CLI_STR, O(plot),
     .help = "lambda_max against the batch size (log-log) with the fit"},
    {"--density-plot", "FILE.svg", GL_CLI_STR, O(density_plot),
     .help = "the densities (log scale)"},
    {"--json", "FILE", GL_CLI_STR, O(json), .help = "the table and the fits"},
    {"--quiet", NULL, GL_CLI_FLAG, O(quiet), .help = "print only the table"},
    GL_CLI_HELP_VERSION(options),
};
#undef O

const gl_cli_tool gl_spectrum_tool = {
    "gl-spectrum", "DATASET [MODEL]", opts, sizeof opts / sizeof *opts, about,
    NULL};

gl_status gl_spectrum_parse(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->model = "gcn";
  o->draws = 10;
  o->probes = 5;
  o->steps = 30;
  o->epochs = -1;
  o->sigma = 0.01;
  o->seed = 1;
  const char *pos[2] = {NULL, NULL};
  gl_cli_args a = {.pos = pos, .max_pos = 2};
  GL_TRY(gl_cli_parse(&gl_spectrum_tool, argc, argv, o, &a));
  if (o->help || o->version) return GL_OK;
  if (a.n_pos < 1) return gl_error(GL_EINVAL, "need a DATASET (see --help)");
  o->dataset = pos[0];
  if (a.n_pos > 1) o->model = pos[1];
  if (!gl_model_exists(o->model))
    return gl_error(GL_EINVAL, "unknown model '%s' (known: %s)", o->model,
                    gl_model_names());
  return GL_OK;
}
