/* The npz reader (the zip reader and the .npy parser of datasets/npz.c)
 * and the gnn-benchmark dataset built from it (datasets/gnnbench.c).  The
 * fuzz build skips the members' CRC-32 check, so that mutated members reach
 * the .npy parser. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = gl_fuzz_write("data.npz", data, size);
  if (!path) return 0;
  gl_dataset d;
  if (gl_load_npz_dataset(&d, path) == GL_OK) gl_dataset_free(&d);
  return 0;
}
