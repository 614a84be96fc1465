/* Placeholder while the model is written: refuses to build. */
#include "gnn/gnn.h"

gl_status gl_gat_new(gl_model **out, const gl_model_cfg *cfg) {
  (void)cfg;
  *out = NULL;
  return gl_error(GL_EINVAL, "model 'gat' is not available yet");
}
