/* The edge-list loader (datasets/edgelist.c, the "u v [w]" reader of
 * datasets/text.c): each input is loaded as an undirected and as a directed
 * graph. */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = gl_fuzz_write("graph.edges", data, size);
  if (!path) return 0;
  for (int directed = 0; directed < 2; directed++) {
    gl_dataset d;
    if (gl_load_edgelist(&d, path, directed) == GL_OK) gl_dataset_free(&d);
  }
  return 0;
}
