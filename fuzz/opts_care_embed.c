/* care-embed's option parser (tools/care-embed-opts.c): an input is a
 * command line, its arguments separated by NUL bytes. */
#include "fuzz/fuzz.h"
#include "tools/care-embed-opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int argc;
  char **argv = gl_fuzz_argv("care-embed", data, size, &argc);
  if (!argv) return 0;
  options o;
  (void)care_embed_parse(argc, argv, &o);
  free(argv);
  return 0;
}
