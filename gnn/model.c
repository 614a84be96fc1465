/* The model registry. */
#include <string.h>

#include "gnn/gnn.h"

static const struct {
  const char *name;
  gl_status (*make)(gl_model **, const gl_model_cfg *);
} models[] = {{"gcn", gl_gcn_new}, {"gat", gl_gat_new}, {"gunet", gl_gunet_new}};

const char *gl_model_names(void) { return "gcn, gat, gunet"; }

bool gl_model_exists(const char *name) {
  for (size_t i = 0; i < sizeof models / sizeof *models; i++)
    if (strcmp(name, models[i].name) == 0) return true;
  return false;
}

gl_status gl_model_new(gl_model **out, const gl_model_cfg *cfg) {
  *out = NULL;
  for (size_t i = 0; i < sizeof models / sizeof *models; i++)
    if (strcmp(cfg->model, models[i].name) == 0) return models[i].make(out, cfg);
  return gl_error(GL_ENOTFOUND, "unknown model '%s' (known: %s)", cfg->model,
                  gl_model_names());
}

void gl_model_free(gl_model *m) {
  if (m) m->ops->free(m);
}
