/* The checkpoint reader (gnn/checkpoint.c's gl_model_load_buffer over the
 * npz reader of datasets/npz.c): configuration checks, then the model
 * built and its weights read.  The fuzz build skips the members' CRC-32
 * check, so that mutated members reach the parsers. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gl_model *m;
  if (gl_model_load_buffer(&m, "fuzz.npz", data, size) == GL_OK)
    gl_model_free(m);
  return 0;
}
