/* gnn-train's option parser (tools/gnn-train-opts.c): an input is a
 * command line, its arguments separated by NUL bytes.  A command line that
 * parses is configured as main does for a registered dataset. */
#include "fuzz/fuzz.h"
#include "tools/gnn-train-opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int argc;
  char **argv = gl_fuzz_argv("gnn-train", data, size, &argc);
  if (!argv) return 0;
  options o;
  settings s;
  if (gnn_train_parse(argc, argv, &o) == GL_OK && o.dataset) {
    const gl_dataset_info *k = gl_dataset_info_find(o.dataset);
    if (k) (void)gnn_train_configure(&o, k->name, &s);
  }
  free(argv);
  return 0;
}
