/* glearn-data's option parser (tools/glearn-data-opts.c): an input is a
 * command line, its arguments separated by NUL bytes. */
#include "fuzz/fuzz.h"
#include "tools/glearn-data-opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int argc;
  char **argv = gl_fuzz_argv("glearn-data", data, size, &argc);
  if (!argv) return 0;
  options o;
  if (glearn_data_parse(argc, argv, &o) == GL_OK) glearn_data_free(&o);
  free(argv);
  return 0;
}
