/* The .npy reader alone (datasets/npz.c): header dict, dtypes, shapes. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = gl_fuzz_write("array.npy", data, size);
  if (!path) return 0;
  gl_array a;
  if (gl_npy_read(&a, path) == GL_OK) free(a.data);
  return 0;
}
