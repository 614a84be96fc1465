/* The npz reader (the zip reader and the .npy parser of datasets/npz.c)
 * and the gnn-benchmark dataset built from it (datasets/gnnbench.c).  The
 * fuzz build skips the members' CRC-32 check, so that mutated members reach
 * the .npy parser. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return gl_fuzz_load("data.npz", data, size, gl_load_npz_dataset);
}
