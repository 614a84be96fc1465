/* gl-partition's option parser (tools/gl-partition-opts.c): an input is a
 * command line, its arguments separated by NUL bytes. */
#include "fuzz/fuzz.h"
#include "tools/gl-partition-opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int argc;
  char **argv = gl_fuzz_argv("gl-partition", data, size, &argc);
  if (!argv) return 0;
  options o;
  gl_partition_parse(argc, argv, &o); /* allocates nothing */
  free(argv);
  return 0;
}
