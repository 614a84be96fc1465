/* gl-spectrum's option parser (tools/gl-spectrum-opts.c): an input is a
 * command line, its arguments separated by NUL bytes. */
#include "fuzz/fuzz.h"
#include "tools/gl-spectrum-opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int argc;
  char **argv = gl_fuzz_argv("gl-spectrum", data, size, &argc);
  if (!argv) return 0;
  options o;
  (void)gl_spectrum_parse(argc, argv, &o);
  free(argv);
  return 0;
}
