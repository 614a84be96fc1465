/* The MATLAB .mat loader (datasets/mat.c through libmatio): `network` and
 * `group` sparse matrices, plain or gzip-compressed files. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = gl_fuzz_write("data.mat", data, size);
  if (!path) return 0;
  gl_dataset d;
  if (gl_load_mat(&d, path) == GL_OK) gl_dataset_free(&d);
  return 0;
}
