/* The GMNN / Planetoid text loader (datasets/gmnn.c over the scanner of
 * datasets/text.c): an input is the folder's six files one after another,
 * separated by lines "%%FILE", in the order of `files`. */
#include "fuzz/fuzz.h"

static const char *const files[6] = {"net.txt",   "feature.txt", "label.txt",
                                     "train.txt", "dev.txt",     "test.txt"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t pos = 0;
  for (int i = 0; i < 6; i++) {
    size_t len;
    const uint8_t *part = gl_fuzz_part(data, size, &pos, "\n%%FILE\n", &len);
    if (!gl_fuzz_write(files[i], part, len)) return 0;
  }
  gl_dataset d;
  if (gl_load_gmnn(&d, gl_fuzz_dir()) == GL_OK) gl_dataset_free(&d);
  return 0;
}
