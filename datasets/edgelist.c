/* Plain edge lists: "u v [w]" a line, '#' comments, blank lines ignored. */
#include <string.h>

#include "datasets/internal.h"

gl_status gl_load_edgelist(gl_dataset *d, const char *path, bool directed) {
  memset(d, 0, sizeof *d);
  gl_edges e;
  GL_TRY(gl_edges_read(&e, path));
  gl_status st = gl_edges_build(&d->adj, (gl_idx)(e.max_id + 1), &e, directed);
  gl_edges_free(&e);
  return gl_dataset_finish(d, st, path);
}
