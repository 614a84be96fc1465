/* The MATLAB .mat loader (datasets/mat.c through libmatio): `network` and
 * `group` sparse matrices, plain or gzip-compressed files. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return gl_fuzz_load("data.mat", data, size, gl_load_mat);
}
